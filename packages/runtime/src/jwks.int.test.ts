import { readFile } from 'node:fs/promises';
import { publicJwks, rotateKeyFile, verify } from '@hub/signing';
import { verifyWithNodeJose } from '@hub/signing/testing';
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

describe('the runtime JWKS across key rotations', () => {
  it('still verifies a notification signed two rotations ago after each rotation is reloaded (SIGHUP), no restart', async () => {
    const fetchJwks = async () => {
      const response = await h.inject(null, { method: 'GET', url: '/.well-known/jwks.json' });
      expect(response.statusCode).toBe(200);
      return publicJwks.parse(response.json());
    };
    const first = h.deps.keyStore.activeKid;
    const notification = await h.deps.keyStore.sign({ id: 'n-old' }, { typ: 'notification+jws' });
    const file = h.deps.config.HUB_SIGNING_KEYS_FILE;

    const one = await rotateKeyFile({ file });
    await h.runtime.reload();
    const two = await rotateKeyFile({ file });
    await h.runtime.reload();

    expect(h.deps.keyStore.activeKid).toBe(two.activeKid);
    const jwks = await fetchJwks();
    expect(jwks.keys.map((key) => key.kid)).toEqual([two.activeKid, one.activeKid, first]);
    expect((await verify(notification, jwks)).payload).toEqual({ id: 'n-old' });
    expect((await verifyWithNodeJose(notification, jwks)).payload).toEqual({ id: 'n-old' });
    const fresh = await h.deps.keyStore.sign({ id: 'n-new' }, { typ: 'notification+jws' });
    expect((await verify(fresh, jwks)).header.kid).toBe(two.activeKid);
    // The reload is logged with the kid, never key material.
    expect(h.logs.lines().some((line) => line['msg'] === 'reloaded' && line['signingKid'] === two.activeKid)).toBe(
      true,
    );
    const saved = JSON.parse(await readFile(file, 'utf8')) as { keys: { d?: string }[] };
    for (const key of saved.keys) if (key.d !== undefined) expect(h.logs.text()).not.toContain(key.d);
  });
});

describe('the runtime JWKS and the inbox retention (HUB_INBOX_RETENTION_DAYS)', () => {
  it('keeps a retired key while its notifications may be in an inbox, and drops it a day after the retention', async () => {
    const DAY = 24 * 60 * 60 * 1000;
    const clock = { now: new Date('2026-12-01T00:00:00.000Z') };
    const timed = await startRouteHarness({
      service: 'auth',
      clients: [],
      routes: [],
      now: () => clock.now,
      env: { HUB_INBOX_RETENTION_DAYS: '120' },
    });
    try {
      const kids = async () => {
        const response = await timed.inject(null, { method: 'GET', url: '/.well-known/jwks.json' });
        return publicJwks.parse(response.json()).keys.map((key) => key.kid);
      };
      const first = timed.deps.keyStore.activeKid;
      const notification = await timed.deps.keyStore.sign({ id: 'n-kept' }, { typ: 'notification+jws' });
      const file = timed.deps.config.HUB_SIGNING_KEYS_FILE;
      const retiredAt = clock.now.getTime();
      // `./hub keys rotate` twice (the CLI reads the same HUB_INBOX_RETENTION_DAYS), each reloaded.
      await rotateKeyFile({ file, now: () => clock.now, retiredKeyKeepMs: (120 + 1) * DAY });
      await timed.runtime.reload();
      clock.now = new Date(retiredAt + 30 * DAY);
      const two = await rotateKeyFile({ file, now: () => clock.now, retiredKeyKeepMs: (120 + 1) * DAY });
      await timed.runtime.reload();

      // The last moment one of its notifications may be in an inbox (issued just before the rotation), and a day.
      clock.now = new Date(retiredAt + 121 * DAY - 1);
      expect(await kids()).toContain(first);
      const response = await timed.inject(null, { method: 'GET', url: '/.well-known/jwks.json' });
      expect((await verify(notification, publicJwks.parse(response.json()))).payload).toEqual({ id: 'n-kept' });
      clock.now = new Date(retiredAt + 121 * DAY);
      expect(await kids()).not.toContain(first);
      expect((await kids())[0]).toBe(two.activeKid);
    } finally {
      await timed.close();
    }
  });
});
