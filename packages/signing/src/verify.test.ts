import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createKeyStore,
  decodeUnverified,
  JwsError,
  publicJwk,
  publicJwks,
  verify,
  verifyWithJwks,
  type HubKeyStore,
  type JwsAlgorithm,
  type PublicJwks,
} from './index.ts';
import {
  b64,
  ecKeyPair,
  handSign,
  hmacToken,
  rsaKeyPair,
  tempDir,
  unsignedToken,
  type TempDir,
} from './test-support.ts';

let dir: TempDir;
let store: HubKeyStore;
let token: string;

beforeAll(async () => {
  dir = await tempDir();
  store = await createKeyStore({ file: `${dir.path}/keys.json`, generateIfMissing: true });
  token = await store.sign({ sub: 'client-1', role: 'gp' }, { typ: 'JWT' });
});

afterAll(async () => {
  await dir.remove();
});

async function refusal(promise: Promise<unknown>): Promise<JwsError> {
  const error: unknown = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(JwsError);
  return error as JwsError;
}

function withSegment(jws: string, index: number, value: string): string {
  const parts = jws.split('.');
  parts[index] = value;
  return parts.join('.');
}

describe('verify', () => {
  it('round-trips a hub-signed token', async () => {
    const verified = await verify(token, store.publicJwks());
    expect(verified.payload).toEqual({ sub: 'client-1', role: 'gp' });
    expect(verified.key.kid).toBe(store.activeKid);
  });

  it('detects a tampered payload', async () => {
    const tampered = withSegment(token, 1, b64({ sub: 'client-1', role: 'police' }));
    expect((await refusal(verify(tampered, store.publicJwks()))).reason).toBe('bad-signature');
  });

  it('detects a tampered signature', async () => {
    const signature = Buffer.from(token.split('.')[2]!, 'base64url');
    signature[10] = signature[10]! ^ 0x01;
    const tampered = withSegment(token, 2, signature.toString('base64url'));
    expect((await refusal(verify(tampered, store.publicJwks()))).reason).toBe('bad-signature');
  });

  it('detects a tampered header (typ changed)', async () => {
    const header = { alg: 'ES256', kid: store.activeKid, typ: 'at+jwt' };
    const tampered = withSegment(token, 0, b64(header));
    expect((await refusal(verify(tampered, store.publicJwks()))).reason).toBe('bad-signature');
  });

  it('refuses an unknown kid and a missing kid', async () => {
    const attacker = ecKeyPair('attacker');
    const unknown = handSign({ alg: 'ES256', kid: 'attacker' }, { sub: 'x' }, attacker.privateKey);
    expect((await refusal(verify(unknown, store.publicJwks()))).reason).toBe('unknown-kid');
    const noKid = handSign({ alg: 'ES256' }, { sub: 'x' }, attacker.privateKey);
    expect((await refusal(verify(noKid, store.publicJwks()))).reason).toBe('unknown-kid');
  });

  it('never uses a key embedded in the header (jwk)', async () => {
    const attacker = ecKeyPair('attacker');
    const header = { alg: 'ES256', kid: store.activeKid, jwk: attacker.publicJwk };
    const forged = handSign(header, { sub: 'x' }, attacker.privateKey);
    expect((await refusal(verify(forged, store.publicJwks()))).reason).toBe('bad-signature');
  });

  it('refuses alg none, with or without a signature', async () => {
    const none = unsignedToken({ alg: 'none', kid: store.activeKid }, { sub: 'client-1' });
    const error = await refusal(verify(none, store.publicJwks()));
    expect(error.reason).toBe('alg-not-allowed');
    expect(error.message).toBe('The JWS alg is not one of ES256, RS512.');
    const noneWithSignature = withSegment(none, 2, token.split('.')[2]!);
    expect((await refusal(verify(noneWithSignature, store.publicJwks()))).reason).toBe('alg-not-allowed');
  });

  it('refuses HS256 signed with the public key as the HMAC secret (algorithm confusion)', async () => {
    const jwk = store.publicJwks().keys[0]!;
    const header = { alg: 'HS256', kid: jwk.kid };
    for (const secret of [JSON.stringify(jwk), Buffer.from(JSON.stringify(jwk)).toString('base64url')]) {
      const forged = hmacToken(header, { sub: 'client-1' }, secret);
      expect((await refusal(verify(forged, store.publicJwks()))).reason).toBe('alg-not-allowed');
    }
    const rsa = rsaKeyPair('rsa-hmac');
    const jwks = publicJwks.parse({ keys: [rsa.publicJwk] });
    const pem = rsa.publicKey.export({ type: 'spki', format: 'pem' });
    const forged = hmacToken({ alg: 'HS256', kid: 'rsa-hmac' }, { sub: 'x' }, pem);
    expect((await refusal(verify(forged, jwks))).reason).toBe('alg-not-allowed');
  });

  it('refuses a crit header and malformed tokens', async () => {
    const attacker = ecKeyPair('k');
    const jwks = publicJwks.parse({ keys: [attacker.publicJwk] });
    const crit = handSign({ alg: 'ES256', kid: 'k', crit: ['exp'], exp: 1 }, { a: 1 }, attacker.privateKey);
    expect((await refusal(verify(crit, jwks))).reason).toBe('malformed');
    for (const bad of [
      '',
      'a.b',
      'a.b.c.d',
      `${token} `,
      `${b64('[1]')}.${b64({})}.sig`,
      `${b64({ alg: 'ES256' })}.${b64('"s"')}.x`,
    ]) {
      expect((await refusal(verify(bad, jwks))).reason).toBe('malformed');
    }
    const arrayPayload = handSign({ alg: 'ES256', kid: 'k' }, '[1,2]', attacker.privateKey);
    expect((await refusal(verify(arrayPayload, jwks))).reason).toBe('malformed');
    expect((await refusal(verifyWithJwks(token, jwks, { algorithms: ['ES256'], maxLength: 50 }))).reason).toBe(
      'malformed',
    );
  });
});

