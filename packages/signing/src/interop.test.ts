// The key store signs and verify checks with node:crypto; node-jose, which did both before, is the independent
// reference (./testing.ts): it must verify what the hub signs, and the hub what it signs, byte for byte the same JWS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyStore, privateJwk, verify, type HubKeyStore, type PrivateJwk } from './index.ts';
import { b64, ecKeyPair, rsaKeyPair, tempDir, type TempDir } from './test-support.ts';
import { createNodeJoseSigner, verifyWithNodeJose, type NodeJoseSigner } from './testing.ts';

/** A notification-like payload: nested objects, an array, null, numbers, non-ASCII text and characters JSON escapes. */
const PAYLOAD = {
  kind: 'da-gp-notification',
  notificationId: 'ntf_0123456789abcdef',
  patient: { nhsNumber: '9991001018', name: { given: 'Zoë', family: "O'Brien-Łukasz" } },
  markers: { confidential: true, withheld: null },
  subjects: [1, 2.5, -3e-7],
  note: 'quote " backslash \\ newline \n tab \t emoji 🛡️ line separator \u2028 end',
};
const TYP = 'da-gp-notification+jws';

interface Signers {
  readonly store: HubKeyStore;
  readonly jwk: PrivateJwk;
  readonly nodeJose: NodeJoseSigner;
}

let dir: TempDir;
let stores: Readonly<Record<'ES256' | 'RS512', Signers>>;

async function signers(name: string, pair: { readonly privateJwk: Record<string, string> }): Promise<Signers> {
  const jwk = privateJwk.parse(pair.privateJwk);
  const store = await createKeyStore({ file: await dir.file(`${name}.json`, { keys: [pair.privateJwk] }) });
  return { store, jwk, nodeJose: await createNodeJoseSigner(jwk) };
}

beforeAll(async () => {
  dir = await tempDir();
  stores = {
    ES256: await signers('ec', ecKeyPair('ec-2026-12')),
    RS512: await signers('rsa', rsaKeyPair('rsa-2026-12')),
  };
});

afterAll(async () => {
  await dir.remove();
});

const signingInput = (jws: string): string => jws.slice(0, jws.lastIndexOf('.'));

function withSegment(jws: string, index: number, value: string): string {
  const parts = jws.split('.');
  parts[index] = value;
  return parts.join('.');
}

describe.each(['ES256', 'RS512'] as const)('%s: the hub and node-jose', (alg) => {
  it('sign the same header and payload bytes: alg, kid, typ in that order, the payload as JSON.stringify gives it', async () => {
    const { store, nodeJose } = stores[alg];
    const ours = await store.sign(PAYLOAD, { typ: TYP });
    const theirs = await nodeJose(PAYLOAD, TYP);

    expect(signingInput(ours)).toBe(signingInput(theirs));
    const [header, payload, signature] = ours.split('.');
    expect(Buffer.from(header!, 'base64url').toString('utf8')).toBe(
      `{"alg":"${alg}","kid":"${store.activeKid}","typ":"${TYP}"}`,
    );
    expect(Buffer.from(payload!, 'base64url').toString('utf8')).toBe(JSON.stringify(PAYLOAD));
    // ES256 in JOSE form: r || s, 32 bytes each (never DER); RS512: the 2048-bit modulus.
    expect(Buffer.from(signature!, 'base64url')).toHaveLength(alg === 'ES256' ? 64 : 256);
    if (alg === 'RS512') expect(ours).toBe(theirs); // PKCS#1 v1.5 is deterministic: the whole JWS is the same
  });

  it('verify each other: node-jose verifies what the key store signs, verify what node-jose signs', async () => {
    const { store, nodeJose } = stores[alg];
    const jwks = store.publicJwks();
    const ours = await store.sign(PAYLOAD, { typ: TYP });
    const theirs = await nodeJose(PAYLOAD, TYP);

    const byNodeJose = await verifyWithNodeJose(ours, jwks);
    expect(byNodeJose.payload).toEqual(PAYLOAD);
    expect(byNodeJose.header).toEqual({ alg, kid: store.activeKid, typ: TYP });
    const byHub = await verify(theirs, jwks);
    expect(byHub.payload).toEqual(PAYLOAD);
    expect(byHub.header).toEqual({ alg, kid: store.activeKid, typ: TYP });
  });

  it('refuse a tampered payload or header, whichever of the two signed it', async () => {
    const { store, nodeJose } = stores[alg];
    const jwks = store.publicJwks();
    for (const jws of [await store.sign(PAYLOAD, { typ: TYP }), await nodeJose(PAYLOAD, TYP)]) {
      const tampered = [
        withSegment(jws, 1, b64({ ...PAYLOAD, notificationId: 'ntf_fedcba9876543210' })),
        withSegment(jws, 0, b64({ alg, kid: store.activeKid, typ: 'da-marac-referral+jws' })),
        // The same members in another order: other bytes, so not what was signed.
        withSegment(jws, 0, b64({ kid: store.activeKid, alg, typ: TYP })),
      ];
      for (const forged of tampered) {
        await expect(verify(forged, jwks)).rejects.toMatchObject({ reason: 'bad-signature' });
        await expect(verifyWithNodeJose(forged, jwks)).rejects.toMatchObject({ reason: 'bad-signature' });
      }
    }
  });
});

describe('rotation, as node-jose sees it', () => {
  it("signs with the active kid; node-jose verifies the old key's and the new key's tokens from the published JWKS", async () => {
    const old = stores.ES256;
    const oldToken = await old.store.sign(PAYLOAD, { typ: TYP });
    const next = ecKeyPair('ec-2027-06');
    const during = await createKeyStore({
      file: await dir.file('during.json', { keys: [old.jwk, next.privateJwk], activeKid: 'ec-2027-06' }),
    });
    const newToken = await during.sign(PAYLOAD, { typ: TYP });

    expect((await verifyWithNodeJose(newToken, during.publicJwks())).header['kid']).toBe('ec-2027-06');
    expect((await verifyWithNodeJose(oldToken, during.publicJwks())).header['kid']).toBe(old.store.activeKid);
    await expect(verifyWithNodeJose(newToken, old.store.publicJwks())).rejects.toMatchObject({
      reason: 'unknown-kid',
    });
  });
});
