import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createKeyStore,
  publicJwks,
  retiredKeyKeepMs,
  rotateKeyFile,
  SigningKeyError,
  verify,
  type PublicJwks,
} from './index.ts';
import { ecKeyPair, rsaKeyPair, tempDir, type TempDir } from './test-support.ts';
import { verifyWithNodeJose } from './testing.ts';

const DAY = 24 * 60 * 60 * 1000;
/** The inboxes' default retention (contracts INBOX_RETENTION_DAYS, HUB_INBOX_RETENTION_DAYS): 90 days, and a day. */
const KEEP = retiredKeyKeepMs(90 * DAY);

let dir: TempDir;
let file: string;
let clock: Date;
const now = () => clock;

beforeEach(async () => {
  dir = await tempDir();
  file = join(dir.path, 'keys.json');
  clock = new Date('2026-12-01T00:00:00Z');
});

afterEach(async () => {
  await dir.remove();
});

const kidsOf = (jwks: PublicJwks) => jwks.keys.map((key) => key.kid);

async function loadError(content: object): Promise<SigningKeyError> {
  await writeFile(file, JSON.stringify(content), { mode: 0o600 });
  const error: unknown = await createKeyStore({ file }).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(SigningKeyError);
  return error as SigningKeyError;
}

describe('rotation', () => {
  it('verifies a notification signed two rotations ago against the reloaded JWKS, then drops its key after the retention', async () => {
    const store = await createKeyStore({ file, generateIfMissing: true, now, retiredKeyKeepMs: KEEP });
    const first = store.activeKid;
    const notification = await store.sign({ id: 'n-1', kind: 'gp-notification' }, { typ: 'notification+jws' });

    clock = new Date(clock.getTime() + 10 * DAY);
    const one = await rotateKeyFile({ file, now, retiredKeyKeepMs: KEEP });
    expect(one.retiredKids).toEqual([first]);
    expect(await store.reload()).toEqual({ ok: true, activeKid: one.activeKid, published: 2 });
    clock = new Date(clock.getTime() + 10 * DAY);
    const two = await rotateKeyFile({ file, now, retiredKeyKeepMs: KEEP });
    expect(two.droppedKids).toEqual([]);
    expect((await store.reload()).ok).toBe(true);

    expect(store.activeKid).toBe(two.activeKid);
    expect(new Set([first, one.activeKid, two.activeKid]).size).toBe(3);
    expect(kidsOf(store.publicJwks())).toEqual([two.activeKid, one.activeKid, first]);
    // What a client fetches: the published JWKS, as JSON, validated, then both verifiers.
    const fetched = publicJwks.parse(JSON.parse(JSON.stringify(store.publicJwks())));
    expect((await verify(notification, fetched)).payload).toEqual({ id: 'n-1', kind: 'gp-notification' });
    expect((await verifyWithNodeJose(notification, fetched)).payload).toEqual({ id: 'n-1', kind: 'gp-notification' });
    // The new key signs, and its signature verifies too.
    const fresh = await store.sign({ id: 'n-2' }, { typ: 'notification+jws' });
    expect((await verify(fresh, fetched)).header.kid).toBe(two.activeKid);

    // Still published one millisecond before retiredAt + the retention + a day, gone at it.
    const firstRetiredAt = new Date('2026-12-11T00:00:00Z').getTime();
    clock = new Date(firstRetiredAt + KEEP - 1);
    expect(kidsOf(store.publicJwks())).toContain(first);
    clock = new Date(firstRetiredAt + KEEP);
    expect(kidsOf(store.publicJwks())).toEqual([two.activeKid, one.activeKid]);
    await expect(verify(notification, store.publicJwks())).rejects.toMatchObject({ reason: 'unknown-kid' });

    // The next rotation removes it from the file as well.
    const three = await rotateKeyFile({ file, now, retiredKeyKeepMs: KEEP });
    expect(three.droppedKids).toEqual([first]);
  });

  it('writes the new file atomically with mode 0600, keeps no private member of a retired key, and leaves no temp file', async () => {
    const store = await createKeyStore({ file, generateIfMissing: true, now });
    await rotateKeyFile({ file, now });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(dir.path)).toEqual(['keys.json']);
    const saved = JSON.parse(await readFile(file, 'utf8')) as { keys: Record<string, unknown>[] };
    expect(saved.keys.map((key) => key['state'])).toEqual(['active', 'retired']);
    expect(saved.keys[0]).toHaveProperty('d');
    expect(saved.keys[1]).toMatchObject({ kid: store.activeKid, retiredAt: clock.toISOString() });
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(saved.keys[1]).not.toHaveProperty(member);
  });

  it('retires every key of a file from before states (activeKid and a second signing key)', async () => {
    const a = ecKeyPair('2026-01');
    const b = rsaKeyPair('2026-07');
    await writeFile(file, JSON.stringify({ keys: [a.privateJwk, b.privateJwk], activeKid: '2026-07' }));
    const result = await rotateKeyFile({ file, now });
    expect(result.retiredKids).toEqual(['2026-07', '2026-01']);
    expect(result.retired.every((key) => key.publishedUntil === null)).toBe(true);
    const store = await createKeyStore({ file, now });
    expect(kidsOf(store.publicJwks())).toEqual([result.activeKid, '2026-07', '2026-01']);
  });

  it('keeps the keys in use when a reload finds a bad file, and names the problem', async () => {
    const store = await createKeyStore({ file, generateIfMissing: true, now });
    const before = store.activeKid;
    await writeFile(file, '{"keys": []}');
    expect(await store.reload()).toEqual({ ok: false, problems: ['keys: must hold at least one key'] });
    expect(store.activeKid).toBe(before);
  });
});

