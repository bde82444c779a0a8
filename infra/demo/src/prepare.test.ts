import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSettings } from '@hub/infra-local/settings';
import { afterAll, describe, expect, it } from 'vitest';
import { demoFiles } from './paths.ts';
import { prepareDemo } from './prepare.ts';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hub-demo-'));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function envFile(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  return Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
}

describe('prepareDemo (./hub start runs it through setup.ts)', () => {
  it('writes the hub env file with the moved ports, and keeps the client keys across runs', () => {
    const files = demoFiles(dir);
    const moved = readSettings({
      LOCAL_KAFKA_PORT: '19092',
      LOCAL_KAFKA_CONTROLLER_PORT: '19093',
      LOCAL_REDIS_PORT: '16380',
      LOCAL_POSTGRES_PORT: '15433',
      LOCAL_HUB_PORT: '18080',
    });
    prepareDemo(files, moved);
    expect(envFile(files.env)).toEqual({
      HUB_CLIENTS_FILE: files.registry,
      HUB_SIGNING_KEYS_FILE: files.hubKeys,
      HUB_SIGNING_KEYS_GENERATE: 'true',
      KAFKA_BROKERS: '127.0.0.1:19092',
      REDIS_URL: 'redis://127.0.0.1:16380',
      POSTGRES_URL: 'postgres://hub@127.0.0.1:15433/hub',
      HTTP_PORT: '18080',
      HUB_TOKEN_URL: 'http://127.0.0.1:18080/oauth2/token',
    });
    const key = readFileSync(files.clientKey('gp-l85901'), 'utf8');

    // A later start on the default ports rewrites the env file and keeps every key.
    prepareDemo(files, readSettings({}));
    expect(envFile(files.env)).toMatchObject({
      KAFKA_BROKERS: '127.0.0.1:9092',
      REDIS_URL: 'redis://127.0.0.1:6380',
      HTTP_PORT: '8080',
      HUB_TOKEN_URL: 'http://127.0.0.1:8080/oauth2/token',
    });
    expect(readFileSync(files.clientKey('gp-l85901'), 'utf8')).toBe(key);
    const registry = JSON.parse(readFileSync(files.registry, 'utf8')) as { clients: { jwks: { keys: object[] } }[] };
    for (const client of registry.clients) expect(JSON.stringify(client.jwks)).not.toContain('"d"');
  });
});
