export { createInboxStore, type InboxStore, type StoredNotification } from './store.ts';
export { startInboxProjector } from './projector.ts';
export { registerInboxRoutes, INBOX_LOCK, type InboxRoutesDeps } from './routes.ts';
export { mayUseInbox } from './scope.ts';
export { encodeInboxCursor, decodeInboxCursor } from './cursor.ts';
