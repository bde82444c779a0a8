export {
  createAuth,
  DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
  DEFAULT_TOKEN_PATH,
  MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
  MIN_ACCESS_TOKEN_LIFETIME_SECONDS,
  type Auth,
  type AuthOptions,
} from './auth.ts';
export { AccessRefusal, REALM } from './bearer.ts';
export { sessionGuard, type PersonSession, type SessionVerifier } from './session.ts';
export {
  ACCESS_TOKEN_AUDIENCE,
  ACCESS_TOKEN_TYPE,
  DEFAULT_CLOCK_SKEW_SECONDS,
  MAX_ASSERTION_LIFETIME_SECONDS,
  MAX_JTI_LENGTH,
  checkAssertionClaims,
  checkAccessTokenClaims,
  type AssertionCheck,
  type AssertionContext,
  type AccessTokenCheck,
  type AccessTokenContext,
} from './claims.ts';
export {
  ACCESS_REFUSAL_REASONS,
  TOKEN_REFUSAL_REASONS,
  type AccessRefusalReason,
  type AuthEvent,
  type AuthEventListener,
  type TokenRefusalReason,
} from './events.ts';
export {
  loadClientRegistry,
  parseClientRegistry,
  ClientRegistryError,
  MAX_CLIENTS,
  type ClientRegistry,
  type LoadClientRegistryOptions,
  type RegisteredClient,
  type RegistryReloadResult,
} from './registry.ts';
export { CLIENT_ASSERTION_TYPE, GRANT_TYPE, type OAuthErrorCode, type TokenResponse } from './token-endpoint.ts';
export { authEnv } from './env.ts';
