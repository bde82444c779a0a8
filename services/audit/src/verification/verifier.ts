import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '@hub/logger';
import type { Postgres } from '@hub/postgres';
import type { Worker, WorkerContext } from '@hub/runtime';
import { parseCheckpoint, parseNote, verifyLog, type TrustPolicy } from '@hub/tlog';
import { readLimited } from '@hub/tlog-client';
import { latestCheckpoint } from '../log/checkpoints.ts';
import { postgresLogSource } from './source.ts';
import { latestRun, recordRun, type VerificationRun, type VerificationTrigger } from './store.ts';

// The hub's own periodic full verification (issue 11, the console's integrity panel): the whole log read back from
// its own store and checked with @hub/tlog's verifyLog under the same trust an auditor has (the log's public key and
// its witnesses' cosignature keys), held to the last verified cosigned checkpoint and to each witness's own.

export const VERIFICATION_TIMINGS = {
  /** A witness's monitoring checkpoint is asked for this long. */
  witnessTimeoutMs: 10_000,
  /**
   * The store may not yet hold the checkpoint a witness has just cosigned (the checkpoint projector is a step
   * behind): the run waits up to this long for it before holding the log to it.
   */
  catchUpMs: 30_000,
  catchUpPollMs: 1_000,
  /** How often a scheduled run that had nothing to judge yet (view building, a new log) looks again. */
  notYetPollMs: 5_000,
} as const;

export interface LogVerifierDeps {
  readonly postgres: Postgres;
  readonly policy: TrustPolicy;
  /** Witnesses' monitoring prefixes (C2SP tlog-witness `GET <prefix>/<origin hash>/checkpoint`). */
  readonly witnessUrls: readonly string[];
  /** Time between scheduled runs. */
  readonly intervalMs: number;
  readonly now: () => Date;
  readonly logger: Logger;
  /** One run at a time across the deployment: the session advisory lock of this name. */
  readonly lockName: string;
  /** Default `VERIFICATION_TIMINGS.catchUpMs`. */
  readonly catchUpMs?: number;
}

export interface LogVerifier {
  readonly worker: Worker;
  /** Starts a run now unless one is running here; resolves when it is started, not finished. */
  demand(): { readonly started: boolean };
  /** True while this instance runs one. */
  running(): boolean;
  /** Runs one verification now and returns it (undefined: another instance holds the lock). Tests and `demand`. */
  runOnce(trigger: VerificationTrigger): Promise<VerificationRun | undefined>;
}

