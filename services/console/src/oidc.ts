import { createHash, randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as openid from 'openid-client';
import { z } from 'zod';
import { CONSOLE_REDIRECTS, HTTP_ROUTES, type ConsoleSignInFailure, type ConsoleUser } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type HttpReply, type HttpRequest, type RouteBinding } from '@hub/http';
import type { RedisClient } from '@hub/redis';
import type { Accounts } from './accounts.ts';
import { userOf } from './people.ts';
import { readCookie } from './sessions.ts';

/**
 * OpenID Connect sign-in (NHS CIS2 Authentication is an OpenID Provider): the authorization code flow with PKCE
 * (S256), a state and a nonce, through `openid-client` (README "Why openid-client"). The flow's secrets wait in
 * Redis for 10 minutes under a random id the browser holds in a short-lived cookie, so only the browser that
 * started a sign-in can finish it, once.
 */

export interface OidcConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** A file holding the client secret (client_secret_basic); none: a public client (PKCE only). */
  readonly clientSecretFile: string | undefined;
  readonly redirectUrl: string;
  readonly scopes: string;
  /** The sign-in button's label. */
  readonly name: string;
}

export interface OidcSignIn {
  readonly name: string;
  routes(onSignedIn: (user: ConsoleUser, reply: HttpReply) => Promise<void>): RouteBinding[];
}

export interface OidcDeps {
  readonly config: OidcConfig;
  readonly redis: RedisClient;
  readonly accounts: Accounts;
  /** `https:` public URL: the flow cookie is Secure too. */
  readonly secure: boolean;
  /** Audits a failed sign-in (never with anything the provider or the browser sent but the reason). */
  readonly refused: (reason: ConsoleSignInFailure, request: HttpRequest) => Promise<void>;
}

/** How long a started sign-in may take at the provider. */
export const OIDC_FLOW_TTL_MS = 10 * 60_000;
/** Seconds allowed for each request to the provider (discovery, token, keys). */
const PROVIDER_TIMEOUT_SECONDS = 10;
const FLOW_COOKIE = 'hub_console_oidc';
const FLOW_ID = /^[A-Za-z0-9_-]{43}$/;

const flow = z.object({ state: z.string(), nonce: z.string(), verifier: z.string() }).strict();
const flowKey = (id: string) => `console:oidc:${createHash('sha256').update(id).digest('hex')}`;

/** Loopback only: a provider on plain HTTP is for tests and local runs, never a real one. */
function loopback(url: URL): boolean {
  return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
}

