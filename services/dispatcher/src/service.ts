import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createLineage } from './lineage.ts';
import { lineageProjector } from './lineage-projector.ts';
import { dispatcherStage } from './stage.ts';

/**
 * The dispatcher: minimises, signs and issues each share of a decision set (`STEPS.dispatcher`), and keeps the
 * amendment lineage it reads from the issued notifications (`STEPS.dispatcherLineage`).
 */
export function createDispatcherService(deps: ServiceDeps): HubService {
  const lineage = createLineage(deps.viewRedis('amendment-lineage'));
  return defineService({
    name: 'dispatcher',
    steps: [
      dispatcherStage({ keys: deps.keyStore, policy: deps.policy, lineage, now: deps.now }),
      lineageProjector(lineage),
    ],
    views: ['amendment-lineage'],
  });
}