export function createLogVerifier(deps: LogVerifierDeps): LogVerifier {
  const { postgres, policy, logger } = deps;
  let inFlight: Promise<VerificationRun | undefined> | undefined;
  let wake: (() => void) | undefined;
  let next: VerificationTrigger = 'schedule';

  async function witnessHeld(): Promise<string[]> {
    const hash = createHash('sha256').update(policy.origin, 'utf8').digest('hex');
    const held: string[] = [];
    for (const url of deps.witnessUrls) {
      try {
        const response = await fetch(new URL(`${hash}/checkpoint`, url.endsWith('/') ? url : `${url}/`), {
          signal: AbortSignal.timeout(VERIFICATION_TIMINGS.witnessTimeoutMs),
          redirect: 'error',
        });
        if (response.status === 200) held.push(await readLimited(response, 64 * 1024));
        else await response.body?.cancel();
      } catch {
        // A witness away is not a failure of the log: the next run asks again.
        logger.warn({ witnessIndex: deps.witnessUrls.indexOf(url) }, 'audit log witness checkpoint not read');
      }
    }
    return held;
  }

  /** Waits (bounded) until the store holds a checkpoint as large as the largest a witness holds. */
  async function catchUp(held: readonly string[]): Promise<void> {
    const sizes = held.flatMap((note) => {
      try {
        return [parseCheckpoint(parseNote(note).text).size];
      } catch {
        return [];
      }
    });
    const wanted = Math.max(0, ...sizes);
    const deadline = Date.now() + (deps.catchUpMs ?? VERIFICATION_TIMINGS.catchUpMs);
    while (Date.now() < deadline && ((await latestCheckpoint(postgres))?.size ?? 0) < wanted) {
      await sleep(Math.min(VERIFICATION_TIMINGS.catchUpPollMs, deps.catchUpMs ?? VERIFICATION_TIMINGS.catchUpPollMs));
    }
  }

  async function verify(trigger: VerificationTrigger): Promise<VerificationRun> {
    const startedAt = deps.now();
    const previous = await latestRun(postgres, true);
    const held = await witnessHeld();
    await catchUp(held);
    const trusted = [...(previous?.cosignedNote === undefined ? [] : [previous.cosignedNote]), ...held];
    const result = await verifyLog(postgresLogSource(postgres), policy, { trusted });
    const run: VerificationRun = {
      trigger,
      startedAt,
      finishedAt: deps.now(),
      ok: result.ok,
      leaves: result.leaves,
      latest: result.latest,
      cosignedNote: result.cosigned?.note,
      cosigned: result.cosigned?.checkpoint,
      cosignatures: result.cosigned?.cosignatures ?? [],
      failures: result.failures,
      omitted: result.omitted,
    };
    await recordRun(postgres, run);
    if (run.ok) {
      logger.info({ trigger, leaves: run.leaves }, 'audit log verified');
    } else {
      // Codes and leaf indexes only: what failed, never what an entry holds.
      logger.error(
        { trigger, leaves: run.leaves, failures: run.failures.map((f) => f.code), omitted: run.omitted },
        'audit log verification failed',
      );
    }
    return run;
  }

  async function runOnce(trigger: VerificationTrigger): Promise<VerificationRun | undefined> {
    if (inFlight !== undefined) return inFlight;
    inFlight = postgres
      .session(async (connection) => {
        const { rows } = await connection.query<{ locked: boolean }>(
          'SELECT pg_try_advisory_lock(hashtext($1)) AS locked',
          [deps.lockName],
        );
        // Another instance is verifying the same store: its result is recorded where this one would be.
        if (rows[0]?.locked !== true) return undefined;
        try {
          return await verify(trigger);
        } finally {
          // Released here rather than by the connection's close: the server frees a closed session's locks a moment
          // later, and a run asked for at once found this one's lock still held (seen in CI under load).
          await connection.query('SELECT pg_advisory_unlock(hashtext($1))', [deps.lockName]).catch(() => undefined);
        }
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  /**
   * Whether a scheduled run has anything to judge: not while the audit view is being built (a run would read half a
   * store), nor for a log that is only new — no earlier run, no checkpoint stored, none held by a witness — which
   * would otherwise be shown red until the next run. A wiped store is not new: its witnesses still hold their
   * checkpoints (with no witness configured, a store wiped with its history cannot be told from a new one).
   */
  async function somethingToVerify(context: WorkerContext): Promise<boolean> {
    if (!(await context.ready())) return false;
    if ((await latestRun(postgres)) !== undefined || (await latestCheckpoint(postgres)) !== undefined) return true;
    return (await witnessHeld()).length > 0;
  }

  const worker: Worker = {
    name: 'audit-log-verifier',
    reads: ['audit'],
    async run(signal, context) {
      while (!signal.aborted) {
        const trigger = next;
        next = 'schedule';
        const ran = trigger === 'demand' || (await somethingToVerify(context));
        if (ran) await runOnce(trigger);
        // Until the next run is due (soon when this one had nothing to judge yet), a demand (wake) or the stop.
        const woken = new AbortController();
        wake = () => {
          woken.abort();
        };
        const waitMs = ran ? deps.intervalMs : Math.min(deps.intervalMs, VERIFICATION_TIMINGS.notYetPollMs);
        await sleep(waitMs, undefined, { signal: AbortSignal.any([signal, woken.signal]) }).catch(() => undefined);
        wake = undefined;
      }
    },
  };

  return {
    worker,
    runOnce,
    running: () => inFlight !== undefined,
    demand() {
      if (inFlight !== undefined) return { started: false };
      if (wake !== undefined) {
        next = 'demand';
        wake();
        return { started: true };
      }
      // No worker loop here (a process without it): run directly, its failure logged.
      runOnce('demand').catch((error: unknown) => {
        logger.error({ err: error }, 'audit log verification on demand failed');
      });
      return { started: true };
    },
  };
}
