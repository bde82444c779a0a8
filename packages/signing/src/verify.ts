import { createPublicKey, type KeyObject } from 'node:crypto';
import { JWS_ALGORITHMS, isJwsAlgorithm, type JwsAlgorithm, type PublicJwk, type PublicJwks } from './jwk.ts';
import { signatureVerifies } from './signature.ts';

/**
 * Why a JWS was refused. Stable codes for logs and audit; the message says which rule failed and never quotes the
 * token or any of its values.
 */
export const JWS_FAILURE_REASONS = ['malformed', 'alg-not-allowed', 'unknown-kid', 'bad-signature'] as const;
export type JwsFailureReason = (typeof JWS_FAILURE_REASONS)[number];

export class JwsError extends Error {
  override readonly name = 'JwsError';
  readonly reason: JwsFailureReason;

  constructor(reason: JwsFailureReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

/** The protected header as decoded: `alg` and `kid` are checked to be strings, the rest is as sent. */
export interface JwsHeader {
  readonly alg: string;
  readonly kid?: string;
  readonly typ?: string;
  readonly [member: string]: unknown;
}

export interface DecodedJws {
  readonly header: JwsHeader;
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface VerifiedJws {
  readonly header: JwsHeader & { readonly alg: JwsAlgorithm; readonly kid: string };
  readonly payload: Readonly<Record<string, unknown>>;
  /** The JWKS member that verified the signature. */
  readonly key: PublicJwk;
}

export interface VerifyOptions {
  /** Algorithms accepted: a non-empty subset of JWS_ALGORITHMS. `none` and HS* cannot be named. */
  readonly algorithms: readonly JwsAlgorithm[];
  /** Longest accepted compact JWS in characters; default 256 KiB. */
  readonly maxLength?: number;
}

export const DEFAULT_MAX_JWS_LENGTH = 256 * 1024;
/** Three base64url segments; the signature may be empty here so that `alg: none` is reported as such. */
const COMPACT = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]*)$/;

/**
 * Whether `segment` is the one base64url text of its bytes (RFC 7515 §2: no padding). Node's decoder is lenient:
 * a lone trailing character or non-zero unused bits decode to the same bytes as the canonical text, so a token with
 * characters appended would otherwise verify. Re-encoding must give back exactly what was sent.
 */
function isCanonicalBase64url(segment: string): boolean {
  return Buffer.from(segment, 'base64url').toString('base64url') === segment;
}

/** Signature length in bytes: ES256 is r || s (RFC 7518 §3.4), RS512 is the modulus length (RFC 8017 §8.2.2). */
function signatureLength(key: PublicJwk): number {
  if (key.kty === 'EC') return 64;
  const modulus = Buffer.from(key.n, 'base64url');
  let leadingZeros = 0;
  while (leadingZeros < modulus.length && modulus[leadingZeros] === 0) leadingZeros += 1;
  return modulus.length - leadingZeros;
}

function decodeJsonObject(segment: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(segment, 'base64url')));
  } catch {
    throw new JwsError('malformed', `The JWS ${what} is not base64url-encoded UTF-8 JSON.`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwsError('malformed', `The JWS ${what} is not a JSON object.`);
  }
  return value as Record<string, unknown>;
}

/**
 * Splits and decodes a compact JWS **without verifying it**. For routing only (e.g. reading `iss` to find whose
 * keys to verify with); never trust what it returns. Throws JwsError('malformed').
 */
export function decodeUnverified(jws: string, maxLength = DEFAULT_MAX_JWS_LENGTH): DecodedJws {
  if (typeof jws !== 'string' || jws.length > maxLength) {
    throw new JwsError('malformed', `The JWS must be a string of at most ${maxLength} characters.`);
  }
  const parts = COMPACT.exec(jws);
  if (parts === null) throw new JwsError('malformed', 'The JWS is not in compact serialization.');
  if (!parts.slice(1).every((segment) => isCanonicalBase64url(segment))) {
    throw new JwsError('malformed', 'A JWS segment is not canonical unpadded base64url.');
  }
  const header = decodeJsonObject(parts[1] ?? '', 'header');
  const payload = decodeJsonObject(parts[2] ?? '', 'payload');
  if (typeof header['alg'] !== 'string') throw new JwsError('malformed', 'The JWS header has no alg.');
  if ('kid' in header && typeof header['kid'] !== 'string') {
    throw new JwsError('malformed', 'The JWS header kid is not a string.');
  }
  if ('typ' in header && typeof header['typ'] !== 'string') {
    throw new JwsError('malformed', 'The JWS header typ is not a string.');
  }
  return { header: header as JwsHeader, payload };
}

function checkAlgorithms(algorithms: readonly JwsAlgorithm[]): void {
  if (algorithms.length === 0 || !algorithms.every(isJwsAlgorithm)) {
    // A programming error, not a bad token: fail loudly.
    throw new TypeError(`verifyWithJwks: algorithms must be a non-empty subset of ${JWS_ALGORITHMS.join(', ')}`);
  }
}

