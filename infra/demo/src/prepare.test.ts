import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileAccounts } from '@hub/console/accounts';
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
      KAFKA_DURABILITY: 'local',
      REDIS_URL: 'redis://127.0.0.1:16380',
      POSTGRES_URL: 'postgres://hub@127.0.0.1:15433/hub',
      HTTP_PORT: '18080',
      HUB_TOKEN_URL: 'http://127.0.0.1:18080/oauth2/token',
      CONSOLE_ACCOUNTS_FILE: files.consoleAccounts,
      CONSOLE_PUBLIC_URL: 'http://127.0.0.1:18080',
      AUDIT_WITNESSES: `http://127.0.0.1:18090 ${readFileSync(`${files.witnessKey}.vkey`, 'utf8').trim()}`,
    });
    expect(envFile(files.witnessEnv)).toMatchObject({ WITNESS_PORT: '18090', WITNESS_STATE_FILE: files.witnessState });
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
    expect(envFile(files.env)['AUDIT_WITNESSES']).toMatch(/^http:\/\/127\.0\.0\.1:8090 witness\.localhost\/demo\+/);
    const registry = JSON.parse(readFileSync(files.registry, 'utf8')) as { clients: { jwks: { keys: object[] } }[] };
    for (const client of registry.clients) expect(JSON.stringify(client.jwks)).not.toContain('"d"');
  });

  it('makes the witness and the log key once (0600), the witness knowing the log by its key', () => {
    const files = demoFiles(dir);
    prepareDemo(files, readSettings({}));
    const [witnessKey, logKey] = [files.witnessKey, files.auditLogKey].map((file) => readFileSync(file, 'utf8'));
    for (const file of [files.witnessKey, files.auditLogKey]) expect(statSync(file).mode & 0o777).toBe(0o600);
    const logVkey = readFileSync(files.witnessLogs, 'utf8').trim().split('\n').at(-1);
    expect(logVkey).toMatch(/^safeguarding-hub\.invalid\/audit safeguarding-hub\.invalid\/audit\+[0-9a-f]{8}\+/);
    prepareDemo(files, readSettings({}));
    expect([files.witnessKey, files.auditLogKey].map((file) => readFileSync(file, 'utf8'))).toEqual([
      witnessKey,
      logKey,
    ]);
    expect(readFileSync(files.witnessLogs, 'utf8').trim().split('\n').at(-1)).toBe(logVkey);
  });

  it('makes the console officer once, with a random password kept beside the accounts (0600), hashed in them', async () => {
    const files = demoFiles(dir);
    prepareDemo(files, readSettings({}));
    const password = readFileSync(files.consolePassword, 'utf8').trim();
    expect(password).toMatch(/^[A-Za-z0-9_-]{20}$/);
    expect(statSync(files.consolePassword).mode & 0o777).toBe(0o600);
    expect(statSync(files.consoleAccounts).mode & 0o777).toBe(0o600);
    expect(readFileSync(files.consoleAccounts, 'utf8')).not.toContain(password);
    const officer = await fileAccounts(files.consoleAccounts).checkPassword('somerset.ig', password);
    expect(officer).toMatchObject({ id: 'ig-demo-somerset', role: 'ig-officer', organisation: 'E06000066' });
    // Kept across starts: the same password signs in after the next one.
    prepareDemo(files, readSettings({}));
    expect(readFileSync(files.consolePassword, 'utf8').trim()).toBe(password);
  });
});
