import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { MAX_JWKS_KEYS, publicMembers, type PublicJwk } from './jwk.ts';
import { generateSigningKey, loadFile, readOrGenerate, SigningKeyError } from './key-store.ts';

export interface RotateOptions {
  /** The hub's signing keys file (`HUB_SIGNING_KEYS_FILE`). */
  readonly file: string;
  /** How long a retired key stays published after `retiredAt` (`retiredKeyKeepMs(...)`); default forever. */
  readonly retiredKeyKeepMs?: number;
  readonly now?: () => Date;
}

export interface RotateResult {
  /** kid of the new signing key. */
  readonly activeKid: string;
  /** kids retired by this rotation (the previous signer, and any key that had no state). */
  readonly retiredKids: readonly string[];
  /** Retired keys whose time had passed: removed from the file, so from the JWKS. */
  readonly droppedKids: readonly string[];
  /** Each retired key still in the file, and until when it is published (`null`: forever). */
  readonly retired: readonly { readonly kid: string; readonly publishedUntil: string | null }[];
}

/**
 * `./hub keys rotate`: a new ES256 key becomes the active signer; the previous signer (and any other key without a
 * state) becomes `retired` at `now`, keeping only its public members: verification needs no more, and a private
 * key that no longer signs is only a liability. Retired keys past `retiredAt + retiredKeyKeepMs` are dropped. The
 * new file is proved (every key loaded, as the hub will) before it replaces the old one atomically: written to a
 * temporary file (mode 0600) in the same directory, synced, then renamed over it. A running hub picks it up on
 * SIGHUP (`HubKeyStore.reload`).
 */
export async function rotateKeyFile(options: RotateOptions): Promise<RotateResult> {
  const now = (options.now ?? (() => new Date()))();
  const keepMs = options.retiredKeyKeepMs ?? Number.POSITIVE_INFINITY;
  const current = await loadFile(await readOrGenerate(options.file, false));
  const fresh = await generateSigningKey();

  const newlyRetired = [current.active, ...current.others].map((key) => ({
    publicJwk: key.publicJwk,
    retiredAt: now,
  }));
  const kept = current.retired.filter((key) => key.retiredAt.getTime() + keepMs > now.getTime());
  const dropped = current.retired.filter((key) => !kept.includes(key));
  const retired = [...newlyRetired, ...kept];
  if (1 + retired.length > MAX_JWKS_KEYS) {
    throw new SigningKeyError([
      `keys: a rotation would hold ${1 + retired.length} keys, more than ${MAX_JWKS_KEYS}: retired keys are still ` +
        'within their retention; remove one by hand only once nothing it signed can still be read',
    ]);
  }
  const entry = (key: PublicJwk, retiredAt: Date) => ({
    ...publicMembers(key),
    state: 'retired',
    retiredAt: retiredAt.toISOString(),
  });
  const content = `${JSON.stringify(
    { keys: [{ ...fresh, state: 'active' }, ...retired.map((key) => entry(key.publicJwk, key.retiredAt))] },
    null,
    2,
  )}\n`;
  // Proved exactly as the hub will load it, before anything is replaced.
  await loadFile(Buffer.from(content, 'utf8'));
  await replaceAtomically(options.file, content);

  return {
    activeKid: fresh.kid,
    retiredKids: newlyRetired.map((key) => key.publicJwk.kid),
    droppedKids: dropped.map((key) => key.publicJwk.kid),
    retired: retired.map((key) => ({
      kid: key.publicJwk.kid,
      publishedUntil: Number.isFinite(keepMs) ? new Date(key.retiredAt.getTime() + keepMs).toISOString() : null,
    })),
  };
}

/** Write beside the target (same file system, so rename is atomic), 0600, fsync, rename: readers see old or new. */
async function replaceAtomically(file: string, content: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
