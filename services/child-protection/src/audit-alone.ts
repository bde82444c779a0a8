import { auditEvent, type AuditFields } from '@hub/audit';
import { auditEventsTopic, type AuditAction } from '@hub/contracts';
import { orNotReady } from '@hub/http';
import type { KafkaClient } from '@hub/kafka';

// The writes every request step shares. Not in service.ts: that module imports the steps, so the steps importing
// it back would be an import cycle.

/** The `service` of this package's audit events. */
export const SERVICE = 'child-protection';

/**
 * Runs a Kafka write the answer depends on; a failure is 503 `not-ready` (retry later): nothing is answered that
 * was not recorded and audited.
 */
export function orUnavailable<R>(work: () => Promise<R>): Promise<R> {
  return orNotReady(work, 'The hub could not write its record, so the request was not completed. Retry later.');
}

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
