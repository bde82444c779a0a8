import { actorOf, auditEvent, incidentRef } from '@hub/audit';
import {
  CP_LIMITS,
  auditEventsTopic,
  contentHash,
  contentId,
  fgmIndicatorRecordedTopic,
  type Caller,
  type FgmIndicatorRecorded,
  type FgmIndicatorSubmission,
  type FgmIndicatorStatus,
} from '@hub/contracts';
import { incidentDate, type PatientDirectory } from '@hub/directory';
import { HubError } from '@hub/errors';
import type { KafkaClient } from '@hub/kafka';
import type { ChildProtectionPolicy } from '@hub/policy';
import type { RedisClient } from '@hub/redis';
import { auditDenial } from './denial.ts';
import { checkFgmEligibility, refusedOnNhsNumber } from './eligibility.ts';
import { CP_KEYS, createFlagView } from './flag-view.ts';
import { withRecordLock } from './lock.ts';
import { storedFgmOf } from './projector.ts';
import { auditAlone, orUnavailable, SERVICE } from './audit-alone.ts';

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
 * Records FGM-IS indicators (gp and unscheduled-care callers). An indicator is (the caller's ODS code, its id): only
 * the recording organisation can change it. Adding checks the NHS number (known, active, under 18 today);
 * removing an indicator the organisation added is always possible; removing one it did not add (another
 * organisation's, or nobody's) is 404, audited first (denial.ts). Each change's `cp.fgm-indicator-recorded.v1`
 * record and its audit event leave in one Kafka transaction; the Redis view is written after (and by the flag-view
 * projector).
 */
export function createFgmIntake(deps: FgmIntakeDeps) {
  const view = createFlagView(deps.redis);

  async function put(
    caller: Caller,
    indicatorId: string,
    submission: FgmIndicatorSubmission,
  ): Promise<FgmIndicatorStatus> {
    const ods = caller.organisation;
    const ref = incidentRef(ods, indicatorId);
    const hash = contentHash(submission);
    const at = deps.now();
    const { nhsNumber, status } = submission;

    return withRecordLock(deps.redis, CP_KEYS.fgmLock(ods, indicatorId), async () => {
      const latest = await view.fgm(ods, indicatorId);
      if (latest === undefined && status === 'removed') {
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
      if (latest !== undefined && latest.nhsNumber !== nhsNumber) {
        throw new HubError(
          'conflict',
          'The NHS number of a recorded FGM indicator cannot change: remove it and record a new one.',
        );
      }
      if (latest?.contentHash === hash) {
        await auditAlone(deps.kafka, latest.versionId, 'fgm-indicator-unchanged', at, {
          actor: actorOf(caller),
          receiptId: latest.versionId,
          incidentRef: ref,
          nhsNumber,
        });
        return {
          indicatorId,
          versionId: latest.versionId,
          status: latest.status,
          outcome: 'unchanged',
          recordedAt: latest.recordedAt,
        };
      }

      let slot: 'reserved' | 'held' = 'held';
      if (status === 'active') {
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
        slot = reservation;
      }

      const previousVersionId = latest?.versionId ?? null;
      const recorded: FgmIndicatorRecorded = {
        versionId: contentId('fgv', ods, indicatorId, hash, previousVersionId ?? ''),
        indicatorId,
        organisation: ods,
        nhsNumber,
        status,
        previousVersionId,
        recordedAt: at.toISOString(),
        recordedBy: actorOf(caller),
      };
      // The view's copy is made from the record, as the projector makes it.
      const stored = storedFgmOf(recorded);
      let offset: string | undefined;
      try {
        await orUnavailable(() =>
          deps.kafka.transaction(deps.transactionalId, async (tx) => {
            const written = await tx.publish(fgmIndicatorRecordedTopic, [{ key: nhsNumber, value: recorded }]);
            offset = written[0]?.baseOffset;
            await tx.publish(auditEventsTopic, [
              {
                key: stored.versionId,
                value: auditEvent(SERVICE, 'fgm-indicator-recorded', at, {
                  actor: actorOf(caller),
                  receiptId: stored.versionId,
                  incidentRef: ref,
                  nhsNumber,
                  reason: status === 'active' ? 'added' : 'removed',
                }),
              },
            ]);
          }),
        );
      } catch (error) {
        if (slot === 'reserved') await view.releaseFgmSlot(nhsNumber, ods, indicatorId).catch(() => undefined);
        throw error;
      }
      // Compare-and-set on the version this one follows: the projector may have applied it already (`held`).
      await view.saveFgm(stored, previousVersionId, offset);
      return {
        indicatorId,
        versionId: stored.versionId,
        status,
        outcome: status === 'active' ? 'added' : 'removed',
        recordedAt: stored.recordedAt,
      };
    });
  }

  return { put };
}

export type FgmIntake = ReturnType<typeof createFgmIntake>;
