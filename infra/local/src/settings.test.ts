import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_PORTS,
  localAddresses,
  localHubEnv,
  PORT_VARIABLES,
  readSettings,
  REPO_ROOT,
  type PortName,
} from './settings.ts';

const MOVED = {
  LOCAL_KAFKA_PORT: '19092',
  LOCAL_KAFKA_CONTROLLER_PORT: '19093',
  LOCAL_REDIS_PORT: '16380',
  LOCAL_POSTGRES_PORT: '15433',
  LOCAL_HUB_PORT: '18080',
  LOCAL_DATA_DIR: '/tmp/a-data-dir',
};

/** `text` names `port` as a whole number (19092 does not name 9092). */
const names = (text: string, port: number | string) => new RegExp(`(^|\\D)${port}(\\D|$)`).test(text);

/** Every address the ./hub commands use, flattened: what must follow the variables. */
function everyAddress(env: NodeJS.ProcessEnv): Record<string, string> {
  const settings = readSettings(env);
  const { kafkaBrokers, kafkaControllers, ...addresses } = localAddresses(settings);
  return {
    ...addresses,
    kafkaBrokers: kafkaBrokers.join(','),
    kafkaControllers: kafkaControllers.join(','),
    ...localHubEnv(settings),
    dataDir: settings.dataDir,
  };
}

describe('readSettings, localAddresses and localHubEnv: the one place addresses come from', () => {
  it('defaults to the documented ports and .data/local', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({
      kafkaPort: 9092,
      kafkaControllerPort: 9093,
      redisPort: 6380,
      postgresPort: 5433,
      hubPort: 8080,
    });
    expect(settings.dataDir).toBe(path.join(REPO_ROOT, '.data/local'));
    expect(readSettings({ LOCAL_KAFKA_PORT: '', LOCAL_DATA_DIR: '' })).toEqual(settings);
  });

  it('moves every address, the hub env and the data dir with the variables', () => {
    const settings = readSettings(MOVED);
    expect(localAddresses(settings)).toEqual({
      kafkaBrokers: ['127.0.0.1:19092'],
      kafkaControllers: ['127.0.0.1:19093'],
      redisUrl: 'redis://127.0.0.1:16380',
      postgresUrl: 'postgres://hub@127.0.0.1:15433/hub',
      hubUrl: 'http://127.0.0.1:18080',
      tokenUrl: 'http://127.0.0.1:18080/oauth2/token',
    });
    expect(localHubEnv(settings)).toEqual({
      KAFKA_BROKERS: '127.0.0.1:19092',
      KAFKA_DURABILITY: 'local',
      REDIS_URL: 'redis://127.0.0.1:16380',
      POSTGRES_URL: 'postgres://hub@127.0.0.1:15433/hub',
      HTTP_PORT: '18080',
      HUB_TOKEN_URL: 'http://127.0.0.1:18080/oauth2/token',
    });
    expect(settings.dataDir).toBe('/tmp/a-data-dir');
    // Nothing derived from the moved settings still names a default port.
    for (const value of Object.values(everyAddress(MOVED))) {
      for (const port of Object.values(DEFAULT_PORTS)) expect(names(value, port), `${value} names ${port}`).toBe(false);
    }
  });

  it.each(Object.keys(PORT_VARIABLES) as PortName[])('%s moves exactly the addresses on that port', (name) => {
    const variable = PORT_VARIABLES[name];
    const before = everyAddress({});
    const after = everyAddress({ [variable]: '23456' });
    const changed = Object.keys(before).filter((key) => before[key] !== after[key]);
    expect(changed.length).toBeGreaterThan(0);
    for (const key of changed) {
      expect(names(after[key] ?? '', 23456)).toBe(true);
      expect(names(before[key] ?? '', DEFAULT_PORTS[name])).toBe(true);
    }
    for (const key of Object.keys(before).filter((k) => !changed.includes(k))) {
      expect(names(before[key] ?? '', DEFAULT_PORTS[name]), `${key} keeps the default port`).toBe(false);
    }
  });

  it('with LOCAL_KAFKA_BROKERS=3, three nodes 10 ports apart from the first, and the production durability', () => {
    const settings = readSettings({ ...MOVED, LOCAL_KAFKA_BROKERS: '3' });
    expect(settings.kafkaNodes).toBe(3);
    expect(localAddresses(settings)).toMatchObject({
      kafkaBrokers: ['127.0.0.1:19092', '127.0.0.1:19102', '127.0.0.1:19112'],
      kafkaControllers: ['127.0.0.1:19093', '127.0.0.1:19103', '127.0.0.1:19113'],
    });
    expect(localHubEnv(settings)).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:19092,127.0.0.1:19102,127.0.0.1:19112',
      KAFKA_DURABILITY: 'production',
    });
    expect(readSettings({}).kafkaNodes).toBe(1);
  });

  it('refuses a Kafka node count other than 1 or 3, and nodes on a port another part has', () => {
    expect(() => readSettings({ LOCAL_KAFKA_BROKERS: '2' })).toThrow('LOCAL_KAFKA_BROKERS must be one of 1, 3');
    expect(() => readSettings({ LOCAL_KAFKA_BROKERS: '3', LOCAL_REDIS_PORT: '9102' })).toThrow(
      /with LOCAL_KAFKA_BROKERS=3, Kafka node n listens on LOCAL_KAFKA_PORT/,
    );
    expect(() => readSettings({ LOCAL_KAFKA_BROKERS: '3', LOCAL_KAFKA_PORT: '65530' })).toThrow(/must be valid/);
  });

  it('lists every bad value at once, naming its variable', () => {
    expect(() =>
      readSettings({ LOCAL_REDIS_PORT: 'not-a-port', LOCAL_HUB_PORT: '80', LOCAL_KAFKA_PORT: '70000' }),
    ).toThrow(
      [
        'infra/local settings:',
        '  - LOCAL_KAFKA_PORT must be a port between 1024 and 65535',
        '  - LOCAL_REDIS_PORT must be a port between 1024 and 65535',
        '  - LOCAL_HUB_PORT must be a port between 1024 and 65535',
      ].join('\n'),
    );
  });

  it('refuses two parts on one port, the hub included', () => {
    expect(() => readSettings({ LOCAL_HUB_PORT: '9092' })).toThrow(
      'LOCAL_KAFKA_PORT, LOCAL_KAFKA_CONTROLLER_PORT, LOCAL_REDIS_PORT, LOCAL_POSTGRES_PORT, LOCAL_HUB_PORT must all differ',
    );
  });
});
