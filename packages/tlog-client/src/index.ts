export {
  WITNESS_CLIENT_LIMITS,
  WITNESS_ERROR_CODES,
  WitnessError,
  submitToWitness,
  type CheckpointSubmission,
  type SubmitOptions,
  type WitnessCosignature,
  type WitnessEndpoint,
  type WitnessErrorCode,
} from './witness-client.ts';
export { ResponseTooLargeError, readLimited, readLimitedBytes } from './read-limited.ts';
export { HTTP_LOG_LIMITS, LogReadError, httpLogSource, type HttpLogOptions } from './http-log.ts';
export { EXIT, runAuditCli, type AuditCliIo } from './audit-cli.ts';
