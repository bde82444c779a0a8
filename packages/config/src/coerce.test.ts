import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import {
  booleanString,
  commaList,
  existingPath,
  hostName,
  hostPort,
  httpEnv,
  intInRange,
  kafkaEnv,
  logEnv,
  redisEnv,
  urlString,
} from './index.ts';

function accepts<T>(schema: z.ZodType<T>, raw: string): T {
  const result = schema.safeParse(raw);
  if (!result.success) throw new Error(`expected ${JSON.stringify(raw)} to be accepted: ${result.error.message}`);
  return result.data;
}

function rejects(schema: z.ZodType, raw: string): string[] {
  const result = schema.safeParse(raw);
  if (result.success) throw new Error(`expected ${JSON.stringify(raw)} to be rejected`);
  return result.error.issues.map((i) => i.message);
}

describe('intInRange', () => {
  const port = intInRange(0, 65_535);

  it('accepts plain decimal integers within the range, inclusive', () => {
    expect(accepts(port, '8080')).toBe(8080);
    expect(accepts(port, '0')).toBe(0);
    expect(accepts(port, '65535')).toBe(65_535);
    expect(accepts(intInRange(-5, 5), '-5')).toBe(-5);
  });

  it.each(['8080abc', '80.0', '1e3', '0x1f90', ' 8080', '8080 ', '+8080', '-1', '65536', '', '99999999999999999999'])(
    'rejects %j',
    (raw) => {
      expect(rejects(port, raw)).toEqual(['must be a whole number from 0 to 65535']);
    },
  );

  it('refuses a nonsensical range when the schema is declared', () => {
    expect(() => intInRange(10, 1)).toThrow(RangeError);
  });
});

describe('booleanString', () => {
  it("accepts exactly 'true' and 'false'", () => {
    expect(accepts(booleanString(), 'true')).toBe(true);
    expect(accepts(booleanString(), 'false')).toBe(false);
  });

  it.each(['yes', 'no', '1', '0', 'TRUE', 'False', 'on', ' true'])('rejects %j', (raw) => {
    expect(rejects(booleanString(), raw)).toEqual(["must be 'true' or 'false'"]);
  });
});

describe('commaList', () => {
  it('splits, trims and parses each item', () => {
    expect(accepts(commaList(intInRange(1, 9), { maxItems: 3 }), '1, 2 ,3')).toEqual([1, 2, 3]);
  });

  it('enforces maxItems', () => {
    expect(rejects(commaList(hostPort(), { maxItems: 2 }), 'a:1,b:2,c:3')).toEqual([
      'must have at most 2 comma-separated items',
    ]);
  });
});

describe('hostPort and hostName', () => {
  it.each(['kafka:19092', '127.0.0.1:9092', 'broker-1.internal.example:9092', '[::1]:9092'])('accepts %j', (raw) => {
    expect(accepts(hostPort(), raw)).toBe(raw);
  });

  it.each(['kafka', 'kafka:', ':9092', 'kafka:0', 'kafka:65536', 'kafka:90a', 'ka fka:9092', 'a:b:9092', '-x:1'])(
    'hostPort rejects %j',
    (raw) => {
      expect(rejects(hostPort(), raw)).toEqual(['must be host:port with a port from 1 to 65535']);
    },
  );

  it('hostName accepts names and addresses, rejects the rest', () => {
    for (const ok of ['0.0.0.0', 'localhost', '::', 'api.example.nhs.uk']) expect(accepts(hostName(), ok)).toBe(ok);
    for (const bad of ['', 'a b', 'host:80', '..', 'x_y']) {
      expect(rejects(hostName(), bad)).toEqual(['must be a host name or an IP address']);
    }
  });
});

describe('urlString', () => {
  const redisUrl = urlString({ protocols: ['redis:', 'rediss:'] });

  it('accepts allowed protocols and keeps the string as given', () => {
    expect(accepts(redisUrl, 'redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(accepts(redisUrl, 'rediss://user:pw@cache.example:6380/2')).toBe('rediss://user:pw@cache.example:6380/2');
  });

  it.each(['http://cache:6379', 'cache:6379', 'redis://', 'not a url', `redis://${'a'.repeat(2050)}`])(
    'rejects %j',
    (raw) => {
      expect(rejects(redisUrl, raw)).toEqual(['must be a URL starting with redis:// or rediss://']);
    },
  );
});

describe('existingPath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
  const file = join(dir, 'key.pem');
  writeFileSync(file, 'not really a key');
  mkdirSync(join(dir, 'sub'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('accepts a file that exists and keeps the path', () => {
    expect(accepts(existingPath(), file)).toBe(file);
    expect(accepts(existingPath('directory'), dir)).toBe(dir);
  });

  it('rejects a missing file, a directory given for a file, and a path through a file', () => {
    const message = 'must be the path of an existing, accessible file';
    expect(rejects(existingPath(), join(dir, 'missing.pem'))).toEqual([message]);
    expect(rejects(existingPath(), join(dir, 'sub'))).toEqual([message]);
    expect(rejects(existingPath(), join(file, 'child'))).toEqual([message]);
    expect(rejects(existingPath('directory'), file)).toEqual(['must be the path of an existing, accessible directory']);
  });
});

describe('env pieces', () => {
  it('reject values outside their limits', () => {
    expect(rejects(httpEnv.shape.HTTP_BODY_LIMIT_BYTES, String(10 * 1024 * 1024 + 1))).toEqual([
      'must be a whole number from 1 to 10485760',
    ]);
    expect(rejects(logEnv.shape.LOG_LEVEL, 'verbose')).toEqual([
      'must be one of fatal, error, warn, info, debug, trace, silent',
    ]);
    expect(rejects(redisEnv.shape.REDIS_KEY_PREFIX, 'hub:*')).toHaveLength(1);
    expect(rejects(kafkaEnv.shape.KAFKA_TOPIC_NAMESPACE, 'dev/')).toHaveLength(1);
    expect(rejects(kafkaEnv.shape.KAFKA_CLIENT_ID, 'x'.repeat(101))).toHaveLength(1);
  });
});
