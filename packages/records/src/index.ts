export {
  createVersionedIntake,
  versionIdOf,
  RECORD_LOCK_TTL_MS,
  type Admission,
  type AuditOf,
  type VersionIds,
  type VersionOutcome,
  type VersionSubmission,
  type VersionView,
  type VersionedIntake,
  type VersionedIntakeDeps,
  type VersionedRecordKind,
} from './intake.ts';
export {
  applyVersion,
  readLatestVersion,
  positionKey,
  type LatestVersion,
  type VersionEntry,
  type VersionIndex,
  type VersionWrite,
} from './latest-version.ts';
