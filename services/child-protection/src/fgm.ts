import { actorOf, incidentRef } from '@hub/audit';
import {
  CP_LIMITS,
  STEPS,
  fgmIndicatorRecordedTopic,
  type Caller,
  type FgmIndicatorSubmission,
  type FgmIndicatorStatus,
} from '@hub/contracts';
import { incidentDate, type PatientDirectory } from '@hub/directory';
import { HubError } from '@hub/errors';
import type { KafkaClient } from '@hub/kafka';
import type { ChildProtectionPolicy } from '@hub/policy';
import { createVersionedIntake, type Admission, type VersionedRecordKind } from '@hub/records';
import type { RedisClient } from '@hub/redis';
import { auditDenial } from './denial.ts';
import { checkFgmEligibility, refusedOnNhsNumber } from './eligibility.ts';
import { CP_KEYS, createFlagView, type FlagView, type StoredFgmIndicator } from './flag-view.ts';
import { storedFgmOf } from './projector.ts';
import { auditAlone } from './audit-alone.ts';

export interface FgmIntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly directory: Pick<PatientDirectory, 'findByNhsNumber'>;
  readonly policy: ChildProtectionPolicy;
  readonly now: () => Date;
  /** Stable per instance and used by nothing else. */
  readonly transactionalId: string;
}

/**
 * FGM indicators as versioned records (`@hub/records`): `fgv_` version ids, one `cp.fgm-indicator-recorded.v1`
 * record per version (key: the NHS number), the indicator lock, and the flag view's latest version of the indicator
 * (written by the intake after its commit and by the flag-view projector from the topic, with the same
 * compare-and-set; its content hash is re-derived from the record, `storedFgmOf`).
 */
export function fgmRecordKind(
  view: FlagView,
): VersionedRecordKind<typeof fgmIndicatorRecordedTopic, StoredFgmIndicator> {
  return {
    step: STEPS.fgmIntake,
    idPrefix: 'fgv',
    topic: fgmIndicatorRecordedTopic,
    keyOf: (record) => record.nhsNumber,
    lockKey: (ods, indicatorId) => CP_KEYS.fgmLock(ods, indicatorId),
    busyDetail: 'Another update of this record is being recorded; retry shortly.',
    view: {
      latest: (ods, indicatorId) => view.fgm(ods, indicatorId),
      apply: (record, offset) => view.saveFgm(storedFgmOf(record), record.previousVersionId, offset),
    },
  };
}

/**
 * Records FGM-IS indicators (gp and unscheduled-care callers). An indicator is (the caller's ODS code, its id): only
 * the recording organisation can change it. The versioned-record intake (`@hub/records`) locks the indicator, reads
 * its latest version, answers an identical resend `unchanged` and records each change
 * (`cp.fgm-indicator-recorded.v1` and its audit event in one Kafka transaction, then the view); this module holds
 * the indicator's own rules. Adding checks the NHS number (known, active, under 18 today, not recorded as male);
 * removing an indicator the organisation added is always possible; removing one it did not add (another
 * organisation's, or nobody's) is 404, audited first (denial.ts); the NHS number never changes (409).
 */
