import { createHash, randomUUID } from 'node:crypto';
import { DependencyUnavailableError, HubError, type FieldError } from '@hub/errors';
import {
  limitRefusal,
  limitTokenRequest,
  sendProblem,
  type HttpReply,
  type HttpRequest,
  type HttpServer,
} from '@hub/http';
import { claimOnce } from '@hub/redis';
import { decodeUnverified, JwsError, verifyWithJwks, type JwsAlgorithm, type JwsFailureReason } from '@hub/signing';
import { ACCESS_TOKEN_AUDIENCE, ACCESS_TOKEN_TYPE, checkAssertionClaims } from './claims.ts';
import type { AuthCore } from './core.ts';
import type { TokenRefusalReason } from './events.ts';
import { FORM_CONTENT_TYPE, isFormBody, MAX_TOKEN_REQUEST_BYTES, parseForm, type OtherBody } from './form.ts';

export const GRANT_TYPE = 'client_credentials';
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** Algorithms a client may sign its assertion with: RS512 (NHS API platform) and ES256. */
export const ASSERTION_ALGORITHMS: readonly JwsAlgorithm[] = ['RS512', 'ES256'];
/** Longest accepted client assertion. */
export const MAX_ASSERTION_LENGTH = 8 * 1024;

/** RFC 6749 §5.2 error codes this endpoint uses. */
export type OAuthErrorCode = 'invalid_request' | 'invalid_client' | 'unsupported_grant_type';

/** The OAuth 2 token response (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
}

/** Never says whether the client exists, which key, or whether only the signature failed. */
const GENERIC_CLIENT_FAILURE = 'Client authentication failed.';

interface Refusal {
  readonly reason: TokenRefusalReason;
  readonly error: OAuthErrorCode;
  readonly description: string;
  /** For invalid_request: the field at fault, as a problem+json pointer. */
  readonly pointer?: string;
  readonly clientId?: string;
}

function requestRefusal(reason: TokenRefusalReason, pointer: string, description: string): Refusal {
  const error: OAuthErrorCode = reason === 'unsupported-grant-type' ? 'unsupported_grant_type' : 'invalid_request';
  return { reason, error, description, pointer };
}

function clientRefusal(reason: TokenRefusalReason, description: string, clientId?: string): Refusal {
  return clientId === undefined
    ? { reason, error: 'invalid_client', description }
    : { reason, error: 'invalid_client', description, clientId };
}

const JWS_REASON: Readonly<Record<JwsFailureReason, TokenRefusalReason>> = {
  malformed: 'malformed-assertion',
  'alg-not-allowed': 'alg-not-allowed',
  'unknown-kid': 'unknown-kid',
  'bad-signature': 'bad-signature',
};

interface TokenParameters {
  readonly assertion: string;
  readonly clientIdParameter?: string;
}

/** The form rules, in order: content type, duplicates, presence, grant_type, client_assertion_type. */
function readParameters(request: HttpRequest): TokenParameters | Refusal {
  const body: unknown = request.body;
  if (!isFormBody(body)) {
    return requestRefusal(
      'unsupported-content-type',
      '/headers/content-type',
      `The token request must be ${FORM_CONTENT_TYPE}.`,
    );
  }
  if (body.tooManyParameters) {
    return requestRefusal('duplicate-parameter', '/body', 'The token request has too many parameters.');
  }
  for (const [name, values] of body.values) {
    if (values.length > 1) {
      // The name is ours to echo only when it is one we define; an arbitrary name could be anything.
      const known = ['grant_type', 'client_assertion_type', 'client_assertion', 'client_id'].includes(name);
      return requestRefusal(
        'duplicate-parameter',
        known ? `/body/${name}` : '/body',
        known ? `The parameter ${name} must be sent once.` : 'A parameter was sent more than once.',
      );
    }
  }
  const value = (name: string): string | undefined => body.values.get(name)?.[0];
  const missing = ['grant_type', 'client_assertion_type', 'client_assertion'].filter((name) => !value(name));
  if (missing.length > 0) {
    return requestRefusal(
      'missing-parameter',
      `/body/${missing[0] ?? ''}`,
      `Missing parameter${missing.length === 1 ? '' : 's'}: ${missing.join(', ')}.`,
    );
  }
  if (value('grant_type') !== GRANT_TYPE) {
    return requestRefusal('unsupported-grant-type', '/body/grant_type', `grant_type must be ${GRANT_TYPE}.`);
  }
  if (value('client_assertion_type') !== CLIENT_ASSERTION_TYPE) {
    return requestRefusal(
      'unsupported-assertion-type',
      '/body/client_assertion_type',
      `client_assertion_type must be ${CLIENT_ASSERTION_TYPE}.`,
    );
  }
  const clientIdParameter = value('client_id');
  const assertion = value('client_assertion') ?? '';
  return clientIdParameter === undefined ? { assertion } : { assertion, clientIdParameter };
}

