import { caller as callerSchema, type Caller, type ClientRole } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { limitRefusal, routeTemplate, type HttpReply, type HttpRequest, type RouteGuard } from '@hub/http';
import { JwsError, JWS_ALGORITHMS, verifyWithJwks } from '@hub/signing';
import { ACCESS_TOKEN_TYPE, checkAccessTokenClaims } from './claims.ts';
import type { AuthCore } from './core.ts';
import type { AccessRefusalReason } from './events.ts';

/** Longest accepted bearer token; a hub access token is well under 1 KiB. */
export const MAX_ACCESS_TOKEN_LENGTH = 4096;
export const REALM = 'safeguarding-hub';
/** RFC 6750 §2.1: `Bearer` (any case), one space, a b64token. */
const BEARER = /^Bearer ([A-Za-z0-9._~+/-]+=*)$/i;

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
 * The signature of a token that passed every check is remembered until its `exp` (core.verifiedTokens); every
 * other check runs on every request.
 */
export async function verifyAccessToken(core: AuthCore, token: string): Promise<Caller> {
  const jwks = core.keyStore.publicJwks();
  const nowMs = core.now();
  const remembered = core.verifiedTokens.lookup(token, jwks, nowMs);
  let verified;
  if (remembered !== undefined) {
    verified = remembered;
  } else {
    try {
      verified = await verifyWithJwks(token, jwks, { algorithms: JWS_ALGORITHMS, maxLength: MAX_ACCESS_TOKEN_LENGTH });
    } catch (error) {
      if (!(error instanceof JwsError)) throw error;
      throw new AccessRefusal(error.reason === 'malformed' ? 'malformed-token' : 'token-signature');
    }
  }
  // Signed by the hub: from here on, whom the token names is proven, and every refusal says so.
  const identity = identityOf(verified.payload);
  if (verified.header.typ !== ACCESS_TOKEN_TYPE) throw new AccessRefusal('token-type', identity);
  const checked = checkAccessTokenClaims(verified.payload, {
    issuer: core.issuer,
    nowSeconds: nowMs / 1000,
    clockSkewSeconds: core.clockSkewSeconds,
  });
  if (!checked.ok) throw new AccessRefusal(checked.reason, identity);
  const client = core.registry.get(checked.clientId);
  if (client === undefined) throw new AccessRefusal('client-removed', identity);
  if (client.role !== checked.role || client.organisation !== checked.organisation) {
    throw new AccessRefusal('client-changed', identity);
  }
  // Only a token that passed everything, and never past its exp (checked: a number).
  if (remembered === undefined) {
    core.verifiedTokens.remember(token, verified, Number(verified.payload['exp']) * 1000, nowMs);
  }
  return callerSchema.parse({ clientId: client.clientId, role: client.role, organisation: client.organisation });
}

/**
 * Logs and audits a refusal, once its source's budget allows it (`@hub/http` `limitRefusal`: the caller's on a 403,
 * the address's otherwise). Over it, a 429 is thrown instead and the refusal is counted into the source's report:
 * a flood of bad tokens adds one audit event per window, not one per request.
 */
export async function refuse(
  core: AuthCore,
  request: HttpRequest,
  reply: HttpReply,
  reason: AccessRefusalReason,
  identity: TokenIdentity | undefined,
  caller?: Caller,
): Promise<void> {
  await limitRefusal(request, reply, caller);
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

/** The bearer check: the caller of a valid access token, or 401 with `WWW-Authenticate: Bearer` (RFC 6750 §3). */
async function authenticate(core: AuthCore, request: HttpRequest, reply: HttpReply): Promise<Caller> {
  const header = request.headers.authorization;
  const match = typeof header === 'string' && header.length <= MAX_ACCESS_TOKEN_LENGTH + 7 ? BEARER.exec(header) : null;
  if (header === undefined || match === null) {
    const reason: AccessRefusalReason = header === undefined ? 'no-token' : 'malformed-token';
    void reply.header(
      'www-authenticate',
      header === undefined ? `Bearer realm="${REALM}"` : `Bearer realm="${REALM}", error="invalid_request"`,
    );
    await refuse(core, request, reply, reason, undefined);
    throw new HubError('unauthenticated', 'A bearer access token from the token endpoint is required.');
  }
  try {
    return await verifyAccessToken(core, match[1] ?? '');
  } catch (error) {
    if (!(error instanceof AccessRefusal)) throw error;
    void reply.header('www-authenticate', `Bearer realm="${REALM}", error="invalid_token"`);
    await refuse(core, request, reply, error.reason, error.identity);
    throw new HubError('unauthenticated', 'The bearer access token is invalid or has expired.');
  }
}

/**
 * `@hub/http` `serveRoutes`' guard: the bearer check, then the caller's role must be one of the route's contract
 * roles (403 `forbidden`, `error="insufficient_scope"`, otherwise). Every refusal is audited. An empty role list
 * admits nobody (serveRoutes never guards a public route).
 */
export function bearerGuard(core: AuthCore): RouteGuard {
  return async (request, reply, roles) => {
    const caller = await authenticate(core, request, reply);
    if (!roles.includes(caller.role)) {
      void reply.header('www-authenticate', `Bearer realm="${REALM}", error="insufficient_scope"`);
      await refuse(core, request, reply, 'role-not-allowed', caller, caller);
      throw new HubError('forbidden', 'This client may not call this route.');
    }
    return caller;
  };
}
