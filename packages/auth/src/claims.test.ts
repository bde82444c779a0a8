import { describe, expect, it } from 'vitest';
import {
  ACCESS_TOKEN_AUDIENCE,
  checkAccessTokenClaims,
  checkAssertionClaims,
  type AssertionContext,
  type Claims,
} from './claims.ts';

const NOW = 1_800_000_000;
const TOKEN_URL = 'https://hub.example.nhs.uk/oauth2/token';
const context: AssertionContext = {
  clientId: 'police-asp',
  tokenUrl: TOKEN_URL,
  nowSeconds: NOW,
  clockSkewSeconds: 30,
};
const valid = { iss: 'police-asp', sub: 'police-asp', aud: TOKEN_URL, jti: 'a-jti', iat: NOW, exp: NOW + 240 };

function reason(claims: Claims, at: AssertionContext = context): string {
  const result = checkAssertionClaims(claims, at);
  return result.ok ? 'ok' : result.reason;
}

describe('checkAssertionClaims', () => {
  it('accepts NHS-style claims and keeps the jti until exp plus skew', () => {
    expect(checkAssertionClaims(valid, context)).toEqual({ ok: true, jti: 'a-jti', replayTtlSeconds: 270 });
    const { iat: _iat, ...withoutIat } = valid;
    expect(reason(withoutIat)).toBe('ok');
    // Fractional NumericDates are legal (RFC 7519 §2); the TTL rounds up.
    expect(checkAssertionClaims({ ...valid, exp: NOW + 0.5 }, context)).toEqual({
      ok: true,
      jti: 'a-jti',
      replayTtlSeconds: 31,
    });
  });

  it('requires iss = sub = the client id', () => {
    expect(reason({ ...valid, sub: 'other' })).toBe('iss-sub-mismatch');
    expect(reason({ ...valid, iss: 'other', sub: 'other' })).toBe('iss-sub-mismatch');
    expect(reason({ ...valid, sub: undefined })).toBe('iss-sub-mismatch');
  });

  it('requires aud to be the token URL exactly', () => {
    expect(reason({ ...valid, aud: `${TOKEN_URL}/` })).toBe('wrong-audience');
    expect(reason({ ...valid, aud: 'https://hub.example.nhs.uk/oauth2' })).toBe('wrong-audience');
    expect(reason({ ...valid, aud: [TOKEN_URL] })).toBe('wrong-audience');
    expect(reason({ ...valid, aud: TOKEN_URL.toUpperCase() })).toBe('wrong-audience');
  });

  it('requires a jti of 1 to 128 characters', () => {
    expect(reason({ ...valid, jti: undefined })).toBe('missing-jti');
    expect(reason({ ...valid, jti: '' })).toBe('invalid-jti');
    expect(reason({ ...valid, jti: 42 })).toBe('invalid-jti');
    expect(reason({ ...valid, jti: 'x'.repeat(129) })).toBe('invalid-jti');
    expect(reason({ ...valid, jti: 'x'.repeat(128) })).toBe('ok');
  });

  it('requires a numeric exp in the future (within skew) and at most 5 minutes (plus skew) ahead', () => {
    expect(reason({ ...valid, exp: undefined })).toBe('missing-exp');
    expect(reason({ ...valid, exp: String(NOW + 60) })).toBe('missing-exp');
    expect(reason({ ...valid, exp: Number.POSITIVE_INFINITY })).toBe('missing-exp');
    expect(reason({ ...valid, exp: NOW - 30 })).toBe('expired');
    expect(reason({ ...valid, exp: NOW - 29 })).toBe('ok');
    expect(reason({ ...valid, exp: NOW + 330 })).toBe('ok');
    expect(reason({ ...valid, exp: NOW + 331 })).toBe('exp-too-far');
    expect(reason({ ...valid, exp: NOW + 3600 })).toBe('exp-too-far');
  });

  it('refuses iat or nbf in the future beyond skew, or not numeric', () => {
    expect(reason({ ...valid, iat: NOW + 30 })).toBe('ok');
    expect(reason({ ...valid, iat: NOW + 31 })).toBe('iat-in-future');
    expect(reason({ ...valid, nbf: NOW + 30 })).toBe('ok');
    expect(reason({ ...valid, nbf: NOW + 31 })).toBe('nbf-in-future');
    expect(reason({ ...valid, iat: 'now' })).toBe('iat-in-future');
    expect(reason({ ...valid, nbf: null })).toBe('nbf-in-future');
  });

  it('applies the configured skew', () => {
    const strict = { ...context, clockSkewSeconds: 0 };
    expect(reason({ ...valid, exp: NOW }, strict)).toBe('expired');
    expect(reason({ ...valid, exp: NOW + 301 }, strict)).toBe('exp-too-far');
    expect(reason({ ...valid, iat: NOW + 1 }, strict)).toBe('iat-in-future');
  });

  it('gives a description that names the rule and never a value', () => {
    const result = checkAssertionClaims({ ...valid, aud: 'https://evil.example/secret-path' }, context);
    expect(result).toEqual({
      ok: false,
      reason: 'wrong-audience',
      description: 'The client_assertion aud must be the token endpoint URL.',
    });
  });
});

describe('checkAccessTokenClaims', () => {
  const issuer = 'https://hub.example.nhs.uk';
  const at = { issuer, nowSeconds: NOW, clockSkewSeconds: 30 };
  const token = {
    iss: issuer,
    sub: 'gp-a81001',
    role: 'gp',
    org: 'A81001',
    jti: 'token-1',
    iat: NOW - 60,
    exp: NOW + 240,
    aud: ACCESS_TOKEN_AUDIENCE,
  };
  const reasonOf = (claims: Claims): string => {
    const result = checkAccessTokenClaims(claims, at);
    return result.ok ? 'ok' : result.reason;
  };

  it('accepts a hub access token and returns the caller fields', () => {
    expect(checkAccessTokenClaims(token, at)).toEqual({
      ok: true,
      clientId: 'gp-a81001',
      role: 'gp',
      organisation: 'A81001',
      jti: 'token-1',
    });
  });

  it('refuses wrong issuer, audience, expiry, future iat and bad claims', () => {
    expect(reasonOf({ ...token, iss: 'https://other.example' })).toBe('token-issuer');
    expect(reasonOf({ ...token, aud: TOKEN_URL })).toBe('token-audience');
    expect(reasonOf({ ...token, exp: NOW - 30 })).toBe('token-expired');
    expect(reasonOf({ ...token, exp: NOW - 29 })).toBe('ok');
    expect(reasonOf({ ...token, iat: NOW + 31 })).toBe('token-not-yet-valid');
    expect(reasonOf({ ...token, exp: undefined })).toBe('token-claims');
    expect(reasonOf({ ...token, role: 'admin' })).toBe('token-claims');
    expect(reasonOf({ ...token, org: 7 })).toBe('token-claims');
    expect(reasonOf({ ...token, jti: undefined })).toBe('token-claims');
  });
});