/** Redis key of a used jti: per client, hashed (a jti is client-chosen text of up to 128 characters). */
export function replayKey(clientId: string, jti: string): string {
  return `auth:jti:${clientId}:${createHash('sha256').update(jti, 'utf8').digest('base64url')}`;
}

interface Authenticated {
  readonly clientId: string;
}

/**
 * Authenticates the client from its assertion: unverified decode to find `iss`, then the client's registered JWKS
 * verifies the signature, then the claims, then the replay cache (last, so a bad assertion never burns a jti).
 */
async function authenticateClient(core: AuthCore, parameters: TokenParameters): Promise<Authenticated | Refusal> {
  let unverified;
  try {
    unverified = decodeUnverified(parameters.assertion, MAX_ASSERTION_LENGTH);
  } catch {
    return clientRefusal(
      'malformed-assertion',
      'The client_assertion must be a compact JWS (signed JWT) with a JSON header and payload.',
    );
  }
  if (!(ASSERTION_ALGORITHMS as readonly string[]).includes(unverified.header.alg)) {
    return clientRefusal('alg-not-allowed', 'The client_assertion must be signed with RS512 or ES256.');
  }
  const iss = unverified.payload['iss'];
  const client = typeof iss === 'string' ? core.registry.get(iss) : undefined;
  if (client === undefined) return clientRefusal('unknown-client', GENERIC_CLIENT_FAILURE);
  const clientId = client.clientId;
  if (parameters.clientIdParameter !== undefined && parameters.clientIdParameter !== clientId) {
    return clientRefusal('client-id-mismatch', GENERIC_CLIENT_FAILURE, clientId);
  }

  let claims;
  try {
    ({ payload: claims } = await verifyWithJwks(parameters.assertion, client.jwks, {
      algorithms: ASSERTION_ALGORITHMS,
      maxLength: MAX_ASSERTION_LENGTH,
    }));
  } catch (error) {
    if (!(error instanceof JwsError)) throw error;
    return clientRefusal(JWS_REASON[error.reason], GENERIC_CLIENT_FAILURE, clientId);
  }

  const nowSeconds = core.now() / 1000;
  const checked = checkAssertionClaims(claims, {
    clientId,
    tokenUrl: core.tokenUrl,
    nowSeconds,
    clockSkewSeconds: core.clockSkewSeconds,
  });
  if (!checked.ok) return clientRefusal(checked.reason, checked.description, clientId);

  let first: boolean;
  try {
    first = await claimOnce(core.redis, replayKey(clientId, checked.jti), checked.replayTtlSeconds);
  } catch (error) {
    await core.emit({
      outcome: 'refused',
      where: 'token-endpoint',
      reason: 'replay-check-unavailable',
      clientId,
      at: core.isoNow(),
    });
    throw new HubError('not-ready', 'The token service cannot check assertions for replay right now; retry later.', {
      cause: error,
    });
  }
  if (!first) return clientRefusal('jti-replayed', 'The client_assertion jti has been used before.', clientId);
  return { clientId };
}

function sendRefusal(request: HttpRequest, reply: HttpReply, refusal: Refusal): HttpReply {
  const extensions = { error: refusal.error, error_description: refusal.description };
  void reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (refusal.error === 'invalid_client') {
    return sendProblem(request, reply, { code: 'unauthenticated', detail: refusal.description, extensions });
  }
  const errors: FieldError[] = [{ pointer: refusal.pointer ?? '/body', detail: refusal.description }];
  return sendProblem(request, reply, { code: 'validation-failed', detail: refusal.description, errors, extensions });
}

