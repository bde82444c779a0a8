import { constants, sign, verify, type KeyObject } from 'node:crypto';
import type { JwsAlgorithm } from './jwk.ts';

/**
 * A JWS signature with node:crypto (RFC 7518): ES256 is ECDSA P-256 over SHA-256 whose signature is r || s, 32 bytes
 * each (IEEE P1363), not OpenSSL's DER; RS512 is RSASSA-PKCS1-v1_5 over SHA-512. Synchronous: one ES256 signature
 * costs tens of microseconds, hardly more than handing it to the thread pool and back (README.md, "Synchronous").
 */
function parameters(alg: JwsAlgorithm, key: KeyObject) {
  return alg === 'ES256'
    ? { hash: 'sha256', key: { key, dsaEncoding: 'ieee-p1363' as const } }
    : { hash: 'sha512', key: { key, padding: constants.RSA_PKCS1_PADDING } };
}

/** The signature of `signingInput` (the ASCII bytes of `header.payload`) with the private `key`. */
export function signatureOf(alg: JwsAlgorithm, key: KeyObject, signingInput: Buffer): Buffer {
  const { hash, key: options } = parameters(alg, key);
  return sign(hash, signingInput, options);
}

/** Whether `signature` is `alg`'s signature of `signingInput` under the public `key`. Never throws. */
export function signatureVerifies(alg: JwsAlgorithm, key: KeyObject, signingInput: Buffer, signature: Buffer): boolean {
  const { hash, key: options } = parameters(alg, key);
  try {
    return verify(hash, signingInput, options, signature);
  } catch {
    return false;
  }
}
