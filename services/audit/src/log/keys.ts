import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  SIGNATURE_TYPE,
  formatVerifierKey,
  generateSignerKey,
  noteSigner,
  parseSignerKey,
  type NoteSigner,
} from '@hub/tlog';

/** The log's checkpoint key: its signer, and the vkey auditors and witnesses verify with. */
export interface LogKey {
  readonly signer: NoteSigner;
  readonly vkey: string;
}

/** The log's key could not be used; the message names the file's problem, never its contents. */
export class LogKeyError extends Error {
  override readonly name = 'LogKeyError';
}

/** Longer than any skey (`PRIVATE+KEY+` + a 256-character name + an ID + 44 base64 characters). */
const MAX_KEY_FILE_BYTES = 1024;

const codeOf = (error: unknown): string | undefined =>
  typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;

/**
 * Reads the log's Ed25519 signer key (a golang.org/x/mod/sumdb/note skey, `PRIVATE+KEY+<origin>+<id>+<base64>`)
 * from `file`, once at start (synchronously: a service's face is built synchronously). Its name must be the log's origin: C2SP checkpoints are signed by a key named as the log. With
 * `generateIfMissing` (local development and tests only) a missing file is created with a new key, 0600, never
 * overwriting one that appeared meanwhile.
 */
export function loadLogKey(file: string, origin: string, generateIfMissing: boolean): LogKey {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw new LogKeyError(`the audit log key file cannot be read (${codeOf(error)})`);
    if (!generateIfMissing) throw new LogKeyError('the audit log key file does not exist');
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    try {
      writeFileSync(file, `${generateSignerKey(origin).skey}\n`, { mode: 0o600, flag: 'wx' });
    } catch (writeError) {
      if (codeOf(writeError) !== 'EEXIST') throw writeError;
    }
    text = readFileSync(file, 'utf8');
  }
  // A signing key others can read is a key others may have: refused, as the witness refuses its own. The owner's
  // group may read it: a Kubernetes Secret reaches the pod's non-root user only through its fsGroup (mode 0440, owned
  // by root), and that group is the hub's alone (infra/k8s); a key only root could read would never load there.
  if ((statSync(file).mode & 0o007) !== 0)
    throw new LogKeyError('the audit log key file is readable by others (chmod 600)');
  if (Buffer.byteLength(text) > MAX_KEY_FILE_BYTES) throw new LogKeyError('the audit log key file is too large');
  let key: ReturnType<typeof parseSignerKey>;
  try {
    key = parseSignerKey(text.trim());
  } catch {
    throw new LogKeyError('the audit log key file does not hold a PRIVATE+KEY+ Ed25519 signer key');
  }
  if (key.name !== origin) throw new LogKeyError("the audit log key's name is not the log's origin");
  return {
    signer: noteSigner(text.trim()),
    vkey: formatVerifierKey(key.name, SIGNATURE_TYPE.ed25519, key.publicKey),
  };
}
