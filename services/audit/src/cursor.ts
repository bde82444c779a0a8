import { z } from 'zod';

/**
 * The audit search cursor: base64url of `{"t":<ms since epoch>,"id":"aud_…"}`, the time and id of the last event
 * of the previous page (events are ordered by time, then id). It looks opaque so clients pass it back rather than
 * build it; only the canonical encoding is accepted, so each position has exactly one cursor.
 */
export interface AuditCursor {
  readonly time: number;
  readonly eventId: string;
}

export const MAX_AUDIT_CURSOR_LENGTH = 128;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Largest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8.64e15;
const payload = z
  .object({
    t: z.int().min(0).max(MAX_TIME_MS),
    id: z.string().regex(/^aud_[a-f0-9]{32}$/),
  })
  .strict();

export function encodeAuditCursor(cursor: AuditCursor): string {
  return Buffer.from(JSON.stringify({ t: cursor.time, id: cursor.eventId })).toString('base64url');
}

/** The position a cursor stands for, or undefined when it is not a cursor this service made. */
export function decodeAuditCursor(value: string): AuditCursor | undefined {
  if (value.length > MAX_AUDIT_CURSOR_LENGTH || !BASE64URL.test(value)) return undefined;
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = payload.safeParse(decoded);
  if (!parsed.success) return undefined;
  const cursor = { time: parsed.data.t, eventId: parsed.data.id };
  return encodeAuditCursor(cursor) === value ? cursor : undefined;
}

/** The `cursor` query parameter: a cursor from a previous page, parsed to its position. */
export const auditCursorParameter = z.string().transform((value, ctx) => {
  const cursor = decodeAuditCursor(value);
  if (cursor === undefined) {
    ctx.addIssue({ code: 'custom', message: 'must be the nextCursor of a previous page' });
    return z.NEVER;
  }
  return cursor;
});
