import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DependencyUnavailableError } from '@hub/errors';
import { captureLogs, isolatedRedisPrefix, startTcpProxy, testEndpoints } from '@hub/testkit';
import { closeRedis, createRedis, pingRedis, scanKeys, type RedisClient } from './index.ts';

const { redisUrl } = testEndpoints();
/** Every key this file creates lives under this prefix, so afterAll can remove exactly those. */
const base = isolatedRedisPrefix();
const logs = captureLogs('redis-int-test');
const opened: RedisClient[] = [];

function client(keyPrefix: string, url = redisUrl): RedisClient {
  const redis = createRedis({ url, keyPrefix, connectionName: 'redis-int-test', logger: logs.logger });
  opened.push(redis);
  return redis;
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

async function eventually(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let prefixed: RedisClient;
/** The same Redis without a prefix: sees the physical key names. */
let raw: RedisClient;

beforeAll(async () => {
  prefixed = client(`${base}main:`);
  raw = client('');
  await Promise.all([pingRedis(prefixed, 5_000), pingRedis(raw, 5_000)]);
});

afterAll(async () => {
  const leftovers = await scanKeys(raw, `${base}*`);
  if (leftovers.length > 0) await raw.del(...leftovers);
  expect(await scanKeys(raw, `${base}*`)).toEqual([]);
  await Promise.all(opened.map((redis) => closeRedis(redis)));
});

describe('createRedis', () => {
  it('applies the key prefix to every key', async () => {
    await prefixed.set('greeting', 'hello');
    expect(await raw.get(`${base}main:greeting`)).toBe('hello');
    expect(await prefixed.get('greeting')).toBe('hello');
    expect(await raw.exists(`${base}greeting`)).toBe(0);
  });

  it('logs connection errors with the code, never the URL or its password', async () => {
    const password = 'Sup3r-S3cret-Passw0rd';
    const url = `redis://hub-user:${password}@127.0.0.1:${await closedPort()}`;
    const before = logs.lines().length;
    const down = client(`${base}down:`, url);
    await eventually(
      () =>
        logs
          .lines()
          .slice(before)
          .some((l) => l['msg'] === 'redis connection error'),
      5_000,
    );
    await closeRedis(down);

    const line = logs.lines().find((l, i) => i >= before && l['msg'] === 'redis connection error');
    expect(line).toMatchObject({ level: 'warn', connectionName: 'redis-int-test', code: 'ECONNREFUSED' });
    expect(logs.text()).not.toContain(password);
    expect(logs.text()).not.toContain(url);
    expect(logs.text()).not.toContain('hub-user');
  });
});

describe('auto-pipelining: one write per tick', () => {
  it('sends the commands of one tick as one pipeline and answers each caller its own reply, in order', async () => {
    const counter = client(`${base}auto:`);
    await pingRedis(counter, 5_000);
    const replies = Array.from({ length: 500 }, (_, i) =>
      i % 2 === 0 ? counter.incr('n') : counter.set(`k:${i}`, String(i)).then(() => counter.get(`k:${i}`)),
    );
    // Queued for the tick's one pipeline, not written one by one (0 without auto-pipelining).
    expect(counter.autoPipelineQueueSize).toBe(500);
    const answered = await Promise.all(replies);
    expect(answered).toEqual(Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? i / 2 + 1 : String(i))));
  });

  it('runs many calls of a script Redis has not cached, issued in one tick, each once and in order', async () => {
    const scripted = client(`${base}auto-script:`);
    await pingRedis(scripted, 5_000);
    // A script no one has sent (the comment differs per run): every EVALSHA of the pipeline answers NOSCRIPT.
    const script = `-- ${base}${String(Math.random())}\nreturn redis.call('rpush', KEYS[1], ARGV[1])`;
    const values = Array.from({ length: 200 }, (_, i) => String(i));
    const lengths = await Promise.all(values.map((value) => scripted.eval(script, 1, 'list', value)));
    expect(lengths).toEqual(values.map((_, i) => i + 1));
    expect(await scripted.lrange('list', 0, -1)).toEqual(values);
    // Cached now: by hash again, alongside plain commands of the same tick.
    const [again, length] = await Promise.all([scripted.eval(script, 1, 'list', 'x'), scripted.llen('list')]);
    expect([again, length]).toEqual([201, 201]);
  });

  it('keeps transactions whole: MULTI … EXEC is not split into the auto-pipeline', async () => {
    const tx = client(`${base}auto-tx:`);
    const results = await Promise.all([
      tx.multi().set('a', '1').incr('a').exec(),
      tx.incr('a'),
      tx.multi().incr('a').get('a').exec(),
    ]);
    expect(results[0]).toEqual([
      [null, 'OK'],
      [null, 2],
    ]);
    expect(results[2]?.[1]?.[1]).toBe(String((results[2]?.[0]?.[1] as number | undefined) ?? -1));
    expect(await tx.get('a')).toBe('4');
  });
});

