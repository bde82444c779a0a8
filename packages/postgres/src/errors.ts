import { DatabaseError } from 'pg';
import { DependencyUnavailableError } from '@hub/errors';

/**
 * A statement PostgreSQL refused, described without anything the data could have put there. Carries the SQLSTATE
 * `code` and the names of the schema objects involved; never the server's DETAIL (it shows the row or key values,
 * e.g. `Key (nhs_number)=(…) already exists`), HINT, WHERE, the statement's parameters or, for the classes whose
 * message quotes a value (22 data exception, P0 raised by PL/pgSQL), the message.
 */
export class PostgresQueryError extends Error {
  override readonly name = 'PostgresQueryError';
  /** The SQLSTATE, e.g. `23505` (unique_violation). */
  readonly code: string;
  readonly constraint: string | undefined;
  readonly table: string | undefined;
  readonly column: string | undefined;

  constructor(error: DatabaseError) {
    super(safeMessage(error));
    this.code = error.code ?? 'XX000';
    this.constraint = error.constraint;
    this.table = error.table;
    this.column = error.column;
  }
}

/** SQLSTATE classes whose message text quotes values (`invalid input syntax for type uuid: "…"`). */
const VALUE_QUOTING_CLASSES = new Set(['22', 'P0']);

function safeMessage(error: DatabaseError): string {
  const code = error.code ?? 'XX000';
  const objects = [
    error.table === undefined ? '' : ` table ${error.table}`,
    error.column === undefined ? '' : ` column ${error.column}`,
    error.constraint === undefined ? '' : ` constraint ${error.constraint}`,
  ].join('');
  const text = VALUE_QUOTING_CLASSES.has(code.slice(0, 2)) ? '(message withheld: it may quote a value)' : error.message;
  return `PostgreSQL error ${code}${objects}: ${text}`;
}

/**
 * SQLSTATEs that mean the server cannot serve now rather than that the statement is wrong: connection exceptions
 * (08), too many connections (53300), out of memory or disk (53100, 53200), shutting down or starting up (57P01-03).
 */
const UNAVAILABLE_SQLSTATES = /^(08...|53[123]00|57P0[123])$/;
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND']);
/** node-postgres's own messages for a connection that failed, timed out or went away. */
const UNAVAILABLE_MESSAGES = [
  /^Connection terminated/,
  /^timeout exceeded when trying to connect$/,
  /^Client has encountered a connection error and is not queryable$/,
  /^Cannot use a pool after calling end on the pool$/,
];

/** Whether an error from node-postgres means PostgreSQL could not be used, not that the statement was wrong. */
export function isPostgresUnavailable(error: unknown): boolean {
  if (error instanceof DatabaseError) return UNAVAILABLE_SQLSTATES.test(error.code ?? '');
  if (error instanceof AggregateError) return error.errors.some(isPostgresUnavailable);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(error.message));
}

/** The fields a log line or an error's `cause` may carry: the code and the message with every secret cut out. */
export interface ErrorFields {
  readonly code?: string;
  readonly errorName: string;
  readonly reason: string;
}

export function describeError(error: unknown, secrets: readonly string[]): ErrorFields {
  if (error instanceof DatabaseError) {
    const described = new PostgresQueryError(error);
    return { code: described.code, errorName: described.name, reason: scrub(described.message, secrets) };
  }
  const errorName = error instanceof Error ? error.name : typeof error;
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  let reason = scrub(error instanceof Error ? error.message : String(error), secrets);
  // Node reports a refused dual-stack connection as an AggregateError with an empty message; the code says it all.
  if (reason === '') reason = 'connection failed';
  return typeof code === 'string' ? { code, errorName, reason } : { errorName, reason };
}

function scrub(text: string, secrets: readonly string[]): string {
  let scrubbed = text;
  for (const secret of secrets) scrubbed = scrubbed.replaceAll(secret, '[hidden]');
  return scrubbed;
}

/**
 * What a failed statement is rethrown as: `DependencyUnavailableError('postgres')` when PostgreSQL could not be used
 * (its cause a plain Error with the scrubbed reason, never node-postgres's error, whose fields may hold values);
 * `PostgresQueryError` when the server refused the statement; anything else unchanged.
 */
export function toHubError(error: unknown, secrets: readonly string[]): unknown {
  if (isPostgresUnavailable(error)) {
    const { code, reason } = describeError(error, secrets);
    const cause = Object.assign(new Error(reason), code === undefined ? {} : { code });
    return new DependencyUnavailableError('postgres', { cause });
  }
  if (error instanceof DatabaseError) return new PostgresQueryError(error);
  return error;
}
