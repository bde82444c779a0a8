import { HubError } from '@hub/errors';
import { opaqueCursor } from '@hub/http';
import { z } from 'zod';
import type { AuditOrder, AuditPosition } from './store.ts';

/**
 * The audit search cursor: `{"t":<ms since epoch>,"p":<partition>,"o":<offset>,"d":"o"|"n"}`, the last row of the
 * previous page (rows are ordered by time, then partition and offset) and the order it was read in ("o" oldest
 * first, "n" newest first), so a cursor is refused with the other order. Opaque-looking and canonical
 * (see `opaqueCursor`).
 */
export interface AuditCursor extends AuditPosition {
  readonly order: AuditOrder;
}

export const MAX_AUDIT_CURSOR_LENGTH = 128;
/** Largest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8.64e15;

const auditCursor = opaqueCursor({
  maxLength: MAX_AUDIT_CURSOR_LENGTH,
  payload: z
    .object({
      t: z.int().min(0).max(MAX_TIME_MS),
      p: z.int().min(0).max(9_999),
      o: z.int().min(0).max(Number.MAX_SAFE_INTEGER),
      d: z.enum(['o', 'n']),
    })
    .strict(),
  toPayload: (cursor: AuditCursor) => ({
    t: cursor.time,
    p: cursor.partition,
    o: cursor.offset,
    d: cursor.order === 'newest' ? ('n' as const) : ('o' as const),
  }),
  fromPayload: (payload): AuditCursor => ({
    time: payload.t,
    partition: payload.p,
    offset: payload.o,
    order: payload.d === 'n' ? 'newest' : 'oldest',
  }),
});

export { auditCursor };
export const encodeAuditCursor = auditCursor.encode;
export const decodeAuditCursor = auditCursor.decode;

/** The query's cursor, for a search in `order`: a cursor read in the other order is refused like a bad one. */
export function auditCursorFromQuery(value: string, order: AuditOrder): AuditCursor {
  const cursor = decodeAuditCursor(value);
  if (cursor !== undefined && cursor.order === order) return cursor;
  throw new HubError('validation-failed', 'The request has 1 invalid field.', {
    errors: [{ pointer: '/query/cursor', detail: 'must be the nextCursor of a previous page of this order' }],
  });
}
