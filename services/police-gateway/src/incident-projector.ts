import { STEPS } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { IncidentView } from './intake.ts';

/**
 * Projects `da.incident-received.v1` into the incident versions view (each incident's latest version, each receipt)
 * with the same `apply` the intake calls after its commit: a compare-and-set on the version chain, so whichever of
 * the two writes a version first, the other changes nothing, and a record committed by an intake that died before
 * its Redis write still reaches the view. A replay under a new group rebuilds the view from the topic. `logger`: for
 * versions the view could not take (a gap), ids and outcomes only.
 */
export function incidentVersionsProjector(view: IncidentView, logger?: Logger) {
  const log = logger?.child({ component: 'incident-versions-projector' });
  return bindProjector(STEPS.incidentVersionsProjector, {
    retry: OUTAGE_TOLERANT_RETRY,
    handle: async ({ value, offset }) => {
      const write = await view.apply(value, offset);
      // Receipt ids are the hub's own, not personal data.
      if (write === 'gap') {
        log?.warn(
          { receiptId: value.receiptId, amendsReceiptId: value.amendsReceiptId, offset, outcome: write },
          'version not applied: its predecessor is not in the view (wiped?); rebuild the view with a new group',
        );
      }
    },
  });
}
