import { setTimeout as sleep } from 'node:timers/promises';
import { AUDIT_LOG_LIMITS, auditSequenceTopic } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { Postgres, Queryable } from '@hub/postgres';
import type { Worker } from '@hub/runtime';
import type { Checkpointer } from './checkpoints.ts';
import { nextSequenceRecord } from './sequencer.ts';
import { readLogState } from './state.ts';

// One leader per deployment, whoever holds a PostgreSQL session advisory lock (as Tessera's sequencing): it runs the
// sequencer and the checkpointer. The lock is its connection's: a leader that dies, or whose connection is cut,
// loses it with the connection, and another instance takes it on its next try. Two leaders at once (a partition
// between a leader and PostgreSQL, seen by the server late) cannot fork the log: records are computed from the
// applied state, and a record not at the tree's size when applied is stale and changes nothing.

export const LEADER_TIMINGS = {
  /** How often a follower tries the lock. */
  tryLockMs: 1_000,
  /** A sequencer round, while the tree keeps up (a full round runs the next at once). */
  sequenceMs: 500,
  /** A checkpointer round: the tree grown since the last checkpoint is signed (the issue asks at least every 2 s). */
  checkpointMs: 1_000,
  /** How long the sequencer waits for its record to be applied before computing the next one regardless. */
  appliedWaitMs: 30_000,
  /**
   * After a record that was handled but not applied (stale, or refused: it disagrees with the stored events), the
   * next one is computed from the same state and would most likely meet the same fate: the sequencer waits this
   * long first, so a refused record is an alarm every few seconds, not a loop.
   */
  notAppliedBackoffMs: 5_000,
  appliedPollMs: 50,
} as const;

export interface LeaderOptions {
  readonly postgres: Postgres;
  readonly kafka: KafkaClient;
  readonly logger: Logger;
  /** The lock's name: one per deployment (its base schema), never per view generation. */
  readonly lockName: string;
  /** The log's origin: the key of its sequence records. */
  readonly origin: string;
  /** A checkpointer per leadership. */
  readonly checkpointer: () => Checkpointer;
  readonly limit?: number;
  readonly timings?: Partial<typeof LEADER_TIMINGS>;
}

const TRY_LOCK = 'SELECT pg_try_advisory_lock(hashtext($1)) AS locked';

/** The leader's background loop (a runtime worker): tries the lock, and while it holds it, sequences and signs. */
export function auditLogLeader(options: LeaderOptions): Worker {
  const timings = { ...LEADER_TIMINGS, ...options.timings };
  const { postgres, logger } = options;
  const limit = options.limit ?? AUDIT_LOG_LIMITS.leavesPerSequence;
  return {
    name: 'audit-log-leader',
    reads: ['audit'],
    async run(signal, context) {
      while (!signal.aborted) {
        if (await context.ready()) {
          await postgres.session(async (session) => {
            const { rows } = await session.query<{ locked: boolean }>(TRY_LOCK, [options.lockName]);
            if (rows[0]?.locked !== true) return;
            logger.info({ lock: options.lockName }, 'audit log leader: leading');
            try {
              await lead(session, signal, () => context.ready());
            } finally {
              logger.info({ lock: options.lockName }, 'audit log leader: stepped down');
            }
          });
        }
        await sleep(timings.tryLockMs, undefined, { signal }).catch(() => undefined);
      }
    },
  };

  /** Runs both loops until the signal aborts, the views stop being ready, or the lock's connection fails. */
  async function lead(session: Queryable, signal: AbortSignal, ready: () => Promise<boolean>): Promise<void> {
    const stop = new AbortController();
    const leading = AbortSignal.any([signal, stop.signal]);
    const checkpointer = options.checkpointer();
    // The lock is held as long as its connection answers: each round starts by asking it.
    const stillLeading = async (): Promise<boolean> => {
      await session.query('SELECT 1');
      return !leading.aborted && (await ready());
    };
    const loop = async (every: number, round: () => Promise<boolean>): Promise<void> => {
      try {
        while (await stillLeading()) {
          const more = await round();
          if (!more) await sleep(every, undefined, { signal: leading }).catch(() => undefined);
        }
      } finally {
        stop.abort();
      }
    };
    try {
      // Both loops end before the session does (one failing stops the other), then the first failure is thrown.
      const ended = await Promise.allSettled([
        loop(timings.sequenceMs, () => sequence(leading)),
        loop(timings.checkpointMs, async () => {
          await checkpointer.round(leading);
          return false;
        }),
      ]);
      const failed = ended.find((result) => result.status === 'rejected');
      if (failed !== undefined) throw failed.reason;
    } finally {
      await checkpointer.settle();
    }
  }

  /** One sequencer round: publishes the next record and waits for it to be applied. True when more is waiting. */
  async function sequence(signal: AbortSignal): Promise<boolean> {
    const next = await nextSequenceRecord(postgres, limit);
    if (next === undefined) return false;
    const { record, state } = next;
    const [published] = await options.kafka.transaction('audit-log-sequencer', (tx) =>
      tx.publish(auditSequenceTopic, [{ key: options.origin, value: record }]),
    );
    const offset = Number(published?.baseOffset ?? state.sequenceOffset);
    // The next record is computed from the state this one leaves: wait until the applier has handled it.
    const deadline = Date.now() + timings.appliedWaitMs;
    while (!signal.aborted && Date.now() < deadline) {
      const now = await readLogState(postgres);
      if (now.sequenceOffset > offset) {
        if (now.size === record.toIndex) return record.toIndex - record.fromIndex >= limit; // full: a backlog
        logger.warn({ fromIndex: record.fromIndex, size: now.size }, 'audit log sequence record not applied');
        await sleep(timings.notAppliedBackoffMs, undefined, { signal }).catch(() => undefined);
        return false;
      }
      await sleep(timings.appliedPollMs, undefined, { signal }).catch(() => undefined);
    }
    if (!signal.aborted)
      logger.warn({ fromIndex: record.fromIndex, offset }, 'audit log sequence record not applied in time');
    return false;
  }
}
