import { STEPS } from '@hub/contracts';
import { bindBatchProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { ReceiptStatusView } from './receipt-status.ts';

/**
 * Projects the audit trail into the forces' receipt status view (idempotent, forward-only), a fetched batch in one
 * Redis pipeline: about 30 audit events per incident, so one round trip per batch rather than per event (issue 10).
 */
export function receiptStatusProjector(view: ReceiptStatusView) {
  return bindBatchProjector(STEPS.receiptStatusProjector, {
    retry: OUTAGE_TOLERANT_RETRY,
    handleBatch: (messages) => view.applyAll(messages.map((message) => message.value)),
  });
}
