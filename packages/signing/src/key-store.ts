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
  publicJwk,
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
  /**
   * How long a retired key stays published after its `retiredAt` (`retiredKeyKeepMs()` of the longest notification
   * retention). Default: forever, the safe choice: a retired key then leaves the JWKS only when removed by hand.
   */
  readonly retiredKeyKeepMs?: number;
  /** The clock deciding which retired keys are still published (tests inject one). */
  readonly now?: () => Date;
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
  /**
   * Every key's public members only, active key first, then the other keys, then each retired key until
   * `retiredAt + retiredKeyKeepMs`; the same frozen object while that set does not change.
   */
  publicJwks(): PublicJwks;
  /**
   * Re-reads the file (SIGHUP): a rotation takes effect without a restart. A bad file keeps the keys in use and is
   * reported as `{ ok: false, problems }` (never key material); it never rejects.
   */
  reload(): Promise<KeyStoreReload>;
}

export type KeyStoreReload =
  | { readonly ok: true; readonly activeKid: string; readonly published: number }
  | { readonly ok: false; readonly problems: readonly string[] };

/** Margin added to the notification retention: clients' JWKS caches (5 minutes), clock skew, a late read. */
export const RETIRED_KEY_MARGIN_MS = 24 * 60 * 60 * 1000;

/**
 * How long a retired key must stay published: the longest time a notification it signed may still be read (the
 * inboxes' retention, `HUB_INBOX_RETENTION_DAYS`, passed in so it is declared once, in contracts) plus a day's
 * margin. A negative retention (kept forever) keeps retired keys forever.
 */
export function retiredKeyKeepMs(notificationRetentionMs: number): number {
  return notificationRetentionMs < 0 ? Number.POSITIVE_INFINITY : notificationRetentionMs + RETIRED_KEY_MARGIN_MS;
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

/**
 * A key's state. `active` signs (at most one); `retired` keeps only its public members and a `retiredAt`, and is
 * published until `retiredAt + retiredKeyKeepMs`. A key without `state` is as before rotation had states: the
 * `activeKid` one (else the first) signs, the others are published.
 */
const fileKey = z.unknown().transform((raw, context) => {
  const record = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
  const state = record['state'];
  if (state === 'retired') {
    const retiredAt = z.iso.datetime({ offset: true }).safeParse(record['retiredAt']);
    if (!retiredAt.success) {
      context.addIssue({
        code: 'custom',
        path: ['retiredAt'],
        message: 'is required for a retired key: an ISO 8601 date-time (when it stopped signing)',
      });
    }
    const { state: _state, retiredAt: _at, ...jwk } = record;
    const parsed = publicJwk.safeParse(jwk);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) context.addIssue({ ...issue, code: 'custom', path: issue.path });
      return z.NEVER;
    }
    if (!retiredAt.success) return z.NEVER;
    return { retired: true as const, jwk: parsed.data, retiredAt: new Date(retiredAt.data) };
  }
  if (state !== undefined && state !== 'active') {
    context.addIssue({ code: 'custom', path: ['state'], message: 'must be "active" or "retired" when present' });
    return z.NEVER;
  }
  if ('retiredAt' in record) {
    context.addIssue({ code: 'custom', path: ['retiredAt'], message: 'is only for a key whose state is "retired"' });
  }
  const { state: _state, retiredAt: _at, ...jwk } = record;
  const parsed = privateJwk.safeParse(jwk);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) context.addIssue({ ...issue, code: 'custom', path: issue.path });
    return z.NEVER;
  }
  return { retired: false as const, jwk: parsed.data, active: state === 'active' };
});

