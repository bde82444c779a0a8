import { randomUUID } from 'node:crypto';
import type { RedisClient } from './client.ts';

export const MAX_LOCK_TTL_MS = 5 * 60 * 1000;

// Deletes the lock only if it is still ours (a slow holder must not release a successor's lock).
const RELEASE_LOCK = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * A short mutual-exclusion lock on `key` (SET NX PX with a random token): answers its release function, or
 * undefined while someone else holds it. It expires after `ttlMs`, so a crashed holder cannot keep it; release
 * deletes it only if it is still this holder's. Not a fencing token: make `ttlMs` longer than the work takes.
 */
export async function acquireLock(
  client: RedisClient,
  key: string,
  ttlMs: number,
): Promise<(() => Promise<void>) | undefined> {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1 || ttlMs > MAX_LOCK_TTL_MS) {
    throw new RangeError(`lock ttlMs must be a whole number from 1 to ${MAX_LOCK_TTL_MS}`);
  }
  const token = randomUUID();
  if ((await client.set(key, token, 'PX', ttlMs, 'NX')) !== 'OK') return undefined;
  return () => releaseIfHeld(client, key, token);
}

/** Deletes `key` only while it still holds `token`: a slow holder never frees its successor's lock. */
export async function releaseIfHeld(client: RedisClient, key: string, token: string): Promise<void> {
  await client.eval(RELEASE_LOCK, 1, key, token);
}

/**
 * Runs `work` holding the lock on `key` (acquireLock); throws `busy()` at once when someone else holds it (the
 * caller's client retries). The release is best effort: if it fails the lock expires after `ttlMs`, and the
 * outcome of `work`, already decided, is what the caller gets.
 */
export async function withLock<R>(
  client: RedisClient,
  lock: { readonly key: string; readonly ttlMs: number; readonly busy: () => Error },
  work: () => Promise<R>,
): Promise<R> {
  const release = await acquireLock(client, lock.key, lock.ttlMs);
  if (release === undefined) throw lock.busy();
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
