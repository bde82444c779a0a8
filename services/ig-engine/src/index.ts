export { createIgEngineService } from './service.ts';
export { decide, igEngineStage } from './stage.ts';