function isRefusal(value: object): value is Refusal {
  return 'reason' in value;
}

async function handleTokenRequest(core: AuthCore, request: HttpRequest, reply: HttpReply): Promise<HttpReply> {
  const parameters = readParameters(request);
  const outcome = isRefusal(parameters) ? parameters : await authenticateClient(core, parameters);
  if (isRefusal(outcome)) {
    // Over its address's budget, a 429 instead, counted into the address's report rather than audited alone.
    await limitRefusal(request, reply);
    // The reason code and the client id (only when registered); never the assertion.
    request.log.info(
      { reason: outcome.reason, ...(outcome.clientId === undefined ? {} : { clientId: outcome.clientId }) },
      'token request refused',
    );
    const refused = outcome.clientId === undefined ? undefined : core.registry.get(outcome.clientId);
    await core.emit({
      outcome: 'refused',
      where: 'token-endpoint',
      reason: outcome.reason,
      ...(refused === undefined
        ? {}
        : { clientId: refused.clientId, role: refused.role, organisation: refused.organisation }),
      at: core.isoNow(),
    });
    return sendRefusal(request, reply, outcome);
  }

  const client = core.registry.get(outcome.clientId);
  if (client === undefined) throw new HubError('internal', 'client vanished during a token request');
  const iat = Math.floor(core.now() / 1000);
  const exp = iat + core.accessTokenLifetimeSeconds;
  const tokenId = randomUUID();
  const accessToken = await core.keyStore.sign(
    {
      iss: core.issuer,
      sub: client.clientId,
      role: client.role,
      org: client.organisation,
      jti: tokenId,
      iat,
      exp,
      aud: ACCESS_TOKEN_AUDIENCE,
    },
    { typ: ACCESS_TOKEN_TYPE },
  );
  const audited = await core.emit({
    outcome: 'issued',
    where: 'token-endpoint',
    reason: 'token-issued',
    clientId: client.clientId,
    role: client.role,
    organisation: client.organisation,
    tokenId,
    expiresAt: new Date(exp * 1000).toISOString(),
    at: core.isoNow(),
  });
  // No unaudited tokens: the token is dropped. When the audit trail (Kafka) cannot take the event now, the client is
  // told so (503 not-ready with Retry-After, as for any request Kafka cannot take) and asks again; otherwise a 500.
  if (!audited.audited) {
    if (audited.error instanceof DependencyUnavailableError) throw audited.error;
    throw new HubError('internal', 'the token issue could not be audited');
  }
  request.log.info(
    { clientId: client.clientId, tokenId, expiresIn: core.accessTokenLifetimeSeconds },
    'access token issued',
  );
  const response: TokenResponse = {
    access_token: accessToken,
    token_type: 'Bearer',
    expires_in: core.accessTokenLifetimeSeconds,
  };
  return reply
    .code(200)
    .header('cache-control', 'no-store')
    .header('pragma', 'no-cache')
    .type('application/json')
    .send(Buffer.from(JSON.stringify(response)));
}

const OTHER_BODY: OtherBody = Object.freeze({ kind: 'other' });

/**
 * `POST <tokenPath>` in its own encapsulated scope: only here are form bodies parsed, and any other content type
 * becomes an OAuth invalid_request instead of the server-wide 415.
 */
export function registerTokenEndpoint(core: AuthCore, app: HttpServer): void {
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      FORM_CONTENT_TYPE,
      { parseAs: 'string', bodyLimit: MAX_TOKEN_REQUEST_BYTES },
      (_request, body, parsed) => {
        parsed(null, parseForm(String(body)));
      },
    );
    scope.addContentTypeParser(
      '*',
      { parseAs: 'buffer', bodyLimit: MAX_TOKEN_REQUEST_BYTES },
      (_request, _body, parsed) => {
        parsed(null, OTHER_BODY);
      },
    );
    // Every token request spends one of its address's token budget, before the body is read (`@hub/http`).
    scope.post(core.tokenPath, { onRequest: limitTokenRequest }, (request, reply) =>
      handleTokenRequest(core, request, reply),
    );
    done();
  });
}
