import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '@hub/http';
import { closeRedis, createRedis } from '@hub/redis';
import { verify } from '@hub/signing';
import { isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { createAuth, type AuthEvent } from './index.ts';
import { replayKey } from './token-endpoint.ts';
import { ISSUER, startHarness, TOKEN_URL, type Harness } from './test-harness.ts';
import {
  postTokenRequest,
  signClientAssertion,
  tokenRequestBody,
  type AssertionOptions,
  type TestClient,
} from './testing.ts';

let h: Harness;
const secrets: string[] = [];

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  // Neither an assertion nor an access token ever reaches a log line.
  const text = h.logs.text();
  expect(secrets.length).toBeGreaterThan(20);
  for (const secret of secrets) {
    expect(text).not.toContain(secret);
    expect(text).not.toContain(secret.split('.')[2] || secret);
  }
  await h.close();
});

beforeEach(() => {
  h.clock.now = Date.now();
  h.events.length = 0;
  h.failAudit = false;
});

function assertion(client: TestClient, options: AssertionOptions = {}): string {
  const jws = signClientAssertion(client, TOKEN_URL, { now: h.clock.now, ...options });
  secrets.push(jws);
  return jws;
}

async function exchange(body: string) {
  const response = await postTokenRequest(h.app, body);
  const json = response.json<Record<string, unknown>>();
  if (typeof json['access_token'] === 'string') secrets.push(json['access_token']);
  return { response, json };
}

async function refused(client: TestClient, options: AssertionOptions) {
  const { response, json } = await exchange(tokenRequestBody(assertion(client, options)));
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.headers['cache-control']).toBe('no-store');
  expect(json).toMatchObject({ status: 401, code: 'unauthenticated', error: 'invalid_client' });
  expect(json).not.toHaveProperty('access_token');
  expect(json['detail']).toBe(json['error_description']);
  return { json, event: h.events.at(-1) };
}

function decodePayload(jws: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('POST /oauth2/token: success', () => {
  it.each([
    ['RS512', () => h.gp],
    ['ES256', () => h.police],
  ])('issues a short-lived hub access token to a %s client', async (_alg, clientOf) => {
    const client = clientOf();
    const { response, json } = await exchange(tokenRequestBody(assertion(client)));

    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers['pragma']).toBe('no-cache');
    expect(Object.keys(json).sort()).toEqual(['access_token', 'expires_in', 'token_type']);
    expect(json).toMatchObject({ token_type: 'Bearer', expires_in: 300 });

    const token = String(json['access_token']);
    const verified = await verify(token, h.keyStore.publicJwks());
    expect(verified.header).toEqual({ alg: 'ES256', kid: h.keyStore.activeKid, typ: 'at+jwt' });
    const iat = Math.floor(h.clock.now / 1000);
    expect(verified.payload).toEqual({
      iss: ISSUER,
      sub: client.clientId,
      role: client.role,
      org: client.organisation,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/) as unknown,
      iat,
      exp: iat + 300,
      aud: 'safeguarding-hub',
    });
    expect(h.events).toEqual([
      {
        outcome: 'issued',
        where: 'token-endpoint',
        reason: 'token-issued',
        clientId: client.clientId,
        role: client.role,
        organisation: client.organisation,
        tokenId: verified.payload['jti'],
        expiresAt: new Date((iat + 300) * 1000).toISOString(),
        at: new Date(h.clock.now).toISOString(),
      },
    ]);
  });

  it('keeps the jti in Redis until the assertion expires (plus skew)', async () => {
    const jti = randomUUID();
    const exp = Math.floor(h.clock.now / 1000) + 120;
    const { response } = await exchange(tokenRequestBody(assertion(h.police, { claims: { jti, exp } })));
    expect(response.statusCode).toBe(200);
    const ttl = await h.redis.ttl(replayKey('police-asp', jti));
    expect(ttl).toBeGreaterThan(140);
    expect(ttl).toBeLessThanOrEqual(151);
  });

  it('accepts a client_id parameter equal to the client, and a charset on the content type', async () => {
    const body = tokenRequestBody(assertion(h.police), { client_id: 'police-asp' });
    const response = await h.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      payload: body,
    });
    expect(response.statusCode).toBe(200);
    secrets.push(response.json<{ access_token: string }>().access_token);
  });
});

