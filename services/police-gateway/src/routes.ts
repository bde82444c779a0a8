import type { Auth } from '@hub/auth';
import { callerOf } from '@hub/auth';
import { daIncidentSubmission, daReceiptStatus, daSubmissionAccepted, receiptParams } from '@hub/contracts';
import { HubError } from '@hub/errors';
import type { HttpServer } from '@hub/http';
import type { IncidentIntake } from './intake.ts';
import type { ReceiptStatusView } from './receipt-status.ts';

export interface PoliceGatewayRouteDeps {
  readonly auth: Auth;
  readonly intake: IncidentIntake;
  readonly status: ReceiptStatusView;
}

/**
 * `POST /v1/domestic-abuse-incidents` and `GET /v1/domestic-abuse-incidents/{receiptId}`, role police only. The
 * force is the caller's organisation, never a field of the body; a receipt is visible only to its force (another
 * force gets 404, as for a receipt that does not exist).
 */
export function registerPoliceGatewayRoutes(app: HttpServer, deps: PoliceGatewayRouteDeps): void {
  deps.auth.registerProtected(app, { prefix: '/v1' }, (scope) => {
    scope.post(
      '/domestic-abuse-incidents',
      {
        onRequest: deps.auth.requireRole('police'),
        schema: { body: daIncidentSubmission, response: { 202: daSubmissionAccepted } },
      },
      async (request, reply) => {
        const result = await deps.intake.submit(callerOf(request), request.body);
        return reply
          .code(202)
          .header('location', `/v1/domestic-abuse-incidents/${result.receiptId}`)
          .send({ receiptId: result.receiptId, status: result.outcome, amendsReceiptId: result.amendsReceiptId });
      },
    );

    scope.get(
      '/domestic-abuse-incidents/:receiptId',
      {
        onRequest: deps.auth.requireRole('police'),
        schema: { params: receiptParams, response: { 200: daReceiptStatus } },
      },
      async (request) => {
        const receipt = await deps.intake.receipt(callerOf(request), request.params.receiptId);
        if (receipt === undefined) throw new HubError('not-found', 'No receipt with this id for your force.');
        return {
          receiptId: receipt.receiptId,
          incidentId: receipt.incidentId,
          receivedAt: receipt.receivedAt,
          amendsReceiptId: receipt.amendsReceiptId,
          recipients: await deps.status.entries(receipt.receiptId),
        };
      },
    );
  });
}
