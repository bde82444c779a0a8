export { createPoliceGatewayService } from './service.ts';
export {
  createIncidentIntake,
  createIncidentView,
  type IncidentIntake,
  type IncidentVersion,
  type IncidentView,
  type IntakeDeps,
  type IntakeResult,
  type ReceiptRecord,
} from './intake.ts';
export { createReceiptStatusView, statusFromAudit, type ReceiptStatusView } from './receipt-status.ts';
export { incidentVersionsProjector } from './incident-projector.ts';
export { receiptStatusProjector } from './status-projector.ts';
