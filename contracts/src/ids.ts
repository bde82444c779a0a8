import { createHash } from 'node:crypto';

/**
 * Ids derived from content, so a retry, a redelivery or a restart produces the same id and never a duplicate.
 * `contentId('rcpt', force, incidentId, hash)` -> `rcpt_<32 hex>` (128 bits of sha-256).
 */
export function contentId(prefix: string, ...parts: readonly string[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\u0000');
  return `${prefix}_${hash.digest('hex').slice(0, 32)}`;
}

/** JSON with object keys sorted at every depth: equal values always serialise to equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** sha-256 of the canonical JSON, hex. */
export function contentHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}