describe('exact encoding', () => {
  it('refuses bytes appended after the signature, whatever they decode to', async () => {
    const jwks = store.publicJwks();
    // `x` alone decodes to no whole byte: Buffer.from would drop it and the signature would still verify.
    for (const suffix of ['x', 'A', 'AA', 'AAA', 'AAAA']) {
      const error = await refusal(verify(`${token}${suffix}`, jwks));
      expect(error.reason).toBe('malformed');
    }
  });

  it('refuses a segment that is not canonical base64url (trailing bits set, so it decodes to the same bytes)', async () => {
    const parts = token.split('.');
    const signature = parts[2]!;
    // 64 bytes encode to 86 characters whose last carries 4 unused bits; flipping them keeps the decoded bytes.
    const last = signature.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sibling = alphabet[alphabet.indexOf(last) ^ 0b0001]!;
    const twin = `${signature.slice(0, -1)}${sibling}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
    expect((await refusal(verify(withSegment(token, 2, twin), store.publicJwks()))).reason).toBe('malformed');
    expect(() => decodeUnverified(withSegment(token, 1, `${parts[1]!}=`))).toThrow(JwsError);
  });

  it('refuses a signature that is not exactly the algorithm length (ES256: 64 bytes; RS512: the modulus)', async () => {
    const ec = ecKeyPair('ec-len');
    const rsa = rsaKeyPair('rsa-len');
    const jwks = publicJwks.parse({ keys: [ec.publicJwk, rsa.publicJwk] });
    const es256 = handSign({ alg: 'ES256', kid: 'ec-len' }, { a: 1 }, ec.privateKey);
    const rs512 = handSign({ alg: 'RS512', kid: 'rsa-len' }, { a: 1 }, rsa.privateKey);
    const both: JwsAlgorithm[] = ['ES256', 'RS512'];
    for (const jws of [es256, rs512]) {
      expect((await verifyWithJwks(jws, jwks, { algorithms: both })).payload).toEqual({ a: 1 });
      const signature = Buffer.from(jws.split('.')[2]!, 'base64url');
      for (const wrong of [Buffer.concat([signature, Buffer.from([0, 0, 0])]), signature.subarray(0, -3)]) {
        const error = await refusal(verifyWithJwks(withSegment(jws, 2, b64(wrong)), jwks, { algorithms: both }));
        expect(error.reason).toBe('malformed');
      }
    }
  });
});

describe('verifyWithJwks', () => {
  it('verifies RS512 and ES256 client keys, each only under its own algorithm', async () => {
    const rsa = rsaKeyPair('rsa-1');
    const ec = ecKeyPair('ec-1');
    const jwks = publicJwks.parse({ keys: [rsa.publicJwk, ec.publicJwk] });
    const rs512 = handSign({ alg: 'RS512', kid: 'rsa-1', typ: 'JWT' }, { iss: 'a' }, rsa.privateKey);
    const es256 = handSign({ alg: 'ES256', kid: 'ec-1' }, { iss: 'b' }, ec.privateKey);
    const both: JwsAlgorithm[] = ['RS512', 'ES256'];

    expect((await verifyWithJwks(rs512, jwks, { algorithms: both })).payload).toEqual({ iss: 'a' });
    expect((await verifyWithJwks(es256, jwks, { algorithms: both })).header).toEqual({ alg: 'ES256', kid: 'ec-1' });
    expect((await refusal(verifyWithJwks(es256, jwks, { algorithms: ['RS512'] }))).reason).toBe('alg-not-allowed');
    // The kid exists, but it is an RSA key: it never verifies ES256.
    const mismatch = handSign({ alg: 'ES256', kid: 'rsa-1' }, { iss: 'a' }, ec.privateKey);
    expect((await refusal(verifyWithJwks(mismatch, jwks, { algorithms: both }))).reason).toBe('unknown-kid');
  });

  it('refuses to be called without algorithms or with a symmetric one', async () => {
    const jwks: PublicJwks = store.publicJwks();
    await expect(verifyWithJwks(token, jwks, { algorithms: [] })).rejects.toThrow(TypeError);
    const hs = ['HS256'] as unknown as JwsAlgorithm[];
    await expect(verifyWithJwks(token, jwks, { algorithms: hs })).rejects.toThrow(TypeError);
  });
});

describe('decodeUnverified', () => {
  it('decodes header and payload without checking the signature', () => {
    const decoded = decodeUnverified(withSegment(token, 2, 'AAAA'));
    expect(decoded.payload).toEqual({ sub: 'client-1', role: 'gp' });
    expect(decoded.header.alg).toBe('ES256');
    expect(() => decodeUnverified(`${b64({ kid: 'x' })}.${b64({})}.`)).toThrow('The JWS header has no alg.');
  });
});

describe('publicJwk schema', () => {
  it('refuses private members, weak RSA, bad points and other key types; drops extra members', () => {
    const ec = ecKeyPair('ec');
    expect(publicJwk.safeParse(ec.privateJwk).error?.issues.map((issue) => issue.path.join('.'))).toEqual(['d']);
    const weak = rsaKeyPair('weak', 1024);
    expect(publicJwk.safeParse(weak.publicJwk).error?.issues.map((issue) => issue.message)).toEqual([
      'RSA modulus must be at least 2048 bits',
    ]);
    const offCurve = { ...ec.publicJwk, y: ec.publicJwk['x'] };
    expect(publicJwk.safeParse(offCurve).error?.issues.map((issue) => issue.message)).toEqual([
      'is not a valid EC P-256 public key',
    ]);
    expect(publicJwk.safeParse({ kty: 'oct', k: 'c2VjcmV0', kid: 'h' }).success).toBe(false);
    expect(publicJwk.safeParse({ ...ec.publicJwk, alg: 'RS512' }).success).toBe(false);
    expect(publicJwk.parse({ ...ec.publicJwk, x5c: ['MII...'], key_ops: ['verify'] })).toEqual({
      kty: 'EC',
      crv: 'P-256',
      x: ec.publicJwk['x'],
      y: ec.publicJwk['y'],
      kid: 'ec',
      alg: 'ES256',
      use: 'sig',
    });
  });
});