const keyFile = z
  .object({
    keys: z
      .array(fileKey)
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
  // One signer: a second `state: "active"` is refused, not resolved by order (which one would clients expect?).
  let firstActive: number | undefined;
  keys.forEach((key, index) => {
    const state = typeof key === 'object' && key !== null && 'state' in key ? key.state : undefined;
    if (state !== 'active') return;
    if (firstActive === undefined) firstActive = index;
    else
      problems.push(
        `keys[${index}]${kidLabel(raw, index)}.state: a second active key (keys[${firstActive}] is active)`,
      );
    const kid = typeof key === 'object' && key !== null && 'kid' in key ? key.kid : undefined;
    if (typeof activeKid === 'string' && kid !== activeKid) {
      problems.push(`activeKid: names another key than the one whose state is "active" (keys[${index}])`);
    }
  });
  if (typeof activeKid === 'string') {
    const named = keys.find((key) => typeof key === 'object' && key !== null && 'kid' in key && key.kid === activeKid);
    if (typeof named === 'object' && named !== null && 'state' in named && named.state === 'retired') {
      problems.push('activeKid: names a retired key');
    }
  }
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

export function codeOf(error: unknown): string | undefined {
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

export async function readOrGenerate(file: string, generateIfMissing: boolean): Promise<Buffer> {
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

export interface LoadedKey {
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

export interface LoadedFile {
  readonly active: LoadedKey;
  /** Keys without a state other than the active one: published, as before rotation had states. */
  readonly others: readonly LoadedKey[];
  readonly retired: readonly { readonly publicJwk: PublicJwk; readonly retiredAt: Date }[];
}

/** Parses and proves a key file's bytes (every problem listed in one SigningKeyError). */
export async function loadFile(bytes: Buffer): Promise<LoadedFile> {
  const file = parseKeyFile(bytes);
  const signing = file.keys.flatMap((key, index) => (key.retired ? [] : [{ jwk: key.jwk, active: key.active, index }]));
  const loaded = await Promise.all(signing.map(({ jwk, index }) => loadKey(jwk, index)));
  const activeAt =
    file.activeKid !== undefined
      ? loaded.findIndex((key) => key.jwk.kid === file.activeKid)
      : Math.max(
          0,
          signing.findIndex((key) => key.active),
        );
  const active = loaded[activeAt];
  if (active === undefined) {
    throw new SigningKeyError([
      file.activeKid === undefined ? 'keys: no key can sign (every key is retired)' : 'activeKid: names no key in keys',
    ]);
  }
  return {
    active,
    others: loaded.filter((key) => key !== active),
    retired: file.keys.flatMap((key) => (key.retired ? [{ publicJwk: key.jwk, retiredAt: key.retiredAt }] : [])),
  };
}

/**
 * Loads the hub's private signing keys from a JWKS file `{ "keys": [...], "activeKid"?: "..." }`.
 *
 * - Each key is EC P-256 (signs ES256) or RSA of at least 2048 bits (signs RS512), with a `kid`; kids are unique.
 * - The active signer is the key whose `state` is `active`, else the key named by `activeKid`, else the first.
 *   Other keys without a state are published; a `retired` key (public members and `retiredAt` only) is published
 *   until `retiredAt + retiredKeyKeepMs`, so what it signed keeps verifying as long as it may be read.
 * - `reload()` re-reads the file; a bad file keeps the keys in use.
 * - Throws SigningKeyError listing every problem; messages name the key by index and kid, never its material.
 */
export async function createKeyStore(options: CreateKeyStoreOptions): Promise<HubKeyStore> {
  const keepMs = options.retiredKeyKeepMs ?? Number.POSITIVE_INFINITY;
  const now = options.now ?? (() => new Date());
  let current = await loadFile(await readOrGenerate(options.file, options.generateIfMissing ?? false));
  let cached: { readonly from: LoadedFile; readonly kids: string; readonly jwks: PublicJwks } | undefined;

  const published = (): PublicJwks => {
    const at = now().getTime();
    const retired = current.retired.filter((key) => key.retiredAt.getTime() + keepMs > at).map((key) => key.publicJwk);
    const kids = retired.map((key) => key.kid).join(' ');
    // Same frozen object until the set changes: the verifier caches imported keys per member object.
    if (cached?.from !== current || cached.kids !== kids) {
      const keys = [current.active, ...current.others].map((key) => key.publicJwk).concat(retired);
      cached = { from: current, kids, jwks: Object.freeze({ keys: Object.freeze(keys) }) };
    }
    return cached.jwks;
  };

  return Object.freeze({
    get activeKid() {
      return current.active.jwk.kid;
    },
    get algorithm() {
      return current.active.alg;
    },
    sign(payload: object, signOptions: SignOptions): Promise<string> {
      // Signing is synchronous; the executor turns a refusal into a rejected promise, as callers expect.
      return new Promise((resolve) => {
        if (!TYP.test(signOptions.typ)) throw new TypeError('sign: typ must be 1 to 64 printable ASCII characters');
        // Typed `object`, but callers outside TypeScript's reach (casts, JSON input) can still pass anything.
        if (typeof (payload as unknown) !== 'object' || (payload as unknown) === null || Array.isArray(payload)) {
          throw new TypeError('sign: payload must be a JSON object');
        }
        resolve(signWith(current.active, payload, signOptions.typ));
      });
    },
    publicJwks: published,
    async reload(): Promise<KeyStoreReload> {
      try {
        current = await loadFile(await readOrGenerate(options.file, false));
        return { ok: true, activeKid: current.active.jwk.kid, published: published().keys.length };
      } catch (error) {
        if (error instanceof SigningKeyError) return { ok: false, problems: error.problems };
        return { ok: false, problems: ['(file): cannot be loaded'] };
      }
    },
  });
}
