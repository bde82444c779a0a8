import { describe, expect, it } from 'vitest';
import { createRedis, describeError, escapeGlob, parseRedisUrl } from './client.ts';

// Pure parts of client.ts; everything that talks to Redis is in client.int.test.ts.

const password = 'p@ss/w0rd:Secret';
const url = `rediss://hub-user:${encodeURIComponent(password)}@cache.internal:6380/2`;
const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined };

describe('parseRedisUrl', () => {
  it('detects TLS from the protocol, whatever its case', () => {
    expect(parseRedisUrl(url).tls).toBe(true);
    expect(parseRedisUrl('REDISS://cache:6380').tls).toBe(true);
    expect(parseRedisUrl('redis://cache:6379').tls).toBe(false);
  });

  it('knows the URL and both forms of its credentials as secrets', () => {
    expect(parseRedisUrl(url).secrets).toEqual(
      expect.arrayContaining([url, password, encodeURIComponent(password), 'hub-user']),
    );
  });

  it.each(['https://cache:6379', 'cache:6379', 'redis://', `redis://:${encodeURIComponent(password)}@`])(
    'rejects %j without repeating it',
    (bad) => {
      expect(() => parseRedisUrl(bad)).toThrow(
        'Redis URL must be redis://host:port or rediss://host:port (value not shown)',
      );
    },
  );
});

describe('describeError', () => {
  it('cuts every secret out of the message and keeps the code', () => {
    const { secrets } = parseRedisUrl(url);
    const error = Object.assign(new Error(`cannot reach ${url} as hub-user with ${password}`), { code: 'ECONNRESET' });
    const fields = describeError(error, secrets);
    expect(fields).toEqual({
      code: 'ECONNRESET',
      errorName: 'Error',
      reason: 'cannot reach [hidden] as [hidden] with [hidden]',
    });
  });

  it('names an empty-message AggregateError (refused dual-stack connect) by its code', () => {
    const error = Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' });
    expect(describeError(error, [])).toEqual({
      code: 'ECONNREFUSED',
      errorName: 'AggregateError',
      reason: 'connection failed',
    });
  });
});

describe('escapeGlob', () => {
  it('escapes the glob characters Redis MATCH understands, and nothing else', () => {
    expect(escapeGlob('hub:')).toBe('hub:');
    expect(escapeGlob('a*b?c[d]e\\f')).toBe('a\\*b\\?c\\[d\\]e\\\\f');
  });
});

describe('createRedis argument checks (before any connection)', () => {
  it('refuses a bad URL, name or prefix without echoing the URL', () => {
    const base = { url: 'redis://127.0.0.1:6379', keyPrefix: 'hub:', connectionName: 'svc', logger: silent };
    expect(() => createRedis({ ...base, url: `http://user:${password}@cache` })).toThrow(/value not shown/);
    expect(() => createRedis({ ...base, connectionName: 'has space' })).toThrow(RangeError);
    expect(() => createRedis({ ...base, keyPrefix: 'x'.repeat(129) })).toThrow(RangeError);
  });
});
