/**
 * The one list of stable error codes used across the hub. A code never changes meaning once published: clients
 * branch on `code` (and the RFC 9457 `type` URI built from it), never on `title` or `detail` text.
 *
 * `status` is the HTTP status for codes that appear in HTTP responses. Message-processing codes (dead-letter
 * reasons on Kafka) have no HTTP meaning and use `status: 0`.
 *
 * Every entry must also appear in the README table; `catalogue.test.ts` fails on drift.
 */
export const ERROR_CATALOGUE = {
  'validation-failed': {
    status: 400,
    title: 'Validation failed',
    description: 'One or more fields in the request failed validation; `errors` lists each by JSON pointer.',
  },
  'malformed-json': {
    status: 400,
    title: 'Malformed JSON',
    description: 'The request body is not valid JSON (or is empty) although the content type says JSON.',
  },
  'bad-request': {
    status: 400,
    title: 'Bad request',
    description: 'The request is malformed at the HTTP level (bad URL encoding, body length mismatch, broken framing).',
  },
  unauthenticated: {
    status: 401,
    title: 'Unauthenticated',
    description: 'The request carries no valid credentials.',
  },
  forbidden: {
    status: 403,
    title: 'Forbidden',
    description: 'The caller is authenticated but not allowed to perform this action.',
  },
  'not-found': {
    status: 404,
    title: 'Not found',
    description: 'No route or resource exists at this path.',
  },
  'method-not-allowed': {
    status: 405,
    title: 'Method not allowed',
    description: 'The path exists but does not accept this HTTP method; the `Allow` header lists those it does.',
  },
  'request-timeout': {
    status: 408,
    title: 'Request timeout',
    description: 'The client did not send the complete request in time.',
  },
  conflict: {
    status: 409,
    title: 'Conflict',
    description: 'The request conflicts with the current state of the resource (e.g. a duplicate submission).',
  },
  unprocessable: {
    status: 422,
    title: 'Unprocessable',
    description:
      'The request is well formed but names something the hub cannot act on (e.g. an unknown or inactive NHS ' +
      'number); `errors` names the field and `reason` gives a stable reason code.',
  },
  'payload-too-large': {
    status: 413,
    title: 'Payload too large',
    description: 'The request body is larger than the limit for this service.',
  },
  'uri-too-long': {
    status: 414,
    title: 'URI too long',
    description: 'A path parameter is longer than the limit for this service.',
  },
  'unsupported-media-type': {
    status: 415,
    title: 'Unsupported media type',
    description: 'The request body has a content type this service does not accept (use `application/json`).',
  },
  'too-many-requests': {
    status: 429,
    title: 'Too many requests',
    description: 'The caller has exceeded its rate limit; retry after the time in `Retry-After`.',
  },
  'headers-too-large': {
    status: 431,
    title: 'Request headers too large',
    description: 'The request line and headers together exceed the size limit for this service.',
  },
  internal: {
    status: 500,
    title: 'Internal error',
    description: 'An unexpected error occurred. Nothing about it is revealed; quote `requestId` when reporting it.',
  },
  'not-ready': {
    status: 503,
    title: 'Not ready',
    description: 'The service is starting, shutting down or missing a dependency; retry later.',
  },
  'processing-timeout': {
    status: 503,
    title: 'Processing timeout',
    description: 'The service could not finish handling the request in time; it may or may not have taken effect.',
  },
  'contract-violation': {
    status: 0,
    title: 'Contract violation',
    description: "Message processing: the message failed its topic's zod contract. Dead-lettered without retry.",
  },
  'undecodable-message': {
    status: 0,
    title: 'Undecodable message',
    description: 'Message processing: the message value is not UTF-8 or not JSON. Dead-lettered without retry.',
  },
  'handler-failed': {
    status: 0,
    title: 'Handler failed',
    description: 'Message processing: the handler kept failing after all retries. Dead-lettered for investigation.',
  },
} as const satisfies Record<string, { readonly status: number; readonly title: string; readonly description: string }>;

export type ErrorCatalogue = typeof ERROR_CATALOGUE;
export type ErrorCode = keyof ErrorCatalogue;

/** Codes that can appear in an HTTP response (status is a real HTTP status). */
export type HttpErrorCode = { [K in ErrorCode]: ErrorCatalogue[K]['status'] extends 0 ? never : K }[ErrorCode];

/** Codes that only describe message-processing failures (dead-letter reasons). */
export type MessageErrorCode = Exclude<ErrorCode, HttpErrorCode>;

export const ERROR_CODES = Object.keys(ERROR_CATALOGUE) as readonly ErrorCode[];

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}

export function isHttpErrorCode(code: ErrorCode): code is HttpErrorCode {
  return ERROR_CATALOGUE[code].status !== 0;
}

/** Base of every problem `type` URI. `.invalid` is reserved (RFC 2606): the URI identifies, it is not fetched. */
export const PROBLEM_TYPE_BASE = 'https://safeguarding-hub.invalid/problems/';

/** The RFC 9457 `type` for a code, stable for as long as the code is. */
export function problemTypeUri(code: ErrorCode): string {
  return `${PROBLEM_TYPE_BASE}${code}`;
}
