import { STEPS } from '@hub/contracts';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createFgmIntake } from './fgm.ts';
import { createFlagView } from './flag-view.ts';
import { createFlagLookup } from './lookup.ts';
import { notifierStages } from './notifier.ts';
import { createPlanStatusView, planStatusProjectors } from './plan-status.ts';
import { createPlanIntake } from './plans.ts';
import { flagViewProjectors } from './projector.ts';
import { childProtectionRoutes } from './routes.ts';

/**
 * Child protection: plans, FGM indicators and the flag look-up (routes and their request steps), the notifier's three
 * stages, the flag view's three projectors, and the plan status view (what became of each plan's notifications).
 */
export function createChildProtectionService(deps: ServiceDeps): HubService {
  const shared = {
    kafka: deps.kafka,
    redis: deps.viewRedis('cp-flags'),
    directory: deps.directory,
    policy: deps.cpPolicy,
    now: deps.now,
  };
  const planStatus = createPlanStatusView(deps.viewRedis('plan-status'));
  return defineService({
    name: 'child-protection',
    routes: childProtectionRoutes({
      plans: createPlanIntake({ ...shared, transactionalId: STEPS.planIntake.transactionalId }),
      fgm: createFgmIntake({ ...shared, transactionalId: STEPS.fgmIntake.transactionalId }),
      lookup: createFlagLookup({ ...shared, transactionalId: STEPS.flagLookup.transactionalId }),
      planStatus,
    }),
    steps: [
      ...notifierStages({ keys: deps.keyStore, policy: deps.cpPolicy, directory: deps.directory, now: deps.now }),
      ...flagViewProjectors(createFlagView(shared.redis), { logger: deps.logger }),
      ...planStatusProjectors(planStatus),
    ],
    views: ['cp-flags', 'plan-status'],
  });
}
