/**
 * Prepares the demo on this machine, once: a key pair per demo client (private halves stay in .data/demo/clients),
 * the client registry with their public keys, and the env file `./hub start` runs the hub with. Idempotent: keys
 * that exist are kept, so tokens and registered keys stay valid across restarts.
 */
import { generateKeyPairSync, createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { DEMO_CLIENTS } from './clients.ts';
import { DEFAULT_HUB_URL, DEMO_DIR, DEMO_FILES } from './paths.ts';

type Jwk = Record<string, string>;

function thumbprint(jwk: Jwk): string {
  // RFC 7638 for EC keys: the required members in lexicographic order.
  const canonical = JSON.stringify({ crv: jwk['crv'], kty: jwk['kty'], x: jwk['x'], y: jwk['y'] });
  return createHash('sha256').update(canonical).digest('base64url');
}

function ensureClientKey(clientId: string): Jwk {
  const file = DEMO_FILES.clientKey(clientId);
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

mkdirSync(`${DEMO_DIR}/clients`, { recursive: true, mode: 0o700 });
const clients = DEMO_CLIENTS.map((client) => ({
  ...client,
  jwks: { keys: [publicPart(ensureClientKey(client.clientId))] },
}));
writeFileSync(DEMO_FILES.registry, JSON.stringify({ clients }, null, 2), { mode: 0o600 });
writeFileSync(
  DEMO_FILES.env,
  [
    `HUB_CLIENTS_FILE=${DEMO_FILES.registry}`,
    `HUB_SIGNING_KEYS_FILE=${DEMO_FILES.hubKeys}`,
    'HUB_SIGNING_KEYS_GENERATE=true',
    `HUB_TOKEN_URL=${DEFAULT_HUB_URL}/oauth2/token`,
    '',
  ].join('\n'),
);
process.stdout.write(`demo clients ready in ${DEMO_DIR}: ${DEMO_CLIENTS.map((c) => c.clientId).join(', ')}\n`);
