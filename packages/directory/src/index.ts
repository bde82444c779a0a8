export type {
  PatientDirectory,
  DirectoryPatient,
  DirectorySnapshot,
  DirectoryVersion,
  LocalAuthority,
  Practice,
  RegistrationPeriod,
  TraceQuery,
  TraceResult,
} from './directory.ts';
export {
  loadFileDirectory,
  type DirectoryFiles,
  type DirectoryLogger,
  type FileDirectory,
  type FileDirectoryOptions,
  type ReloadResult,
} from './file-directory.ts';
export { createDirectorySnapshot, type DirectorySnapshotOptions } from './snapshot.ts';
export { resolveSubject, registeredPracticeOn, incidentDate, findExactly } from './resolve.ts';
export { normaliseName, normalisePostcode, traceKey, type TraceKey } from './normalise.ts';
export { DirectoryLoadError, formatProblem, type DirectoryProblem } from './problems.ts';
export {
  DIRECTORY_LIMITS,
  PATIENT_GENDERS,
  patientRecord,
  practiceRecord,
  localAuthorityRecord,
  registrationPeriodRecord,
  type PatientRecord,
  type PatientGender,
  type PracticeRecord,
  type LocalAuthorityRecord,
} from './schema.ts';
export {
  validateDirectoryData,
  DIRECTORY_SOURCES,
  type DirectorySource,
  type DirectorySourceData,
  type DirectorySourceNames,
  type DirectoryRecords,
  type ValidationResult,
} from './validate.ts';
export { directoryEnv, directoryFiles, SEED_FILES, type DirectoryConfig } from './env.ts';
