import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { identityStage } from './stage.ts';

/** Identity: matches each subject of a received incident against the directory (`STEPS.identity`). */
export function createIdentityService(deps: ServiceDeps): HubService {
  return defineService({ name: 'identity', steps: [identityStage(deps.directory, deps.now)] });
}
