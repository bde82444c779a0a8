import { decodeBase64Strict } from './base64.ts';
import { TlogError } from './errors.ts';
import { HASH_SIZE } from './merkle.ts';
import { isValidKeyName } from './keys.ts';
import { openNote, signNote, type NoteSigner, type NoteVerifier, type OpenedNote } from './note.ts';

// C2SP tlog-checkpoint, "Note text": origin, tree size, base64 root hash, then optional extension lines.

/** Not in the spec: bounds on what this package writes or accepts. */
export const MAX_ORIGIN_LENGTH = 256;
export const MAX_EXTENSION_LINES = 16;

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  /** Opaque, non-empty lines; the spec does not recommend them (monitors cannot audit them). */
  readonly extensions?: readonly string[];
}

function malformed(why: string): never {
  throw new TlogError('malformed-checkpoint', why);
}

/**
 * The checkpoint's note text. The hub is the log, so it holds itself to the SHOULD the spec leaves open: the origin
 * is a valid key name (no spaces, no `+`), to match the log's key name in the signature line.
 */
export function formatCheckpoint({ origin, size, rootHash, extensions = [] }: Checkpoint): string {
  if (!isValidKeyName(origin) || origin.length > MAX_ORIGIN_LENGTH) malformed('the origin is not a valid key name');
  if (!Number.isSafeInteger(size) || size < 0) malformed('the tree size is not a non-negative safe integer');
  if (rootHash.length !== HASH_SIZE) malformed(`the root hash is ${rootHash.length} bytes, not ${HASH_SIZE}`);
  if (extensions.length > MAX_EXTENSION_LINES) malformed(`more than ${MAX_EXTENSION_LINES} extension lines`);
  extensions.forEach((line, i) => {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
    if (line.length === 0 || /[\u0000-\u001f]/.test(line)) malformed(`extension line ${i} is empty or has a control`);
  });
  const lines = [origin, String(size), Buffer.from(rootHash).toString('base64'), ...extensions];
  return `${lines.join('\n')}\n`;
}

/**
 * Reads a checkpoint's note text strictly: at least three lines, each non-empty, ending with a newline; the size in
 * decimal without leading zeroes (below 2^53); the root hash as canonical base64 of 32 bytes. Per the spec, the
 * origin is any non-empty line: what it must equal is the caller's to say (`openCheckpoint`).
 */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) malformed('the text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) malformed('fewer than three lines');
  if (lines.length > 3 + MAX_EXTENSION_LINES) malformed(`more than ${MAX_EXTENSION_LINES} extension lines`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  if (/[\u0000-\u0009\u000b-\u001f]/.test(text)) malformed('a control character');
  const [origin = '', sizeText = '', rootText = '', ...extensions] = lines;
  if (origin.length === 0 || origin.length > MAX_ORIGIN_LENGTH) malformed('the origin line is empty or too long');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    malformed('the tree size is not a decimal below 2^53 without leading zeroes');
  }
  const rootHash = decodeBase64Strict(rootText);
  if (rootHash?.length !== HASH_SIZE) malformed('the root hash is not base64 of 32 bytes');
  extensions.forEach((line, i) => {
    if (line.length === 0) malformed(`extension line ${i} is empty`);
  });
  return {
    origin,
    size: Number(sizeText),
    rootHash,
    ...(extensions.length > 0 ? { extensions } : {}),
  };
}

/** A signed checkpoint: its note text signed by each signer (the log's key, whose name should be the origin). */
export function signCheckpoint(checkpoint: Checkpoint, signers: readonly NoteSigner[]): string {
  return signNote(formatCheckpoint(checkpoint), signers);
}

/**
 * Opens a signed checkpoint of the log `origin`: the note must verify with `verifiers` (the log's key, and any
 * witness keys the caller trusts, see `openNote`) and its text must be a checkpoint of that origin.
 */
export function openCheckpoint(
  message: string | Uint8Array,
  origin: string,
  verifiers: readonly NoteVerifier[],
): { checkpoint: Checkpoint; note: OpenedNote } {
  const note = openNote(message, verifiers);
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== origin) throw new TlogError('origin-mismatch', 'the checkpoint is of another log');
  return { checkpoint, note };
}
