import { caller as callerSchema, type Caller, type ClientRole } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { registerAuthenticated, routeTemplate, type HttpReply, type HttpRequest, type HttpServer } from '@hub/http';
import { JwsError, JWS_ALGORITHMS, verifyWithJwks } from '@hub/signing';
import { ACCESS_TOKEN_TYPE, checkAccessTokenClaims } from './claims.ts';
import type { AuthCore } from './core.ts';
import type { AccessRefusalReason } from './events.ts';

/** Longest accepted bearer token; a hub access token is well under 1 KiB. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
export const REALM = 'safeguarding-hub';
/** RFC 6750 §2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

/** A route's role check, from `auth.requireRole(...)`; put it in the route's `onRequest`. */
export type RoleCheck = (request: HttpRequest, reply: HttpReply) => Promise<void>;

/** The caller of each authenticated request. A WeakMap, not a fastify decoration: typing one needs fastify here. */
const callers = new WeakMap<object, Caller>();
/** Every RoleCheck ever made, so registerProtected can refuse routes that declare none. */
const roleChecks = new WeakSet<object>();

/**
 * The authenticated caller of this request, for handlers inside `registerProtected`. Throws (a server bug, so a
 * 500) when the route is not behind the bearer check.
 */
export function callerOf(request: HttpRequest): Caller {
  const found = callers.get(request);
  if (found === undefined) {
    throw new Error('callerOf: no authenticated caller on this request; is the route inside registerProtected?');
  }
  return found;
}

/** Who a hub-signed token says its holder is: what was proven before a later check refused it. */
export interface TokenIdentity {
  readonly clientId?: string;
  readonly role?: ClientRole;
  readonly organisation?: string;
}

export class AccessRefusal extends Error {
  override readonly name = 'AccessRefusal';
  readonly reason: AccessRefusalReason;
  /** Present once the signature verified (the hub issued the token); each member only when well-formed. */
  readonly identity?: TokenIdentity;

  constructor(reason: AccessRefusalReason, identity?: TokenIdentity) {
    super(`access refused: ${reason}`);
    this.reason = reason;
    if (identity !== undefined) this.identity = identity;
  }

  /** The client the token named, if any (kept for callers that only need the id). */
  get clientId(): string | undefined {
    return this.identity?.clientId;
  }
}

/** The identity claims of a verified token, each only if well-formed (a hub token always has all three). */
function identityOf(payload: Readonly<Record<string, unknown>>): TokenIdentity {
  const clientId = callerSchema.shape.clientId.safeParse(payload['sub']);
  const role = callerSchema.shape.role.safeParse(payload['role']);
  const organisation = callerSchema.shape.organisation.safeParse(payload['org']);
  return {
    ...(clientId.success ? { clientId: clientId.data } : {}),
    ...(role.success ? { role: role.data } : {}),
    ...(organisation.success ? { organisation: organisation.data } : {}),
  };
}

/**
 * Verifies an access token and returns its caller, or throws AccessRefusal:
 * signature with the hub's published keys (ES256/RS512), `typ` at+jwt, the claims (checkAccessTokenClaims), and
 * the client still registered with the same role and organisation, so a removed client's tokens stop at once.
 */
export async function verifyAccessToken(core: AuthCore, token: string): Promise<Caller> {
  let verified;
  try {
    verified = await verifyWithJwks(token, core.keyStore.publicJwks(), {
      algorithms: JWS_ALGORITHMS,
      maxLength: MAX_ACCESS_TOKEN_LENGTH,
    });
  } catch (error) {
    if (!(error instanceof JwsError)) throw error;
    throw new AccessRefusal(error.reason === 'malformed' ? 'malformed-token' : 'token-signature');
  }
  // Signed by the hub: from here on, whom the token names is proven, and every refusal says so.
  const identity = identityOf(verified.payload);
  if (verified.header.typ !== ACCESS_TOKEN_TYPE) throw new AccessRefusal('token-type', identity);
  const checked = checkAccessTokenClaims(verified.payload, {
    issuer: core.issuer,
    nowSeconds: core.now() / 1000,
    clockSkewSeconds: core.clockSkewSeconds,
  });
  if (!checked.ok) throw new AccessRefusal(checked.reason, identity);
  const client = core.registry.get(checked.clientId);
  if (client === undefined) throw new AccessRefusal('client-removed', identity);
  if (client.role !== checked.role || client.organisation !== checked.organisation) {
    throw new AccessRefusal('client-changed', identity);
  }
  return callerSchema.parse({ clientId: client.clientId, role: client.role, organisation: client.organisation });
}

