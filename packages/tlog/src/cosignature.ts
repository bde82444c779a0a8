import { TlogError } from './errors.ts';
import {
  ED25519_SIGNATURE_SIZE,
  SIGNATURE_TYPE,
  ed25519Signer,
  ed25519Verifier,
  formatVerifierKey,
  keyId,
  parseSignerKey,
  parseVerifierKey,
} from './keys.ts';
import type { NoteSignature, NoteSigner, NoteVerifier } from './note.ts';

// C2SP tlog-cosignature, Ed25519 (signature type 0x04): a witness's note signature over a checkpoint, whose bytes are
// an 8-byte big-endian timestamp then an Ed25519 signature of "cosignature/v1\ntime <t>\n" + the checkpoint text.

const TIMESTAMP_SIZE = 8;
export const COSIGNATURE_SIZE = TIMESTAMP_SIZE + ED25519_SIGNATURE_SIZE;
/** The spec caps timestamps at 2^63 - 1; numbers here stop at 2^53 - 1, still some 285 million years away. */
export const MAX_COSIGNATURE_TIMESTAMP = Number.MAX_SAFE_INTEGER;

function checkTimestamp(timestamp: number): void {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new TlogError('invalid-argument', 'a cosignature timestamp is a non-negative integer of seconds');
  }
}

/** The signed message: the header line, the time line (decimal, no leading zeroes), then the whole note text. */
export function cosignedMessage(timestamp: number, checkpointText: string): Buffer {
  checkTimestamp(timestamp);
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`, 'utf8');
}

/**
 * A cosigner from an Ed25519 skey (the same seed and name as a type-0x01 key; the key ID is computed with 0x04, so
 * its lines never pass for note signatures of that key). `now` gives whole POSIX seconds (the caller's clock, e.g.
 * `() => Math.floor(Date.now() / 1000)`); every signature reads it once.
 */
export function cosigner(skey: string, now: () => number): NoteSigner {
  const key = parseSignerKey(skey);
  const signWith = ed25519Signer(key.seed);
  return {
    name: key.name,
    keyId: keyId(key.name, SIGNATURE_TYPE.cosignatureV1, key.publicKey),
    sign(text) {
      const timestamp = now();
      const message = cosignedMessage(timestamp, text.toString('utf8')); // checks the timestamp first
      const stamp = Buffer.alloc(TIMESTAMP_SIZE);
      stamp.writeBigUInt64BE(BigInt(timestamp));
      return Buffer.concat([stamp, signWith(message)]);
    },
  };
}

/** The cosigner's vkey to publish: signature type 0x04 and its Ed25519 public key. */
export function cosignerVerifierKey(skey: string): string {
  const key = parseSignerKey(skey);
  return formatVerifierKey(key.name, SIGNATURE_TYPE.cosignatureV1, key.publicKey);
}

/** The time a cosignature claims, in POSIX seconds (read, not verified: open the note first). */
export function cosignatureTimestamp(signature: NoteSignature): number {
  if (signature.signature.length !== COSIGNATURE_SIZE) {
    throw new TlogError('invalid-signature', `a cosignature is ${COSIGNATURE_SIZE} bytes`);
  }
  const timestamp = signature.signature.readBigUInt64BE(0);
  if (timestamp > BigInt(MAX_COSIGNATURE_TIMESTAMP)) {
    throw new TlogError('invalid-signature', 'the cosignature timestamp is beyond range');
  }
  return Number(timestamp);
}

/** A verifier of a witness's cosignatures from its type-0x04 vkey; a vkey of another type is refused. */
export function cosignatureVerifier(vkey: string): NoteVerifier {
  const key = parseVerifierKey(vkey);
  if (key.type !== SIGNATURE_TYPE.cosignatureV1) {
    throw new TlogError('malformed-key', 'not a cosignature key (0x04)');
  }
  const verifyWith = ed25519Verifier(key.publicKey);
  return {
    name: key.name,
    keyId: key.keyId,
    verify(text, signature) {
      if (signature.length !== COSIGNATURE_SIZE) return false;
      const timestamp = signature.readBigUInt64BE(0);
      if (timestamp > BigInt(MAX_COSIGNATURE_TIMESTAMP)) return false;
      return verifyWith(cosignedMessage(Number(timestamp), text.toString('utf8')), signature.subarray(TIMESTAMP_SIZE));
    },
  };
}
