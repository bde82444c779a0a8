// The console's sessions and sign-in limits on a real Redis (isolated key prefix), with the clock moved by hand.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ConsoleUser } from '@hub/contracts';
import type { HttpReply, HttpRequest } from '@hub/http';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { captureLogs, isolatedRedisPrefix, testEndpoints } from '@hub/testkit';
import { fileAccounts } from './accounts.ts';
import { createSessions, readCookie, type Sessions } from './sessions.ts';
import { createSignInLimits, SIGN_IN_WINDOW_MS } from './sign-in-limits.ts';

const MINUTE = 60_000;
const clock = { now: Date.parse('2026-12-01T09:00:00Z') };
const now = () => new Date(clock.now);
let redis: RedisClient;
let dir: string;
let accountsFile: string;

const USER: ConsoleUser = {
  id: 'local:ig-0001',
  displayName: 'Somerset IG officer',
  role: 'ig-officer',
  organisation: 'E06000066',
  signIn: 'password',
};

async function writeAccounts(role = 'ig-officer', organisation = 'E06000066'): Promise<void> {
  const account = { id: 'ig-0001', displayName: 'x', role, organisation, oidcSubject: 'sub-1' };
  await writeFile(accountsFile, JSON.stringify({ accounts: [account] }));
}

beforeAll(async () => {
  redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'console-sessions-test',
    logger: captureLogs('console-sessions-test').logger,
  });
  dir = await mkdtemp(join(tmpdir(), 'console-sessions-'));
  accountsFile = join(dir, 'accounts.json');
});
afterAll(async () => {
  await closeRedis(redis);
  await rm(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  clock.now = Date.parse('2026-12-01T09:00:00Z');
  await writeAccounts();
});

function sessions(secure = false): Sessions {
  return createSessions({
    redis,
    accounts: fileAccounts(accountsFile),
    idleMs: 15 * MINUTE,
    maxMs: 60 * MINUTE,
    secure,
    now,
  });
}

/** A reply that keeps its set-cookie header, and a request carrying a cookie header. */
function reply(): HttpReply & { cookie: string } {
  const target = {
    cookie: '',
    header(name: string, value: string) {
      if (name === 'set-cookie') target.cookie = value;
      return target;
    },
  };
  return target as unknown as HttpReply & { cookie: string };
}
const request = (cookie: string) => ({ headers: { cookie } }) as unknown as HttpRequest;
const cookieHeader = (setCookie: string) => setCookie.split(';')[0] ?? '';

async function signIn(store: Sessions): Promise<{ cookie: string; csrf: string }> {
  const answer = reply();
  const session = await store.start(USER, answer);
  return { cookie: cookieHeader(answer.cookie), csrf: session.csrfToken };
}

describe('console sessions', () => {
  it('set an opaque HttpOnly SameSite=Strict cookie; Secure and __Host- named over TLS', async () => {
    const plain = reply();
    await sessions().start(USER, plain);
    expect(plain.cookie).toMatch(/^hub_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=3600$/);
    const tls = reply();
    await sessions(true).start(USER, tls);
    expect(tls.cookie).toMatch(/^__Host-hub_console=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Secure;/);
  });

  it('keep the session under a hash of the cookie, never the cookie itself', async () => {
    const { cookie } = await signIn(sessions());
    const id = readCookie(cookie, 'hub_console') ?? '';
    const keys = await scanKeys(redis, 'console:session:*');
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) {
      expect(key).not.toContain(id);
      expect(await redis.get(key)).not.toContain(id);
    }
  });

  it('verify to the person as caller with the CSRF token; an unknown or malformed cookie is no session', async () => {
    const store = sessions();
    const { cookie, csrf } = await signIn(store);
    expect(await store.verify(request(cookie))).toEqual({
      caller: { clientId: 'local:ig-0001', role: 'ig-officer', organisation: 'E06000066' },
      csrfToken: csrf,
    });
    expect(store.carries(request(cookie))).toBe(true);
    expect(store.carries(request('other=1'))).toBe(false);
    expect(await store.verify(request(`hub_console=${'a'.repeat(43)}`))).toBeUndefined();
    expect(await store.verify(request('hub_console=short'))).toBeUndefined();
  });

  it('end after the idle timeout without a request, and each request moves it on', async () => {
    const store = sessions();
    const { cookie } = await signIn(store);
    clock.now += 10 * MINUTE;
    expect(await store.verify(request(cookie))).toBeDefined();
    clock.now += 10 * MINUTE; // 20 minutes after sign-in, 10 after the last request
    expect(await store.verify(request(cookie))).toBeDefined();
    expect((await store.current(request(cookie)))?.idleExpiresAt).toBe(new Date(clock.now + 15 * MINUTE).toISOString());
    clock.now += 15 * MINUTE;
    expect(await store.verify(request(cookie))).toBeUndefined();
    // And it is gone for good, not just expired on paper.
    clock.now -= 15 * MINUTE;
    expect(await store.verify(request(cookie))).toBeUndefined();
  });

  it('end at the absolute lifetime however active', async () => {
    const store = sessions();
    const { cookie } = await signIn(store);
    for (let minutes = 10; minutes < 60; minutes += 10) {
      clock.now += 10 * MINUTE;
      expect(await store.verify(request(cookie)), `${minutes} minutes`).toBeDefined();
    }
    clock.now += 10 * MINUTE;
    expect(await store.verify(request(cookie))).toBeUndefined();
  });

  it('end when the account leaves the file or changes role or organisation', async () => {
    const store = sessions();
    const first = await signIn(store);
    await writeAccounts('ig-officer', 'E06000023');
    expect(await store.verify(request(first.cookie))).toBeUndefined();
    await writeAccounts();
    const second = await signIn(store);
    await writeFile(accountsFile, JSON.stringify({ accounts: [] }));
    expect(await store.verify(request(second.cookie))).toBeUndefined();
  });

  it('end at sign-out, clearing the cookie', async () => {
    const store = sessions();
    const { cookie } = await signIn(store);
    const out = reply();
    await store.end(request(cookie), out);
    expect(out.cookie).toBe('hub_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
    expect(await store.verify(request(cookie))).toBeUndefined();
  });
});

describe('sign-in limits', () => {
  it('refuse a username after its failures, once a window, and forget them when the window ends', async () => {
    const limits = createSignInLimits({ redis, perAccount: 3, perNetwork: 100, now });
    clock.now = Math.ceil(clock.now / SIGN_IN_WINDOW_MS) * SIGN_IN_WINDOW_MS; // the start of a window
    const reached: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      expect(await limits.blocked('Somerset.IG', '192.0.2.0/24'), `attempt ${i}`).toBe(i < 3 ? undefined : 15 * MINUTE);
      if (i < 3) reached.push((await limits.fail('somerset.ig', '192.0.2.0/24')).reachedLimit);
    }
    expect(reached).toEqual([false, false, true]);
    // Another username from another network is not held back.
    expect(await limits.blocked('other', '198.51.100.0/24')).toBeUndefined();
    clock.now += SIGN_IN_WINDOW_MS;
    expect(await limits.blocked('somerset.ig', '192.0.2.0/24')).toBeUndefined();
  });

  it('refuse a network after its failures whatever the usernames', async () => {
    const limits = createSignInLimits({ redis, perAccount: 100, perNetwork: 2, now });
    await limits.fail('a', '203.0.113.0/24');
    expect(await limits.blocked('b', '203.0.113.0/24')).toBeUndefined();
    expect((await limits.fail('b', '203.0.113.0/24')).reachedLimit).toBe(true);
    expect(await limits.blocked('c', '203.0.113.0/24')).toBeDefined();
  });
});
