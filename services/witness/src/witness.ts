import { createHash } from 'node:crypto';
import {
  EMPTY_ROOT,
  TREE_SIZE_CONTENT_TYPE,
  TlogError,
  addSignatures,
  cosigner,
  formatSignatureLine,
  formatTreeSize,
  openNote,
  parseAddCheckpoint,
  parseCheckpoint,
  parseNote,
  verifyConsistency,
  type Checkpoint,
  type NoteSigner,
} from '@hub/tlog';
import type { Logger } from '@hub/logger';
import type { WitnessedLog } from './logs.ts';
import type { WitnessState } from './state.ts';

// C2SP tlog-witness add-checkpoint, the witness's side: every check of the spec, in its order, and the answer each
// failure gets. The HTTP layer only carries bytes to `addCheckpoint` and its answer back.

/** What the HTTP layer sends: a status, and a body with its content type, or a problem code for a refusal. */
export type WitnessAnswer =
  | { readonly status: 200; readonly contentType: 'text/plain; charset=utf-8'; readonly body: string }
  | { readonly status: 409; readonly contentType: typeof TREE_SIZE_CONTENT_TYPE; readonly body: string }
  | { readonly status: 400 | 403 | 404 | 422; readonly detail: string };

/** The refusals, each with the spec's status. Details are fixed words and numbers: nothing of the request's text. */
const refuse = (status: 400 | 403 | 404 | 422, detail: string): WitnessAnswer => ({ status, detail });

export interface WitnessOptions {
  readonly skey: string;
  readonly logs: ReadonlyMap<string, WitnessedLog>;
  readonly state: WitnessState;
  readonly logger: Logger;
  /** Whole POSIX seconds (the cosignature's timestamp); the system clock unless a test gives one. */
  readonly now?: () => number;
}

export class Witness {
  readonly #logs: ReadonlyMap<string, WitnessedLog>;
  readonly #state: WitnessState;
  readonly #logger: Logger;
  readonly #cosigner: NoteSigner;

  constructor(options: WitnessOptions) {
    this.#logs = options.logs;
    this.#state = options.state;
    this.#logger = options.logger;
    const now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#cosigner = cosigner(options.skey, now);
  }

  /** `POST <prefix>/add-checkpoint`: checks the request against the last cosigned checkpoint and cosigns it. */
  async addCheckpoint(body: Uint8Array): Promise<WitnessAnswer> {
    let request;
    try {
      request = parseAddCheckpoint(body);
    } catch (error) {
      return refuse(400, reason(error, 'the body is not an add-checkpoint request'));
    }
    const { oldSize, proof } = request;
    // The origin is the checkpoint's first line; the log's keys for it are what the note must verify with.
    const origin = request.checkpoint.slice(0, request.checkpoint.indexOf('\n'));
    const log = this.#logs.get(origin);
    if (log === undefined) return refuse(404, 'this witness does not witness that log');

    let checkpoint: Checkpoint;
    let text: string;
    try {
      const note = openNote(request.checkpoint, log.verifiers);
      text = note.text;
      checkpoint = parseCheckpoint(note.text);
    } catch (error) {
      if (error instanceof TlogError && (error.code === 'unverified-note' || error.code === 'invalid-signature')) {
        return refuse(403, 'no valid signature of a key this witness trusts for the log');
      }
      return refuse(400, reason(error, 'the checkpoint is malformed'));
    }
    if (oldSize > checkpoint.size) return refuse(400, 'the old size is above the checkpoint size');

    return this.#state.update(origin, (latest) => {
      const previous = latest === undefined ? undefined : parseCheckpoint(parseNote(latest).text);
      const held = previous?.size ?? 0;
      if (oldSize !== held) {
        return { result: { status: 409, contentType: TREE_SIZE_CONTENT_TYPE, body: formatTreeSize(held) } };
      }
      const inconsistent = this.#inconsistency(previous, checkpoint, proof);
      if (inconsistent !== undefined) {
        // The spec's MAY: a validly signed checkpoint that does not extend the cosigned one is evidence of a fork.
        this.#logger.warn(
          { origin, heldSize: held, size: checkpoint.size, root: Buffer.from(checkpoint.rootHash).toString('base64') },
          'refused an inconsistent checkpoint',
        );
        return { result: refuse(422, inconsistent) };
      }
      const { name, keyId } = this.#cosigner;
      const signature = { name, keyId, signature: this.#cosigner.sign(Buffer.from(text, 'utf8')) };
      return {
        result: { status: 200, contentType: 'text/plain; charset=utf-8', body: formatSignatureLine(signature) },
        checkpoint: addSignatures(request.checkpoint, [signature]),
      };
    });
  }

  /** `GET <prefix>/<sha256(origin) hex>/checkpoint`: the last cosigned checkpoint of a log, for monitors. */
  latestByOriginHash(originHash: string): string | undefined {
    for (const origin of this.#logs.keys()) {
      if (originHashOf(origin) === originHash) return this.#state.latest(origin);
    }
    return undefined;
  }

  /** Why `next` does not extend `previous` with `proof` (undefined: it does), per the spec's 422 cases. */
  #inconsistency(previous: Checkpoint | undefined, next: Checkpoint, proof: readonly Uint8Array[]): string | undefined {
    if (next.size === 0 && !Buffer.from(next.rootHash).equals(EMPTY_ROOT)) {
      return 'a checkpoint of size 0 must have the empty tree root';
    }
    if (previous === undefined || previous.size === 0) {
      return proof.length === 0 ? undefined : 'a proof from the empty tree must be empty';
    }
    try {
      verifyConsistency({
        size1: previous.size,
        size2: next.size,
        proof,
        root1: previous.rootHash,
        root2: next.rootHash,
      });
      return undefined;
    } catch (error) {
      return previous.size === next.size
        ? 'the root differs from the cosigned checkpoint of the same size'
        : reason(error, 'the consistency proof does not verify');
    }
  }
}

/** The monitoring path's origin hash: SHA-256 of the origin, lowercase hex. */
export function originHashOf(origin: string): string {
  return createHash('sha256').update(origin, 'utf8').digest('hex');
}

/** A TlogError's message is fixed words and numbers (its package's rule), safe to answer; anything else is not. */
function reason(error: unknown, fallback: string): string {
  return error instanceof TlogError ? error.message : fallback;
}
