export { auditEvent, incidentRef, actorOf, type AuditFields } from './event.ts';
export { issueNotification, type IssueSource } from './issue.ts';