export function createFgmIntake(deps: FgmIntakeDeps) {
  const view = createFlagView(deps.redis);
  const versions = createVersionedIntake(deps, fgmRecordKind(view));

  /** A first version that removes: nobody's indicator, or another organisation's. Audited, then 404. */
  async function refuseRemoval(caller: Caller, indicatorId: string, nhsNumber: string, at: Date): Promise<never> {
    const ref = incidentRef(caller.organisation, indicatorId);
    // Audited with the owner's record when the child has this indicator from another organisation.
    const owner = (await view.activeFgmOfChild(nhsNumber)).find((active) => active.indicatorId === indicatorId);
    await (owner === undefined
      ? auditDenial(deps.kafka, caller, at, 'fgm-indicator-not-found', { incidentRef: ref, nhsNumber })
      : auditDenial(deps.kafka, caller, at, 'fgm-indicator-of-another-organisation', {
          receiptId: owner.versionId,
          incidentRef: incidentRef(owner.organisation, indicatorId),
          nhsNumber,
        }));
    throw new HubError('not-found', 'Your organisation has recorded no FGM indicator with this id.');
  }

  /** An indicator becoming active: the directory checks, then a place in the child's set. */
  async function admitActive(
    caller: Caller,
    indicatorId: string,
    nhsNumber: string,
    hash: string,
    at: Date,
  ): Promise<Admission | undefined> {
    const ods = caller.organisation;
    const ref = incidentRef(ods, indicatorId);
    const eligibility = await checkFgmEligibility(
      deps.directory,
      deps.policy,
      nhsNumber,
      incidentDate(at.toISOString()),
    );
    if (!eligibility.eligible) {
      // No notice to anyone for an FGM refusal; the audit trail records it. A resend of the same refused
      // submission is the same refusal (the event id derives from the indicator and the content).
      await auditAlone(
        deps.kafka,
        ods,
        'request-rejected',
        at,
        { actor: actorOf(caller), incidentRef: ref, nhsNumber, reason: eligibility.reason },
        [ref, hash],
      );
      throw refusedOnNhsNumber(
        'The FGM indicator was refused on its NHS number; `reason` says why.',
        eligibility.reason,
      );
    }
    const reservation = await view.reserveFgmSlot(nhsNumber, ods, indicatorId);
    if (reservation === 'full') {
      throw new HubError(
        'conflict',
        `The hub already holds ${CP_LIMITS.fgmIndicatorsPerChild} active FGM indicators for this NHS number, ` +
          'the most it keeps.',
      );
    }
    return reservation === 'reserved' ? { release: () => view.releaseFgmSlot(nhsNumber, ods, indicatorId) } : undefined;
  }

  async function put(
    caller: Caller,
    indicatorId: string,
    submission: FgmIndicatorSubmission,
  ): Promise<FgmIndicatorStatus> {
    const ods = caller.organisation;
    const ref = incidentRef(ods, indicatorId);
    const at = deps.now();
    const { nhsNumber, status } = submission;

    const result = await versions.submit({
      owner: ods,
      recordId: indicatorId,
      // Exactly what the record holds, so the view's hash is derivable from the record (storedFgmOf).
      content: { nhsNumber, status },
      at,
      inspect: async (latest) => {
        if (latest === undefined && status === 'removed') await refuseRemoval(caller, indicatorId, nhsNumber, at);
        if (latest !== undefined && latest.nhsNumber !== nhsNumber) {
          throw new HubError(
            'conflict',
            'The NHS number of a recorded FGM indicator cannot change: remove it and record a new one.',
          );
        }
      },
      unchanged: (latest) => ({
        action: 'fgm-indicator-unchanged',
        fields: { actor: actorOf(caller), receiptId: latest.versionId, incidentRef: ref, nhsNumber },
      }),
      admit: (_latest, ids) =>
        status === 'active'
          ? admitActive(caller, indicatorId, nhsNumber, ids.contentHash, at)
          : Promise.resolve(undefined),
      version: (ids) => ({
        record: {
          versionId: ids.versionId,
          indicatorId,
          organisation: ods,
          nhsNumber,
          status,
          previousVersionId: ids.previousVersionId,
          recordedAt: at.toISOString(),
          recordedBy: actorOf(caller),
        },
        audit: {
          action: 'fgm-indicator-recorded',
          fields: {
            actor: actorOf(caller),
            receiptId: ids.versionId,
            incidentRef: ref,
            nhsNumber,
            reason: status === 'active' ? 'added' : 'removed',
          },
        },
      }),
    });
    if (result.outcome === 'unchanged') {
      const { latest } = result;
      return {
        indicatorId,
        versionId: latest.versionId,
        status: latest.status,
        outcome: 'unchanged',
        recordedAt: latest.recordedAt,
      };
    }
    return {
      indicatorId,
      versionId: result.ids.versionId,
      status,
      outcome: status === 'active' ? 'added' : 'removed',
      recordedAt: result.record.recordedAt,
    };
  }

  return { put };
}

export type FgmIntake = ReturnType<typeof createFgmIntake>;
