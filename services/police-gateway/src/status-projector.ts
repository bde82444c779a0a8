import { STEPS } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { ReceiptStatusView } from './receipt-status.ts';

/** Projects the audit trail into the forces' receipt status view (idempotent, forward-only). */
export function receiptStatusProjector(view: ReceiptStatusView) {
  return bindProjector(STEPS.receiptStatusProjector, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: (message) => view.apply(message.value),
  });
}
