import { createHash } from 'node:crypto';
import type { PublicJwks, VerifiedJws } from '@hub/signing';

/** Most remembered tokens: a hub has a few hundred clients, each with one or two live tokens at a time. */
export const VERIFIED_TOKENS_CAPACITY = 4096;

interface Entry {
  readonly verified: VerifiedJws;
  /** Forgotten from this instant (ms since the epoch): the token's own `exp`, never later. */
  readonly untilMs: number;
}

/**
 * Access tokens whose signature has already been verified, so a client sending the same token on every request
 * costs one ES256/RS512 verification per token, not one per request. Only the signature work is remembered: the
 * caller still checks `typ`, the claims (against the current time) and the registry on every request, so expiry,
 * a removed or changed client and every refusal behave exactly as without it.
 *
 * - Keyed by the SHA-256 of the exact token text, so only the very same bytes hit; the token itself is not kept.
 * - An entry lives until the token's `exp` at the latest, and only while the key that verified it is still in the
 *   published JWKS (`publicJwks()` keeps the same member objects until the set changes): a retired or removed key's
 *   tokens are verified again, and refused.
 * - Bounded: at capacity the oldest entry makes way (a client's new token replaces its old one in practice).
 */
export class VerifiedTokens {
  private readonly entries = new Map<string, Entry>();
  private readonly capacity: number;

  constructor(capacity: number = VERIFIED_TOKENS_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError('capacity must be at least 1');
    this.capacity = capacity;
  }

  /** The remembered verification of `token`, if it is still good at `nowMs` against `jwks`. */
  lookup(token: string, jwks: PublicJwks, nowMs: number): VerifiedJws | undefined {
    const digest = digestOf(token);
    const entry = this.entries.get(digest);
    if (entry === undefined) return undefined;
    if (nowMs >= entry.untilMs || !jwks.keys.includes(entry.verified.key)) {
      this.entries.delete(digest);
      return undefined;
    }
    return entry.verified;
  }

  /** Remembers a verification until `untilMs` (the token's `exp`); one already past is not kept. */
  remember(token: string, verified: VerifiedJws, untilMs: number, nowMs: number): void {
    if (!Number.isFinite(untilMs) || untilMs <= nowMs) return;
    const digest = digestOf(token);
    this.entries.delete(digest);
    if (this.entries.size >= this.capacity) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(digest, { verified, untilMs });
  }

  get size(): number {
    return this.entries.size;
  }
}

function digestOf(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}
