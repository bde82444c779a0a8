import { contentId, type AuditAction, type AuditEvent, type Caller } from '@hub/contracts';
import { currentTraceId } from '@hub/logger';

export type AuditFields = Partial<Omit<AuditEvent, 'eventId' | 'at' | 'service' | 'action' | 'traceId'>>;

/**
 * One audit event with an id derived from what it records (service, action and the ids it concerns), so a
 * retried step produces the same event id and the audit store keeps it once.
 */
export function auditEvent(
  service: string,
  action: AuditAction,
  at: Date,
  fields: AuditFields,
  /** More ids that make this event distinct, for events not tied to a receipt (e.g. an access token's id). */
  distinctBy: readonly string[] = [],
): AuditEvent {
  const event: Omit<AuditEvent, 'eventId'> = {
    at: at.toISOString(),
    service,
    action,
    traceId: currentTraceId(),
    actor: fields.actor ?? null,
    receiptId: fields.receiptId ?? null,
    incidentRef: fields.incidentRef ?? null,
    subjectRef: fields.subjectRef ?? null,
    nhsNumber: fields.nhsNumber ?? null,
    recipient: fields.recipient ?? null,
    notificationId: fields.notificationId ?? null,
    decision: fields.decision ?? null,
    reason: fields.reason ?? null,
  };
  const identity = [
    service,
    action,
    event.receiptId,
    event.subjectRef,
    event.recipient,
    event.notificationId,
    event.decision?.rule,
    event.reason,
    event.actor?.clientId,
    ...distinctBy,
  ].map((part) => part ?? '');
  return { eventId: contentId('aud', ...identity), ...event };
}

export function incidentRef(force: string, incidentId: string): string {
  return `${force}:${incidentId}`;
}

export function actorOf(caller: Caller): Caller {
  return { clientId: caller.clientId, role: caller.role, organisation: caller.organisation };
}
