import { auditEvent, type AuditFields } from '@hub/audit';
import { auditEventsTopic, type AuditAction } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';
import { orUnavailable } from './unavailable.ts';

/** The `service` of this package's audit events. */
export const SERVICE = 'child-protection';

/**
 * Publishes one audit event on its own (a step with no record to go with it: an unchanged resend, a refusal, a
 * denied look-up), keyed by `key`. A Kafka failure is 503 `not-ready`: nothing is answered that was not audited.
 */
export async function auditAlone(
  kafka: KafkaClient,
  key: string,
  action: AuditAction,
  at: Date,
  fields: AuditFields,
  distinctBy: readonly string[] = [],
): Promise<void> {
  await orUnavailable(() =>
    kafka.publish(auditEventsTopic, [{ key, value: auditEvent(SERVICE, action, at, fields, distinctBy) }]),
  );
}
