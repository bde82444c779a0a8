import { callerOf, type Auth } from '@hub/auth';
import {
  cpFlags,
  cpFlagsQuery,
  cpPlanParams,
  cpPlanStatus,
  cpPlanSubmission,
  fgmIndicatorParams,
  fgmIndicatorStatus,
  fgmIndicatorSubmission,
} from '@hub/contracts';
import type { HttpServer } from '@hub/http';
import type { FgmIntake } from './fgm.ts';
import type { FlagLookup } from './lookup.ts';
import type { PlanIntake } from './plans.ts';

export interface ChildProtectionRouteDeps {
  readonly auth: Auth;
  readonly plans: PlanIntake;
  readonly fgm: FgmIntake;
  readonly lookup: FlagLookup;
}

/**
 * The child-protection API under `/v1` (contracts/src/http-api.ts): plans (role local-authority, each authority
 * its own plans only), FGM indicators (gp, unscheduled-care, each organisation its own) and the flag look-up
 * (unscheduled-care, gp). Logs carry ids and outcomes only, never an NHS number.
 */
export function registerChildProtectionRoutes(app: HttpServer, deps: ChildProtectionRouteDeps): void {
  const { auth } = deps;
  auth.registerProtected(app, { prefix: '/v1' }, (scope) => {
    scope.put(
      '/child-protection-plans/:planId',
      {
        onRequest: auth.requireRole('local-authority'),
        schema: { params: cpPlanParams, body: cpPlanSubmission, response: { 200: cpPlanStatus } },
      },
      async (request) => {
        const status = await deps.plans.put(callerOf(request), request.params.planId, request.body);
        request.log.info({ versionId: status.versionId, outcome: status.outcome }, 'child protection plan put');
        return status;
      },
    );

    scope.get(
      '/child-protection-plans/:planId',
      {
        onRequest: auth.requireRole('local-authority'),
        schema: { params: cpPlanParams, response: { 200: cpPlanStatus } },
      },
      async (request, reply) => {
        const status = await deps.plans.get(callerOf(request), request.params.planId);
        void reply.header('cache-control', 'no-store');
        return status;
      },
    );

    scope.put(
      '/fgm-indicators/:indicatorId',
      {
        onRequest: auth.requireRole('gp', 'unscheduled-care'),
        schema: { params: fgmIndicatorParams, body: fgmIndicatorSubmission, response: { 200: fgmIndicatorStatus } },
      },
      async (request) => {
        const status = await deps.fgm.put(callerOf(request), request.params.indicatorId, request.body);
        request.log.info({ versionId: status.versionId, outcome: status.outcome }, 'fgm indicator put');
        return status;
      },
    );

    scope.get(
      '/child-protection-flags',
      {
        onRequest: auth.requireRole('unscheduled-care', 'gp'),
        schema: { querystring: cpFlagsQuery, response: { 200: cpFlags } },
      },
      async (request, reply) => {
        const flags = await deps.lookup.lookup(callerOf(request), request.query);
        request.log.info(
          { lookupId: flags.lookupId, plans: flags.plans.length, notified: flags.notified.length },
          'child protection flags looked up',
        );
        void reply.header('cache-control', 'no-store');
        return flags;
      },
    );
  });
}
