import type { Caller } from '@hub/contracts';
import type { HttpServer, RouteGuard } from '@hub/http';
import type { Logger } from '@hub/logger';
import type { RedisClient } from '@hub/redis';
import type { HubKeyStore } from '@hub/signing';
import { bearerGuard, verifyAccessToken } from './bearer.ts';
import { DEFAULT_CLOCK_SKEW_SECONDS, MAX_CLOCK_SKEW_SECONDS } from './claims.ts';
import type { AuthCore, EmitOutcome } from './core.ts';
import type { AuthEvent, AuthEventListener } from './events.ts';
import type { ClientRegistry } from './registry.ts';
import { sessionGuard, type SessionVerifier } from './session.ts';
import { registerTokenEndpoint } from './token-endpoint.ts';
import { VerifiedTokens } from './verified-tokens.ts';

export const DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS = 300;
export const MIN_ACCESS_TOKEN_LIFETIME_SECONDS = 60;
export const MAX_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const DEFAULT_TOKEN_PATH = '/oauth2/token';

export interface AuthOptions {
  readonly registry: ClientRegistry;
  /** The hub's signing keys (@hub/signing): they sign access tokens and verify them. */
  readonly keyStore: HubKeyStore;
  /** Holds the jti replay cache (`auth:jti:<clientId>:<sha256(jti)>`, under the client's key prefix). */
  readonly redis: RedisClient;
  /** `HUB_TOKEN_URL`: the token endpoint's public URL. A client assertion's `aud` must equal it exactly. */
  readonly tokenUrl: string;
  /** Route of the token endpoint on this server; default `/oauth2/token`. */
  readonly tokenPath?: string;
  /** `iss` of access tokens; default the origin of `tokenUrl`. */
  readonly issuer?: string;
  /** Access token lifetime (`expires_in`); default 300, from 60 to 3600. */
  readonly accessTokenLifetimeSeconds?: number;
  /** Clock difference tolerated on exp / iat / nbf, both ways; default 30, at most 120. */
  readonly clockSkewSeconds?: number;
  /** Every token issued and every refusal, for the audit trail. Awaited; see AuthEventListener. */
  readonly onAuthEvent?: AuthEventListener;
  /** Logs callback failures; request lines go to the request's logger. */
  readonly logger: Logger;
  /** Milliseconds since the epoch; default Date.now. For tests. */
  readonly now?: () => number;
}

export interface Auth {
  readonly tokenUrl: string;
  readonly issuer: string;
  /** Adds `POST /oauth2/token` (client credentials with a signed JWT client assertion). */
  registerTokenEndpoint(app: HttpServer): void;
  /** The bearer check without HTTP: resolves to the caller, or rejects with AccessRefusal (reason code). */
  verifyAccessToken(token: string): Promise<Caller>;
  /**
   * `@hub/http` `serveRoutes(app, bindings, auth.guard)`'s guard, the only way protected routes are served: a valid
   * bearer token whose role is one of the route's contract roles, else 401 / 403 (audited); resolves to the caller.
   */
  readonly guard: RouteGuard;
  /**
   * The guard of a process that also serves the console: `guard`, except that a route whose contract admits
   * `person` takes a console session cookie (session.ts). Give it to `serveRoutes` instead of `guard`.
   */
  guardWithSessions(sessions: SessionVerifier): RouteGuard;
}

function inRange(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`createAuth: ${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
}

function checkedUrl(tokenUrl: string): URL {
  if (!URL.canParse(tokenUrl)) throw new TypeError('createAuth: tokenUrl must be an absolute http(s) URL');
  const url = new URL(tokenUrl);
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') {
    throw new TypeError('createAuth: tokenUrl must be an http(s) URL without query or fragment');
  }
  return url;
}

/** Application-restricted auth for the hub (NHS API platform signed-JWT pattern). See the README. */
export function createAuth(options: AuthOptions): Auth {
  const url = checkedUrl(options.tokenUrl);
  const now = options.now ?? Date.now;
  const logger = options.logger;
  const listener = options.onAuthEvent;
  const tokenPath = options.tokenPath ?? DEFAULT_TOKEN_PATH;
  if (!tokenPath.startsWith('/')) throw new TypeError('createAuth: tokenPath must start with /');

  const core: AuthCore = {
    registry: options.registry,
    keyStore: options.keyStore,
    redis: options.redis,
    tokenUrl: options.tokenUrl,
    tokenPath,
    issuer: options.issuer ?? url.origin,
    accessTokenLifetimeSeconds: inRange(
      'accessTokenLifetimeSeconds',
      options.accessTokenLifetimeSeconds ?? DEFAULT_ACCESS_TOKEN_LIFETIME_SECONDS,
      MIN_ACCESS_TOKEN_LIFETIME_SECONDS,
      MAX_ACCESS_TOKEN_LIFETIME_SECONDS,
    ),
    clockSkewSeconds: inRange(
      'clockSkewSeconds',
      options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS,
      0,
      MAX_CLOCK_SKEW_SECONDS,
    ),
    logger,
    verifiedTokens: new VerifiedTokens(),
    now,
    isoNow: () => new Date(now()).toISOString(),
    async emit(event: AuthEvent): Promise<EmitOutcome> {
      if (listener === undefined) return { audited: true };
      try {
        await listener(event);
        return { audited: true };
      } catch (error) {
        logger.error({ err: error, outcome: event.outcome, reason: event.reason }, 'auth event listener failed');
        return { audited: false, error };
      }
    },
  };

  const guard = bearerGuard(core);
  return Object.freeze({
    guard,
    guardWithSessions: (sessions: SessionVerifier) => sessionGuard(core, guard, sessions),
    tokenUrl: core.tokenUrl,
    issuer: core.issuer,
    registerTokenEndpoint: (app: HttpServer) => {
      registerTokenEndpoint(core, app);
    },
    verifyAccessToken: (token: string) => verifyAccessToken(core, token),
  });
}
