/*
 * Test helpers for any package's tests: `import { ... } from '@hub/auth/testing'`. Not exported from index.ts and
 * never used by production code. They build real clients with real key pairs and real registry files, and sign
 * assertions by hand (node:crypto) so tests can also forge what a correct client never sends: wrong aud, expired,
 * reused jti, alg none, HS256 keyed with the public key.
 */
import { createHmac, generateKeyPairSync, randomUUID, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClientRole } from '@hub/contracts';
import type { HttpServer } from '@hub/http';
import { createKeyStore, type HubKeyStore } from '@hub/signing';
import { DEFAULT_TOKEN_PATH } from './auth.ts';
import { CLIENT_ASSERTION_TYPE, GRANT_TYPE } from './token-endpoint.ts';

export type TestClientAlgorithm = 'ES256' | 'RS512';

export interface TestClient {
  readonly clientId: string;
  readonly role: ClientRole;
  readonly organisation: string;
  readonly alg: TestClientAlgorithm;
  readonly kid: string;
  /** The client's private key: only the client (the test) holds it. */
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Its registry entry, ready for writeClientRegistry. */
  readonly entry: {
    readonly clientId: string;
    readonly role: ClientRole;
    readonly organisation: string;
    readonly jwks: { readonly keys: readonly Record<string, string>[] };
  };
}

export interface TestClientOptions {
  readonly role: ClientRole;
  readonly organisation: string;
  /** Default a fresh `test-<role>-<random>`. */
  readonly clientId?: string;
  /** Default ES256 (fast); RS512 makes a 2048-bit RSA key. */
  readonly alg?: TestClientAlgorithm;
  readonly kid?: string;
}

/** A client with its own new key pair, registered with its public key only. */
export function createTestClient(options: TestClientOptions): TestClient {
  const alg = options.alg ?? 'ES256';
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = options.kid ?? `kid-${randomUUID()}`;
  const clientId = options.clientId ?? `test-${options.role}-${randomUUID().slice(0, 8)}`;
  const publicJwk = { ...(pair.publicKey.export({ format: 'jwk' }) as Record<string, string>), kid, alg, use: 'sig' };
  return {
    clientId,
    role: options.role,
    organisation: options.organisation,
    alg,
    kid,
    privateKey: pair.privateKey,
    publicKey: pair.publicKey,
    entry: { clientId, role: options.role, organisation: options.organisation, jwks: { keys: [publicJwk] } },
  };
}

export interface TempDir {
  readonly path: string;
  remove(): Promise<void>;
}

export async function createTempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'hub-auth-'));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** Writes `{ clients: [...] }` (test clients' entries, or any raw objects for negative tests); returns the path. */
export async function writeClientRegistry(
  dir: string,
  clients: readonly (TestClient | object)[],
  name = 'clients.json',
): Promise<string> {
  const file = join(dir, name);
  const entries = clients.map((client) => ('entry' in client ? client.entry : client));
  await writeFile(file, JSON.stringify({ clients: entries }, null, 2), { mode: 0o600 });
  return file;
}

/** The hub's key store for a test: one ES256 key generated in `dir`. */
export function createTestKeyStore(dir: string): Promise<HubKeyStore> {
  return createKeyStore({ file: join(dir, 'hub-signing-keys.json'), generateIfMissing: true });
}

/** What a correct client sends: iss = sub = client id, aud = token URL, a fresh jti, exp 4 minutes ahead, iat now. */
export function defaultAssertionClaims(
  client: TestClient,
  tokenUrl: string,
  nowMs: number = Date.now(),
): Record<string, unknown> {
  const now = Math.floor(nowMs / 1000);
  return { iss: client.clientId, sub: client.clientId, aud: tokenUrl, jti: randomUUID(), iat: now, exp: now + 240 };
}

export interface AssertionOptions {
  /** Merged over defaultAssertionClaims; a value of `undefined` removes that claim. */
  readonly claims?: Readonly<Record<string, unknown>>;
  /** Merged over `{ alg: client.alg, kid: client.kid, typ: 'JWT' }`; `undefined` removes a member. */
  readonly header?: Readonly<Record<string, unknown>>;
  /**
   * How to sign: the client's own key (default); `none` (empty signature, for `alg: none`); `hmac-public-key`
   * (HS256 keyed with the client's public key PEM: the algorithm-confusion attack); or another private key.
   */
  readonly signWith?: 'client-key' | 'none' | 'hmac-public-key' | KeyObject;
  /** Milliseconds since the epoch for the default claims; default Date.now(). */
  readonly now?: number;
}

function b64(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

function merged(base: Record<string, unknown>, overrides: Readonly<Record<string, unknown>> = {}): object {
  const result: Record<string, unknown> = { ...base };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) Reflect.deleteProperty(result, name);
    else result[name] = value;
  }
  return result;
}

/** A client assertion (compact JWS), by hand, with whatever claims, header and signature the test asks for. */
export function signClientAssertion(client: TestClient, tokenUrl: string, options: AssertionOptions = {}): string {
  const signWith = options.signWith ?? 'client-key';
  const baseHeader = {
    alg: signWith === 'none' ? 'none' : signWith === 'hmac-public-key' ? 'HS256' : client.alg,
    kid: client.kid,
    typ: 'JWT',
  };
  const header = merged(baseHeader, options.header);
  const payload = merged(defaultAssertionClaims(client, tokenUrl, options.now), options.claims);
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
  if (signWith === 'none') return `${input}.`;
  if (signWith === 'hmac-public-key') {
    const secret = client.publicKey.export({ type: 'spki', format: 'pem' });
    return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
  }
  const key = signWith === 'client-key' ? client.privateKey : signWith;
  const signature =
    key.asymmetricKeyType === 'ec'
      ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : cryptoSign('sha512', Buffer.from(input), key);
  return `${input}.${b64(signature)}`;
}

/** The form body of a token request; `overrides` replace or (with `undefined`) drop parameters. */
export function tokenRequestBody(
  assertion: string,
  overrides: Readonly<Record<string, string | undefined>> = {},
): string {
  const parameters = merged(
    { grant_type: GRANT_TYPE, client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion },
    overrides,
  ) as Record<string, string>;
  return new URLSearchParams(parameters).toString();
}

export interface TokenRequestOptions {
  readonly tokenUrl: string;
  readonly tokenPath?: string;
  readonly assertion?: AssertionOptions;
}

/** POSTs a token request through the real endpoint (app.inject) and returns the response. */
export function postTokenRequest(app: HttpServer, body: string, tokenPath = DEFAULT_TOKEN_PATH) {
  return app.inject({
    method: 'POST',
    url: tokenPath,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: body,
  });
}

/** An access token for `client`, through the real token endpoint. Throws when the endpoint refuses. */
export async function requestAccessToken(
  app: HttpServer,
  client: TestClient,
  options: TokenRequestOptions,
): Promise<string> {
  const assertion = signClientAssertion(client, options.tokenUrl, options.assertion);
  const response = await postTokenRequest(app, tokenRequestBody(assertion), options.tokenPath);
  if (response.statusCode !== 200) {
    throw new Error(`token endpoint answered ${response.statusCode}: ${response.body}`);
  }
  const body = response.json<{ access_token?: unknown }>();
  if (typeof body.access_token !== 'string') throw new Error('token endpoint answered without access_token');
  return body.access_token;
}
