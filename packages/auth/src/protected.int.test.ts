import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '@hub/http';
import { createKeyStore } from '@hub/signing';
import { ISSUER, startHarness, TEST_CATALOGUE, TOKEN_URL, type Harness } from './test-harness.ts';
import {
  createTestClient,
  requestAccessToken,
  signClientAssertion,
  writeClientRegistry,
  type TestClient,
} from './testing.ts';

let h: Harness;
const secrets: string[] = [];

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  const text = h.logs.text();
  expect(secrets.length).toBeGreaterThan(5);
  for (const secret of secrets) expect(text).not.toContain(secret);
  await h.close();
});

beforeEach(() => {
  h.clock.now = Date.now();
  h.events.length = 0;
  h.handled.length = 0;
});

afterEach(async () => {
  // Every test leaves the registry as the harness wrote it.
  await writeClientRegistry(h.dir.path, [h.police, h.gp, h.marac]);
  expect((await h.registry.reload()).ok).toBe(true);
});

async function tokenFor(client: TestClient): Promise<string> {
  const token = await requestAccessToken(h.app, client, { tokenUrl: TOKEN_URL, assertion: { now: h.clock.now } });
  secrets.push(token);
  return token;
}

function call(url: string, authorization?: string) {
  return h.app.inject({
    method: url.includes('gp-or-marac') ? 'POST' : 'GET',
    url,
    headers: authorization === undefined ? {} : { authorization },
    ...(url.includes('gp-or-marac') ? { payload: {} } : {}),
  });
}

async function unauthenticated(authorization: string | undefined, wwwAuthenticate: string) {
  const handledBefore = [...h.handled];
  const response = await call('/v1/police-only', authorization);
  // The guard refused before the handler: it never ran.
  expect(h.handled).toEqual(handledBefore);
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toBe('application/problem+json');
  expect(response.headers['www-authenticate']).toBe(wwwAuthenticate);
  expect(response.json()).toMatchObject({ status: 401, code: 'unauthenticated', instance: '/v1/police-only' });
  return h.events.at(-1);
}

const INVALID_TOKEN = 'Bearer realm="safeguarding-hub", error="invalid_token"';

