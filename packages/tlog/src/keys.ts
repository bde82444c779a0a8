import { createHash, createPrivateKey, createPublicKey, randomBytes, sign, verify } from 'node:crypto';
import { decodeBase64Strict } from './base64.ts';
import { TlogError } from './errors.ts';

// C2SP signed-note, "Signatures" and "Verifier keys": key names, key IDs and vkeys, with Ed25519 from node:crypto.

/** Signature type bytes (C2SP signed-note, "Signature types") this package implements. */
export const SIGNATURE_TYPE = {
  /** Ed25519 note signatures (a log's checkpoint signature). */
  ed25519: 0x01,
  /** Timestamped Ed25519 checkpoint cosignatures, C2SP tlog-cosignature (a witness). */
  cosignatureV1: 0x04,
} as const;
export type SignatureType = (typeof SIGNATURE_TYPE)[keyof typeof SIGNATURE_TYPE];

export const ED25519_KEY_SIZE = 32;
export const ED25519_SIGNATURE_SIZE = 64;
/** Not in the spec: a bound so a configured or received name cannot be arbitrarily long. */
export const MAX_KEY_NAME_LENGTH = 256;

/** Non-empty, no Unicode space (JavaScript's \s and U+0085 cover Go's unicode.IsSpace), no `+`, no control. */
export function isValidKeyName(name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= MAX_KEY_NAME_LENGTH &&
    name.isWellFormed() &&
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    !/[\s\u0085+\u0000-\u001f\u007f]/u.test(name)
  );
}

/** key ID = SHA-256(key name || 0x0A || signature type || public key)[:4], as a big-endian uint32. */
export function keyId(name: string, type: SignatureType, publicKey: Uint8Array): number {
  const digest = createHash('sha256')
    .update(name, 'utf8')
    .update(Buffer.from([0x0a, type]))
    .update(publicKey)
    .digest();
  return digest.readUInt32BE(0);
}

/** A public key as configured from a vkey: `<name>+<hex key ID>+base64(type || public key)`. */
export interface VerifierKey {
  readonly name: string;
  readonly type: SignatureType;
  readonly keyId: number;
  readonly publicKey: Buffer;
}

/** A private key as kept in an skey: `PRIVATE+KEY+<name>+<hex key ID>+base64(type || Ed25519 seed)`. */
export interface SignerKey extends VerifierKey {
  readonly seed: Buffer;
}

const hex8 = (id: number): string => id.toString(16).padStart(8, '0');

function checkName(name: string): void {
  if (!isValidKeyName(name)) throw new TlogError('malformed-key', 'a key name must be non-empty, without spaces or +');
}

function checkType(type: number): SignatureType {
  if (type !== SIGNATURE_TYPE.ed25519 && type !== SIGNATURE_TYPE.cosignatureV1) {
    throw new TlogError('malformed-key', `signature type ${type} is not supported`);
  }
  return type;
}

export function formatVerifierKey(name: string, type: SignatureType, publicKey: Uint8Array): string {
  checkName(name);
  checkType(type);
  if (publicKey.length !== ED25519_KEY_SIZE) throw new TlogError('malformed-key', 'an Ed25519 key is 32 bytes');
  const material = Buffer.concat([Buffer.from([type]), publicKey]).toString('base64');
  return `${name}+${hex8(keyId(name, type, publicKey))}+${material}`;
}

/**
 * `<name>+<8 lowercase hex>+<base64>`, refused unless every part is canonical. The base64 may itself hold `+`, so
 * only the first two `+` separate parts.
 */
