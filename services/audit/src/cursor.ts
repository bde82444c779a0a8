import { opaqueCursor } from '@hub/http';
import { z } from 'zod';

/**
 * The audit search cursor: `{"t":<ms since epoch>,"id":"aud_…"}`, the time and id of the last event of the previous
 * page (events are ordered by time, then id); opaque-looking and canonical (see `opaqueCursor`).
 */
export interface AuditCursor {
  readonly time: number;
  readonly eventId: string;
}

export const MAX_AUDIT_CURSOR_LENGTH = 128;
/** Largest time a JavaScript Date can hold. */
const MAX_TIME_MS = 8.64e15;

const auditCursor = opaqueCursor({
  maxLength: MAX_AUDIT_CURSOR_LENGTH,
  payload: z
    .object({
      t: z.int().min(0).max(MAX_TIME_MS),
      id: z.string().regex(/^aud_[a-f0-9]{32}$/),
    })
    .strict(),
  toPayload: (cursor: AuditCursor) => ({ t: cursor.time, id: cursor.eventId }),
  fromPayload: (payload): AuditCursor => ({ time: payload.t, eventId: payload.id }),
});

export { auditCursor };
export const encodeAuditCursor = auditCursor.encode;
export const decodeAuditCursor = auditCursor.decode;
