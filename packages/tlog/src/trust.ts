import { parseCheckpoint, type Checkpoint } from './checkpoint.ts';
import { cosignatureTimestamp, cosignatureVerifier } from './cosignature.ts';
import { TlogError } from './errors.ts';
import { noteVerifier, openNote, parseNote, type NoteVerifier } from './note.ts';

// What a verifier trusts, and nothing else: the log's public key(s) and its witnesses' cosignature keys. A checkpoint
// counts only when the log signed it and enough of those witnesses cosigned it.

export interface TrustPolicy {
  /** The log's origin: the first line of its checkpoints. */
  readonly origin: string;
  /** The log's Ed25519 vkeys (type 0x01); a checkpoint needs a valid signature of one of them. */
  readonly logKeys: readonly string[];
  /** The witnesses' cosignature vkeys (type 0x04). */
  readonly witnessKeys: readonly string[];
  /** How many of `witnessKeys` must have cosigned a checkpoint for it to be trusted; default all of them. */
  readonly witnessQuorum?: number;
}

/** One witness's valid cosignature on a checkpoint. */
export interface Cosignature {
  readonly witness: string;
  /** POSIX seconds the witness cosigned at. */
  readonly timestamp: number;
}

export interface TrustedCheckpoint {
  readonly checkpoint: Checkpoint;
  /** The note as given (the log's signature and the cosignatures included). */
  readonly note: string;
  readonly cosignatures: readonly Cosignature[];
}

/** Why a checkpoint is not trusted. */
export const CHECKPOINT_FAILURES = [
  /** Not a signed note of a checkpoint of the origin. */
  'malformed-checkpoint',
  /** No valid signature of a log key, or a log key's signature that fails. */
  'log-signature',
  /** A configured witness's cosignature that fails to verify. */
  'bad-cosignature',
  /** Fewer valid cosignatures of the configured witnesses than the quorum. */
  'missing-cosignature',
] as const;
export type CheckpointFailure = (typeof CHECKPOINT_FAILURES)[number];

export class UntrustedCheckpointError extends Error {
  readonly code: CheckpointFailure;

  constructor(code: CheckpointFailure, message: string) {
    super(`${code}: ${message}`);
    this.name = 'UntrustedCheckpointError';
    this.code = code;
  }
}

interface Verifiers {
  readonly log: readonly NoteVerifier[];
  readonly witnesses: readonly NoteVerifier[];
  readonly quorum: number;
}

function verifiersOf(policy: TrustPolicy): Verifiers {
  if (policy.logKeys.length === 0) throw new TlogError('invalid-argument', 'a trust policy needs a log key');
  const quorum = policy.witnessQuorum ?? policy.witnessKeys.length;
  if (!Number.isInteger(quorum) || quorum < 0 || quorum > policy.witnessKeys.length) {
    throw new TlogError('invalid-argument', 'the witness quorum is 0 to the number of witness keys');
  }
  return {
    log: policy.logKeys.map(noteVerifier),
    witnesses: policy.witnessKeys.map(cosignatureVerifier),
    quorum,
  };
}

const keyOf = (v: { name: string; keyId: number }) => `${v.keyId}:${v.name}`;

/**
 * Opens a checkpoint under a trust policy: a valid signature of one of the log's keys, and (unless `cosigned` is
 * false) valid cosignatures of at least the quorum of its witnesses. Any signature line of a configured key that
 * fails rejects the checkpoint; lines of other keys are ignored, as C2SP signed-note says.
 */
export function openTrustedCheckpoint(
  note: string,
  policy: TrustPolicy,
  options: { readonly cosigned?: boolean } = {},
): TrustedCheckpoint {
  const verifiers = verifiersOf(policy);
  let checkpoint: Checkpoint;
  try {
    checkpoint = parseCheckpoint(parseNote(note).text);
  } catch {
    throw new UntrustedCheckpointError('malformed-checkpoint', 'not a signed checkpoint');
  }
  if (checkpoint.origin !== policy.origin) {
    throw new UntrustedCheckpointError('malformed-checkpoint', 'a checkpoint of another log');
  }
  try {
    openNote(note, verifiers.log);
  } catch {
    throw new UntrustedCheckpointError('log-signature', "no valid signature of the log's key");
  }
  const witnessKeys = new Set(verifiers.witnesses.map(keyOf));
  const lines = parseNote(note).signatures.filter((line) => witnessKeys.has(keyOf(line)));
  let cosignatures: Cosignature[] = [];
  if (lines.length > 0) {
    try {
      const opened = openNote(note, verifiers.witnesses);
      cosignatures = opened.verified.map((line) => ({ witness: line.name, timestamp: cosignatureTimestamp(line) }));
    } catch {
      throw new UntrustedCheckpointError('bad-cosignature', "a witness's cosignature does not verify");
    }
  }
  if (options.cosigned !== false && cosignatures.length < verifiers.quorum) {
    throw new UntrustedCheckpointError(
      'missing-cosignature',
      `${cosignatures.length} of the ${verifiers.quorum} witness cosignatures required`,
    );
  }
  return { checkpoint, note, cosignatures };
}
