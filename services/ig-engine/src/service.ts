import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { igEngineStage } from './stage.ts';

/** The IG engine: decides under the domestic-abuse policy (`STEPS.igEngine`). */
export function createIgEngineService(deps: ServiceDeps): HubService {
  return defineService({ name: 'ig-engine', steps: [igEngineStage(deps.policy, deps.now)] });
}
