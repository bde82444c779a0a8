import type { RedisClient } from './client.ts';

/** Longest claim lifetime: a claim is a de-duplication window, not a permanent record (Kafka is the record). */
export const MAX_CLAIM_TTL_SECONDS = 90 * 24 * 60 * 60;
export const MAX_CLAIM_KEY_LENGTH = 512;

/**
 * Idempotency: resolves true for exactly one caller per `key` within `ttlSeconds` (SET key NX EX, atomic in
 * Redis), false for every other caller, concurrent or later, until the claim expires. The key gets the client's
 * prefix like any other key. Keys must be ids, never personal data.
 *
 * This is at-most-once: if the claimant then fails, nobody else will claim the key until it expires. Claim only
 * what is safe to skip on redelivery, or delete the key (`client.del(key)`) when the work fails.
 */
export async function claimOnce(client: RedisClient, key: string, ttlSeconds: number): Promise<boolean> {
  if (key === '' || key.length > MAX_CLAIM_KEY_LENGTH) {
    throw new RangeError(`claim key must be 1 to ${MAX_CLAIM_KEY_LENGTH} characters`);
  }
  if (!Number.isSafeInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_CLAIM_TTL_SECONDS) {
    throw new RangeError(`claim ttlSeconds must be a whole number from 1 to ${MAX_CLAIM_TTL_SECONDS}`);
  }
  // The value is only for whoever inspects the key: when it was claimed.
  const reply = await client.set(key, new Date().toISOString(), 'EX', ttlSeconds, 'NX');
  return reply === 'OK';
}
