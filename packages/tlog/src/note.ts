import { decodeBase64Strict } from './base64.ts';
import { TlogError } from './errors.ts';
import {
  SIGNATURE_TYPE,
  ed25519Signer,
  ed25519Verifier,
  isValidKeyName,
  parseSignerKey,
  parseVerifierKey,
} from './keys.ts';

// C2SP signed-note: text ending in a newline, a blank line, then one or more lines
// "— <key name> base64(4-byte key ID || signature)".

/** Not in the spec: a note above this is refused before any parsing (a checkpoint with 16 cosignatures is ~2 KiB). */
export const MAX_NOTE_BYTES = 64 * 1024;
/** The spec asks verifiers to accept at least 16; the reference implementation stops at 100. */
export const MAX_NOTE_SIGNATURES = 100;

const SIGNATURE_PREFIX = '\u2014 ';

export interface NoteSigner {
  readonly name: string;
  readonly keyId: number;
  /** The signature bytes over the note text (without the key ID, which the note adds). */
  sign(text: Buffer): Buffer;
}

export interface NoteVerifier {
  readonly name: string;
  readonly keyId: number;
  verify(text: Buffer, signature: Buffer): boolean;
}

/** One signature line: the key's name and ID, and the signature bytes after the ID. */
export interface NoteSignature {
  readonly name: string;
  readonly keyId: number;
  readonly signature: Buffer;
}

