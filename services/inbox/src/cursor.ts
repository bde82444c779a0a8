import { z } from 'zod';

/**
 * The inbox page cursor: base64url of `{"s":<last sequence seen>}`. It looks opaque so clients pass it back rather
 * than compute it, and only the canonical encoding is accepted (one cursor per position, nothing hidden in
 * padding or whitespace). It is not secret and not bound to an inbox: a cursor only says where to continue, and a
 * caller can only page inboxes it may read anyway.
 */
export const MAX_INBOX_CURSOR_LENGTH = 64;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const payload = z.object({ s: z.int().min(0) }).strict();

export function encodeInboxCursor(sequence: number): string {
  return Buffer.from(JSON.stringify({ s: sequence })).toString('base64url');
}

/** The sequence a cursor stands for, or undefined when it is not a cursor this service made. */
export function decodeInboxCursor(value: string): number | undefined {
  if (value.length > MAX_INBOX_CURSOR_LENGTH || !BASE64URL.test(value)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = payload.safeParse(decoded);
  if (!parsed.success) return undefined;
  return encodeInboxCursor(parsed.data.s) === value ? parsed.data.s : undefined;
}

/** The `cursor` query parameter: a cursor from a previous page, parsed to its sequence. */
export const inboxCursorParameter = z.string().transform((value, ctx) => {
  const sequence = decodeInboxCursor(value);
  if (sequence === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be the nextCursor of a previous page' });
    return z.NEVER;
  }
  return sequence;
});