describe('protected routes', () => {
  it('lets a valid token with the right role through and gives the handler its caller', async () => {
    const police = await call('/v1/police-only', `Bearer ${await tokenFor(h.police)}`);
    expect(police.statusCode).toBe(200);
    expect(police.json()).toEqual({ caller: { clientId: 'police-asp', role: 'police', organisation: 'ASP' } });

    const gp = await call('/v1/gp-or-marac', `bearer ${await tokenFor(h.gp)}`);
    expect(gp.statusCode).toBe(200);
    expect(gp.json()).toEqual({ caller: { clientId: 'gp-a81001', role: 'gp', organisation: 'A81001' } });
    expect(h.handled).toEqual(['policeOnly', 'gpOrMarac']);
    expect(h.events.filter((event) => event.outcome === 'refused')).toEqual([]);
  });

  it('refuses a request without a token: 401 with WWW-Authenticate: Bearer', async () => {
    const event = await unauthenticated(undefined, 'Bearer realm="safeguarding-hub"');
    expect(event).toEqual({
      outcome: 'refused',
      where: 'protected-route',
      reason: 'no-token',
      route: '/v1/police-only',
      at: new Date(h.clock.now).toISOString(),
    });
  });

  it('refuses other schemes and malformed headers', async () => {
    const basic = await unauthenticated(
      'Basic cG9saWNlOnNlY3JldA==',
      'Bearer realm="safeguarding-hub", error="invalid_request"',
    );
    expect(basic).toMatchObject({ reason: 'malformed-token' });
    expect(await unauthenticated('Bearer', 'Bearer realm="safeguarding-hub", error="invalid_request"')).toMatchObject({
      reason: 'malformed-token',
    });
    expect(await unauthenticated('Bearer not-a-jwt', INVALID_TOKEN)).toMatchObject({ reason: 'malformed-token' });
  });

  it('refuses a token with a bad signature', async () => {
    const token = await tokenFor(h.police);
    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const promoted = Buffer.from(JSON.stringify({ ...claims, role: 'ig-officer' })).toString('base64url');
    expect(await unauthenticated(`Bearer ${header}.${promoted}.${token.split('.')[2]}`, INVALID_TOKEN)).toMatchObject({
      reason: 'token-signature',
    });
  });

  it('still verifies the signature of a changed copy of a token already accepted', async () => {
    const token = await tokenFor(h.police);
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
    const [header, payload, signature] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8')) as Record<string, unknown>;
    const longer = Buffer.from(JSON.stringify({ ...claims, exp: Number(claims['exp']) + 3600 })).toString('base64url');
    expect(await unauthenticated(`Bearer ${header}.${longer}.${signature}`, INVALID_TOKEN)).toMatchObject({
      reason: 'token-signature',
    });
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
  });

  it('refuses a token signed by a key the hub does not publish', async () => {
    const rogue = await createKeyStore({ file: join(h.dir.path, 'rogue.json'), generateIfMissing: true });
    const now = Math.floor(h.clock.now / 1000);
    const forged = await rogue.sign(
      {
        iss: ISSUER,
        sub: 'police-asp',
        role: 'police',
        org: 'ASP',
        jti: 'x',
        iat: now,
        exp: now + 60,
        aud: 'safeguarding-hub',
      },
      { typ: 'at+jwt' },
    );
    secrets.push(forged);
    expect(await unauthenticated(`Bearer ${forged}`, INVALID_TOKEN)).toMatchObject({ reason: 'token-signature' });
  });

  it('refuses a hub-signed JWS that is not an access token (typ), and a client assertion', async () => {
    const now = Math.floor(h.clock.now / 1000);
    const notification = await h.keyStore.sign(
      {
        iss: ISSUER,
        sub: 'police-asp',
        role: 'police',
        org: 'ASP',
        jti: 'n',
        iat: now,
        exp: now + 60,
        aud: 'safeguarding-hub',
      },
      { typ: 'JWT' },
    );
    secrets.push(notification);
    expect(await unauthenticated(`Bearer ${notification}`, INVALID_TOKEN)).toMatchObject({ reason: 'token-type' });
    const assertion = signClientAssertion(h.police, TOKEN_URL);
    secrets.push(assertion);
    expect(await unauthenticated(`Bearer ${assertion}`, INVALID_TOKEN)).toMatchObject({ reason: 'token-signature' });
  });

  it('refuses an expired token', async () => {
    const token = await tokenFor(h.police);
    // Accepted (and its signature remembered) while fresh: expiry still applies.
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
    h.clock.now += (300 + 29) * 1000;
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
    h.clock.now += 2 * 1000;
    // Expired but signed by the hub: the refusal names who was refused, and the route template.
    expect(await unauthenticated(`Bearer ${token}`, INVALID_TOKEN)).toEqual({
      outcome: 'refused',
      where: 'protected-route',
      reason: 'token-expired',
      clientId: 'police-asp',
      role: 'police',
      organisation: 'ASP',
      route: '/v1/police-only',
      at: new Date(h.clock.now).toISOString(),
    });
  });

  it('refuses bytes appended after the signature, and audits it as malformed without an identity', async () => {
    const token = await tokenFor(h.police);
    for (const suffix of ['x', 'A', 'AAAA']) {
      const event = await unauthenticated(`Bearer ${token}${suffix}`, INVALID_TOKEN);
      expect(event).toMatchObject({ reason: 'malformed-token' });
      expect(event).not.toHaveProperty('clientId');
    }
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
  });

  it('answers a valid token with the wrong role with 403 forbidden', async () => {
    const response = await call('/v1/police-only', `Bearer ${await tokenFor(h.gp)}`);
    expect(response.statusCode).toBe(403);
    expect(response.headers['www-authenticate']).toBe('Bearer realm="safeguarding-hub", error="insufficient_scope"');
    expect(response.json()).toMatchObject({ code: 'forbidden', detail: 'This client may not call this route.' });
    expect(h.events.at(-1)).toMatchObject({
      reason: 'role-not-allowed',
      clientId: 'gp-a81001',
      role: 'gp',
      organisation: 'A81001',
      route: '/v1/police-only',
    });
    const marac = await call('/v1/police-only', `Bearer ${await tokenFor(h.marac)}`);
    expect(marac.statusCode).toBe(403);
    expect(h.handled).toEqual([]);
  });

  it('stops a removed client at once, after a registry reload', async () => {
    const token = await tokenFor(h.police);
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
    await writeClientRegistry(h.dir.path, [h.gp, h.marac]);
    expect(await h.registry.reload()).toEqual({ ok: true, clients: 2 });
    expect(await unauthenticated(`Bearer ${token}`, INVALID_TOKEN)).toMatchObject({
      reason: 'client-removed',
      clientId: 'police-asp',
      role: 'police',
      organisation: 'ASP',
    });
  });

  it('stops a client whose role or organisation changed', async () => {
    const token = await tokenFor(h.police);
    const moved = { ...h.police.entry, organisation: 'DYF' };
    await writeClientRegistry(h.dir.path, [moved, h.gp, h.marac]);
    expect((await h.registry.reload()).ok).toBe(true);
    expect(await unauthenticated(`Bearer ${token}`, INVALID_TOKEN)).toMatchObject({
      reason: 'client-changed',
      clientId: 'police-asp',
      // What the token said, not what the registry now says.
      organisation: 'ASP',
    });
  });

  it('keeps serving with the old registry when a reload fails', async () => {
    const token = await tokenFor(h.police);
    await writeClientRegistry(h.dir.path, [{ ...h.police.entry, role: 'admin' }]);
    expect((await h.registry.reload()).ok).toBe(false);
    expect((await call('/v1/police-only', `Bearer ${token}`)).statusCode).toBe(200);
  });

  it('leaves the health routes open', async () => {
    expect((await h.app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });
});

describe('deny by default', () => {
  it('refuses at start-up a protected contract route added without serveRoutes and the guard', async () => {
    const app = createHttpServer({ logger: h.logs.logger, serviceName: 'deny-test', catalogue: TEST_CATALOGUE });
    expect(() => app.get('/v1/police-only', () => ({ caller: null }))).toThrow(
      'route GET /v1/police-only has roles in the catalogue: serve it with serveRoutes and a guard',
    );
    await app.close();
  });

  it('runs the guard before the body is read or validated and before the handler', async () => {
    const response = await h.app.inject({
      method: 'POST',
      url: '/v1/gp-or-marac',
      headers: { 'content-type': 'application/json' },
      payload: { note: 'x'.repeat(21), unknown: true },
    });
    expect(response.statusCode).toBe(401);
    expect(response.json()).toMatchObject({ code: 'unauthenticated', instance: '/v1/gp-or-marac' });
    expect(h.events).toMatchObject([{ reason: 'no-token', route: '/v1/gp-or-marac' }]);
    // The same body with a valid token is the contract's 400: the guard, not the schema, refused it above.
    const gp = `Bearer ${await tokenFor(h.gp)}`;
    const invalid = await h.app.inject({
      method: 'POST',
      url: '/v1/gp-or-marac',
      headers: { authorization: gp },
      payload: { note: 'x'.repeat(21), unknown: true },
    });
    expect(invalid.statusCode).toBe(400);
    expect(h.handled).toEqual([]);
  });

  it('works for a client registered with an RS512 key only, and for several roles', async () => {
    const la = createTestClient({
      clientId: 'la-somerset',
      role: 'local-authority',
      organisation: 'E06000066',
      alg: 'RS512',
    });
    await writeClientRegistry(h.dir.path, [h.police, h.gp, h.marac, la]);
    expect((await h.registry.reload()).ok).toBe(true);
    const token = await tokenFor(la);
    expect((await call('/v1/gp-or-marac', `Bearer ${token}`)).statusCode).toBe(403);
  });
});

describe('public routes', () => {
  it('get no guard and no caller: a token sent to one is not even read', async () => {
    const response = await h.app.inject({ url: '/v1/open', headers: { authorization: 'Bearer not-a-jwt' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ callerGiven: false });
    expect(h.handled).toEqual(['open']);
    expect(h.events).toEqual([]);
  });
});
