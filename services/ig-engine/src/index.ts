export { decide, startIgEngineStage } from './stage.ts';
