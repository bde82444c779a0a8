import { noteVerifier, parseVerifierKey, SIGNATURE_TYPE, type NoteVerifier } from '@hub/tlog';

// The logs a witness witnesses: a text file of `<origin> <vkey>` lines, written by the witness's operator.

/** A witness follows a handful of logs; a list this long is a mistake. */
export const MAX_WITNESSED_LOGS = 1_000;
/** Keys per origin: the current one and those of a rotation in progress. */
export const MAX_KEYS_PER_LOG = 4;
const MAX_ORIGIN_LENGTH = 256;

export interface WitnessedLog {
  readonly origin: string;
  /** The log's Ed25519 note verifiers (type 0x01): a checkpoint needs a valid signature of one of them. */
  readonly verifiers: readonly NoteVerifier[];
}

export class LogsFileError extends Error {
  constructor(line: number | undefined, why: string) {
    super(line === undefined ? `logs file: ${why}` : `logs file, line ${line}: ${why}`);
    this.name = 'LogsFileError';
  }
}

/**
 * One log per line: its origin (the checkpoint's first line, no spaces), a space, and the log's vkey
 * (`<name>+<id>+<base64>`, Ed25519). Several lines with one origin give it several keys (a rotation). Blank lines
 * and lines starting with `#` are skipped. Refuses anything else, naming the line (never its text).
 */
export function parseLogsFile(text: string): ReadonlyMap<string, WitnessedLog> {
  const keys = new Map<string, NoteVerifier[]>();
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const number = i + 1;
    if (line === '' || line.startsWith('#')) return;
    const parts = line.split(/\s+/);
    if (parts.length !== 2) throw new LogsFileError(number, 'expected "<origin> <vkey>"');
    const [origin = '', vkey = ''] = parts;
    if (origin.length > MAX_ORIGIN_LENGTH) throw new LogsFileError(number, 'the origin is too long');
    let verifier: NoteVerifier;
    try {
      if (parseVerifierKey(vkey).type !== SIGNATURE_TYPE.ed25519) throw new Error('type');
      verifier = noteVerifier(vkey);
    } catch {
      throw new LogsFileError(number, 'not an Ed25519 (0x01) vkey');
    }
    const list = keys.get(origin) ?? [];
    if (list.some((known) => known.name === verifier.name && known.keyId === verifier.keyId)) {
      throw new LogsFileError(number, 'the same key twice for one origin');
    }
    if (list.length >= MAX_KEYS_PER_LOG) throw new LogsFileError(number, `more than ${MAX_KEYS_PER_LOG} keys`);
    list.push(verifier);
    keys.set(origin, list);
    if (keys.size > MAX_WITNESSED_LOGS) throw new LogsFileError(number, `more than ${MAX_WITNESSED_LOGS} logs`);
  });
  return new Map([...keys].map(([origin, verifiers]) => [origin, { origin, verifiers }]));
}
