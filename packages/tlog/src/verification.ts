// The failures a verification names: one catalogue for the whole-log check and the bundle check, so
// `./hub audit verify` and the hub's periodic verification report the same codes.

export const VERIFICATION_FAILURES = [
  /** The log serves no checkpoint at all. */
  'no-checkpoint',
  /** A checkpoint that is not a signed note of a checkpoint of the origin. */
  'malformed-checkpoint',
  /** No valid signature of the log's key, or one that fails. */
  'log-signature',
  /** A witness's cosignature that fails to verify. */
  'bad-cosignature',
  /** Fewer witness cosignatures than the quorum on the cosigned checkpoint. */
  'missing-cosignature',
  /** The log is smaller than a checkpoint it signed before (or one the verifier trusts): leaves were cut. */
  'truncated',
  /** The log is empty (or serves nothing) where a checkpoint it signed before had leaves. */
  'wiped',
  /** An entry whose hash is not the log's leaf hash at its index: edited, inserted, deleted or moved. */
  'entry-mismatch',
  /** Entries the checkpoint covers that the log does not serve (or a bundle of the wrong length). */
  'missing-entries',
  /** A served tile hash that differs from the tree rebuilt from the entries (a tile edited to hide an edit). */
  'tile-mismatch',
  /** A tile or entry bundle the log does not serve, or serves malformed. */
  'malformed-tile',
  /** The tree rebuilt from the entries does not have the root of the log's own checkpoint. */
  'root-mismatch',
  /** The log is not consistent with a checkpoint it signed before: a fork, or the log rewritten since. */
  'inconsistent',
  /** The log could not be read (network, authorisation): nothing was verified past that point. */
  'unavailable',
  /** A bundle that is not a well-formed proof bundle. */
  'malformed-bundle',
  /** A leaf of the bundle's range without its event: deleted. */
  'missing-event',
  /** An event outside the bundle's range, or twice: inserted. */
  'unexpected-event',
  /** Events out of leaf order. */
  'reordered',
  /** An event whose inclusion proof does not lead to the checkpoint's root at its index: edited or moved. */
  'inclusion',
  /** A checkpoint the verifier trusts with no consistency proof to the bundle's: neither shown consistent nor not. */
  'no-consistency-proof',
] as const;
export type VerificationFailureCode = (typeof VERIFICATION_FAILURES)[number];

export interface VerificationFailure {
  readonly code: VerificationFailureCode;
  /** Fixed words and numbers only: safe to print and log. */
  readonly message: string;
  readonly leafIndex?: number;
}

/** Failures as they are found, at most `maxListed` per code (the rest counted). */
export class Failures {
  readonly list: VerificationFailure[] = [];
  readonly #counts = new Map<VerificationFailureCode, number>();
  readonly #maxListed: number;
  omitted = 0;

  constructor(maxListed: number) {
    this.#maxListed = maxListed;
  }

  add(code: VerificationFailureCode, message: string, leafIndex?: number): void {
    const count = (this.#counts.get(code) ?? 0) + 1;
    this.#counts.set(code, count);
    if (count > this.#maxListed) {
      this.omitted += 1;
      return;
    }
    this.list.push({ code, message, ...(leafIndex === undefined ? {} : { leafIndex }) });
  }

  get ok(): boolean {
    return this.list.length === 0;
  }
}