describe('POST /oauth2/token: refused assertions (invalid_client, 401)', () => {
  it('refuses a reused jti, per client', async () => {
    const jti = randomUUID();
    const first = await exchange(tokenRequestBody(assertion(h.police, { claims: { jti } })));
    expect(first.response.statusCode).toBe(200);
    const { json, event } = await refused(h.police, { claims: { jti } });
    expect(json['error_description']).toBe('The client_assertion jti has been used before.');
    expect(event).toMatchObject({ outcome: 'refused', reason: 'jti-replayed', clientId: 'police-asp' });
    // Another client may happen to use the same jti value.
    expect((await exchange(tokenRequestBody(assertion(h.marac, { claims: { jti } })))).response.statusCode).toBe(200);
  });

  it('refuses an expired assertion', async () => {
    const now = Math.floor(h.clock.now / 1000);
    const { json, event } = await refused(h.police, { claims: { iat: now - 400, exp: now - 31 } });
    expect(json['error_description']).toBe('The client_assertion has expired.');
    expect(event).toMatchObject({ reason: 'expired', clientId: 'police-asp' });
  });

  it('refuses exp more than 5 minutes ahead', async () => {
    const { event } = await refused(h.gp, { claims: { exp: Math.floor(h.clock.now / 1000) + 360 } });
    expect(event).toMatchObject({ reason: 'exp-too-far', clientId: 'gp-a81001' });
  });

  it('refuses iat or nbf in the future', async () => {
    const later = Math.floor(h.clock.now / 1000) + 120;
    expect((await refused(h.police, { claims: { iat: later } })).event).toMatchObject({ reason: 'iat-in-future' });
    expect((await refused(h.police, { claims: { nbf: later } })).event).toMatchObject({ reason: 'nbf-in-future' });
  });

  it('refuses a wrong aud', async () => {
    const { json, event } = await refused(h.police, { claims: { aud: 'https://api.service.nhs.uk/oauth2/token' } });
    expect(json['error_description']).toBe('The client_assertion aud must be the token endpoint URL.');
    expect(event).toMatchObject({ reason: 'wrong-audience' });
  });

  it('refuses iss != sub', async () => {
    const { event } = await refused(h.police, { claims: { sub: 'gp-a81001' } });
    expect(event).toMatchObject({ reason: 'iss-sub-mismatch', clientId: 'police-asp' });
  });

  it('refuses a missing jti or exp', async () => {
    expect((await refused(h.police, { claims: { jti: undefined } })).event).toMatchObject({ reason: 'missing-jti' });
    expect((await refused(h.police, { claims: { exp: undefined } })).event).toMatchObject({ reason: 'missing-exp' });
  });

  it('answers an unknown client, an unknown kid and a bad signature identically', async () => {
    const stranger = { ...h.police, clientId: 'police-unknown' };
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const unknownClient = await refused(h.police, { claims: { iss: 'police-unknown', sub: 'police-unknown' } });
    const unknownKid = await refused(h.police, { header: { kid: 'not-registered' } });
    const badSignature = await refused(h.police, { signWith: other });
    const strangerToo = await refused(stranger, {});

    const visible = (json: Record<string, unknown>) => {
      const { requestId: _requestId, ...rest } = json;
      return rest;
    };
    expect(visible(unknownClient.json)).toEqual({
      type: 'https://safeguarding-hub.invalid/problems/unauthenticated',
      title: 'Unauthenticated',
      status: 401,
      detail: 'Client authentication failed.',
      instance: '/oauth2/token',
      code: 'unauthenticated',
      error: 'invalid_client',
      error_description: 'Client authentication failed.',
    });
    expect(visible(unknownKid.json)).toEqual(visible(unknownClient.json));
    expect(visible(badSignature.json)).toEqual(visible(unknownClient.json));
    expect(visible(strangerToo.json)).toEqual(visible(unknownClient.json));
    // The audit trail tells them apart; clientId only when it names a registered client.
    expect(unknownClient.event).toEqual({
      outcome: 'refused',
      where: 'token-endpoint',
      reason: 'unknown-client',
      at: expect.any(String) as unknown,
    });
    expect(unknownKid.event).toMatchObject({ reason: 'unknown-kid', clientId: 'police-asp' });
    expect(badSignature.event).toMatchObject({ reason: 'bad-signature', clientId: 'police-asp' });
  });

  it('refuses alg none', async () => {
    const { json, event } = await refused(h.police, { signWith: 'none' });
    expect(json['error_description']).toBe('The client_assertion must be signed with RS512 or ES256.');
    expect(event).toMatchObject({ reason: 'alg-not-allowed' });
    expect(event).not.toHaveProperty('clientId');
  });

  it('refuses HS256 signed with the client public key as the HMAC secret', async () => {
    for (const client of [h.gp, h.police]) {
      const { event } = await refused(client, { signWith: 'hmac-public-key' });
      expect(event).toMatchObject({ reason: 'alg-not-allowed' });
    }
  });

  it('refuses an RS512 header on an ES256 client key, and a client_id that is not the client', async () => {
    expect((await refused(h.police, { header: { alg: 'RS512' } })).event).toMatchObject({ reason: 'unknown-kid' });
    const body = tokenRequestBody(assertion(h.police), { client_id: 'gp-a81001' });
    const { response } = await exchange(body);
    expect(response.statusCode).toBe(401);
    expect(h.events.at(-1)).toMatchObject({ reason: 'client-id-mismatch' });
  });

  it('refuses an assertion that is not a JWS', async () => {
    const { response, json } = await exchange(tokenRequestBody('not-a-jwt'));
    expect(response.statusCode).toBe(401);
    expect(json).toMatchObject({ error: 'invalid_client' });
    expect(h.events.at(-1)).toMatchObject({ reason: 'malformed-assertion' });
  });
});

