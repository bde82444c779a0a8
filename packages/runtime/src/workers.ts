import { setTimeout as sleep } from 'node:timers/promises';
import type { HubViewName } from '@hub/contracts';
import type { Logger } from '@hub/logger';

/**
 * A background loop of a service (a poller, a timer wheel): started after the steps, aborted and awaited on stop.
 * `run` returns when `signal` aborts; a throw, or a return before the abort, is logged and `run` is called again
 * after a backoff, so a worker is never silently dead. It keeps no state a restart needs: what it acts on is in
 * Kafka or a view.
 */
export interface Worker {
  /** In logs: `<service>.<name>`. */
  readonly name: string;
  /** Views it reads: `context.ready()` is false while any is not ready (rebuilding: reading it would guess). */
  readonly reads?: readonly HubViewName[];
  run(signal: AbortSignal, context: WorkerContext): Promise<void>;
}

export interface WorkerContext {
  /** Every view of `reads` ready and its marker still there (`ViewGenerations.confirm`). */
  ready(): Promise<boolean>;
}

export interface WorkerBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  /** A run that lasted this long before failing starts the backoff again from `initialMs`. */
  readonly resetAfterMs: number;
}

export const WORKER_BACKOFF: WorkerBackoff = { initialMs: 500, maxMs: 30_000, resetAfterMs: 60_000 };

export interface RunningWorkers {
  /** Aborts every worker and waits for each run to return (unbounded: the runtime's stop bounds it). */
  stop(): Promise<void>;
  /** The workers whose supervision has not ended (`<service>.<name>`): after stop(), those ignoring the abort. */
  running(): readonly string[];
}

export function startWorkers(
  workers: readonly { readonly service: string; readonly worker: Worker }[],
  options: {
    readonly logger: Logger;
    readonly confirm: (view: HubViewName) => Promise<boolean>;
    readonly backoff?: WorkerBackoff;
  },
): RunningWorkers {
  const { logger, confirm, backoff = WORKER_BACKOFF } = options;
  const abort = new AbortController();
  const { signal } = abort;
  // A function, not the property: TypeScript would take `signal.aborted` as still false after an await.
  const stopped = () => signal.aborted;
  const supervise = async (service: string, worker: Worker): Promise<void> => {
    const name = `${service}.${worker.name}`;
    const context: WorkerContext = {
      ready: async () => (await Promise.all((worker.reads ?? []).map(confirm))).every(Boolean),
    };
    let delayMs = backoff.initialMs;
    while (!stopped()) {
      const started = Date.now();
      try {
        await worker.run(signal, context);
        if (stopped()) return;
        logger.error({ worker: name }, 'worker returned while running; restarting');
      } catch (error) {
        if (stopped()) return;
        logger.error({ worker: name, err: error }, 'worker failed; restarting');
      }
      if (Date.now() - started >= backoff.resetAfterMs) delayMs = backoff.initialMs;
      await sleep(delayMs, undefined, { signal }).catch(() => undefined);
      delayMs = Math.min(delayMs * 2, backoff.maxMs);
    }
  };
  const live = workers.map(({ service, worker }) => ({ name: `${service}.${worker.name}`, ended: false }));
  const running = workers.map(async ({ service, worker }, index) => {
    try {
      await supervise(service, worker);
    } finally {
      const entry = live[index];
      if (entry !== undefined) entry.ended = true;
    }
  });
  return {
    async stop() {
      abort.abort();
      await Promise.all(running);
    },
    running: () => live.filter((entry) => !entry.ended).map((entry) => entry.name),
  };
}
