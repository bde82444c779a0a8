/** Why a proof, note, checkpoint, key, tile, path or witness request was refused. Stable: callers map them to their own answers. */
export const TLOG_ERROR_CODES = [
  'invalid-argument',
  'wrong-proof-length',
  'bad-hash-size',
  'root-mismatch',
  'missing-node',
  'malformed-note',
  'malformed-key',
  'ambiguous-key',
  'invalid-signature',
  'unverified-note',
  'malformed-checkpoint',
  'origin-mismatch',
  'malformed-tile',
  'malformed-path',
  'malformed-bundle',
  'malformed-request',
] as const;

export type TlogErrorCode = (typeof TLOG_ERROR_CODES)[number];

/**
 * Every refusal of this package. Messages carry only numbers, positions and fixed words, never the input's own text
 * (a note, a key name or a path may come from a client).
 */
export class TlogError extends Error {
  readonly code: TlogErrorCode;

  constructor(code: TlogErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.name = 'TlogError';
    this.code = code;
  }
}
