/** Exponential backoff with jitter, and waits that can be cut short. */

export interface RetryPolicy {
  /** Total attempts, the first one included (1 = no retry). */
  readonly attempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const MAX_ATTEMPTS = 100;

/**
 * For handlers whose failures are almost always an outage of what they write to (e.g. a Redis view of messages
 * that already passed their contract): keep retrying for about a quarter of an hour before dead-lettering, so a
 * Redis restart never buries good messages in the DLQ.
 */
export const OUTAGE_TOLERANT_RETRY: RetryPolicy = Object.freeze({
  attempts: MAX_ATTEMPTS,
  initialDelayMs: 200,
  maxDelayMs: 10_000,
});
export const MAX_DELAY_MS = 5 * 60_000;

export function checkRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { attempts, initialDelayMs, maxDelayMs } = policy;
  if (!Number.isInteger(attempts) || attempts < 1 || attempts > MAX_ATTEMPTS) {
    throw new RangeError(`retry.attempts must be a whole number from 1 to ${MAX_ATTEMPTS}`);
  }
  if (!Number.isFinite(initialDelayMs) || initialDelayMs < 0 || !Number.isFinite(maxDelayMs)) {
    throw new RangeError('retry delays must be finite and >= 0');
  }
  if (maxDelayMs < initialDelayMs || maxDelayMs > MAX_DELAY_MS) {
    throw new RangeError(`retry.maxDelayMs must be between initialDelayMs and ${MAX_DELAY_MS}`);
  }
  return policy;
}

/**
 * Delay before retry number `failedAttempts` (1 after the first failure): initial * 2^(n-1), capped at max, with
 * "equal jitter" (between half and all of it) so that consumers failing together do not retry in lock-step.
 */
export function backoffDelay(
  failedAttempts: number,
  policy: Pick<RetryPolicy, 'initialDelayMs' | 'maxDelayMs'>,
  random: () => number = Math.random,
): number {
  const exponent = Math.min(Math.max(failedAttempts - 1, 0), 30);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** exponent);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. Never rejects. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted === true) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Waits `ms` in slices of at most `sliceMs`, calling `beat` between slices. kafkajs sends consumer heartbeats only
 * between messages, so a long backoff inside a handler would otherwise get the member evicted (and trigger the
 * rebalance loops of kafkajs issue 1527). Answers false when aborted.
 */
export async function sleepWithHeartbeat(
  ms: number,
  sliceMs: number,
  beat: () => Promise<void>,
  signal?: AbortSignal,
): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    const left = end - Date.now();
    if (left <= 0) return true;
    if (!(await sleep(Math.min(left, sliceMs), signal))) return false;
    await beat();
  }
}

/** Rejects with a timeout error if `promise` has not settled within `ms`. The timer never keeps the process up. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} timed out after ${ms} ms`));
    }, ms);
    timer.unref();
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