async function refuse(
  core: AuthCore,
  request: HttpRequest,
  reason: AccessRefusalReason,
  identity: TokenIdentity | undefined,
): Promise<void> {
  const route = routeTemplate(request);
  const who = {
    ...(identity?.clientId === undefined ? {} : { clientId: identity.clientId }),
    ...(identity?.role === undefined ? {} : { role: identity.role }),
    ...(identity?.organisation === undefined ? {} : { organisation: identity.organisation }),
  };
  request.log.info({ reason, ...who, ...(route === undefined ? {} : { route }) }, 'request refused by auth');
  await core.emit({
    outcome: 'refused',
    where: 'protected-route',
    reason,
    ...who,
    ...(route === undefined ? {} : { route }),
    at: core.isoNow(),
  });
}

/** The scope hook: a valid bearer access token, or 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3). */
export async function authenticate(core: AuthCore, request: HttpRequest, reply: HttpReply): Promise<void> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' && header.length <= MAX_ACCESS_TOKEN_LENGTH + 7 ? BEARER.exec(header) : null;
  if (header === undefined || match === null) {
    const reason: AccessRefusalReason = header === undefined ? 'no-token' : 'malformed-token';
    void reply.header(
      'www-authenticate',
      header === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_request"`,
    );
    await refuse(core, request, reason, undefined);
    throw new HubError('unauthenticated', 'A bearer access token from the token endpoint is required.');
  }
  try {
    callers.set(request, await verifyAccessToken(core, match[1] ?? ''));
  } catch (error) {
    if (!(error instanceof AccessRefusal)) throw error;
    void reply.header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token"`);
    await refuse(core, request, error.reason, error.identity);
    throw new HubError('unauthenticated', 'The bearer access token is invalid or has expired.');
  }
}

/** A route hook allowing only these roles: 403 `forbidden` for any other authenticated caller. */
export function requireRole(core: AuthCore, roles: readonly ClientRole[]): RoleCheck {
  if (roles.length === 0) throw new TypeError('requireRole needs at least one role');
  const allowed = new Set(roles);
  const check: RoleCheck = async (request, reply) => {
    const found = callers.get(request);
    // Outside registerProtected there is no caller: deny rather than guess.
    if (found === undefined) throw new HubError('unauthenticated', 'A bearer access token is required.');
    if (!allowed.has(found.role)) {
      void reply.header('www-authenticate', `Bearer realm="${REALM}", error="insufficient_scope"`);
      await refuse(core, request, 'role-not-allowed', found);
      throw new HubError('forbidden', 'This client may not call this route.');
    }
  };
  roleChecks.add(check);
  return check;
}

export interface ProtectedScopeOptions {
  /** Path prefix of the scope, e.g. `/v1`. */
  readonly prefix?: string;
}

function hasRoleCheck(onRequest: unknown): boolean {
  const hooks: unknown[] = Array.isArray(onRequest) ? onRequest : [onRequest];
  return hooks.some((hook) => typeof hook === 'function' && roleChecks.has(hook));
}

/**
 * `registerAuthenticated` with the bearer check, deny by default: every route inside must put a
 * `requireRole(...)` in its `onRequest`, or registration fails at start-up (a route nobody decided on is a route
 * nobody should reach).
 */
export function registerProtected(
  core: AuthCore,
  app: HttpServer,
  options: ProtectedScopeOptions,
  routes: (scope: HttpServer) => void | Promise<void>,
): void {
  registerAuthenticated(
    app,
    {
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      authenticate: (request, reply) => authenticate(core, request, reply),
    },
    async (scope) => {
      scope.addHook('onRoute', (route) => {
        if (!hasRoleCheck(route.onRequest)) {
          const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
          throw new Error(`Protected route ${methods} ${route.url} has no requireRole(...) in its onRequest.`);
        }
      });
      await routes(scope);
    },
  );
}
