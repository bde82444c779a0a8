export { witnessEnv, type WitnessConfig } from './config.ts';
export { startWitness, type RunningWitness } from './start.ts';
export { loadWitnessKey, WitnessKeyError, type WitnessKey } from './key.ts';
export { parseLogsFile, LogsFileError, MAX_WITNESSED_LOGS, type WitnessedLog } from './logs.ts';
export { WitnessState, WitnessStateError } from './state.ts';
export { Witness, originHashOf, type WitnessAnswer } from './witness.ts';
