import { escapeGlob, type RedisClient } from './client.ts';

const MAX_PATTERN_LENGTH = 1_024;

/**
 * Deletes every key matching a glob `pattern` under this client's key prefix, SCAN batch by SCAN batch (never
 * collecting them all, so a large old key space is deleted in bounded memory). Keys written meanwhile may survive.
 * Answers how many were deleted.
 */
export async function deleteMatching(
  client: RedisClient,
  pattern: string,
  options: {
    readonly batchSize?: number;
    /** Keys (without the client's prefix) starting with any of these are kept. */
    readonly except?: readonly string[];
  } = {},
): Promise<number> {
  const { batchSize = 500, except = [] } = options;
  if (pattern === '' || pattern.length > MAX_PATTERN_LENGTH) {
    throw new RangeError(`deleteMatching pattern must be 1 to ${MAX_PATTERN_LENGTH} characters`);
  }
  // ioredis prefixes UNLINK's keys but not SCAN's MATCH, and SCAN answers keys with the prefix: add it, then strip it.
  const prefix = client.options.keyPrefix ?? '';
  let deleted = 0;
  let cursor = '0';
  do {
    const [next, batch] = await client.scan(cursor, 'MATCH', escapeGlob(prefix) + pattern, 'COUNT', batchSize);
    const doomed = batch
      .map((key) => key.slice(prefix.length))
      .filter((key) => !except.some((kept) => key.startsWith(kept)));
    if (doomed.length > 0) deleted += await client.unlink(...doomed);
    cursor = next;
  } while (cursor !== '0');
  return deleted;
}