export function createOidcSignIn(deps: OidcDeps): OidcSignIn {
  const { config, redis, accounts, secure } = deps;
  const issuer = new URL(config.issuer);
  if (issuer.protocol !== 'https:' && !loopback(issuer)) {
    throw new Error('CONSOLE_OIDC_ISSUER must be an https:// URL (plain http only on loopback, for tests)');
  }
  // The flow cookie must come back on the provider's redirect, a top-level cross-site GET: SameSite=Lax, not Strict.
  const flowCookie = (value: string, maxAgeSeconds: number) =>
    `${FLOW_COOKIE}=${value}; Path=/v1/console/oidc/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`;

  // Discovered on first use and kept; a failure is forgotten so the next sign-in tries again.
  let discovered: Promise<openid.Configuration> | undefined;
  const provider = (): Promise<openid.Configuration> => {
    discovered ??= (async () => {
      const secret =
        config.clientSecretFile === undefined ? undefined : (await readFile(config.clientSecretFile, 'utf8')).trim();
      return openid.discovery(
        issuer,
        config.clientId,
        undefined,
        secret === undefined ? openid.None() : openid.ClientSecretBasic(secret),
        {
          timeout: PROVIDER_TIMEOUT_SECONDS,
          // Deprecated only to stand out: plain HTTP is allowed for a loopback provider (tests), checked above.
          // eslint-disable-next-line @typescript-eslint/no-deprecated
          ...(issuer.protocol === 'http:' ? { execute: [openid.allowInsecureRequests] } : {}),
        },
      );
    })();
    discovered.catch(() => {
      discovered = undefined;
    });
    return discovered;
  };

  const failed = (reply: HttpReply, reason: ConsoleSignInFailure): void => {
    void reply.header('location', `${CONSOLE_REDIRECTS.signInFailed}${reason}`);
  };

  return {
    name: config.name,
    routes(onSignedIn) {
      return [
        bindRoute(HTTP_ROUTES.startConsoleOidcSignIn, async ({ reply }) => {
          let server: openid.Configuration;
          try {
            server = await provider();
          } catch (error) {
            throw new HubError('not-ready', 'The sign-in provider does not answer; try again later.', { cause: error });
          }
          const id = randomBytes(32).toString('base64url');
          const pending = {
            state: openid.randomState(),
            nonce: openid.randomNonce(),
            verifier: openid.randomPKCECodeVerifier(),
          };
          await redis.set(flowKey(id), JSON.stringify(pending), 'PX', OIDC_FLOW_TTL_MS);
          const url = openid.buildAuthorizationUrl(server, {
            redirect_uri: config.redirectUrl,
            scope: config.scopes,
            code_challenge: await openid.calculatePKCECodeChallenge(pending.verifier),
            code_challenge_method: 'S256',
            state: pending.state,
            nonce: pending.nonce,
          });
          void reply.header('set-cookie', flowCookie(id, OIDC_FLOW_TTL_MS / 1000));
          void reply.header('location', url.href);
          return undefined;
        }),

        bindRoute(HTTP_ROUTES.completeConsoleOidcSignIn, async ({ query, request, reply }) => {
          void reply.header('set-cookie', flowCookie('', 0));
          const id = readCookie(request.headers.cookie, FLOW_COOKIE);
          // Single use: whatever happens next, this flow cannot be finished twice.
          const raw = id !== undefined && FLOW_ID.test(id) ? await redis.getdel(flowKey(id)) : null;
          const pending = raw === null ? undefined : flow.safeParse(JSON.parse(raw)).data;
          const reason = await (async (): Promise<ConsoleSignInFailure | ConsoleUser> => {
            if (query.error !== undefined) return 'oidc-denied';
            if (pending === undefined || query.state !== pending.state) return 'oidc-failed';
            try {
              const server = await provider();
              // The redirect URL as registered, with the query the provider sent (never the Host header's idea of it).
              const current = new URL(config.redirectUrl);
              current.search = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
              const tokens = await openid.authorizationCodeGrant(server, current, {
                pkceCodeVerifier: pending.verifier,
                expectedState: pending.state,
                expectedNonce: pending.nonce,
                idTokenExpected: true,
              });
              const subject = tokens.claims()?.sub;
              const account = subject === undefined ? undefined : await accounts.byOidcSubject(subject);
              return account === undefined ? 'oidc-unknown-person' : userOf(account, 'oidc');
            } catch (error) {
              // The library's message can quote the provider's answer: the error's class only.
              request.log.warn({ error: error instanceof Error ? error.name : 'unknown' }, 'oidc code exchange failed');
              return 'oidc-failed';
            }
          })();
          if (typeof reason === 'string') {
            await deps.refused(reason, request);
            request.log.info({ reason }, 'console sign-in refused');
            failed(reply, reason);
            return undefined;
          }
          await onSignedIn(reason, reply);
          request.log.info({ role: reason.role, signIn: 'oidc' }, 'console signed in');
          void reply.header('location', CONSOLE_REDIRECTS.signedIn);
          return undefined;
        }),
      ];
    },
  };
}

/** The OIDC settings of the configuration, or undefined when no issuer is set; a half configuration is refused. */
export function oidcConfigOf(config: {
  readonly CONSOLE_OIDC_ISSUER?: string | undefined;
  readonly CONSOLE_OIDC_CLIENT_ID?: string | undefined;
  readonly CONSOLE_OIDC_CLIENT_SECRET_FILE?: string | undefined;
  readonly CONSOLE_OIDC_REDIRECT_URL?: string | undefined;
  readonly CONSOLE_OIDC_SCOPES: string;
  readonly CONSOLE_OIDC_NAME: string;
  readonly CONSOLE_PUBLIC_URL: string;
}): OidcConfig | undefined {
  if (config.CONSOLE_OIDC_ISSUER === undefined) {
    if (config.CONSOLE_OIDC_CLIENT_ID !== undefined)
      throw new Error('CONSOLE_OIDC_CLIENT_ID needs CONSOLE_OIDC_ISSUER');
    return undefined;
  }
  if (config.CONSOLE_OIDC_CLIENT_ID === undefined) throw new Error('CONSOLE_OIDC_ISSUER needs CONSOLE_OIDC_CLIENT_ID');
  const scopes = new Set(config.CONSOLE_OIDC_SCOPES.split(' '));
  scopes.add('openid');
  return {
    issuer: config.CONSOLE_OIDC_ISSUER,
    clientId: config.CONSOLE_OIDC_CLIENT_ID,
    clientSecretFile: config.CONSOLE_OIDC_CLIENT_SECRET_FILE,
    redirectUrl:
      config.CONSOLE_OIDC_REDIRECT_URL ?? new URL('/v1/console/oidc/callback', config.CONSOLE_PUBLIC_URL).href,
    scopes: [...scopes].join(' '),
    name: config.CONSOLE_OIDC_NAME,
  };
}
