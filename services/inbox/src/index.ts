export { createInboxService } from './service.ts';
export { createInboxStore, INBOX_LOCK, type InboxStore, type StoredNotification } from './store.ts';
export { inboxProjector } from './projector.ts';
export { inboxStateProjector } from './state-projector.ts';
export { inboxRoutes, type InboxRoutesDeps } from './routes.ts';
export { mayUseInbox } from './scope.ts';
export { cursorAfter, encodeInboxCursor, decodeInboxCursor } from './cursor.ts';
