import { createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import jose from 'node-jose';
import { z } from 'zod';
import {
  algorithmOf,
  kid as kidSchema,
  MAX_JWKS_KEYS,
  privateJwk,
  publicMembers,
  type JwsAlgorithm,
  type PrivateJwk,
  type PublicJwk,
  type PublicJwks,
} from './jwk.ts';
import { signatureOf } from './signature.ts';
import { JwsError, verifyWithJwks } from './verify.ts';

export interface CreateKeyStoreOptions {
  /** Path of the JWKS file holding the hub's private signing keys (the service reads `HUB_SIGNING_KEYS_FILE`). */
  readonly file: string;
  /**
   * Local development only: when the file does not exist, create it with one new ES256 (P-256) key whose kid is
   * its RFC 7638 thumbprint, mode 0600. Never set this in a deployed environment: keys there come from the
   * secret store, and a silently generated key would not be the one the clients trust.
   */
  readonly generateIfMissing?: boolean;
}

export interface SignOptions {
  /** The JWS `typ` header, e.g. `at+jwt` for access tokens (RFC 9068). Printable ASCII, 1 to 64 characters. */
  readonly typ: string;
}

/** The hub's signing keys: one active signer, every key published (for rotation). */
export interface HubKeyStore {
  /** kid of the key that signs. */
  readonly activeKid: string;
  /** `alg` the active key signs with. */
  readonly algorithm: JwsAlgorithm;
  /**
   * A compact JWS of `payload` (JSON) with protected header `{ alg, kid, typ }`, signed by the active key. The
   * payload is signed exactly as given: no claim (iat, exp, ...) is added; callers put in the claims they mean.
   */
  sign(payload: object, options: SignOptions): Promise<string>;
  /** Every key's public members only, active key first; the same frozen object on every call. */
  publicJwks(): PublicJwks;
}

/** A bad or missing signing keys file. `problems` lists each problem (which key, what is wrong), never key material. */
export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
    super([`Invalid signing keys file (${count}):`, ...problems.map((problem) => `  ${problem}`)].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

/** Largest accepted keys file; a JWKS of 20 RSA 4096 keys is about 70 KiB. */
export const MAX_KEY_FILE_BYTES = 1024 * 1024;
const TYP = /^[\x21-\x7e]{1,64}$/;

const keyFile = z
  .object({
    keys: z
      .array(privateJwk)
      .min(1, 'must hold at least one key')
      .max(MAX_JWKS_KEYS, `must hold at most ${MAX_JWKS_KEYS} keys`),
    /** Which key signs; default the first. */
    activeKid: kidSchema.optional(),
  })
  .strict();

/**
 * Rules across keys, checked on the raw input so they are reported together with every per-key problem (zod
 * skips object-level refinements once a member has failed).
 */
function crossKeyProblems(raw: unknown): string[] {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const keys = Array.isArray(record['keys']) ? (record['keys'] as unknown[]) : [];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  keys.forEach((key, index) => {
    const kid = typeof key === 'object' && key !== null && 'kid' in key ? key.kid : undefined;
    if (typeof kid !== 'string') return;
    const first = seen.get(kid);
    if (first === undefined) seen.set(kid, index);
    else problems.push(`keys[${index}]${kidLabel(raw, index)}.kid: duplicates keys[${first}].kid`);
  });
  const activeKid = record['activeKid'];
  if (typeof activeKid === 'string' && !seen.has(activeKid)) problems.push('activeKid: names no key in keys');
  return problems;
}

/** `keys[1] (kid "2024-07").crv`: the kid is a label an operator recognises, never key material. */
function describePath(path: readonly PropertyKey[], raw: unknown): string {
  let text = '';
  path.forEach((segment, index) => {
    if (typeof segment === 'number') {
      text += `[${segment}]`;
      if (index === 1 && path[0] === 'keys') text += kidLabel(raw, segment);
    } else {
      text += (text === '' ? '' : '.') + String(segment);
    }
  });
  return text === '' ? '(file)' : text;
}

function kidLabel(raw: unknown, index: number): string {
  const keys = typeof raw === 'object' && raw !== null && 'keys' in raw ? raw.keys : undefined;
  const key: unknown = Array.isArray(keys) ? keys[index] : undefined;
  const kid = typeof key === 'object' && key !== null && 'kid' in key ? key.kid : undefined;
  return kidSchema.safeParse(kid).success ? ` (kid ${JSON.stringify(kid)})` : '';
}

function codeOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/** RFC 7638 thumbprint (SHA-256, base64url) of a node-jose key. */
async function thumbprintOf(key: jose.JWK.Key): Promise<string> {
  const digest: unknown = await key.thumbprint('SHA-256');
  return Buffer.isBuffer(digest) ? digest.toString('base64url') : String(digest);
}

/** A fresh ES256 key with its thumbprint as kid, as a private JWK. */
export async function generateSigningKey(): Promise<PrivateJwk> {
  const key = await jose.JWK.createKeyStore().generate('EC', 'P-256', { alg: 'ES256', use: 'sig' });
  const kid = await thumbprintOf(key);
  return privateJwk.parse({ ...key.toJSON(true), kid });
}

async function readOrGenerate(file: string, generateIfMissing: boolean): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') {
      throw new SigningKeyError([`(file): cannot be read (${codeOf(error) ?? 'unknown error'})`]);
    }
    if (!generateIfMissing) throw new SigningKeyError(['(file): does not exist']);
  }
  const content = `${JSON.stringify({ keys: [await generateSigningKey()] }, null, 2)}\n`;
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  try {
    // wx: never overwrite a file that appeared meanwhile (another process generating at the same moment).
    await writeFile(file, content, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if (codeOf(error) !== 'EEXIST') throw error;
  }
  return readFile(file);
}

