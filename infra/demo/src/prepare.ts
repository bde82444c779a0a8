import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hashPasswordSync } from '@hub/console/accounts';
import { localHubEnv, type LocalStackSettings } from '@hub/infra-local/settings';
import { DEMO_CLIENTS } from './clients.ts';
import type { DemoFiles } from './paths.ts';
import { prepareDemoWitness } from './witness.ts';

type Jwk = Record<string, string>;

function thumbprint(jwk: Jwk): string {
  // RFC 7638 for EC keys: the required members in lexicographic order.
  const canonical = JSON.stringify({ crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'], y: jwk['y'] });
  return createHash('sha256').update(canonical).digest('base64url');
}

function ensureClientKey(file: string): Jwk {
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as Jwk;
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = privateKey.export({ format: 'jwk' }) as Jwk;
  const withKid = { ...jwk, kid: thumbprint(jwk), alg: 'ES256', use: 'sig' };
  writeFileSync(file, JSON.stringify(withKid, null, 2), { mode: 0o600 });
  return withKid;
}

function publicPart(jwk: Jwk): Jwk {
  const { d: _private, ...rest } = jwk;
  return rest;
}

/**
 * The hub's env file for `./hub start`: the demo's registry and keys, and the local stack's addresses from
 * infra/local (so LOCAL_KAFKA_PORT, LOCAL_REDIS_PORT and LOCAL_HUB_PORT move the hub with the stack).
 */
export function hubEnvFile(files: DemoFiles, settings: LocalStackSettings, auditWitnesses: string): string {
  const local = localHubEnv(settings);
  const lines = Object.entries({
    HUB_CLIENTS_FILE: files.registry,
    HUB_SIGNING_KEYS_FILE: files.hubKeys,
    HUB_SIGNING_KEYS_GENERATE: 'true',
    ...local,
    CONSOLE_ACCOUNTS_FILE: files.consoleAccounts,
    CONSOLE_PUBLIC_URL: new URL(local.HUB_TOKEN_URL).origin,
    AUDIT_WITNESSES: auditWitnesses,
  }).map(([key, value]) => `${key}=${value}`);
  return `${lines.join('\n')}\n`;
}

/** The demo's IG officer: Somerset's area, signing in to the console with a password. */
export const DEMO_CONSOLE_OFFICER = {
  id: 'ig-demo-somerset',
  displayName: 'Somerset IG officer (demo)',
  role: 'ig-officer',
  organisation: 'E06000066',
  username: 'somerset.ig',
} as const;

/**
 * The console's accounts file with the demo officer, once: the password is made at random (never a default anyone
 * could guess on a machine left running) and kept beside it, mode 0600, for the person running the demo to read.
 */
function ensureConsoleAccounts(files: DemoFiles): void {
  if (existsSync(files.consoleAccounts)) return;
  const password = randomBytes(15).toString('base64url');
  writeFileSync(files.consolePassword, `${password}\n`, { mode: 0o600 });
  const accounts = [{ ...DEMO_CONSOLE_OFFICER, passwordHash: hashPasswordSync(password) }];
  writeFileSync(files.consoleAccounts, `${JSON.stringify({ accounts }, null, 2)}\n`, { mode: 0o600 });
}

/**
 * A key pair per demo client (private halves stay in `<dir>/clients`), the client registry with their public keys,
 * the demo witness (witness.ts) and the hub's env file. Idempotent: keys that exist are kept, so tokens and registered keys stay valid across
 * restarts; the env file is rewritten every time, so it follows the ports of the latest start.
 */
export function prepareDemo(files: DemoFiles, settings: LocalStackSettings): void {
  mkdirSync(`${files.dir}/clients`, { recursive: true, mode: 0o700 });
  const clients = DEMO_CLIENTS.map((client) => ({
    ...client,
    jwks: { keys: [publicPart(ensureClientKey(files.clientKey(client.clientId)))] },
  }));
  writeFileSync(files.registry, JSON.stringify({ clients }, null, 2), { mode: 0o600 });
  ensureConsoleAccounts(files);
  writeFileSync(files.env, hubEnvFile(files, settings, prepareDemoWitness(files, settings)));
}
