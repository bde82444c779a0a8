export {
  createIncidentIntake,
  type IncidentIntake,
  type IntakeDeps,
  type IntakeResult,
  type ReceiptRecord,
} from './intake.ts';
export { createReceiptStatusView, statusFromAudit, type ReceiptStatusView } from './receipt-status.ts';
export { startReceiptStatusProjector } from './status-projector.ts';
export { registerPoliceGatewayRoutes, type PoliceGatewayRouteDeps } from './routes.ts';