describe('scanKeys', () => {
  it("returns this prefix's matching keys with the prefix stripped, and nothing under other prefixes", async () => {
    const other = client(`${base}other:`);
    await prefixed.mset('scan:a', '1', 'scan:b', '2', 'unmatched:c', '3');
    await other.set('scan:z', '4');

    expect((await scanKeys(prefixed, 'scan:*')).sort()).toEqual(['scan:a', 'scan:b']);
    expect(await scanKeys(other, 'scan:*')).toEqual(['scan:z']);
    // The stripped names work with the prefixed client as they are.
    expect(await prefixed.del(...(await scanKeys(prefixed, 'scan:*')))).toBe(2);
    expect(await scanKeys(prefixed, 'scan:*')).toEqual([]);
  });

  it('follows the cursor to the end, without duplicates, and enforces maxKeys', async () => {
    const many = client(`${base}many:`);
    const names = Array.from({ length: 250 }, (_, i) => `item:${i}`);
    await many.mset(...names.flatMap((name) => [name, 'x']));

    const found = await scanKeys(many, 'item:*', { batchSize: 7 });
    expect(found).toHaveLength(250);
    expect(new Set(found)).toEqual(new Set(names));
    await expect(scanKeys(many, 'item:*', { maxKeys: 100 })).rejects.toThrow('more than 100 keys match');
  });

  it('stops at the next round trip once its signal aborts, rejecting with the reason', async () => {
    const many = client(`${base}aborted:`);
    await many.mset(...Array.from({ length: 50 }, (_, i) => [`item:${i}`, 'x']).flat());
    const abort = new AbortController();
    let roundTrips = 0;
    const counted = new Proxy(many, {
      get(target, property, receiver) {
        if (property !== 'scan') return Reflect.get(target, property, receiver) as unknown;
        return (...args: Parameters<RedisClient['scan']>) => {
          roundTrips += 1;
          if (roundTrips === 2) abort.abort(new Error('worker stopping'));
          return target.scan(...args);
        };
      },
    });
    await expect(scanKeys(counted, 'item:*', { batchSize: 1, signal: abort.signal })).rejects.toThrow(
      'worker stopping',
    );
    expect(roundTrips).toBe(2);
  });

  it('treats glob characters in the prefix literally', async () => {
    const globby = client(`${base}g*:`);
    const lookalike = client(`${base}gxyz:`);
    await globby.set('k', '1');
    await lookalike.set('k', '2');
    expect(await scanKeys(globby, '*')).toEqual(['k']);
  });
});

