import {
  TREE_SIZE_CONTENT_TYPE,
  addSignatures,
  cosignatureTimestamp,
  cosignatureVerifier,
  formatAddCheckpoint,
  formatSignatureLine,
  openNote,
  parseCheckpoint,
  parseCosignatureLines,
  parseNote,
  parseTreeSize,
  parseVerifierKey,
  type NoteSignature,
} from '@hub/tlog';
import { ResponseTooLargeError, readLimited } from './read-limited.ts';

// The log's side of C2SP tlog-witness add-checkpoint: what the hub's checkpointer calls for each configured witness.

/** One witness the log submits to. */
export interface WitnessEndpoint {
  /** The witness's submission prefix (`https://witness.example/` or `…/w1`): `add-checkpoint` is appended. */
  readonly url: string;
  /** The witness's cosignature vkey (type 0x04): only a line of this key is taken from the answer, and verified. */
  readonly vkey: string;
}

export interface CheckpointSubmission {
  /** The checkpoint note as the log signed it (its own signature lines included). */
  readonly checkpoint: string;
  /** The size the log believes the witness last cosigned (0 when unknown: the witness answers 409 with its size). */
  readonly oldSize: number;
  /**
   * The consistency proof from `fromSize` to the checkpoint's size (never called for 0 or an equal size, which
   * take no proof). Called again after a 409 with the witness's own size.
   */
  readonly proof: (fromSize: number) => Promise<readonly Uint8Array[]> | readonly Uint8Array[];
}

export interface WitnessCosignature {
  /** The witness's verified cosignature line (name, key ID, timestamp ‖ signature). */
  readonly signature: NoteSignature;
  /** The same as a note signature line, with its newline. */
  readonly line: string;
  /** POSIX seconds the witness claims it cosigned at. */
  readonly timestamp: number;
  /** The submitted checkpoint with the cosignature added after the log's own lines. */
  readonly cosigned: string;
  /** The size the witness now holds for the log: pass it as `oldSize` next time. */
  readonly size: number;
}

export const WITNESS_ERROR_CODES = [
  /** 400: the witness read the request as malformed or the old size as above the checkpoint's. */
  'bad-request',
  /** 403: no signature of a key the witness trusts for the origin verified. */
  'forbidden',
  /** 404: the witness does not witness this origin. */
  'unknown-log',
  /**
   * 422: the witness holds a checkpoint the submitted one is not consistent with (a fork or a rewritten log), or the
   * proof did not verify. An alarm, not a retry.
   */
  'inconsistent',
  /** 409 with a size above the checkpoint's: the witness has cosigned a larger tree than this one (a rollback?). */
  'witness-ahead',
  /** 409 again after every allowed resynchronisation (others submitting at the same time). */
  'conflict',
  /** The witness did not answer in time, could not be reached, or answered 429 or 5xx: try the next checkpoint. */
  'unavailable',
  /** A 200 without a valid cosignature of the configured key, or any other answer the protocol does not have. */
  'bad-response',
] as const;
export type WitnessErrorCode = (typeof WITNESS_ERROR_CODES)[number];

/** Why a submission got no cosignature. The message names the code and status only, never the witness's text. */
export class WitnessError extends Error {
  readonly code: WitnessErrorCode;
  readonly status: number | undefined;
  /** On `witness-ahead` and `conflict`: the size the witness last said it holds. */
  readonly witnessSize: number | undefined;

  constructor(code: WitnessErrorCode, message: string, details: { status?: number; witnessSize?: number } = {}) {
    super(`${code}: ${message}`);
    this.name = 'WitnessError';
    this.code = code;
    this.status = details.status;
    this.witnessSize = details.witnessSize;
  }
}

export const WITNESS_CLIENT_LIMITS = {
  /** Time for one add-checkpoint round trip (the witness verifies one signature and one proof). */
  timeoutMs: 10_000,
  /** 409s answered by resubmitting from the witness's size; another 409 after that many is `conflict`. */
  maxResyncs: 2,
  /** Largest answer read: a few signature lines (the spec's example has three). */
  maxResponseBytes: 16 * 1024,
} as const;

export interface SubmitOptions {
  readonly timeoutMs?: number;
  readonly maxResyncs?: number;
  /** Aborts the submission (the checkpointer stopping). */
  readonly signal?: AbortSignal;
}

