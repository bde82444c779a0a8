import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, booleanString, httpEnv, kafkaEnv, loadConfig, logEnv, redisEnv } from './index.ts';

const serviceEnv = kafkaEnv
  .extend(redisEnv.shape)
  .extend(httpEnv.shape)
  .extend(logEnv.shape)
  .extend({ FEATURE_X: booleanString().default(false) });

function problemsOf(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies every default when nothing is set', () => {
    expect(loadConfig(serviceEnv, {})).toEqual({
      KAFKA_BROKERS: ['127.0.0.1:9092'],
      KAFKA_CLIENT_ID: 'hub',
      KAFKA_TOPIC_NAMESPACE: '',
      KAFKA_INSTANCE_NAME: 'hub-1',
      KAFKA_DURABILITY: 'local',
      KAFKA_SSL: false,
      REDIS_URL: 'redis://127.0.0.1:6380',
      REDIS_KEY_PREFIX: 'hub:',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: 8080,
      HTTP_BODY_LIMIT_BYTES: 1_048_576,
      LOG_LEVEL: 'info',
      FEATURE_X: false,
    });
  });

  it('treats an empty value as unset, so the default applies', () => {
    expect(loadConfig(httpEnv, { HTTP_PORT: '', HTTP_HOST: '' })).toMatchObject({
      HTTP_PORT: 8080,
      HTTP_HOST: '127.0.0.1',
    });
  });

  it('parses and coerces set values, and reads only the keys the schema declares', () => {
    const config = loadConfig(serviceEnv, {
      KAFKA_BROKERS: 'kafka-1:19092, kafka-2:19092',
      HTTP_PORT: '0',
      FEATURE_X: 'true',
      LOG_LEVEL: 'debug',
      UNRELATED: 'x',
    });
    expect(config.KAFKA_BROKERS).toEqual(['kafka-1:19092', 'kafka-2:19092']);
    expect(config.HTTP_PORT).toBe(0);
    expect(config.FEATURE_X).toBe(true);
    expect(config.LOG_LEVEL).toBe('debug');
    expect(Object.keys(config)).not.toContain('UNRELATED');
  });

  it('lists every problem at once, one per line, naming each variable', () => {
    const error = problemsOf(() => loadConfig(serviceEnv, { HTTP_PORT: '8080abc', REDIS_URL: 'http://cache:6379' }));
    expect(error.problems.map((p) => p.variable)).toEqual(['REDIS_URL', 'HTTP_PORT']);
    expect(error.message.split('\n')).toEqual([
      'Invalid configuration (2 problems):',
      '  REDIS_URL: must be a URL starting with redis:// or rediss://',
      '  HTTP_PORT: must be a whole number from 0 to 65535',
    ]);
  });

  it('names a required variable that is missing', () => {
    const schema = z.object({ SIGNING_KEY_PATH: z.string(), HTTP_PORT: httpEnv.shape.HTTP_PORT });
    const error = problemsOf(() => loadConfig(schema, {}));
    expect(error.problems).toEqual([{ variable: 'SIGNING_KEY_PATH', problem: 'is required' }]);
  });

  it('reports each bad broker in a list, numbered', () => {
    const error = problemsOf(() => loadConfig(kafkaEnv, { KAFKA_BROKERS: 'ok:9092,no-port,,bad:0' }));
    expect(error.problems).toEqual([
      { variable: 'KAFKA_BROKERS', problem: 'item 2: must be host:port with a port from 1 to 65535' },
      { variable: 'KAFKA_BROKERS', problem: 'item 3 is empty' },
      { variable: 'KAFKA_BROKERS', problem: 'item 4: must be host:port with a port from 1 to 65535' },
    ]);
  });

  it('never echoes a value, not even from a custom message that tries to', () => {
    const password = 'S3cr3t-Pa55word!';
    const url = `redis://hub:${password}@cache.internal:6379`;
    const leaky = z.object({
      API_TOKEN: z
        .string()
        .refine((v) => v.startsWith('tok_'), { error: (issue) => `bad token ${String(issue.input)}` }),
    });
    const error = problemsOf(() =>
      loadConfig(redisEnv.extend(leaky.shape).extend(httpEnv.shape), {
        REDIS_URL: url.replace('redis://', 'https://'),
        API_TOKEN: 'sk_live_Alexandra_Smithson',
        HTTP_BODY_LIMIT_BYTES: password,
      }),
    );
    expect(error.problems.map((p) => p.variable)).toEqual(['REDIS_URL', 'API_TOKEN', 'HTTP_BODY_LIMIT_BYTES']);
    for (const secret of [password, 'cache.internal', 'Alexandra', 'Smithson', 'sk_live']) {
      expect(error.message).not.toContain(secret);
      expect(JSON.stringify(error.problems)).not.toContain(secret);
    }
    expect(error.message).toContain('API_TOKEN: bad token [value hidden]');
  });

  it('returns a deeply frozen object: mutation throws in strict mode', () => {
    const config = loadConfig(kafkaEnv, { KAFKA_BROKERS: 'a:1,b:2' });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.KAFKA_BROKERS)).toBe(true);
    expect(() => {
      (config as { KAFKA_CLIENT_ID: string }).KAFKA_CLIENT_ID = 'changed';
    }).toThrow(TypeError);
    expect(() => {
      (config.KAFKA_BROKERS as string[]).push('c:3');
    }).toThrow(TypeError);
    expect(config.KAFKA_BROKERS).toEqual(['a:1', 'b:2']);
  });

  it('does not let one result share mutable state with the next', () => {
    const first = loadConfig(kafkaEnv, {});
    const second = loadConfig(kafkaEnv, {});
    expect(second.KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(first.KAFKA_BROKERS).not.toBe(second.KAFKA_BROKERS);
  });

  it('names a cross-field problem on the whole configuration', () => {
    const schema = httpEnv.refine((c) => c.HTTP_PORT !== 9999, { message: 'port 9999 is reserved' });
    const error = problemsOf(() => loadConfig(schema, { HTTP_PORT: '9999' }));
    expect(error.problems).toEqual([{ variable: '(configuration)', problem: 'port 9999 is reserved' }]);
  });

  it('lets a service override a shared default and add required keys', () => {
    // safeExtend: kafkaEnv carries rules between its keys, and zod refuses `extend` over a refined schema's keys.
    const gatewayEnv = kafkaEnv.safeExtend({
      KAFKA_CLIENT_ID: kafkaEnv.shape.KAFKA_CLIENT_ID.default('police-gateway'),
      SIGNING_KEY_PATH: z.string().min(1),
    });
    expect(loadConfig(gatewayEnv, { SIGNING_KEY_PATH: '/run/secrets/key.pem' }).KAFKA_CLIENT_ID).toBe('police-gateway');
    expect(loadConfig(gatewayEnv, { SIGNING_KEY_PATH: 'k', KAFKA_CLIENT_ID: 'x' }).KAFKA_CLIENT_ID).toBe('x');
    expect(problemsOf(() => loadConfig(gatewayEnv, {})).problems).toEqual([
      { variable: 'SIGNING_KEY_PATH', problem: 'is required' },
    ]);
  });
});
