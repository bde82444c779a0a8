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
  /** The error of an attempt the caller already made (runInBatch's first try): it counts as the first attempt. */
  readonly firstFailure?: { readonly error: unknown };
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
  let earlier = context.firstFailure;
  for (let attempt = 1; ; attempt++) {
    try {
      if (earlier !== undefined) {
        const { error } = earlier;
        earlier = undefined;
        throw error; // handled below as this attempt's failure
      }
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

/** A first try that failed, answered at once so the caller can commit the inputs before it first. */
export interface FailedFirst {
  readonly failedFirst: { readonly error: unknown };
}

/** What a consumer's retries share, fixed when it starts. */
export type ConsumerRetry = Pick<HandlerRetryContext, 'log' | 'policy' | 'heartbeatIntervalMs' | 'signal'>;

/** The retry context of the message at `offset` of a fetched batch (`payload`), with its failed first try if any. */
export function retryContextAt(
  retry: ConsumerRetry,
  payload: { heartbeat(): Promise<void> },
  partition: number,
  offset: string,
  firstFailure?: FailedFirst['failedFirst'],
): HandlerRetryContext {
  return {
    ...retry,
    partition,
    offset,
    heartbeat: () => payload.heartbeat(),
    ...(firstFailure === undefined ? {} : { firstFailure }),
  };
}

/**
 * Runs one input of a fetched batch. With `holdOnFailure` (handled inputs before it are not committed yet) it is
 * tried once, and a failure (NotYetError included) is answered at once as `failedFirst`, without waiting: the caller
 * commits the inputs before it, then calls runWithRetries with that `firstFailure`, so the input is retried alone (or
 * waits) with nothing after it committed, and its batch-mates never wait on it uncommitted.
 */
export async function runInBatch<R>(
  work: () => Promise<R>,
  context: HandlerRetryContext,
  holdOnFailure: boolean,
): Promise<HandlerOutcome<R> | FailedFirst> {
  if (!holdOnFailure) return runWithRetries(work, context);
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    return { failedFirst: { error } };
  }
}
