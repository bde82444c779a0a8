import { stat, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createKeyStore, PRIVATE_JWK_MEMBERS, SigningKeyError, verify, type PublicJwks } from './index.ts';
import { ecKeyPair, ecThumbprint, rsaKeyPair, tempDir, type TempDir } from './test-support.ts';

let dir: TempDir;

beforeEach(async () => {
  dir = await tempDir();
});

afterEach(async () => {
  await dir.remove();
});

function decodeSegment(jws: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(jws.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

async function loadError(file: string): Promise<SigningKeyError> {
  const error: unknown = await createKeyStore({ file }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SigningKeyError);
  return error as SigningKeyError;
}

describe('createKeyStore with generateIfMissing', () => {
  it('creates one ES256 key with its RFC 7638 thumbprint as kid, in a 0600 file, and reuses it next time', async () => {
    const file = join(dir.path, 'nested', 'keys.json');
    const store = await createKeyStore({ file, generateIfMissing: true });

    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, string>[] };
    expect(saved.keys).toHaveLength(1);
    const key = saved.keys[0]!;
    expect(key).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    expect(key['d']).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key['kid']).toBe(ecThumbprint({ crv: 'P-256', x: key['x']!, y: key['y']! }));
    expect(store.activeKid).toBe(key['kid']);
    expect(store.algorithm).toBe('ES256');

    const again = await createKeyStore({ file, generateIfMissing: true });
    expect(again.activeKid).toBe(store.activeKid);
    expect(await readFile(file, 'utf8')).toBe(JSON.stringify(saved, null, 2) + '\n');
  });

  it('refuses a missing file when generation is off', async () => {
    const error = await loadError(join(dir.path, 'absent.json'));
    expect(error.problems).toEqual(['(file): does not exist']);
  });
});

describe('sign', () => {
  it('produces a compact JWS with protected alg, kid and typ that verifies against the published JWKS', async () => {
    const store = await createKeyStore({ file: join(dir.path, 'keys.json'), generateIfMissing: true });
    const jws = await store.sign({ sub: 'client-1', n: 42 }, { typ: 'at+jwt' });

    expect(jws.split('.')).toHaveLength(3);
    expect(decodeSegment(jws, 0)).toEqual({ alg: 'ES256', kid: store.activeKid, typ: 'at+jwt' });
    // Signed exactly as given: no iat or other claim added.
    expect(decodeSegment(jws, 1)).toEqual({ sub: 'client-1', n: 42 });
    const verified = await verify(jws, store.publicJwks());
    expect(verified.payload).toEqual({ sub: 'client-1', n: 42 });
    expect(verified.header).toEqual({ alg: 'ES256', kid: store.activeKid, typ: 'at+jwt' });
  });

  it('signs RS512 with an RSA key', async () => {
    const rsa = rsaKeyPair('rsa-1');
    const store = await createKeyStore({ file: await dir.file('keys.json', { keys: [rsa.privateJwk] }) });
    const jws = await store.sign({ a: 1 }, { typ: 'JWT' });
    expect(decodeSegment(jws, 0)).toEqual({ alg: 'RS512', kid: 'rsa-1', typ: 'JWT' });
    expect((await verify(jws, store.publicJwks())).payload).toEqual({ a: 1 });
  });

  it('refuses a non-object payload and a bad typ', async () => {
    const store = await createKeyStore({ file: join(dir.path, 'keys.json'), generateIfMissing: true });
    await expect(store.sign([1, 2], { typ: 'JWT' })).rejects.toThrow(TypeError);
    await expect(store.sign(null as unknown as object, { typ: 'JWT' })).rejects.toThrow(TypeError);
    await expect(store.sign({}, { typ: '' })).rejects.toThrow(TypeError);
    await expect(store.sign({}, { typ: 'a b' })).rejects.toThrow(TypeError);
  });
});

describe('publicJwks', () => {
  it('publishes only public members of every key, EC and RSA', async () => {
    const ec = ecKeyPair('ec-1');
    const rsa = rsaKeyPair('rsa-1');
    const store = await createKeyStore({
      file: await dir.file('keys.json', { keys: [ec.privateJwk, rsa.privateJwk] }),
    });
    const jwks = store.publicJwks();

    expect(jwks.keys.map((key) => Object.keys(key).sort())).toEqual([
      ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
      ['alg', 'e', 'kid', 'kty', 'n', 'use'],
    ]);
    const text = JSON.stringify(jwks);
    for (const member of PRIVATE_JWK_MEMBERS) {
      for (const key of jwks.keys) expect(key).not.toHaveProperty(member);
    }
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) {
      if (ec.privateJwk[member] !== undefined) expect(text).not.toContain(ec.privateJwk[member]);
      expect(text).not.toContain(rsa.privateJwk[member]!);
    }
    expect(store.publicJwks()).toBe(jwks);
    expect(Object.isFrozen(jwks.keys[0])).toBe(true);
  });
});

