import { opaqueCursor } from '@hub/http';
import { z } from 'zod';

/**
 * The inbox page cursor: `{"s":<last sequence seen>}`, opaque-looking and canonical (see `opaqueCursor`). It is
 * not secret and not bound to an inbox: a cursor only says where to continue, and a caller can only page inboxes it
 * may read anyway.
 */
export const MAX_INBOX_CURSOR_LENGTH = 64;

const inboxCursor = opaqueCursor({
  maxLength: MAX_INBOX_CURSOR_LENGTH,
  payload: z.object({ s: z.int().min(0) }).strict(),
  toPayload: (sequence: number) => ({ s: sequence }),
  fromPayload: (payload) => payload.s,
});

export const encodeInboxCursor = inboxCursor.encode;
export const decodeInboxCursor = inboxCursor.decode;
export { inboxCursor };
export const inboxCursorParameter = inboxCursor.parameter;
