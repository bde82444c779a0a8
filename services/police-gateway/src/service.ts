import { STEPS } from '@hub/contracts';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { createIncidentIntake } from './intake.ts';
import { createReceiptStatusView } from './receipt-status.ts';
import { policeGatewayRoutes } from './routes.ts';
import { receiptStatusProjector } from './status-projector.ts';

/** The police gateway: takes incidents (`incidentIntake`) and keeps the forces' receipt status view. */
export function createPoliceGatewayService(deps: ServiceDeps): HubService {
  const intake = createIncidentIntake({
    kafka: deps.kafka,
    redis: deps.redis,
    now: deps.now,
    transactionalId: STEPS.incidentIntake.transactionalId,
  });
  const status = createReceiptStatusView(deps.redis);
  return defineService({
    name: 'police-gateway',
    routes: policeGatewayRoutes({ intake, status }),
    steps: [receiptStatusProjector(status)],
    views: ['receipt-status'],
  });
}
