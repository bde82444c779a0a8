import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';

/**
 * The JWS algorithms the hub signs with and accepts: ES256 (ECDSA P-256) and RS512 (RSA PKCS#1 v1.5 with SHA-512,
 * the NHS API platform's choice for client assertions). There is deliberately no way to name `none` or an HMAC
 * algorithm (HS256, ...): with a public JWKS, HMAC would let anyone who knows the public key forge a token (the
 * classic algorithm-confusion attack).
 */
export const JWS_ALGORITHMS = ['ES256', 'RS512'] as const;
export type JwsAlgorithm = (typeof JWS_ALGORITHMS)[number];

export function isJwsAlgorithm(value: unknown): value is JwsAlgorithm {
  return typeof value === 'string' && (JWS_ALGORITHMS as readonly string[]).includes(value);
}

/** Smallest accepted RSA modulus. NHS API platform guidance generates 4096-bit keys; 2048 is the floor. */
export const MIN_RSA_MODULUS_BITS = 2048;
/** Limits that keep a JWKS small and its members printable in error messages (kid only; never key material). */
export const MAX_KID_LENGTH = 128;
export const MAX_JWKS_KEYS = 20;
const MAX_MEMBER_LENGTH = 2048;

/** Members that only a private key has (RFC 7518 §6.2.2, §6.3.2). None of them may ever be published. */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

const base64url = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_MEMBER_LENGTH, `must be at most ${MAX_MEMBER_LENGTH} characters`)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be base64url without padding');

export const kid = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_KID_LENGTH, `must be at most ${MAX_KID_LENGTH} characters`)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces');

const use = z.literal('sig', 'must be "sig" when present').optional();

const ecPublicShape = {
  kty: z.literal('EC'),
  crv: z.literal('P-256', 'must be "P-256" (ES256)'),
  x: base64url,
  y: base64url,
  kid,
  alg: z.literal('ES256', 'must be "ES256" for a P-256 key when present').optional(),
  use,
};

const rsaPublicShape = {
  kty: z.literal('RSA'),
  n: base64url,
  e: base64url,
  kid,
  alg: z.literal('RS512', 'must be "RS512" for an RSA key when present').optional(),
  use,
};

/** The algorithm a key of this shape signs with. */
export function algorithmOf(jwk: { readonly kty: 'EC' | 'RSA' }): JwsAlgorithm {
  return jwk.kty === 'EC' ? 'ES256' : 'RS512';
}

/** A discriminated union with one clear message for a missing or unsupported `kty`. */
function byKeyType<E extends z.ZodObject, R extends z.ZodObject>(ec: E, rsa: R) {
  return z.discriminatedUnion('kty', [ec, rsa], {
    error: 'must be a JWK object with kty "EC" (P-256, ES256) or "RSA" (RS512)',
  });
}

function importCheck(
  build: (jwk: Record<string, unknown>) => KeyObject,
  label: (jwk: { kty: string }) => string,
): (jwk: Record<string, unknown> & { kty: string }, context: z.core.$RefinementCtx) => void {
  return (jwk, context) => {
    let key: KeyObject;
    try {
      key = build(jwk);
    } catch {
      // Never the library's message: some quote the input.
      context.addIssue({ code: 'custom', message: `is not a valid ${label(jwk)}` });
      return;
    }
    const bits = key.asymmetricKeyDetails?.modulusLength;
    if (jwk.kty === 'RSA' && (bits === undefined || bits < MIN_RSA_MODULUS_BITS)) {
      context.addIssue({ code: 'custom', message: `RSA modulus must be at least ${MIN_RSA_MODULUS_BITS} bits` });
    }
  };
}

const publicMembersOnly = (jwk: Record<string, unknown>, context: z.core.$RefinementCtx): void => {
  for (const member of PRIVATE_JWK_MEMBERS) {
    if (member in jwk) {
      context.addIssue({
        code: 'custom',
        path: [member],
        message: 'must not be present: this must be a public key (a private member was found)',
      });
    }
  }
};

/**
 * A public signing key as JWK (RFC 7517): EC P-256 for ES256 or RSA (at least 2048 bits) for RS512. Other members
 * (x5c, key_ops, ...) are accepted and dropped. The key material is imported once to prove it is a usable key.
 */
export const publicJwk = byKeyType(
  z.object(ecPublicShape).loose().superRefine(publicMembersOnly),
  z.object(rsaPublicShape).loose().superRefine(publicMembersOnly),
)
  .superRefine(
    importCheck(
      (jwk) => createPublicKey({ key: jwk, format: 'jwk' }),
      (jwk) => (jwk.kty === 'EC' ? 'EC P-256 public key' : 'RSA public key'),
    ),
  )
  .transform((jwk) => publicMembers(jwk));
export type PublicJwk = EcPublicJwk | RsaPublicJwk;

export interface EcPublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
  readonly kid: string;
  readonly alg: 'ES256';
  readonly use: 'sig';
}

export interface RsaPublicJwk {
  readonly kty: 'RSA';
  readonly n: string;
  readonly e: string;
  readonly kid: string;
  readonly alg: 'RS512';
  readonly use: 'sig';
}

export interface PublicJwks {
  readonly keys: readonly PublicJwk[];
}

function uniqueKids(jwks: { keys: readonly { kid: string }[] }, context: z.core.$RefinementCtx): void {
  const seen = new Map<string, number>();
  jwks.keys.forEach((key, index) => {
    const first = seen.get(key.kid);
    if (first === undefined) seen.set(key.kid, index);
    else context.addIssue({ code: 'custom', path: ['keys', index, 'kid'], message: `duplicates keys[${first}].kid` });
  });
}

/** A public JWKS `{ keys: [...] }`: 1 to 20 keys, kids unique. Parsed keys carry only public members. */
export const publicJwks = z
  .object({
    keys: z
      .array(publicJwk)
      .min(1, 'must hold at least one key')
      .max(MAX_JWKS_KEYS, `must hold at most ${MAX_JWKS_KEYS} keys`),
  })
  .loose()
  .superRefine(uniqueKids)
  .transform((jwks): PublicJwks => ({ keys: jwks.keys }));

/**
 * Copies only the public members, by allow-list: whatever else the input holds (d, p, q, ...) cannot leak.
 * `alg` and `use` are always set, so a verifier never has to guess.
 */
export function publicMembers(
  jwk:
    { kty: 'EC'; crv: 'P-256'; x: string; y: string; kid: string } | { kty: 'RSA'; n: string; e: string; kid: string },
): PublicJwk {
  if (jwk.kty === 'EC') {
    return Object.freeze({ kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y, kid: jwk.kid, alg: 'ES256', use: 'sig' });
  }
  return Object.freeze({ kty: 'RSA', n: jwk.n, e: jwk.e, kid: jwk.kid, alg: 'RS512', use: 'sig' });
}

/** A private signing key of the hub (its own key file): the public shape plus the private members. */
export const privateJwk = byKeyType(
  z.object({ ...ecPublicShape, d: base64url }).loose(),
  z
    .object({
      ...rsaPublicShape,
      d: base64url,
      p: base64url,
      q: base64url,
      dp: base64url,
      dq: base64url,
      qi: base64url,
    })
    .loose(),
).superRefine(
  importCheck(
    (jwk) => createPrivateKey({ key: jwk, format: 'jwk' }),
    (jwk) => (jwk.kty === 'EC' ? 'EC P-256 private key' : 'RSA private key'),
  ),
);
export type PrivateJwk = z.output<typeof privateJwk>;
