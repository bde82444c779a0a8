import { publicJwks, verify } from '@hub/signing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRouteHarness, type RouteHarness } from './testing.ts';

let h: RouteHarness;

beforeAll(async () => {
  // No service routes: the runtime itself serves the token endpoint and the JWKS.
  h = await startRouteHarness({ service: 'auth', clients: [], routes: [] });
});

afterAll(async () => {
  await h.close();
});

describe('the runtime JWKS', () => {
  it('publishes the JWKS without a token: public members only, and it verifies what the key store signs', async () => {
    const response = await h.inject(null, { method: 'GET', url: '/.well-known/jwks.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('public, max-age=300');
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    const body = response.json<{ keys: Record<string, unknown>[] }>();
    expect(body.keys).toHaveLength(1);
    for (const key of body.keys) {
      expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y']);
    }
    expect(body.keys[0]).toMatchObject({
      kty: 'EC',
      crv: 'P-256',
      alg: 'ES256',
      use: 'sig',
      kid: h.deps.keyStore.activeKid,
    });
    const jws = await h.deps.keyStore.sign({ hello: 'runtime' }, { typ: 'notification+jws' });
    expect((await verify(jws, publicJwks.parse(body))).payload).toEqual({ hello: 'runtime' });
  });
});