describe('pingRedis', () => {
  it('resolves against the real Redis', async () => {
    await expect(pingRedis(prefixed, 1_000)).resolves.toBeUndefined();
  });

  it('rejects within the timeout when nothing listens on the port', async () => {
    const down = client(`${base}down:`, `redis://127.0.0.1:${await closedPort()}`);
    const started = performance.now();
    await expect(pingRedis(down, 300)).rejects.toThrow('Redis did not answer PING within 300 ms');
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(1_000);
  });

  it('rejects within the timeout when the server accepts but never answers', async () => {
    const sockets = new Set<Socket>();
    const silent: Server = createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const address = silent.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    try {
      const hung = client(`${base}hung:`, `redis://127.0.0.1:${address.port}`);
      const started = performance.now();
      await expect(pingRedis(hung, 300)).rejects.toThrow('within 300 ms');
      expect(performance.now() - started).toBeLessThan(1_000);
      // It never answers QUIT or the FIN either: closing must not wait for it.
      const closing = performance.now();
      await closeRedis(hung);
      expect(performance.now() - closing).toBeLessThan(200);
      expect(hung.status).toBe('end');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => {
        silent.close(() => {
          resolve();
        });
      });
    }
  });
});

describe('closeRedis', () => {
  it('quits gracefully and is safe to call twice, also concurrently', async () => {
    const closing = client(`${base}closing:`);
    await pingRedis(closing, 5_000);
    await Promise.all([closeRedis(closing), closeRedis(closing)]);
    await expect(closeRedis(closing)).resolves.toBeUndefined();
    expect(closing.status).toBe('end');
    await expect(pingRedis(closing, 1_000)).rejects.toThrow('Connection is closed');
  });

  it('sends the commands issued before it first: QUIT does not overtake the auto-pipeline', async () => {
    const closing = client(`${base}closing-writes:`);
    await pingRedis(closing, 5_000);
    const written = Array.from({ length: 50 }, (_, i) => closing.set(`w:${i}`, String(i)));
    await closeRedis(closing);
    expect(await Promise.all(written)).toEqual(written.map(() => 'OK'));
    expect(await raw.mget(written.map((_, i) => `${base}closing-writes:w:${i}`))).toEqual(
      written.map((_, i) => String(i)),
    );
  });

  it.each(['connecting', 'reconnecting'])(
    'ends a client that cannot connect (while %s) at once, instead of waiting for it',
    async (state) => {
      const down = client(`${base}down:`, `redis://127.0.0.1:${await closedPort()}`);
      await eventually(() => down.status === state, 2_000);
      const started = performance.now();
      await closeRedis(down);
      await closeRedis(down);
      expect(performance.now() - started).toBeLessThan(200);
      expect(down.status).toBe('end');
      await expect(down.get('anything')).rejects.toThrow('Connection is closed');
    },
  );
});

describe('unavailability', () => {
  it('rejects commands, scripts and transactions with DependencyUnavailableError(redis) while Redis cannot be reached', async () => {
    const target = new URL(testEndpoints().redisUrl);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port) });
    const url = `redis://127.0.0.1:${proxy.port}`;
    const client = createRedis({
      url,
      keyPrefix: isolatedRedisPrefix(),
      connectionName: 'unavailable-test',
      logger: captureLogs().logger,
      commandTimeoutMs: 1_000,
    });
    try {
      expect(await client.set('k', 'v')).toBe('OK');
      // A reply error is the caller's, not an outage: it passes through as ioredis's own.
      const wrongType = await client.lpush('k', 'x').catch((error: unknown) => error);
      expect(wrongType).not.toBeInstanceOf(DependencyUnavailableError);
      proxy.cut();
      for (const attempt of [
        () => client.get('k'),
        () => client.eval('return 1', 0),
        () => client.multi().set('k', 'w').exec(),
      ]) {
        const error = await attempt().catch((caught: unknown) => caught);
        expect(error).toBeInstanceOf(DependencyUnavailableError);
        expect(error).toMatchObject({ dependency: 'redis' });
      }
      proxy.restore();
      await expect.poll(() => client.ping().catch(() => 'down'), { timeout: 10_000 }).toBe('PONG');
    } finally {
      await closeRedis(client);
      await proxy.close();
    }
  });
});