function parseKeyFile(bytes: Buffer): z.output<typeof keyFile> {
  if (bytes.length > MAX_KEY_FILE_BYTES) {
    throw new SigningKeyError([`(file): is larger than ${MAX_KEY_FILE_BYTES} bytes`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new SigningKeyError(['(file): is not valid JSON']);
  }
  const parsed = keyFile.safeParse(raw);
  const problems = [
    ...(parsed.error?.issues.map((issue) => `${describePath(issue.path, raw)}: ${issue.message}`) ?? []),
    ...crossKeyProblems(raw),
  ];
  if (!parsed.success || problems.length > 0) throw new SigningKeyError(problems);
  return parsed.data;
}

interface LoadedKey {
  readonly jwk: PrivateJwk;
  readonly alg: JwsAlgorithm;
  /** Imported once, at load. */
  readonly privateKey: KeyObject;
  readonly publicJwk: PublicJwk;
}

const segment = (value: object): string => Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');

/**
 * A compact JWS (RFC 7515 §7.1). The protected header holds `alg`, `kid`, `typ` in that order, and the payload is
 * its `JSON.stringify`: the same bytes node-jose produced before (packages/signing/README.md, "What signs").
 */
function signWith(loaded: LoadedKey, payload: object, typ: string): string {
  const signingInput = `${segment({ alg: loaded.alg, kid: loaded.jwk.kid, typ })}.${segment(payload)}`;
  const signature = signatureOf(loaded.alg, loaded.privateKey, Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${signature.toString('base64url')}`;
}

/**
 * Imports every key and proves it: a probe signed with the private key must verify with the published public
 * members. Catches a file whose `d` does not belong to its `x`/`y` (or `n`), which zod cannot see.
 */
async function loadKey(jwk: PrivateJwk, index: number): Promise<LoadedKey> {
  const label = `keys[${index}] (kid ${JSON.stringify(jwk.kid)})`;
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch {
    throw new SigningKeyError([`${label}: cannot be imported`]);
  }
  const alg = algorithmOf(jwk);
  const loaded: LoadedKey = { jwk, alg, privateKey, publicJwk: publicMembers(jwk) };
  try {
    const probe = signWith(loaded, { probe: index }, 'JWT');
    await verifyWithJwks(probe, { keys: [loaded.publicJwk] }, { algorithms: [alg] });
  } catch (error) {
    if (!(error instanceof JwsError)) throw error;
    throw new SigningKeyError([`${label}: the private key does not match the public members`]);
  }
  return loaded;
}

/**
 * Loads the hub's private signing keys from a JWKS file `{ "keys": [...], "activeKid"?: "..." }`.
 *
 * - Each key is EC P-256 (signs ES256) or RSA of at least 2048 bits (signs RS512), with a `kid`; kids are unique.
 * - The active signer is the key named by `activeKid`, else the first. All keys are published by `publicJwks()`,
 *   so a key being rotated out keeps verifying what it signed until it is removed from the file.
 * - Throws SigningKeyError listing every problem; messages name the key by index and kid, never its material.
 */
export async function createKeyStore(options: CreateKeyStoreOptions): Promise<HubKeyStore> {
  const bytes = await readOrGenerate(options.file, options.generateIfMissing ?? false);
  const file = parseKeyFile(bytes);
  const loaded = await Promise.all(file.keys.map((jwk, index) => loadKey(jwk, index)));
  const activeIndex = file.activeKid === undefined ? 0 : loaded.findIndex((key) => key.jwk.kid === file.activeKid);
  const active = loaded[activeIndex];
  if (active === undefined) throw new SigningKeyError(['activeKid: names no key in keys']);
  const published: PublicJwks = Object.freeze({
    keys: Object.freeze([active, ...loaded.filter((key) => key !== active)].map((key) => key.publicJwk)),
  });

  return Object.freeze({
    activeKid: active.jwk.kid,
    algorithm: active.alg,
    sign(payload: object, signOptions: SignOptions): Promise<string> {
      // Signing is synchronous; the executor turns a refusal into a rejected promise, as callers expect.
      return new Promise((resolve) => {
        if (!TYP.test(signOptions.typ)) throw new TypeError('sign: typ must be 1 to 64 printable ASCII characters');
        // Typed `object`, but callers outside TypeScript's reach (casts, JSON input) can still pass anything.
        if (typeof (payload as unknown) !== 'object' || (payload as unknown) === null || Array.isArray(payload)) {
          throw new TypeError('sign: payload must be a JSON object');
        }
        resolve(signWith(active, payload, signOptions.typ));
      });
    },
    publicJwks: () => published,
  });
}
