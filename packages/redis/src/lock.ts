import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { HubError } from '@hub/errors';
import type { RedisClient } from './client.ts';

export const MAX_LOCK_TTL_MS = 5 * 60 * 1000;
/** The pause between attempts while waiting for a lock, unless the caller says otherwise. */
export const DEFAULT_LOCK_RETRY_MS = 25;

// Deletes the lock only if it is still ours (a slow holder must not release a successor's lock).
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export interface LockOptions {
  /** How long the lock lives if its holder never releases it (a crash): make it longer than the work takes. */
  readonly ttlMs: number;
  /** How long to wait for a lock someone else holds before giving up; 0 (the default) gives up at once. */
  readonly waitMs?: number;
  /** The pause between attempts while waiting; default `DEFAULT_LOCK_RETRY_MS`. */
  readonly retryMs?: number;
  /** The `detail` of the `LockBusyError` (shown to the client): which kind of request is in progress. */
  readonly busyDetail?: string;
}

/**
 * The lock stayed taken for the whole wait. A `HubError('conflict')`, so `@hub/http` answers it 409 `conflict`
 * (problem+json); the client retries.
 */
export class LockBusyError extends HubError {
  constructor(detail = 'Another request on this record is in progress; retry shortly.') {
    super('conflict', detail);
  }
}

function checkRange(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > MAX_LOCK_TTL_MS) {
    throw new RangeError(`lock ${name} must be a whole number from ${min} to ${MAX_LOCK_TTL_MS}`);
  }
}

/**
 * One attempt at the lock on `key` (SET NX PX with a random token): its release function, or undefined while
 * someone else holds it. Release deletes the key only if it still holds this holder's token. Exported for callers
 * that must send a read right behind the lock's SET on the same connection (`@hub/records`' intake: the lock and the
 * latest version in one round trip); others use `withLock`.
 */
export async function acquireLock(
  client: RedisClient,
  key: string,
  ttlMs: number,
): Promise<(() => Promise<void>) | undefined> {
  const token = randomUUID();
  if ((await client.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  return () => releaseIfHeld(client, key, token);
}

/** Deletes `key` only while it still holds `token`: a slow holder never frees its successor's lock. */
export async function releaseIfHeld(client: RedisClient, key: string, token: string): Promise<void> {
  await client.eval(RELEASE_LOCK, 1, key, token);
}

/**
 * Runs `work` holding a short mutual-exclusion lock on `key`. While someone else holds it, tries again every
 * `retryMs` for up to `waitMs` (once more at the deadline), then throws `LockBusyError` (409 `conflict`).
 *
 * The lock expires after `ttlMs`, so a crashed holder cannot keep it; it is not a fencing token, so make `ttlMs`
 * longer than the work takes. The release is best effort: if it fails the lock expires by itself, and the outcome
 * of `work`, already decided, is what the caller gets.
 */
export async function withLock<R>(
  client: RedisClient,
  key: string,
  options: LockOptions,
  work: () => Promise<R>,
): Promise<R> {
  const { ttlMs, waitMs = 0, retryMs = DEFAULT_LOCK_RETRY_MS } = options;
  checkRange('ttlMs', ttlMs, 1);
  checkRange('waitMs', waitMs, 0);
  checkRange('retryMs', retryMs, 1);
  // The real clock, not an injected one: this is waiting, not a recorded time.
  const deadline = Date.now() + waitMs;
  let release = await acquireLock(client, key, ttlMs);
  while (release === undefined) {
    const left = deadline - Date.now();
    if (left <= 0) throw new LockBusyError(options.busyDetail);
    await sleep(Math.min(retryMs, left));
    release = await acquireLock(client, key, ttlMs);
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
