import { CLIENT_ROLES, type ClientRole } from '@hub/contracts';

/*
 * Claim rules as pure functions of (claims, context): no clock, no I/O. The token endpoint and the bearer check
 * pass the time in, which is what makes every boundary testable to the second.
 */

/** NHS API platform: a client assertion's exp is at most 5 minutes ahead. */
export const MAX_ASSERTION_LIFETIME_SECONDS = 300;
/** Tolerated clock difference between a client (or another hub instance) and us, both ways. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 30;
export const MAX_CLOCK_SKEW_SECONDS = 120;
export const MAX_JTI_LENGTH = 128;
/** `aud` of every access token the hub issues, and what the bearer check requires. */
export const ACCESS_TOKEN_AUDIENCE = 'safeguarding-hub';
/** JWS `typ` of access tokens (RFC 9068), so no other hub-signed JWS can pass as one. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';

export type Claims = Readonly<Record<string, unknown>>;

/** A NumericDate (RFC 7519 §2): seconds since the epoch, a finite number. */
function numericDate(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export interface AssertionContext {
  /** The registered client the assertion's iss named (already looked up, signature already verified). */
  readonly clientId: string;
  /** The configured token URL; `aud` must equal it exactly. */
  readonly tokenUrl: string;
  readonly nowSeconds: number;
  readonly clockSkewSeconds: number;
}

export const ASSERTION_CLAIM_REASONS = [
  'iss-sub-mismatch',
  'wrong-audience',
  'missing-jti',
  'invalid-jti',
  'missing-exp',
  'expired',
  'exp-too-far',
  'iat-in-future',
  'nbf-in-future',
] as const;
export type AssertionClaimReason = (typeof ASSERTION_CLAIM_REASONS)[number];

export type AssertionCheck =
  | {
      readonly ok: true;
      readonly jti: string;
      /** Seconds the jti must stay in the replay cache: until exp plus skew, at least 1. */
      readonly replayTtlSeconds: number;
    }
  | { readonly ok: false; readonly reason: AssertionClaimReason; readonly description: string };

function refuse(reason: AssertionClaimReason, description: string): AssertionCheck {
  return { ok: false, reason, description };
}

/**
 * The claim rules for a client assertion (NHS API platform signed JWT; RFC 7523 §3), in this order:
 *
 * 1. `iss` = `sub` = the client id.
 * 2. `aud` is a string equal to the token URL (no array, no trailing-slash leniency).
 * 3. `jti` is a string of 1 to 128 characters.
 * 4. `exp` is a number, `exp > now - skew` and `exp <= now + 300 + skew`.
 * 5. `iat` and `nbf`, when present, are numbers `<= now + skew`.
 *
 * Replay (jti seen before) is the caller's check, after these pass.
 */
export function checkAssertionClaims(claims: Claims, context: AssertionContext): AssertionCheck {
  const { clientId, tokenUrl, nowSeconds: now, clockSkewSeconds: skew } = context;
  if (claims['iss'] !== clientId || claims['sub'] !== clientId) {
    return refuse('iss-sub-mismatch', 'The client_assertion iss and sub must both be the client id.');
  }
  if (claims['aud'] !== tokenUrl) {
    return refuse('wrong-audience', 'The client_assertion aud must be the token endpoint URL.');
  }
  const jti = claims['jti'];
  if (jti === undefined) return refuse('missing-jti', 'The client_assertion must have a jti.');
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    return refuse('invalid-jti', `The client_assertion jti must be a string of 1 to ${MAX_JTI_LENGTH} characters.`);
  }
  const exp = numericDate(claims['exp']);
  if (exp === undefined) return refuse('missing-exp', 'The client_assertion must have a numeric exp.');
  if (exp <= now - skew) return refuse('expired', 'The client_assertion has expired.');
  if (exp > now + MAX_ASSERTION_LIFETIME_SECONDS + skew) {
    return refuse('exp-too-far', 'The client_assertion exp must be at most 5 minutes in the future.');
  }
  for (const name of ['iat', 'nbf'] as const) {
    if (!(name in claims)) continue;
    const value = numericDate(claims[name]);
    if (value === undefined || value > now + skew) {
      return refuse(`${name}-in-future`, `The client_assertion ${name} must be a number not in the future.`);
    }
  }
  return { ok: true, jti, replayTtlSeconds: Math.max(1, Math.ceil(exp + skew - now)) };
}

export interface AccessTokenContext {
  readonly issuer: string;
  readonly nowSeconds: number;
  readonly clockSkewSeconds: number;
}

export const ACCESS_TOKEN_CLAIM_REASONS = [
  'token-issuer',
  'token-audience',
  'token-expired',
  'token-not-yet-valid',
  'token-claims',
] as const;
export type AccessTokenClaimReason = (typeof ACCESS_TOKEN_CLAIM_REASONS)[number];

export type AccessTokenCheck =
  | {
      readonly ok: true;
      readonly clientId: string;
      readonly role: ClientRole;
      readonly organisation: string;
      readonly jti: string;
    }
  | { readonly ok: false; readonly reason: AccessTokenClaimReason };

/**
 * The claim rules for a hub access token: `iss` is the hub's issuer, `aud` is `safeguarding-hub`,
 * `exp > now - skew`, `iat <= now + skew`, and `sub`, `role`, `org`, `jti` are present and well-typed. The
 * signature and `typ` are checked before this; the registry after it.
 */
export function checkAccessTokenClaims(claims: Claims, context: AccessTokenContext): AccessTokenCheck {
  const { issuer, nowSeconds: now, clockSkewSeconds: skew } = context;
  if (claims['iss'] !== issuer) return { ok: false, reason: 'token-issuer' };
  if (claims['aud'] !== ACCESS_TOKEN_AUDIENCE) return { ok: false, reason: 'token-audience' };
  const exp = numericDate(claims['exp']);
  const iat = numericDate(claims['iat']);
  if (exp === undefined || iat === undefined) return { ok: false, reason: 'token-claims' };
  if (exp <= now - skew) return { ok: false, reason: 'token-expired' };
  if (iat > now + skew) return { ok: false, reason: 'token-not-yet-valid' };
  const { sub, role, org, jti } = claims;
  if (
    typeof sub !== 'string' ||
    typeof org !== 'string' ||
    typeof jti !== 'string' ||
    !(CLIENT_ROLES as readonly unknown[]).includes(role)
  ) {
    return { ok: false, reason: 'token-claims' };
  }
  return { ok: true, clientId: sub, role: role as ClientRole, organisation: org, jti };
}
