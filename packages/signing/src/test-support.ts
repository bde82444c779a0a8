// Shared by this package's tests only (not exported from index.ts).
import { createHash, createHmac, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function b64(value: string | Buffer | object): string {
  const bytes = typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value);
  return Buffer.from(bytes).toString('base64url');
}

export interface TestKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** The private JWK with kid, as the hub's key file holds it. */
  readonly privateJwk: Record<string, string>;
  readonly publicJwk: Record<string, string>;
}

export function ecKeyPair(kid: string): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return withJwks(privateKey, publicKey, kid);
}

export function rsaKeyPair(kid: string, modulusLength = 2048): TestKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return withJwks(privateKey, publicKey, kid);
}

function withJwks(privateKey: KeyObject, publicKey: KeyObject, kid: string): TestKeyPair {
  const privateJwk = { ...(privateKey.export({ format: 'jwk' }) as Record<string, string>), kid };
  const publicJwk = { ...(publicKey.export({ format: 'jwk' }) as Record<string, string>), kid };
  return { privateKey, publicKey, privateJwk, publicJwk };
}

/** Signs by hand, so tests can forge what node-jose would refuse to produce. */
export function handSign(header: object, payload: object | string, key: KeyObject): string {
  const input = `${b64(header)}.${b64(typeof payload === 'string' ? payload : JSON.stringify(payload))}`;
  const signature =
    key.asymmetricKeyType === 'ec'
      ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : cryptoSign('sha512', Buffer.from(input), key);
  return `${input}.${b64(signature)}`;
}

/** `alg: none`: no signature at all. */
export function unsignedToken(header: object, payload: object): string {
  return `${b64(header)}.${b64(payload)}.`;
}

/** The confusion attack: HS256 with the (public!) key bytes as the HMAC secret. */
export function hmacToken(header: object, payload: object, secret: string | Buffer): string {
  const input = `${b64(header)}.${b64(payload)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/** RFC 7638 §3.2 thumbprint of an EC key, computed independently of node-jose. */
export function ecThumbprint(jwk: { crv: string; x: string; y: string }): string {
  const canonical = JSON.stringify({ crv: jwk.crv, kty: 'EC', x: jwk.x, y: jwk.y });
  return createHash('sha256').update(canonical).digest('base64url');
}

export interface TempDir {
  readonly path: string;
  file(name: string, content: unknown): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), 'hub-signing-'));
  return {
    path,
    async file(name, content) {
      const file = join(path, name);
      await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}