function addCheckpointUrl(prefix: string): string {
  const url = new URL(prefix);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError('a witness URL is http(s)');
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/add-checkpoint`;
  return url.toString();
}

/**
 * Submits a signed checkpoint to a witness (C2SP tlog-witness add-checkpoint) and returns its verified cosignature.
 * A 409 (the witness holds another size) is answered by resubmitting from the witness's size with a new proof, up to
 * `maxResyncs` times; every other refusal is a `WitnessError` naming the spec's reason.
 */
export async function submitToWitness(
  witness: WitnessEndpoint,
  submission: CheckpointSubmission,
  options: SubmitOptions = {},
): Promise<WitnessCosignature> {
  const verifier = cosignatureVerifier(witness.vkey);
  const key = parseVerifierKey(witness.vkey);
  const url = addCheckpointUrl(witness.url);
  const note = parseNote(submission.checkpoint);
  const { size } = parseCheckpoint(note.text);
  const maxResyncs = options.maxResyncs ?? WITNESS_CLIENT_LIMITS.maxResyncs;
  let oldSize = submission.oldSize;
  for (let attempt = 0; ; attempt += 1) {
    if (oldSize > size) {
      throw new WitnessError('witness-ahead', `the witness holds ${oldSize} leaves, the checkpoint ${size}`, {
        witnessSize: oldSize,
      });
    }
    const proof = oldSize === 0 || oldSize === size ? [] : await submission.proof(oldSize);
    const body = formatAddCheckpoint({ oldSize, proof, checkpoint: submission.checkpoint });
    const answer = await post(url, body, options);
    if (answer.status === 200) {
      return cosignatureOf(answer.body, submission.checkpoint, verifier, key, size);
    }
    if (answer.status === 409 && answer.contentType === TREE_SIZE_CONTENT_TYPE) {
      const witnessSize = sizeOf(answer.body);
      if (attempt >= maxResyncs) {
        throw new WitnessError('conflict', `still 409 after ${maxResyncs} resynchronisations`, {
          status: 409,
          witnessSize,
        });
      }
      oldSize = witnessSize;
      continue;
    }
    throw refusal(answer.status);
  }
}

function sizeOf(body: string): number {
  try {
    return parseTreeSize(body);
  } catch {
    throw new WitnessError('bad-response', 'a 409 without a valid tree size', { status: 409 });
  }
}

function refusal(status: number): WitnessError {
  const byStatus: Readonly<Record<number, WitnessErrorCode>> = {
    400: 'bad-request',
    403: 'forbidden',
    404: 'unknown-log',
    409: 'inconsistent', // a 409 without a size: older witnesses answer a root mismatch so
    422: 'inconsistent',
    429: 'unavailable',
  };
  const code = byStatus[status] ?? (status >= 500 ? 'unavailable' : 'bad-response');
  return new WitnessError(code, `the witness answered ${status}`, { status });
}

function cosignatureOf(
  body: string,
  checkpoint: string,
  verifier: ReturnType<typeof cosignatureVerifier>,
  key: { readonly name: string; readonly keyId: number },
  size: number,
): WitnessCosignature {
  const bad = (why: string): never => {
    throw new WitnessError('bad-response', why, { status: 200 });
  };
  let lines: NoteSignature[] = [];
  try {
    lines = parseCosignatureLines(body);
  } catch {
    bad('the answer is not note signature lines');
  }
  // The spec: ignore lines of unknown keys. Ours is verified through the note, as the spec suggests.
  const signature = lines.find((line) => line.name === key.name && line.keyId === key.keyId);
  if (signature === undefined) return bad('no cosignature of the configured witness key');
  const cosigned = addSignatures(checkpoint, [signature]);
  try {
    openNote(cosigned, [verifier]);
  } catch {
    bad('the cosignature does not verify');
  }
  const timestamp = cosignatureTimestamp(signature);
  if (timestamp === 0) bad('a cosignature without a timestamp');
  return { signature, line: formatSignatureLine(signature), timestamp, cosigned, size };
}

async function post(
  url: string,
  body: string,
  options: SubmitOptions,
): Promise<{ status: number; contentType: string | undefined; body: string }> {
  const timeout = AbortSignal.timeout(options.timeoutMs ?? WITNESS_CLIENT_LIMITS.timeoutMs);
  const signal = options.signal === undefined ? timeout : AbortSignal.any([timeout, options.signal]);
  try {
    const response = await fetch(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'text/plain; charset=utf-8' },
      signal,
      // A redirect could turn the POST into a GET elsewhere; a witness answers where it is configured.
      redirect: 'error',
    });
    const text = await readLimited(response, WITNESS_CLIENT_LIMITS.maxResponseBytes);
    const contentType = response.headers.get('content-type')?.split(';')[0]?.trim();
    return { status: response.status, contentType, body: text };
  } catch (error) {
    if (options.signal?.aborted === true) throw error;
    if (error instanceof WitnessError) throw error;
    if (error instanceof ResponseTooLargeError) throw new WitnessError('bad-response', 'the answer is too large');
    throw new WitnessError('unavailable', timeout.aborted ? 'no answer in time' : 'the witness could not be reached');
  }
}
