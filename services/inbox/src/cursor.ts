import { inboxPosition } from '@hub/contracts';
import { opaqueCursor } from '@hub/http';
import { z } from 'zod';

/**
 * The inbox page cursor: `{"from":"<position>"}`, the first position not yet seen (Kafka's own convention for a
 * committed offset), opaque-looking and canonical (see `opaqueCursor`). A position is the notification's offset in
 * `notifications.issued.v1`, so a cursor means the same after the inbox is rebuilt from the topic. It is not secret
 * and not bound to an inbox: a cursor only says where to continue, and a caller can only page inboxes it may read.
 */
export const MAX_INBOX_CURSOR_LENGTH = 64;

const inboxCursor = opaqueCursor({
  maxLength: MAX_INBOX_CURSOR_LENGTH,
  payload: z.object({ from: inboxPosition }).strict(),
  toPayload: (from: string) => ({ from }),
  fromPayload: (payload) => payload.from,
});

/** Where a page starts when no cursor is given: the topic's first offset. */
export const INBOX_START = '0';

/** The cursor of whatever comes after `position`. */
export function cursorAfter(position: string): string {
  return inboxCursor.encode((BigInt(position) + 1n).toString());
}

export const encodeInboxCursor = inboxCursor.encode;
export const decodeInboxCursor = inboxCursor.decode;
export { inboxCursor };
