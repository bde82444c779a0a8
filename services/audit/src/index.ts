export { createAuditStore, chainHash, type AuditStore, type AuditQuery, type StoredAuditEvent } from './store.ts';
export { startAuditProjector } from './projector.ts';
export { registerAuditRoutes, AUDIT_PAGE_LIMITS, type AuditRoutesDeps } from './routes.ts';
export { encodeAuditCursor, decodeAuditCursor, type AuditCursor } from './cursor.ts';
