import { HubError } from '@hub/errors';
import { acquireLock, type RedisClient } from '@hub/redis';

/** Longer than any single update takes; a crashed holder's lock expires by itself. */
export const LOCK_TTL_MS = 15_000;

/**
 * Runs `work` holding a short Redis lock on `key`, so concurrent updates of one plan or indicator are serialised;
 * a request that finds the lock taken gets 409 `conflict` at once (the client retries), as in the police gateway.
 */
export async function withLock<R>(redis: RedisClient, key: string, work: () => Promise<R>): Promise<R> {
  const release = await acquireLock(redis, key, LOCK_TTL_MS);
  if (release === undefined) {
    throw new HubError('conflict', 'Another update of this record is being recorded; retry shortly.');
  }
  try {
    return await work();
  } finally {
    await release();
  }
}