export interface Note {
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/** A note whose text is vouched for by `verified` (at least one); `unverified` are signatures of unknown keys. */
export interface OpenedNote {
  readonly text: string;
  readonly verified: readonly NoteSignature[];
  readonly unverified: readonly NoteSignature[];
}

function malformed(why: string): never {
  throw new TlogError('malformed-note', why);
}

/** Valid UTF-8 with no ASCII control character but the newline: the rule for the whole note, text included. */
function checkCharacters(text: string): void {
  if (!text.isWellFormed()) malformed('the note is not valid UTF-8');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused here
  const control = /[\u0000-\u0009\u000b-\u001f]/.exec(text);
  if (control !== null) malformed(`a control character at offset ${control.index}`);
}

function decodeNote(message: string | Uint8Array): string {
  if (typeof message === 'string') {
    if (Buffer.byteLength(message, 'utf8') > MAX_NOTE_BYTES) malformed(`the note is over ${MAX_NOTE_BYTES} bytes`);
    return message;
  }
  if (message.length > MAX_NOTE_BYTES) malformed(`the note is over ${MAX_NOTE_BYTES} bytes`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(message);
  } catch {
    return malformed('the note is not valid UTF-8');
  }
}

export function formatSignatureLine({ name, keyId, signature }: NoteSignature): string {
  if (!isValidKeyName(name)) malformed('a key name must be non-empty, without spaces or +');
  const id = Buffer.alloc(4);
  id.writeUInt32BE(keyId);
  return `${SIGNATURE_PREFIX}${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

/** One signature line, without its newline. */
export function parseSignatureLine(line: string, position = 0): NoteSignature {
  if (!line.startsWith(SIGNATURE_PREFIX)) malformed(`signature line ${position} does not start with an em dash`);
  const rest = line.slice(SIGNATURE_PREFIX.length);
  const space = rest.indexOf(' ');
  const name = space < 0 ? '' : rest.slice(0, space);
  if (!isValidKeyName(name)) malformed(`signature line ${position} has no valid key name`);
  const bytes = decodeBase64Strict(rest.slice(space + 1));
  if (bytes === undefined || bytes.length < 5) malformed(`signature line ${position} has no valid signature`);
  return { name, keyId: bytes.readUInt32BE(0), signature: Buffer.from(bytes.subarray(4)) };
}

/** Splits a note into its text and signatures, checking the format only (nothing is verified). */
export function parseNote(message: string | Uint8Array): Note {
  const note = decodeNote(message);
  checkCharacters(note);
  // The text ends at the last blank line; it keeps its final newline.
  const split = note.lastIndexOf('\n\n');
  if (split < 0) malformed('no blank line before the signatures');
  const text = note.slice(0, split + 1);
  const block = note.slice(split + 2);
  if (block.length === 0 || !block.endsWith('\n')) malformed('the signatures do not end with a newline');
  const lines = block.slice(0, -1).split('\n');
  if (lines.length > MAX_NOTE_SIGNATURES) malformed(`more than ${MAX_NOTE_SIGNATURES} signatures`);
  return { text, signatures: lines.map((line, position) => parseSignatureLine(line, position)) };
}

/** A note from its text and signature lines (the text must end with a newline). */
export function formatNote({ text, signatures }: Note): string {
  checkCharacters(text);
  if (!text.endsWith('\n')) malformed('the text does not end with a newline');
  if (signatures.length === 0 || signatures.length > MAX_NOTE_SIGNATURES) {
    malformed(`a note has 1 to ${MAX_NOTE_SIGNATURES} signatures`);
  }
  const note = `${text}\n${signatures.map(formatSignatureLine).join('')}`;
  if (Buffer.byteLength(note, 'utf8') > MAX_NOTE_BYTES) malformed(`the note is over ${MAX_NOTE_BYTES} bytes`);
  return note;
}

/** Signs `text` with every signer, in order. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  checkCharacters(text);
  if (!text.endsWith('\n')) malformed('the text does not end with a newline');
  const bytes = Buffer.from(text, 'utf8');
  return formatNote({
    text,
    signatures: signers.map((signer) => ({ name: signer.name, keyId: signer.keyId, signature: signer.sign(bytes) })),
  });
}

/** Adds signature lines (a witness's cosignature, say) to a signed note, keeping its own. */
export function addSignatures(message: string | Uint8Array, signatures: readonly NoteSignature[]): string {
  const note = parseNote(message);
  return formatNote({ text: note.text, signatures: [...note.signatures, ...signatures] });
}

const keyOf = (name: string, keyId: number): string => `${keyId}:${name}`;

/**
 * Opens a note as the spec says: signatures of unknown keys (name and ID not both known) are set aside, every known
 * key's signature must verify (one that does not rejects the whole note), and at least one must be known.
 */
export function openNote(message: string | Uint8Array, verifiers: readonly NoteVerifier[]): OpenedNote {
  const known = new Map<string, NoteVerifier>();
  for (const verifier of verifiers) {
    const key = keyOf(verifier.name, verifier.keyId);
    if (known.has(key)) throw new TlogError('ambiguous-key', 'two verifiers share a key name and key ID');
    known.set(key, verifier);
  }
  const note = parseNote(message);
  const text = Buffer.from(note.text, 'utf8');
  const verified = new Map<string, NoteSignature>();
  const unverified: NoteSignature[] = [];
  note.signatures.forEach((signature, position) => {
    const key = keyOf(signature.name, signature.keyId);
    const verifier = known.get(key);
    if (verifier === undefined) {
      unverified.push(signature);
      return;
    }
    if (!verifier.verify(text, signature.signature)) {
      throw new TlogError('invalid-signature', `signature line ${position} does not verify with its known key`);
    }
    if (!verified.has(key)) verified.set(key, signature);
  });
  if (verified.size === 0) throw new TlogError('unverified-note', 'no signature from a known key');
  return { text: note.text, verified: [...verified.values()], unverified };
}

/** A type-0x01 Ed25519 note signer from an skey (`PRIVATE+KEY+...`). */
export function noteSigner(skey: string): NoteSigner {
  const key = parseSignerKey(skey);
  const signWith = ed25519Signer(key.seed);
  return { name: key.name, keyId: key.keyId, sign: (text) => signWith(text) };
}

/** A type-0x01 Ed25519 note verifier from a vkey; a vkey of another type is refused. */
export function noteVerifier(vkey: string): NoteVerifier {
  const key = parseVerifierKey(vkey);
  if (key.type !== SIGNATURE_TYPE.ed25519) throw new TlogError('malformed-key', 'not an Ed25519 note key (0x01)');
  const verifyWith = ed25519Verifier(key.publicKey);
  return { name: key.name, keyId: key.keyId, verify: (text, signature) => verifyWith(text, signature) };
}
