import { HTTP_ROUTES } from '@hub/contracts';
import { bindRoute, type RouteBinding } from '@hub/http';
import type { FgmIntake } from './fgm.ts';
import type { FlagLookup } from './lookup.ts';
import type { PlanStatusView } from './plan-status.ts';
import type { PlanIntake } from './plans.ts';

export interface ChildProtectionRouteDeps {
  readonly plans: PlanIntake;
  readonly fgm: FgmIntake;
  readonly lookup: FlagLookup;
  readonly planStatus: PlanStatusView;
}

/**
 * The child-protection routes (contracts/src/http-api.ts): plans (each authority its own plans only), FGM
 * indicators (each organisation its own) and the flag look-up. Logs carry ids and outcomes only, never an NHS number.
 */
export function childProtectionRoutes(deps: ChildProtectionRouteDeps): RouteBinding[] {
  return [
    bindRoute(HTTP_ROUTES.putChildProtectionPlan, async ({ caller, params, body, request }) => {
      const status = await deps.plans.put(caller, params.planId, body);
      request.log.info({ versionId: status.versionId, outcome: status.outcome }, 'child protection plan put');
      return status;
    }),
    bindRoute(HTTP_ROUTES.getChildProtectionPlan, ({ caller, params }) => deps.plans.get(caller, params.planId)),
    bindRoute(HTTP_ROUTES.getChildProtectionPlanStatus, ({ caller, params }) =>
      deps.planStatus.status(caller, params.planId),
    ),
    bindRoute(HTTP_ROUTES.putFgmIndicator, async ({ caller, params, body, request }) => {
      const status = await deps.fgm.put(caller, params.indicatorId, body);
      request.log.info({ versionId: status.versionId, outcome: status.outcome }, 'fgm indicator put');
      return status;
    }),
    bindRoute(HTTP_ROUTES.getChildProtectionFlags, async ({ caller, query, request }) => {
      const flags = await deps.lookup.lookup(caller, query);
      request.log.info(
        { lookupId: flags.lookupId, plans: flags.plans.length, notified: flags.notified.length },
        'child protection flags looked up',
      );
      return flags;
    }),
  ];
}
