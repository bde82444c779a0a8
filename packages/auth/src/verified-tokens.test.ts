import { describe, expect, it } from 'vitest';
import type { PublicJwk, PublicJwks, VerifiedJws } from '@hub/signing';
import { VerifiedTokens } from './verified-tokens.ts';

const key = (kid: string): PublicJwk => ({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', kid, alg: 'ES256', use: 'sig' });
const active = key('k1');
const jwks: PublicJwks = { keys: [active] };
const verifiedBy = (by: PublicJwk, sub = 'police-asp'): VerifiedJws => ({
  header: { alg: 'ES256', kid: by.kid, typ: 'at+jwt' },
  payload: { sub },
  key: by,
});
const NOW = 1_000_000;

describe('VerifiedTokens', () => {
  it('answers only the very same token text', () => {
    const tokens = new VerifiedTokens();
    const verified = verifiedBy(active);
    tokens.remember('aaa.bbb.ccc', verified, NOW + 60_000, NOW);
    expect(tokens.lookup('aaa.bbb.ccc', jwks, NOW)).toBe(verified);
    for (const other of ['aaa.bbb.ccd', 'aaa.bbb.cc', 'aaa.bbb.cccx', 'AAA.bbb.ccc', '']) {
      expect(tokens.lookup(other, jwks, NOW)).toBeUndefined();
    }
  });

  it('forgets a token at its expiry, and never keeps one already expired', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', verifiedBy(active), NOW + 1000, NOW);
    expect(tokens.lookup('t', jwks, NOW + 999)).toBeDefined();
    expect(tokens.lookup('t', jwks, NOW + 1000)).toBeUndefined();
    // Gone for good, even for a clock that goes back.
    expect(tokens.lookup('t', jwks, NOW)).toBeUndefined();

    tokens.remember('past', verifiedBy(active), NOW, NOW);
    tokens.remember('nan', verifiedBy(active), Number.NaN, NOW);
    expect(tokens.lookup('past', jwks, NOW - 1)).toBeUndefined();
    expect(tokens.lookup('nan', jwks, NOW)).toBeUndefined();
    expect(tokens.size).toBe(0);
  });

  it('forgets a token once the key that verified it is no longer published', () => {
    const tokens = new VerifiedTokens();
    tokens.remember('t', verifiedBy(active), NOW + 60_000, NOW);
    expect(tokens.lookup('t', { keys: [key('k2'), active] }, NOW)).toBeDefined();
    // Another key set, even one with a look-alike member: verified again, not trusted.
    expect(tokens.lookup('t', { keys: [key('k2'), key('k1')] }, NOW)).toBeUndefined();
    expect(tokens.lookup('t', jwks, NOW)).toBeUndefined();
  });

  it('is bounded: the oldest token makes way', () => {
    const tokens = new VerifiedTokens(2);
    for (const token of ['a', 'b', 'c']) tokens.remember(token, verifiedBy(active, token), NOW + 60_000, NOW);
    expect(tokens.size).toBe(2);
    expect(tokens.lookup('a', jwks, NOW)).toBeUndefined();
    expect(tokens.lookup('b', jwks, NOW)?.payload).toEqual({ sub: 'b' });
    expect(tokens.lookup('c', jwks, NOW)?.payload).toEqual({ sub: 'c' });
    expect(() => new VerifiedTokens(0)).toThrow(RangeError);
  });
});
