import { ERROR_CATALOGUE, type ErrorCode } from './catalogue.ts';

/** One failing field: `pointer` is an RFC 6901 JSON pointer into the request part, e.g. `/body/subjects/0/nhsNumber`. */
export interface FieldError {
  readonly pointer: string;
  readonly detail: string;
}

export interface HubErrorOptions {
  readonly errors?: readonly FieldError[];
  /** A stable reason code (e.g. `inactive-record`) shown as the problem's `reason` member; never a request value. */
  readonly reason?: string;
  readonly cause?: unknown;
}

/**
 * An expected failure with a stable code. `detail` is shown to the client and written to logs, so it must never
 * hold personal data or echo request values: say which rule failed, not what the value was.
 */
export class HubError extends Error {
  override readonly name = 'HubError';
  readonly code: ErrorCode;
  /** HTTP status from the catalogue; 0 for message-processing codes. */
  readonly status: number;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
  readonly reason?: string;

  constructor(code: ErrorCode, detail?: string, options: HubErrorOptions = {}) {
    const entry = ERROR_CATALOGUE[code];
    const safeDetail = detail ?? entry.description;
    super(safeDetail, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = entry.status;
    this.detail = safeDetail;
    if (options.errors !== undefined) {
      this.errors = options.errors;
    }
    if (options.reason !== undefined) {
      this.reason = options.reason;
    }
  }
}
