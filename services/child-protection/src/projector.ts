import { contentHash, STEPS, type CpPlanRecorded, type FgmIndicatorRecorded } from '@hub/contracts';
import { bindProjector, OUTAGE_TOLERANT_RETRY, type ConsumerTuning, type ProjectorBinding } from '@hub/kafka';
import type { Logger } from '@hub/logger';
import type { FlagView, StoredFgmIndicator, StoredPlan, VersionWrite } from './flag-view.ts';

export interface FlagViewProjectorOptions {
  /** For versions the view could not take (a gap, a full set): ids and outcomes only. */
  readonly logger?: Logger;
  readonly tuning?: ConsumerTuning;
}

/** The view's copy of a recorded plan version: what the plan intake stores after its commit. */
export function storedPlanOf(record: CpPlanRecorded): StoredPlan {
  return {
    localAuthority: record.localAuthority,
    planId: record.planId,
    versionId: record.versionId,
    change: record.change,
    contentHash: record.contentHash,
    recordedAt: record.recordedAt,
    plan: record.plan,
  };
}

/**
 * The view's copy of a recorded FGM indicator version. The record carries no content hash; it is the hash of the
 * submission (`{ nhsNumber, status }`), as the FGM intake computes it, so an identical resend is still `unchanged`.
 */
export function storedFgmOf(record: FgmIndicatorRecorded): StoredFgmIndicator {
  const { nhsNumber, status } = record;
  return {
    organisation: record.organisation,
    indicatorId: record.indicatorId,
    versionId: record.versionId,
    nhsNumber,
    status,
    contentHash: contentHash({ nhsNumber, status }),
    recordedAt: record.recordedAt,
  };
}

/**
 * The flag-view projector: keeps the Redis views of flag-view.ts up to date from the records themselves, so a
 * record committed by a handler that died before writing Redis still reaches the look-ups, and the views can be
 * rebuilt from the topics. One at-least-once consumer per topic (`consume`, idempotent application):
 * - `cp.plan-recorded.v1` -> the plan's latest version and the child's plan set;
 * - `cp.fgm-indicator-recorded.v1` -> the indicator's latest version and the child's active set;
 * - `cp.flag-accessed.v1` -> the child's recent unscheduled accesses.
 * The handlers write the same views after their commits; both writes are compare-and-set on the version chain with
 * the record's topic offset (or named by the look-up id), so neither order nor repetition matters. A Redis outage is retried for about a quarter
 * of an hour (OUTAGE_TOLERANT_RETRY), never dead-lettered at once; the partition waits meanwhile.
 */
export function flagViewProjectors(view: FlagView, options: FlagViewProjectorOptions = {}): ProjectorBinding[] {
  const log = options.logger?.child({ component: 'cp-flag-view-projector' });
  const tuning = options.tuning ?? {};

  // Plan ids and indicator ids are the recording organisation's references, not personal data; no NHS number here.
  function report(write: VersionWrite, fields: Record<string, string | null>): void {
    if (write === 'gap') {
      log?.warn(
        { ...fields, outcome: write },
        'version not applied: its predecessor is not in the view (wiped?); rebuild the view with a new group',
      );
    } else if (write === 'unindexed') {
      log?.error(
        { ...fields, outcome: write },
        "version applied but the child's set is full: look-ups do not show it until a place is freed",
      );
    } else if (write === 'superseded') {
      log?.debug({ ...fields, outcome: write }, 'older version: the view holds a later one');
    }
  }

  return [
    bindProjector(STEPS.planFlagProjector, {
      tuning,
      retry: OUTAGE_TOLERANT_RETRY,
      handle: async ({ value, offset }) => {
        const write = await view.savePlan(storedPlanOf(value), value.previousVersionId, offset);
        report(write, {
          versionId: value.versionId,
          previousVersionId: value.previousVersionId,
          localAuthority: value.localAuthority,
          planId: value.planId,
        });
      },
    }),
    bindProjector(STEPS.fgmFlagProjector, {
      tuning,
      retry: OUTAGE_TOLERANT_RETRY,
      handle: async ({ value, offset }) => {
        const write = await view.saveFgm(storedFgmOf(value), value.previousVersionId, offset);
        report(write, {
          versionId: value.versionId,
          previousVersionId: value.previousVersionId,
          organisation: value.organisation,
          indicatorId: value.indicatorId,
        });
      },
    }),
    bindProjector(STEPS.accessFlagProjector, {
      tuning,
      retry: OUTAGE_TOLERANT_RETRY,
      handle: ({ value }) =>
        view.recordAccess(value.nhsNumber, value.lookupId, { accessedAt: value.accessedAt, setting: value.setting }),
    }),
  ];
}
