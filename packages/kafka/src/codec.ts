import type { z } from 'zod';
import { LIMITS } from './limits.ts';

/**
 * Bytes <-> values. Values are UTF-8 JSON; anything else on a topic is undecodable. Nothing here ever puts a value,
 * or a piece of one, into an error or a summary: values may be personal data.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

export const UNDECODABLE = {
  noValue: 'no-value',
  notUtf8: 'not-utf8',
  notJson: 'not-json',
  keyNotUtf8: 'key-not-utf8',
} as const;
export type UndecodableCause = (typeof UNDECODABLE)[keyof typeof UNDECODABLE];

export type DecodeResult =
  { readonly ok: true; readonly json: unknown } | { readonly ok: false; readonly cause: UndecodableCause };

export function decodeValue(bytes: Buffer | null): DecodeResult {
  if (bytes === null) return { ok: false, cause: UNDECODABLE.noValue };
  const text = decodeUtf8(bytes);
  if (text === undefined) return { ok: false, cause: UNDECODABLE.notUtf8 };
  try {
    return { ok: true, json: JSON.parse(text) as unknown };
  } catch {
    // JSON.parse's message quotes the input; drop it.
    return { ok: false, cause: UNDECODABLE.notJson };
  }
}

/** Strict UTF-8 (no replacement characters); undefined when the bytes are not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

export function encodeValue(value: unknown): Buffer {
  const text = JSON.stringify(value);
  // JSON.stringify answers undefined for undefined, functions and symbols: a programming error at the call site.
  if (typeof text !== 'string') throw new TypeError('message value is not JSON-serialisable');
  return Buffer.from(text, 'utf8');
}

/** One failed check, located but never quoted. */
export interface IssueSummary {
  /** JSON pointer to the failing field, e.g. `/subjects/0/nhsNumber`. */
  readonly path: string;
  /** zod's issue code, e.g. `invalid_type`, `too_small`, `invalid_format`. */
  readonly code: string;
}

export type ValidationResult<Value> =
  { readonly ok: true; readonly value: Value } | { readonly ok: false; readonly issues: readonly IssueSummary[] };

/** Checks `value` against the contract. On success answers zod's output (unknown keys stripped where the schema strips). */
export function validate<Schema extends z.ZodType>(schema: Schema, value: unknown): ValidationResult<z.output<Schema>> {
  const result = schema.safeParse(value);
  if (result.success) return { ok: true, value: result.data };
  return { ok: false, issues: summariseIssues(result.error.issues) };
}

/**
 * Paths and codes only. Path segments are schema keys for objects and indices for arrays, but under a z.record they
 * are keys taken from the data, which could be personal data (a record keyed by NHS number): any segment that does not
 * look like an identifier is replaced by `*`. Messages are dropped entirely (custom refinements may quote values).
 */
export function summariseIssues(issues: readonly z.core.$ZodIssue[]): IssueSummary[] {
  return issues.map((issue) => ({ path: toJsonPointer(issue.path), code: safeToken(issue.code) ?? 'custom' }));
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]{0,63}$/;

export function toJsonPointer(path: readonly PropertyKey[]): string {
  return path
    .map((segment) => {
      if (typeof segment === 'number') return `/${segment}`;
      if (typeof segment === 'string' && IDENTIFIER.test(segment)) return `/${segment}`;
      return '/*';
    })
    .join('');
}

const TOKEN = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The string if it is a short code-like token (error names, codes), else undefined. */
export function safeToken(candidate: unknown): string | undefined {
  if (typeof candidate === 'number' && Number.isFinite(candidate)) return String(candidate);
  return typeof candidate === 'string' && TOKEN.test(candidate) ? candidate : undefined;
}

export function checkValueSize(bytes: Buffer, topic: string): void {
  if (bytes.length > LIMITS.maxValueBytes) {
    throw new RangeError(`message for ${topic} is ${bytes.length} bytes; the limit is ${LIMITS.maxValueBytes}`);
  }
}
