export {
  createAuditStore,
  chainHash,
  type AuditStore,
  type AuditQuery,
  type AuditSearchResult,
  type StoredAuditEvent,
  type UnreadableAuditEvent,
} from './store.ts';
export { auditSearchPageOf, type AuditSearchPage } from './page.ts';
export {
  auditScopeOf,
  scopeReason,
  placementOf,
  type AuditScope,
  type EventPlacement,
  type PracticeAreas,
} from './scope.ts';
export { createAuditService } from './service.ts';
export { auditProjector } from './projector.ts';
export { auditRoutes, AUDIT_PAGE_LIMITS, type AuditRoutesDeps } from './routes.ts';
export { encodeAuditCursor, decodeAuditCursor, type AuditCursor } from './cursor.ts';
