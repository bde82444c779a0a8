import { decodeBase64Strict } from './base64.ts';
import { TlogError } from './errors.ts';
import { HASH_SIZE, assertCount, assertHash } from './merkle.ts';
import { MAX_NOTE_BYTES, parseSignatureLine, type NoteSignature } from './note.ts';

// C2SP tlog-witness, "add-checkpoint": the request body (an old size line, proof lines, a blank line, then the signed
// checkpoint), the 409 body (the witness's size, `text/x.tlog.size`) and the 200 body (note signature lines). Both
// the witness (services/witness) and the log's client (@hub/tlog-client) read and write them here.

/** The spec: a client MUST NOT send more than 63 consistency proof lines (a proof is at most 2·log2(2^53) hashes). */
export const MAX_PROOF_LINES = 63;
/** Not in the spec: an old size line, 63 proof lines and a checkpoint with its signatures fit well inside. */
export const MAX_ADD_CHECKPOINT_BYTES = 16 * 1024 + MAX_NOTE_BYTES;
/** The content type of a 409's body: the witness's latest cosigned size. */
export const TREE_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface AddCheckpointRequest {
  /** The size of the checkpoint the witness last cosigned for this log, as the submitter believes (0: none). */
  readonly oldSize: number;
  /** The consistency proof from `oldSize` to the checkpoint's size (empty when `oldSize` is 0 or equal). */
  readonly proof: readonly Uint8Array[];
  /** The log's signed checkpoint note, signatures included. */
  readonly checkpoint: string;
}

function malformed(why: string): never {
  throw new TlogError('malformed-request', why);
}

const DECIMAL = /^(0|[1-9][0-9]{0,15})$/;

function decimal(text: string, what: string): number {
  const value = Number(text);
  if (!DECIMAL.test(text) || !Number.isSafeInteger(value)) malformed(`${what} is not a decimal below 2^53`);
  return value;
}

export function formatAddCheckpoint({ oldSize, proof, checkpoint }: AddCheckpointRequest): string {
  assertCount(oldSize, 'the old size');
  if (proof.length > MAX_PROOF_LINES) malformed(`more than ${MAX_PROOF_LINES} proof lines`);
  const lines = proof.map((hash, i) => {
    assertHash(hash, `proof hash ${i}`);
    return `${Buffer.from(hash).toString('base64')}\n`;
  });
  return `old ${oldSize}\n${lines.join('')}\n${checkpoint}`;
}

/**
 * Reads an add-checkpoint body strictly: `old <decimal>`, at most 63 canonical base64 hashes of 32 bytes, a blank
 * line, then the checkpoint (returned as text, unverified: the witness opens it with the log's key).
 */
export function parseAddCheckpoint(body: string | Uint8Array): AddCheckpointRequest {
  const size = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (size > MAX_ADD_CHECKPOINT_BYTES) malformed(`the body is over ${MAX_ADD_CHECKPOINT_BYTES} bytes`);
  let text: string;
  try {
    text = typeof body === 'string' ? body : new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return malformed('the body is not valid UTF-8');
  }
  const blank = text.indexOf('\n\n');
  if (blank < 0) malformed('no blank line before the checkpoint');
  const [oldLine = '', ...proofLines] = text.slice(0, blank).split('\n');
  if (!oldLine.startsWith('old ')) malformed('the first line is not an old size line');
  const oldSize = decimal(oldLine.slice('old '.length), 'the old size');
  if (proofLines.length > MAX_PROOF_LINES) malformed(`more than ${MAX_PROOF_LINES} proof lines`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeBase64Strict(line);
    if (hash?.length !== HASH_SIZE) malformed(`proof line ${i} is not base64 of 32 bytes`);
    return hash;
  });
  const checkpoint = text.slice(blank + 2);
  if (checkpoint.length === 0) malformed('no checkpoint after the blank line');
  return { oldSize, proof, checkpoint };
}

/** A 409's body: the size in decimal and a newline. */
export function formatTreeSize(size: number): string {
  assertCount(size, 'the size');
  return `${size}\n`;
}

export function parseTreeSize(body: string): number {
  if (!body.endsWith('\n')) malformed('a tree size body ends with a newline');
  return decimal(body.slice(0, -1), 'the tree size');
}

/** A 200's body: one or more note signature lines, each ending with a newline (at most 16 read). */
export function parseCosignatureLines(body: string): NoteSignature[] {
  if (body.length === 0 || !body.endsWith('\n')) malformed('the signature lines do not end with a newline');
  const lines = body.slice(0, -1).split('\n');
  if (lines.length > 16) malformed('more than 16 signature lines');
  try {
    return lines.map((line, position) => parseSignatureLine(line, position));
  } catch {
    return malformed('a signature line is malformed');
  }
}
