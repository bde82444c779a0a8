import { readFile, stat } from 'node:fs/promises';
import { cosignerVerifierKey, generateSignerKey, parseSignerKey } from '@hub/tlog';
import { writeFileAtomically } from './files.ts';

// The witness's Ed25519 key: an skey file (`PRIVATE+KEY+<name>+<id>+<base64 seed>`, golang.org/x/mod/sumdb/note's
// form) readable by the witness alone. Its public half is published as a cosignature vkey (type 0x04).

export class WitnessKeyError extends Error {
  constructor(why: string) {
    super(`witness key: ${why}`);
    this.name = 'WitnessKeyError';
  }
}

export interface WitnessKey {
  readonly name: string;
  readonly skey: string;
  /** The cosignature vkey (type 0x04) to give the logs and verifiers. */
  readonly vkey: string;
}

/**
 * Reads the key file; when it does not exist and `generateName` is given, writes a new key under that name first
 * (0600, never over an existing file) and its vkey beside it (`<file>.vkey`, 0644). A key file the world can read
 * is refused: a witness whose key leaked vouches for nothing.
 */
export async function loadWitnessKey(file: string, generateName?: string): Promise<WitnessKey> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || generateName === undefined) {
      throw new WitnessKeyError('the key file cannot be read (set WITNESS_KEY_GENERATE=true to make one)');
    }
    const { skey } = generateSignerKey(generateName);
    await writeFileAtomically(file, `${skey}\n`, { mode: 0o600, exclusive: true });
    await writeFileAtomically(`${file}.vkey`, `${cosignerVerifierKey(skey)}\n`, { mode: 0o644 });
    text = `${skey}\n`;
  }
  // Owner and group only (a Kubernetes Secret mounted 0440 for the pod's group passes); never the world.
  if (((await stat(file)).mode & 0o007) !== 0) {
    throw new WitnessKeyError('the key file is readable by others (chmod 600)');
  }
  let name: string;
  const skey = text.trim();
  try {
    name = parseSignerKey(skey).name;
  } catch {
    throw new WitnessKeyError('the key file does not hold an Ed25519 signer key (PRIVATE+KEY+...)');
  }
  return { name, skey, vkey: cosignerVerifierKey(skey) };
}
