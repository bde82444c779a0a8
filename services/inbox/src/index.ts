export { createInboxService, inboxStoreOf } from './service.ts';
export {
  createInboxStore,
  INBOX_LOCK,
  type InboxStore,
  type InboxStoreOptions,
  type StoredNotification,
} from './store.ts';
export { inboxSweeper, INBOX_SWEEP_INTERVAL_MS } from './sweeper.ts';
export { inboxProjector } from './projector.ts';
export { inboxStateProjector } from './state-projector.ts';
export { inboxRoutes, type InboxRoutesDeps } from './routes.ts';
export { mayUseInbox } from './scope.ts';
export { cursorAfter, encodeInboxCursor, decodeInboxCursor } from './cursor.ts';
