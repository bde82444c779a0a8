export {
  createIncidentIntake,
  type IncidentIntake,
  type IntakeDeps,
  type IntakeResult,
  type ReceiptRecord,
} from './intake.ts';
export {
  createReceiptStatusView,
  statusFromAudit,
  RECIPIENT_STATUSES,
  type ReceiptStatusView,
} from './receipt-status.ts';
export { startReceiptStatusProjector } from './status-projector.ts';
export {
  registerPoliceGatewayRoutes,
  submissionAccepted,
  receiptStatus,
  type PoliceGatewayRouteDeps,
} from './routes.ts';