describe('POST /oauth2/token: malformed requests (400)', () => {
  async function badRequest(body: string, contentType = 'application/x-www-form-urlencoded') {
    const response = await h.app.inject({
      method: 'POST',
      url: '/oauth2/token',
      headers: { 'content-type': contentType },
      payload: body,
    });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toBe('application/problem+json');
    const json = response.json<Record<string, unknown>>();
    expect(json['code']).toBe('validation-failed');
    expect(json['detail']).toBe(json['error_description']);
    return json;
  }

  it('refuses a wrong grant_type with unsupported_grant_type', async () => {
    const json = await badRequest(tokenRequestBody(assertion(h.police), { grant_type: 'authorization_code' }));
    expect(json).toMatchObject({
      error: 'unsupported_grant_type',
      error_description: 'grant_type must be client_credentials.',
      errors: [{ pointer: '/body/grant_type', detail: 'grant_type must be client_credentials.' }],
    });
    expect(h.events.at(-1)).toMatchObject({ outcome: 'refused', reason: 'unsupported-grant-type' });
  });

  it('refuses a wrong client_assertion_type', async () => {
    const json = await badRequest(
      tokenRequestBody(assertion(h.police), {
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
      }),
    );
    expect(json).toMatchObject({ error: 'invalid_request', errors: [{ pointer: '/body/client_assertion_type' }] });
  });

  it('refuses missing fields, naming them', async () => {
    const json = await badRequest(tokenRequestBody(assertion(h.police), { client_assertion: undefined }));
    expect(json).toMatchObject({
      error: 'invalid_request',
      error_description: 'Missing parameter: client_assertion.',
      errors: [{ pointer: '/body/client_assertion' }],
    });
    const none = await badRequest('');
    expect(none['error_description']).toBe('Missing parameters: grant_type, client_assertion_type, client_assertion.');
    const empty = await badRequest(tokenRequestBody('', { grant_type: '' }));
    expect(empty['error_description']).toBe('Missing parameters: grant_type, client_assertion.');
  });

  it('refuses a parameter sent twice', async () => {
    const body = `${tokenRequestBody(assertion(h.police))}&grant_type=client_credentials`;
    const json = await badRequest(body);
    expect(json).toMatchObject({ error: 'invalid_request', errors: [{ pointer: '/body/grant_type' }] });
    expect(h.events.at(-1)).toMatchObject({ reason: 'duplicate-parameter' });
  });

  it('refuses JSON and other content types with invalid_request, not 415', async () => {
    const jws = assertion(h.police);
    const json = await badRequest(
      JSON.stringify({ grant_type: 'client_credentials', client_assertion: jws }),
      'application/json',
    );
    expect(json).toMatchObject({ error: 'invalid_request', errors: [{ pointer: '/headers/content-type' }] });
    expect((await badRequest('hello', 'text/plain'))['error']).toBe('invalid_request');
    expect(h.events.at(-1)).toMatchObject({ reason: 'unsupported-content-type' });
  });
});

