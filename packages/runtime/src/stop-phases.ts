import type { Logger } from '@hub/logger';

/** How long in-flight requests get to finish when stopping before their connections are cut (`closeGracefully`). */
export const SHUTDOWN_GRACE_MS = 10_000;

/**
 * How long each phase of `Runtime.stop()` may take, in its order. A phase that overruns is logged with what had not
 * finished and left running; stop goes on, so Kafka, PostgreSQL and Redis are still closed and the process can exit.
 * `http` is SHUTDOWN_GRACE_MS plus the moment cutting the connections takes.
 */
export const STOP_DEADLINES_MS = {
  http: SHUTDOWN_GRACE_MS + 2_000,
  workers: 10_000,
  metrics: 5_000,
  views: 15_000,
  // Consumers finishing their batch and leaving their groups, transactions in flight ending, producers disconnecting.
  kafka: 30_000,
  tracing: 10_000,
  lease: 3_000,
  postgres: 5_000,
  redis: 5_000,
} as const;

export type StopPhaseName = keyof typeof STOP_DEADLINES_MS;
export type StopDeadlines = { readonly [phase in StopPhaseName]: number };

/** How a phase ended: `overran` when its deadline passed first (its work is left running). */
export type PhaseOutcome = 'done' | 'failed' | 'overran';

export interface StopPhases {
  /**
   * Runs one phase within its deadline. A failure is logged (`stop phase failed`); an overrun is logged with
   * `pending()` (names only: workers, consumer groups, connections) as `stop phase overran`. Never rejects.
   */
  run(phase: StopPhaseName, work: () => Promise<unknown>, pending?: () => readonly string[]): Promise<PhaseOutcome>;
  /** Each phase run so far and how long it took (ms), for the stop's last log line. */
  readonly durationsMs: Readonly<Partial<Record<StopPhaseName, number>>>;
}

export function stopPhases(logger: Logger, deadlines: StopDeadlines = STOP_DEADLINES_MS): StopPhases {
  const durationsMs: Partial<Record<StopPhaseName, number>> = {};
  return {
    durationsMs,
    async run(phase, work, pending) {
      const deadlineMs = deadlines[phase];
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const overran = new Promise<'overran'>((resolve) => {
        timer = setTimeout(() => {
          resolve('overran');
        }, deadlineMs);
      });
      const finished = (async () => {
        try {
          await work();
          return 'done' as const;
        } catch (error) {
          logger.error({ phase, err: error }, 'stop phase failed');
          return 'failed' as const;
        }
      })();
      const outcome = await Promise.race([finished, overran]);
      clearTimeout(timer);
      durationsMs[phase] = Date.now() - started;
      if (outcome === 'overran') {
        logger.error(
          { phase, deadlineMs, pending: pending?.() ?? [] },
          'stop phase overran its deadline; going on without it',
        );
      }
      return outcome;
    },
  };
}
