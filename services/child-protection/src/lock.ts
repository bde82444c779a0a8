import { withLock, type RedisClient } from '@hub/redis';

/** Longer than any single update takes; a crashed holder's lock expires by itself. */
const LOCK_TTL_MS = 15_000;

/**
 * Runs `work` holding a short Redis lock on `key`, so concurrent updates of one plan or indicator are serialised;
 * a request that finds the lock taken gets 409 `conflict` at once (the client retries), as in the police gateway.
 */
export function withRecordLock<R>(redis: RedisClient, key: string, work: () => Promise<R>): Promise<R> {
  const busyDetail = 'Another update of this record is being recorded; retry shortly.';
  return withLock(redis, key, { ttlMs: LOCK_TTL_MS, busyDetail }, work);
}