/** Whether this JWK may verify this algorithm. A parsed PublicJwk always carries the one `alg` its type allows. */
function fits(key: PublicJwk, alg: JwsAlgorithm): boolean {
  return key.alg === alg && (alg === 'ES256' ? key.kty === 'EC' : key.kty === 'RSA');
}

/**
 * Imported public keys, cached per JWKS member object. Registries and key stores hand out the same frozen objects
 * until they reload, so each key is imported once; a reload brings new objects and a fresh import.
 */
const imported = new WeakMap<PublicJwk, KeyObject>();

/** The key as node:crypto's KeyObject, or undefined when it cannot be imported (a JWKS not parsed by publicJwks). */
function importKey(key: PublicJwk): KeyObject | undefined {
  let keyObject = imported.get(key);
  if (keyObject === undefined) {
    // Only the public members, copied by allow-list (PublicJwk has no others), are imported.
    const members =
      key.kty === 'EC' ? { kty: key.kty, crv: key.crv, x: key.x, y: key.y } : { kty: key.kty, n: key.n, e: key.e };
    try {
      keyObject = createPublicKey({ key: members, format: 'jwk' });
    } catch {
      return undefined;
    }
    imported.set(key, keyObject);
  }
  return keyObject;
}

/**
 * Verifies a compact JWS against a public JWKS. The one JWS verification in the hub: access tokens, client
 * assertions and signed notifications all come through here.
 *
 * 1. The token is compact, within `maxLength`, with a JSON object header and payload.
 * 2. `alg` is one of `options.algorithms` (asymmetric only: never `none`, never HS*). Checked before any key is
 *    touched; the key's type must fit it, and the signature is checked with that algorithm only.
 * 3. `kid` names a key in `jwks` whose type fits `alg`. Keys embedded in the header (`jwk`, `x5c`, `jku`, `x5u`)
 *    are never used. `crit` is refused: the hub understands no extensions.
 * 4. Every segment is canonical unpadded base64url and the signature is exactly the algorithm's length (ES256:
 *    64 bytes; RS512: the key's modulus), so no other text than what was signed verifies.
 * 5. The signature verifies (node:crypto, with the key's algorithm: see signature.ts).
 *
 * Claims (exp, aud, ...) are the caller's business. Throws JwsError with a reason code.
 */
export function verifyWithJwks(jws: string, jwks: PublicJwks, options: VerifyOptions): Promise<VerifiedJws> {
  // Verification is synchronous; the executor turns every refusal into a rejected promise, as callers expect.
  return new Promise((resolve) => {
    resolve(verifyNow(jws, jwks, options));
  });
}

function verifyNow(jws: string, jwks: PublicJwks, options: VerifyOptions): VerifiedJws {
  checkAlgorithms(options.algorithms);
  const { header, payload } = decodeUnverified(jws, options.maxLength ?? DEFAULT_MAX_JWS_LENGTH);
  const alg = header.alg;
  if (!isJwsAlgorithm(alg) || !options.algorithms.includes(alg)) {
    throw new JwsError('alg-not-allowed', `The JWS alg is not one of ${options.algorithms.join(', ')}.`);
  }
  if ('crit' in header) throw new JwsError('malformed', 'The JWS header has crit; no extensions are supported.');
  const kid = header.kid;
  if (kid === undefined) throw new JwsError('unknown-kid', 'The JWS header has no kid.');
  const key = jwks.keys.find((candidate) => candidate.kid === kid && fits(candidate, alg));
  if (key === undefined) throw new JwsError('unknown-kid', 'No key in the JWKS matches the JWS kid and alg.');
  const signatureStart = jws.lastIndexOf('.');
  const signature = Buffer.from(jws.slice(signatureStart + 1), 'base64url');
  if (signature.length !== signatureLength(key)) {
    throw new JwsError('malformed', `The JWS signature is not the length ${alg} signatures have.`);
  }
  const publicKey = importKey(key);
  // The signing input is the first two segments as sent (RFC 7515 §5.2), ASCII by the compact pattern.
  if (
    publicKey === undefined ||
    !signatureVerifies(alg, publicKey, Buffer.from(jws.slice(0, signatureStart)), signature)
  ) {
    throw new JwsError('bad-signature', 'The JWS signature does not verify.');
  }
  return { header: { ...header, alg, kid }, payload, key };
}

/**
 * For clients and tests: verifies a hub-signed JWS against the hub's published JWKS, accepting ES256 and RS512
 * only.
 */
export function verify(jws: string, jwks: PublicJwks): Promise<VerifiedJws> {
  return verifyWithJwks(jws, jwks, { algorithms: JWS_ALGORITHMS });
}