describe('rotation', () => {
  it('signs with the flagged key and keeps publishing the old one, so its tokens still verify', async () => {
    const old = ecKeyPair('2024-01');
    const next = rsaKeyPair('2024-07');
    const before = await createKeyStore({ file: await dir.file('before.json', { keys: [old.privateJwk] }) });
    const oldToken = await before.sign({ era: 'old' }, { typ: 'JWT' });

    const during = await createKeyStore({
      file: await dir.file('during.json', { keys: [old.privateJwk, next.privateJwk], activeKid: '2024-07' }),
    });
    expect(during.activeKid).toBe('2024-07');
    const newToken = await during.sign({ era: 'new' }, { typ: 'JWT' });
    expect(decodeSegment(newToken, 0)['kid']).toBe('2024-07');
    // Active key first, then the rest.
    expect(during.publicJwks().keys.map((key) => key.kid)).toEqual(['2024-07', '2024-01']);
    expect((await verify(oldToken, during.publicJwks())).payload).toEqual({ era: 'old' });
    expect((await verify(newToken, during.publicJwks())).payload).toEqual({ era: 'new' });

    const after = await createKeyStore({ file: await dir.file('after.json', { keys: [next.privateJwk] }) });
    await expect(verify(oldToken, after.publicJwks())).rejects.toMatchObject({ reason: 'unknown-kid' });
    expect((await verify(newToken, after.publicJwks())).payload).toEqual({ era: 'new' });
  });

  it('uses the first key when no key is flagged', async () => {
    const first = ecKeyPair('first');
    const second = ecKeyPair('second');
    const store = await createKeyStore({
      file: await dir.file('k.json', { keys: [first.privateJwk, second.privateJwk] }),
    });
    expect(store.activeKid).toBe('first');
  });
});

describe('invalid key files', () => {
  it('lists every problem by key index and kid, and never prints key material', async () => {
    const good = ecKeyPair('good');
    const weak = rsaKeyPair('weak', 1024);
    const curve = ecKeyPair('curve');
    const wrongCurve = { ...curve.privateJwk, crv: 'P-384' };
    const noPrivate = ecKeyPair('public-only').publicJwk;
    const file = await dir.file('keys.json', {
      keys: [
        good.privateJwk,
        weak.privateJwk,
        wrongCurve,
        noPrivate,
        { ...good.privateJwk },
        { kty: 'oct', k: 'c2VjcmV0' },
      ],
      activeKid: 'missing',
      extra: true,
    });
    const error = await loadError(file);

    expect(error.problems).toEqual([
      'keys[1] (kid "weak"): RSA modulus must be at least 2048 bits',
      'keys[2] (kid "curve").crv: must be "P-256" (ES256)',
      'keys[3] (kid "public-only").d: Invalid input: expected string, received undefined',
      'keys[5].kty: must be a JWK object with kty "EC" (P-256, ES256) or "RSA" (RS512)',
      '(file): Unrecognized key: "extra"',
      'keys[4] (kid "good").kid: duplicates keys[0].kid',
      'activeKid: names no key in keys',
    ]);
    expect(error.message).toMatch(/^Invalid signing keys file \(7 problems\):\n {2}keys\[1\]/);
    for (const secret of [good.privateJwk['d']!, weak.privateJwk['d']!, curve.privateJwk['d']!, 'c2VjcmV0']) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('reports duplicate kids and an activeKid that names no key', async () => {
    const a = ecKeyPair('same');
    const b = ecKeyPair('same');
    const error = await loadError(
      await dir.file('keys.json', { keys: [a.privateJwk, b.privateJwk], activeKid: 'nope' }),
    );
    expect(error.problems).toEqual([
      'keys[1] (kid "same").kid: duplicates keys[0].kid',
      'activeKid: names no key in keys',
    ]);
  });

  it('refuses a key whose private part does not belong to its public part', async () => {
    const a = ecKeyPair('mixed');
    const b = ecKeyPair('other');
    const error = await loadError(await dir.file('keys.json', { keys: [{ ...a.privateJwk, d: b.privateJwk['d'] }] }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems).toEqual(['keys[0] (kid "mixed"): the private key does not match the public members']);
    expect(error.message).not.toContain(b.privateJwk['d']);
  });

  it('refuses a file that is not JSON, empty, or without keys', async () => {
    expect((await loadError(await dir.file('a.json', '{"keys": ['))).problems).toEqual(['(file): is not valid JSON']);
    expect((await loadError(await dir.file('b.json', { keys: [] }))).problems).toEqual([
      'keys: must hold at least one key',
    ]);
    expect((await loadError(await dir.file('c.json', {}))).problems).toEqual([
      'keys: Invalid input: expected array, received undefined',
    ]);
  });
});

describe('verify with a foreign JWKS', () => {
  it('refuses a token from a store whose keys are not published', async () => {
    const one = await createKeyStore({ file: join(dir.path, 'one.json'), generateIfMissing: true });
    const two = await createKeyStore({ file: join(dir.path, 'two.json'), generateIfMissing: true });
    const token = await one.sign({ a: 1 }, { typ: 'JWT' });
    const forged: PublicJwks = { keys: [{ ...two.publicJwks().keys[0]!, kid: one.activeKid }] };
    await expect(verify(token, two.publicJwks())).rejects.toMatchObject({ reason: 'unknown-kid' });
    await expect(verify(token, forged)).rejects.toMatchObject({ reason: 'bad-signature' });
  });
});
