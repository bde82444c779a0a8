/*
 * The node-jose reference: `import { ... } from '@hub/signing/testing'`. Not exported from index.ts and never used
 * by production code. It signs and verifies compact JWS the way this package did with node-jose (header
 * `{ alg, kid, typ }`, the payload's JSON as given), so that tests can check the hub's own JWS against an
 * independent JOSE implementation in both directions, and `test/bench/signing.ts` can measure the two side by side.
 */
import jose from 'node-jose';
import { algorithmOf, type PrivateJwk, type PublicJwk, type PublicJwks } from './jwk.ts';
import { decodeUnverified, JwsError } from './verify.ts';

/** Signs with node-jose, the key imported once: `(payload, typ) => compact JWS`. */
export type NodeJoseSigner = (payload: object, typ: string) => Promise<string>;

export async function createNodeJoseSigner(jwk: PrivateJwk): Promise<NodeJoseSigner> {
  const alg = algorithmOf(jwk);
  const key = await jose.JWK.asKey({ ...jwk, alg, use: 'sig' });
  return async (payload, typ) => {
    const result: unknown = await jose.JWS.createSign({ format: 'compact', fields: { alg, kid: jwk.kid, typ } }, key)
      .update(JSON.stringify(payload), 'utf8')
      .final();
    if (typeof result !== 'string') throw new Error('node-jose did not return a compact JWS');
    return result;
  };
}

const imported = new WeakMap<PublicJwk, Promise<jose.JWK.Key>>();

function importPublic(key: PublicJwk): Promise<jose.JWK.Key> {
  let pending = imported.get(key);
  if (pending === undefined) {
    pending = jose.JWK.asKey(key);
    imported.set(key, pending);
  }
  return pending;
}

/**
 * Verifies with node-jose against the key of `jwks` named by the header's kid (imported once per JWKS member), the
 * header's alg the only one allowed and header-embedded keys off. Resolves to the decoded header and payload;
 * rejects with JwsError('bad-signature') when node-jose refuses the signature, ('unknown-kid') without a key.
 */
export async function verifyWithNodeJose(
  jws: string,
  jwks: PublicJwks,
): Promise<{ readonly header: Record<string, unknown>; readonly payload: Record<string, unknown> }> {
  const { header } = decodeUnverified(jws);
  const key = jwks.keys.find((candidate) => candidate.kid === header.kid && candidate.alg === header.alg);
  if (key === undefined) throw new JwsError('unknown-kid', 'No key in the JWKS matches the JWS kid and alg.');
  let verified: jose.JWS.VerificationResult;
  try {
    verified = await jose.JWS.createVerify(await importPublic(key), {
      algorithms: [key.alg],
      allowEmbeddedKey: false,
    }).verify(jws);
  } catch {
    throw new JwsError('bad-signature', 'node-jose: the JWS signature does not verify.');
  }
  return {
    header: verified.header as Record<string, unknown>,
    payload: JSON.parse(verified.payload.toString('utf8')) as Record<string, unknown>,
  };
}
