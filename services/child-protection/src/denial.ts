import { randomUUID } from 'node:crypto';
import { actorOf, type AuditFields } from '@hub/audit';
import type { Caller } from '@hub/contracts';
import type { KafkaClient } from '@hub/kafka';
import { auditAlone } from './audit-alone.ts';

/**
 * Why a request for a record was answered 404 (the audit event's `reason`):
 * - `plan-not-found`: the caller's authority holds no plan with this id. Plan ids are each authority's own, so
 *   another authority's plan with the same id is a different plan, never looked for: the caller cannot address it;
 * - `fgm-indicator-of-another-organisation`: removing an indicator that the child has active under another
 *   organisation with this id (only its recording organisation may remove it);
 * - `fgm-indicator-not-found`: removing an indicator nobody recorded for this child under this id.
 */
export const DENIAL_REASONS = [
  'plan-not-found',
  'fgm-indicator-of-another-organisation',
  'fgm-indicator-not-found',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

/**
 * Audits a refused request before it is answered 404 (`access-denied`: who was refused, what they asked for, why).
 * Every 404 for a record is audited the same way, whether the record belongs to someone else or does not exist, so
 * the answer (404, or 503 `not-ready` when the audit cannot be written) never tells the two apart. Each attempt is
 * its own event: a nonce of ours keeps repeated attempts apart, where the content-derived id would fold them.
 */
export async function auditDenial(
  kafka: KafkaClient,
  caller: Caller,
  at: Date,
  reason: DenialReason,
  asked: Pick<AuditFields, 'receiptId' | 'incidentRef' | 'nhsNumber'>,
): Promise<void> {
  const key = asked.receiptId ?? asked.incidentRef ?? caller.organisation;
  await auditAlone(kafka, key, 'access-denied', at, { actor: actorOf(caller), ...asked, reason }, [randomUUID()]);
}
