export {
  createAuditStore,
  entryOf,
  leafHash,
  type AuditStore,
  type AuditQuery,
  type AuditOrder,
  type AuditPosition,
  type AuditRecord,
  type FoundAuditRow,
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
export { encodeAuditCursor, decodeAuditCursor, auditCursorFromQuery, type AuditCursor } from './cursor.ts';
export { AUDIT_MIGRATIONS, AUDIT_STORE_MIGRATIONS } from './migrations.ts';
export {
  AUDIT_LOG_MIGRATIONS,
  applySequenceRecord,
  consistencyProofAt,
  createAuditLog,
  inclusionProofAt,
  nextSequenceRecord,
  readLogState,
  readTile,
  rootAt,
  type AuditLog,
} from './log/index.ts';
export { loadLogKey, type LogKey } from './log/keys.ts';
