import { auditEvent, type AuditFields } from '@hub/audit';
import { auditEventsTopic, type AuditAction } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';

// The writes every request step shares. Not in service.ts: that module imports the steps, so the steps importing
// it back would be an import cycle.

/** The `service` of this package's audit events. */
export const SERVICE = 'child-protection';

/**
 * Publishes one audit event on its own (a step with no record to go with it: an unchanged resend, a refusal, a
 * denied look-up), keyed by `key`. Kafka unavailable is DependencyUnavailableError (503 `not-ready`): nothing is
 * answered that was not audited.
 */
export async function auditAlone(
  kafka: KafkaClient,
  key: string,
  action: AuditAction,
  at: Date,
  fields: AuditFields,
  distinctBy: readonly string[] = [],
): Promise<void> {
  await kafka.publish(auditEventsTopic, [{ key, value: auditEvent(SERVICE, action, at, fields, distinctBy) }]);
}
