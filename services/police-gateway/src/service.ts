import { STEPS } from '@hub/contracts';
import { defineService, type HubService, type ServiceDeps } from '@hub/runtime';
import { incidentVersionsProjector } from './incident-projector.ts';
import { createIncidentIntake, createIncidentView } from './intake.ts';
import { createReceiptStatusView } from './receipt-status.ts';
import { policeGatewayRoutes } from './routes.ts';
import { receiptStatusProjector } from './status-projector.ts';

/**
 * The police gateway: takes incidents (`incidentIntake`), keeps their versions and receipts (a view of
 * `da.incident-received.v1`) and the forces' receipt status view.
 */
export function createPoliceGatewayService(deps: ServiceDeps): HubService {
  const intake = createIncidentIntake({
    kafka: deps.kafka,
    redis: deps.viewRedis('incident-versions'),
    now: deps.now,
    transactionalId: STEPS.incidentIntake.transactionalId,
  });
  const status = createReceiptStatusView(deps.viewRedis('receipt-status'));
  return defineService({
    name: 'police-gateway',
    routes: policeGatewayRoutes({ intake, status }),
    steps: [
      receiptStatusProjector(status),
      incidentVersionsProjector(createIncidentView(deps.viewRedis('incident-versions')), deps.logger),
    ],
    views: ['receipt-status', 'incident-versions'],
  });
}
