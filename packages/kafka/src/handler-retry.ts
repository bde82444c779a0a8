import type { Logger } from '@hub/logger';
import { describeError } from './dead-letter.ts';
import { backoffDelay, sleepWithHeartbeat, type RetryPolicy } from './retry.ts';

export interface HandlerRetryContext {
  readonly log: Logger;
  readonly policy: RetryPolicy;
  readonly partition: number;
  readonly offset: string;
  /** Called between backoff slices, so the consumer stays in its group while it waits. */
  readonly heartbeat: () => Promise<void>;
  readonly heartbeatIntervalMs: number;
  /** Aborted when the consumer stops: the wait ends and the message is left uncommitted. */
  readonly signal: AbortSignal;
}

/**
 * Thrown by a handler that must not run yet (e.g. the view it writes is being rebuilt): the message is retried every
 * NOT_YET_DELAY_MS, heartbeating, for as long as it takes; the attempt does not count and it is never dead-lettered.
 */
export class NotYetError extends Error {
  override readonly name = 'NotYetError';
}
export const NOT_YET_DELAY_MS = 1_000;

export type HandlerOutcome<R> =
  { readonly ok: true; readonly value: R } | { readonly ok: false; readonly error: unknown } | 'abandoned';

/**
 * Runs a message handler with the policy's retries and backoff, heartbeating while it waits. Answers the value,
 * the last error once every attempt failed, or 'abandoned' when the consumer stopped meanwhile. Logs only the
 * error's name and code (a message may quote the data it failed on).
 */
export async function runWithRetries<R>(
  work: () => Promise<R>,
  context: HandlerRetryContext,
): Promise<HandlerOutcome<R>> {
  const { log, policy, partition, offset } = context;
  let waited = false;
  for (let attempt = 1; ; attempt++) {
    try {
      const value = await work();
      if (attempt > 1) log.info({ partition, offset, attempt }, 'handled on retry');
      if (waited) log.info({ partition, offset }, 'handled after waiting');
      return { ok: true, value };
    } catch (error) {
      if (error instanceof NotYetError) {
        if (!waited) log.info({ partition, offset, reason: error.message }, 'waiting before handling');
        waited = true;
        attempt--;
        const beat = context.heartbeat;
        if (!(await sleepWithHeartbeat(NOT_YET_DELAY_MS, context.heartbeatIntervalMs, beat, context.signal))) {
          return 'abandoned';
        }
        continue;
      }
      const { name, code } = describeError(error);
      const where = { partition, offset, attempt, errorName: name, errorCode: code };
      if (attempt >= policy.attempts) {
        log.error(where, 'handler failed on every attempt');
        return { ok: false, error };
      }
      const delayMs = backoffDelay(attempt, policy);
      log.warn({ ...where, delayMs }, 'handler failed; retrying');
      if (!(await sleepWithHeartbeat(delayMs, context.heartbeatIntervalMs, context.heartbeat, context.signal))) {
        return 'abandoned';
      }
    }
  }
}
