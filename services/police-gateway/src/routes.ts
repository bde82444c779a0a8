import { HTTP_ROUTES } from '@hub/contracts';
import { HubError } from '@hub/errors';
import { bindRoute, type RouteBinding } from '@hub/http';
import type { IncidentIntake } from './intake.ts';
import type { ReceiptStatusView } from './receipt-status.ts';

export interface PoliceGatewayRouteDeps {
  readonly intake: IncidentIntake;
  readonly status: ReceiptStatusView;
}

/**
 * `submitDomesticAbuseIncident` and `getReceiptStatus` (contracts/src/http-api.ts). The force is the caller's
 * organisation, never a field of the body; a receipt is visible only to its force (another force gets 404, as for a
 * receipt that does not exist).
 */
export function policeGatewayRoutes(deps: PoliceGatewayRouteDeps): RouteBinding[] {
  return [
    bindRoute(HTTP_ROUTES.submitDomesticAbuseIncident, async ({ caller, body, reply }) => {
      const result = await deps.intake.submit(caller, body);
      void reply.header('location', `/v1/domestic-abuse-incidents/${result.receiptId}`);
      return { receiptId: result.receiptId, status: result.outcome, amendsReceiptId: result.amendsReceiptId };
    }),
    bindRoute(HTTP_ROUTES.getReceiptStatus, async ({ caller, params }) => {
      const receipt = await deps.intake.receipt(caller, params.receiptId);
      if (receipt === undefined) throw new HubError('not-found', 'No receipt with this id for your force.');
      return {
        receiptId: receipt.receiptId,
        incidentId: receipt.incidentId,
        receivedAt: receipt.receivedAt,
        amendsReceiptId: receipt.amendsReceiptId,
        recipients: await deps.status.entries(receipt.receiptId),
      };
    }),
  ];
}
