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