describe('POST /oauth2/token: audit', () => {
  it('never hands out a token it could not audit', async () => {
    h.failAudit = true;
    const { response, json } = await exchange(tokenRequestBody(assertion(h.police)));
    expect(response.statusCode).toBe(500);
    expect(json).toMatchObject({ code: 'internal' });
    expect(JSON.stringify(json)).not.toContain('access_token');
    expect(h.logs.lines().some((line) => line['msg'] === 'auth event listener failed')).toBe(true);
  });

  it('answers 503 not-ready with Retry-After, and no token, while the audit trail cannot take the event', async () => {
    h.failAudit = 'unavailable';
    const { response, json } = await exchange(tokenRequestBody(assertion(h.police)));
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBeDefined();
    expect(json).toMatchObject({ code: 'not-ready' });
    expect(JSON.stringify(json)).not.toContain('access_token');
  });

  it('logs the reason code and the client, not the assertion', async () => {
    await refused(h.police, { claims: { aud: 'https://elsewhere.invalid/token' } });
    const line = h.logs.lines().findLast((entry) => entry['msg'] === 'token request refused');
    expect(line).toMatchObject({ reason: 'wrong-audience', clientId: 'police-asp' });
    expect(decodePayload(secrets.at(-1)!)['aud']).toBe('https://elsewhere.invalid/token');
    expect(h.logs.text()).not.toContain('elsewhere.invalid');
  });
});

describe('POST /oauth2/token: replay cache down', () => {
  it('issues nothing and answers 503 when Redis cannot be asked', async () => {
    const redis = createRedis({
      url: testEndpoints().redisUrl,
      keyPrefix: isolatedRedisPrefix(),
      connectionName: 'auth-test-down',
      logger: h.logs.logger,
    });
    await closeRedis(redis);
    const events: AuthEvent[] = [];
    const app = createHttpServer({ logger: h.logs.logger, serviceName: 'auth-down' });
    createAuth({
      registry: h.registry,
      keyStore: h.keyStore,
      redis,
      tokenUrl: TOKEN_URL,
      logger: h.logs.logger,
      onAuthEvent: (event) => {
        events.push(event);
      },
    }).registerTokenEndpoint(app);
    const response = await postTokenRequest(app, tokenRequestBody(assertion(h.police)));
    expect(response.statusCode).toBe(503);
    expect(response.json()).toMatchObject({ code: 'not-ready' });
    expect(response.body).not.toContain('access_token');
    expect(events).toEqual([
      {
        outcome: 'refused',
        where: 'token-endpoint',
        reason: 'replay-check-unavailable',
        clientId: 'police-asp',
        at: expect.any(String) as unknown,
      },
    ]);
    await app.close();
  });
});