function parseKeyParts(text: string): { name: string; type: SignatureType; id: number; key: Buffer } {
  const first = text.indexOf('+');
  const second = first < 0 ? -1 : text.indexOf('+', first + 1);
  if (second < 0) throw new TlogError('malformed-key', 'a key has a name, a key ID and key material');
  const name = text.slice(0, first);
  const idText = text.slice(first + 1, second);
  const material = text.slice(second + 1);
  checkName(name);
  if (!/^[0-9a-f]{8}$/.test(idText)) throw new TlogError('malformed-key', 'a key ID is 8 lowercase hex digits');
  const bytes = decodeBase64Strict(material);
  if (bytes === undefined || bytes.length !== 1 + ED25519_KEY_SIZE) {
    throw new TlogError('malformed-key', 'the key material is not base64 of a type byte and 32 key bytes');
  }
  return { name, type: checkType(bytes[0] as number), id: Number.parseInt(idText, 16), key: bytes.subarray(1) };
}

export function parseVerifierKey(vkey: string): VerifierKey {
  const { name, type, id, key } = parseKeyParts(vkey);
  if (keyId(name, type, key) !== id) throw new TlogError('malformed-key', 'the key ID does not match the key');
  return { name, type, keyId: id, publicKey: Buffer.from(key) };
}

/**
 * The signer-key text of golang.org/x/mod/sumdb/note (C2SP specifies only verifier keys): `PRIVATE+KEY+` then the
 * vkey's three parts with the 32-byte Ed25519 seed in place of the public key. Type 0x01 only: a cosigner derives
 * its type-0x04 key ID from the same seed (see cosignature.ts), as transparency-dev/formats does.
 */
export function parseSignerKey(skey: string): SignerKey {
  const prefix = 'PRIVATE+KEY+';
  if (!skey.startsWith(prefix)) throw new TlogError('malformed-key', 'a signer key starts with PRIVATE+KEY+');
  const { name, type, id, key: seed } = parseKeyParts(skey.slice(prefix.length));
  if (type !== SIGNATURE_TYPE.ed25519) throw new TlogError('malformed-key', 'a signer key is of type 0x01');
  const publicKey = ed25519PublicKey(seed);
  if (keyId(name, type, publicKey) !== id) throw new TlogError('malformed-key', 'the key ID does not match the key');
  return { name, type, keyId: id, publicKey, seed: Buffer.from(seed) };
}

export function formatSignerKey(name: string, seed: Uint8Array): string {
  checkName(name);
  if (seed.length !== ED25519_KEY_SIZE) throw new TlogError('malformed-key', 'an Ed25519 seed is 32 bytes');
  const id = keyId(name, SIGNATURE_TYPE.ed25519, ed25519PublicKey(seed));
  const material = Buffer.concat([Buffer.from([SIGNATURE_TYPE.ed25519]), seed]).toString('base64');
  return `PRIVATE+KEY+${name}+${hex8(id)}+${material}`;
}

/** A new Ed25519 key under `name`: its skey (keep secret) and its type-0x01 vkey (publish). */
export function generateSignerKey(name: string): { skey: string; vkey: string } {
  const seed = randomBytes(ED25519_KEY_SIZE);
  return {
    skey: formatSignerKey(name, seed),
    vkey: formatVerifierKey(name, SIGNATURE_TYPE.ed25519, ed25519PublicKey(seed)),
  };
}

// node:crypto takes raw Ed25519 keys only inside DER: these are the fixed PKCS#8 and SPKI headers (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

const privateKeyOf = (seed: Uint8Array) =>
  createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });

export function ed25519PublicKey(seed: Uint8Array): Buffer {
  const spki = createPublicKey(privateKeyOf(seed)).export({ format: 'der', type: 'spki' });
  return spki.subarray(SPKI_ED25519_PREFIX.length);
}

/** Returns a signing function holding the key object, so the seed is parsed once. */
export function ed25519Signer(seed: Uint8Array): (message: Uint8Array) => Buffer {
  const key = privateKeyOf(seed);
  return (message) => sign(null, message, key);
}

export function ed25519Verifier(publicKey: Uint8Array): (message: Uint8Array, signature: Uint8Array) => boolean {
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return (message, signature) => signature.length === ED25519_SIGNATURE_SIZE && verify(null, message, key, signature);
}