describe('key states in the file', () => {
  it('refuses two active keys, naming the field and never the key material', async () => {
    const a = ecKeyPair('k-a');
    const b = ecKeyPair('k-b');
    const error = await loadError({
      keys: [
        { ...a.privateJwk, state: 'active' },
        { ...b.privateJwk, state: 'active' },
      ],
    });
    expect(error.problems).toEqual(['keys[1] (kid "k-b").state: a second active key (keys[0] is active)']);
    for (const secret of [a.privateJwk['d']!, b.privateJwk['d']!, b.privateJwk['x']!]) {
      expect(error.message).not.toContain(secret);
    }
  });

  it('refuses a retired key without retiredAt, or with a private member, naming the field', async () => {
    const a = ecKeyPair('k-a');
    const b = ecKeyPair('k-b');
    const c = ecKeyPair('k-c');
    const error = await loadError({
      keys: [
        { ...a.privateJwk, state: 'active' },
        { ...b.publicJwk, state: 'retired' },
        { ...c.privateJwk, state: 'retired', retiredAt: '2026-11-01T00:00:00Z' },
      ],
    });
    expect(error.problems).toEqual([
      'keys[1] (kid "k-b").retiredAt: is required for a retired key: an ISO 8601 date-time (when it stopped signing)',
      'keys[2] (kid "k-c").d: must not be present: this must be a public key (a private member was found)',
    ]);
    for (const secret of [b.publicJwk['x']!, c.privateJwk['d']!]) expect(error.message).not.toContain(secret);
  });

  it('refuses an unknown state and a file whose every key is retired', async () => {
    const a = ecKeyPair('k-a');
    expect((await loadError({ keys: [{ ...a.privateJwk, state: 'resting' }] })).problems).toEqual([
      'keys[0] (kid "k-a").state: must be "active" or "retired" when present',
    ]);
    const retired = { ...a.publicJwk, state: 'retired', retiredAt: '2026-11-01T00:00:00Z' };
    expect((await loadError({ keys: [retired] })).problems).toEqual(['keys: no key can sign (every key is retired)']);
  });
});
