import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createLineage } from './lineage.ts';
import { dispatcherStage } from './stage.ts';

/** The dispatcher: minimises, signs and issues each share of a decision set (`STEPS.dispatcher`). */
export function createDispatcherService(deps: ServiceDeps): HubService {
  return defineService({
    name: 'dispatcher',
    steps: [
      dispatcherStage({ keys: deps.keyStore, policy: deps.policy, lineage: createLineage(deps.redis), now: deps.now }),
    ],
  });
}
