export { auditEvent, incidentRef, actorOf, type AuditFields } from './event.ts';
