import type { ClientRole } from '@hub/contracts';
import { ASSERTION_CLAIM_REASONS } from './claims.ts';

/**
 * Why a token request was refused. Stable codes: logged, audited, never shown in detail to the caller. Includes
 * every AssertionClaimReason (the compiler checks it where claim results become refusals).
 */
export const TOKEN_REFUSAL_REASONS = [
  // the request itself (OAuth invalid_request / unsupported_grant_type, 400)
  'unsupported-content-type',
  'duplicate-parameter',
  'missing-parameter',
  'unsupported-grant-type',
  'unsupported-assertion-type',
  // the client assertion (OAuth invalid_client, 401)
  'malformed-assertion',
  'alg-not-allowed',
  'unknown-client',
  'client-id-mismatch',
  'unknown-kid',
  'bad-signature',
  ...ASSERTION_CLAIM_REASONS,
  'jti-replayed',
  // ours (503): the replay cache could not be asked, so no token is issued
  'replay-check-unavailable',
] as const;
export type TokenRefusalReason = (typeof TOKEN_REFUSAL_REASONS)[number];

/** Why a request to a protected route was refused (401, or 403 for `role-not-allowed`); includes every AccessTokenClaimReason. */
export const ACCESS_REFUSAL_REASONS = [
  'no-token',
  'malformed-token',
  'token-signature',
  'token-type',
  'token-issuer',
  'token-audience',
  'token-expired',
  'token-not-yet-valid',
  'token-claims',
  'client-removed',
  'client-changed',
  'role-not-allowed',
  // a console session (session.ts): none on a route that admits only people, unknown or ended, no CSRF token
  'no-session',
  'session-invalid',
  'csrf-token',
] as const;
export type AccessRefusalReason = (typeof ACCESS_REFUSAL_REASONS)[number];

/**
 * What the auth layer tells the service for its audit trail: every token issued and every refusal. Ids and codes
 * only; never a token, an assertion or a key.
 *
 * `clientId` is present only when it names a registered client. On a token-endpoint refusal it is the client the
 * assertion claimed to be: proven only for the claim reasons after the signature check (`iss-sub-mismatch` onward),
 * not for `unknown-kid` or `bad-signature`, which are exactly the attempts an auditor wants to see by client.
 */
export type AuthEvent =
  | {
      readonly outcome: 'issued';
      readonly where: 'token-endpoint';
      readonly reason: 'token-issued';
      readonly clientId: string;
      readonly role: ClientRole;
      readonly organisation: string;
      /** jti of the access token issued. */
      readonly tokenId: string;
      /** ISO 8601 expiry of the access token. */
      readonly expiresAt: string;
      /** ISO 8601 time of the decision. */
      readonly at: string;
    }
  | {
      readonly outcome: 'refused';
      readonly where: 'token-endpoint';
      readonly reason: TokenRefusalReason;
      readonly clientId?: string;
      /** The registered role and organisation of `clientId`, whenever it is present. */
      readonly role?: ClientRole;
      readonly organisation?: string;
      readonly at: string;
    }
  | {
      readonly outcome: 'refused';
      readonly where: 'protected-route';
      readonly reason: AccessRefusalReason;
      /**
       * Who was refused, whenever the token identified them: a token the hub signed names its client, role and
       * organisation even when it has expired, is for another audience, or its client was since removed or changed
       * (then these are what the token said); a 403 names the caller. Absent for no token, a malformed token or a
       * signature that does not verify (nothing proven).
       */
      readonly clientId?: string;
      readonly role?: ClientRole;
      readonly organisation?: string;
      /** The route template (e.g. `/v1/inboxes/{recipient}/notifications`), never the URL: URLs can carry personal data. */
      readonly route?: string;
      readonly at: string;
    };

/**
 * Called for every AuthEvent and awaited. If it throws for an `issued` event the token is not handed out (the
 * request gets a 500): no unaudited tokens. If it throws for a refusal, the failure is logged and the refusal
 * still goes out.
 */
export type AuthEventListener = (event: AuthEvent) => void | Promise<void>;
