import { actorOf, auditEvent, incidentRef } from '@hub/audit';
import {
  CP_LIMITS,
  STEPS,
  auditEventsTopic,
  contentId,
  cpPlanRecordedTopic,
  cpPlanRefusedTopic,
  type Caller,
  type CpPlanChange,
  type CpPlanStatus,
  type CpPlanSubmission,
  type CpRefusalReason,
} from '@hub/contracts';
import { incidentDate, type PatientDirectory } from '@hub/directory';
import { HubError, type FieldError } from '@hub/errors';
import { requestTransaction, type KafkaClient } from '@hub/kafka';
import type { ChildProtectionPolicy } from '@hub/policy';
import { createVersionedIntake, type Admission, type VersionedRecordKind } from '@hub/records';
import type { RedisClient } from '@hub/redis';
import { auditDenial } from './denial.ts';
import { checkEligibility, refusedOnNhsNumber } from './eligibility.ts';
import { CP_KEYS, createFlagView, type FlagView, type StoredPlan } from './flag-view.ts';
import { storedPlanOf } from './projector.ts';
import { SERVICE } from './audit-alone.ts';

export interface PlanIntakeDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly directory: Pick<PatientDirectory, 'findByNhsNumber'>;
  readonly policy: ChildProtectionPolicy;
  readonly now: () => Date;
  /** Stable per instance and used by nothing else (not the FGM intake's, not the look-up's). */
  readonly transactionalId: string;
}

/**
 * started (no earlier version, no end date), ended (an end date, and no earlier version or one without: a plan first
 * shared after it ended is `ended`, never `started`), else changed.
 */
export function planChange(previous: CpPlanSubmission | undefined, next: CpPlanSubmission): CpPlanChange {
  if (next.endDate !== undefined && previous?.endDate === undefined) return 'ended';
  return previous === undefined ? 'started' : 'changed';
}

/** The plan's start and end dates must not be after `today` (England date); the expected delivery date may. */
export function futureDateErrors(plan: CpPlanSubmission, today: string): FieldError[] {
  const errors: FieldError[] = [];
  if (plan.startDate > today) errors.push({ pointer: '/body/startDate', detail: 'must not be in the future' });
  if (plan.endDate !== undefined && plan.endDate > today) {
    errors.push({ pointer: '/body/endDate', detail: 'must not be in the future' });
  }
  return errors;
}

/**
 * Whether this version is checked against the directory. A new plan always is; a new version of a recorded plan
 * only when its start date moves (the age check depends on it). The NHS number and type never change, so a
 * version that keeps the start date has nothing new to check, and an authority must always be able to change or
 * end a plan it recorded, even once the record has become inactive (deceased, superseded) or the child is 18.
 */
export function needsDirectoryCheck(previous: StoredPlan | undefined, next: CpPlanSubmission): boolean {
  return previous === undefined || previous.plan.startDate !== next.startDate;
}

function statusOf(stored: StoredPlan, outcome: CpPlanStatus['outcome']): CpPlanStatus {
  return {
    planId: stored.planId,
    versionId: stored.versionId,
    outcome,
    status: stored.plan.endDate === undefined ? 'active' : 'ended',
    recordedAt: stored.recordedAt,
  };
}

/**
 * Plans as versioned records (`@hub/records`): `cpv_` version ids, one `cp.plan-recorded.v1` record per version
 * (key: `<ons>:<planId>`), the plan lock, and the flag view's latest version of the plan (written by the intake
 * after its commit and by the flag-view projector from the topic, with the same compare-and-set).
 */
export function planRecordKind(view: FlagView): VersionedRecordKind<typeof cpPlanRecordedTopic, StoredPlan> {
  return {
    step: STEPS.planIntake,
    idPrefix: 'cpv',
    topic: cpPlanRecordedTopic,
    keyOf: (record) => incidentRef(record.localAuthority, record.planId),
    lockKey: (ons, planId) => CP_KEYS.planLock(ons, planId),
    busyDetail: 'Another update of this record is being recorded; retry shortly.',
    view: {
      latest: (ons, planId) => view.plan(ons, planId),
      apply: (record, offset) => view.savePlan(storedPlanOf(record), record.previousVersionId, offset),
    },
  };
}

/**
 * Records local authorities' child protection plans. A plan is (the caller's ONS code, the LA's plan id): an
 * authority only ever addresses its own plans. The versioned-record intake (`@hub/records`) locks the plan, reads its
 * latest version, answers an identical resend `unchanged` and records each new version (`cp.plan-recorded.v1` and
 * its audit event in one Kafka transaction, then the view); this module holds the plan's own rules: no future dates,
 * no change of NHS number or type (409), the directory checks, the per-child limit. A refusal (NHS number unknown,
 * inactive, or not a child) is a `cp.plan-refused.v1` record and its audit event, in one transaction, and a 422;
 * nothing is viewed.
 */
export function createPlanIntake(deps: PlanIntakeDeps) {
  const view = createFlagView(deps.redis);
  const versions = createVersionedIntake(deps, planRecordKind(view));

  async function refuse(
    caller: Caller,
    planId: string,
    plan: CpPlanSubmission,
    hash: string,
    reason: CpRefusalReason,
    at: Date,
  ): Promise<never> {
    const ons = caller.organisation;
    const ref = incidentRef(ons, planId);
    // The same refused submission is one refusal: a resend derives the same id, so downstream keeps one notice.
    const refusalId = contentId('cpr', ons, planId, hash);
    await requestTransaction(deps.kafka, { ...STEPS.planIntake, transactionalId: deps.transactionalId }, async (tx) => {
      await tx.publish(cpPlanRefusedTopic, [
        {
          key: ref,
          value: {
            refusalId,
            localAuthority: ons,
            planId,
            nhsNumber: plan.nhsNumber,
            reason,
            refusedAt: at.toISOString(),
            recordedBy: actorOf(caller),
          },
        },
      ]);
      await tx.publish(auditEventsTopic, [
        {
          key: refusalId,
          value: auditEvent(SERVICE, 'plan-refused', at, {
            actor: actorOf(caller),
            receiptId: refusalId,
            incidentRef: ref,
            nhsNumber: plan.nhsNumber,
            reason,
          }),
        },
      ]);
    });
    throw refusedOnNhsNumber(
      "The plan was refused on its NHS number and not recorded; `reason` says why. The authority's inbox is told.",
      reason,
    );
  }

  /** Starts, changes or ends the caller's plan `planId` (an upsert); an identical resend is `unchanged`. */
  async function put(caller: Caller, planId: string, plan: CpPlanSubmission): Promise<CpPlanStatus> {
    const ons = caller.organisation;
    const at = deps.now();
    const errors = futureDateErrors(plan, incidentDate(at.toISOString()));
    if (errors.length > 0) throw new HubError('validation-failed', 'A date of the plan is in the future.', { errors });
    const ref = incidentRef(ons, planId);

    const result = await versions.submit({
      owner: ons,
      recordId: planId,
      content: plan,
      at,
      inspect: (latest) => {
        if (latest !== undefined && (latest.plan.nhsNumber !== plan.nhsNumber || latest.plan.type !== plan.type)) {
          throw new HubError(
            'conflict',
            'The NHS number or type of a recorded plan cannot change: end this plan and start a new one.',
          );
        }
      },
      unchanged: (latest) => ({
        action: 'plan-unchanged',
        fields: { actor: actorOf(caller), receiptId: latest.versionId, incidentRef: ref, nhsNumber: plan.nhsNumber },
      }),
      admit: async (latest, ids): Promise<Admission | undefined> => {
        if (needsDirectoryCheck(latest, plan)) {
          const childOn = plan.type === 'unborn-child-protection-plan' ? undefined : plan.startDate;
          const eligibility = await checkEligibility(deps.directory, deps.policy, plan.nhsNumber, childOn);
          if (!eligibility.eligible) return refuse(caller, planId, plan, ids.contentHash, eligibility.reason, at);
        }
        if (latest !== undefined) return undefined;
        // A new plan takes its place in the child's set first, so concurrent new plans cannot exceed the limit.
        const slot = await view.reservePlanSlot(plan.nhsNumber, ons, planId);
        if (slot === 'full') {
          throw new HubError(
            'conflict',
            `The hub already holds ${CP_LIMITS.plansPerChild} plans for this NHS number, the most it keeps; ` +
              'none is dropped to make room.',
          );
        }
        return slot === 'reserved' ? { release: () => view.releasePlanSlot(plan.nhsNumber, ons, planId) } : undefined;
      },
      version: (ids, latest) => {
        const change = planChange(latest?.plan, plan);
        const fields = {
          actor: actorOf(caller),
          receiptId: ids.versionId,
          incidentRef: ref,
          nhsNumber: plan.nhsNumber,
        };
        return {
          record: {
            versionId: ids.versionId,
            localAuthority: ons,
            planId,
            change,
            previousVersionId: ids.previousVersionId,
            contentHash: ids.contentHash,
            recordedAt: at.toISOString(),
            recordedBy: actorOf(caller),
            plan,
          },
          audit: { action: 'plan-recorded', fields: { ...fields, reason: change } },
        };
      },
    });
    if (result.outcome === 'unchanged') return statusOf(result.latest, 'unchanged');
    // The answer is made from the record, as the view's copy is.
    const stored = storedPlanOf(result.record);
    return statusOf(stored, stored.change);
  }

  /**
   * The caller's plan's latest version. A plan id the caller's authority does not hold (another authority's plan
   * with the same id is a different plan) is 404, audited first (`access-denied`, `plan-not-found`).
   */
  async function get(caller: Caller, planId: string): Promise<CpPlanStatus> {
    const stored = await view.plan(caller.organisation, planId);
    if (stored === undefined) {
      const ref = incidentRef(caller.organisation, planId);
      await auditDenial(deps.kafka, caller, deps.now(), 'plan-not-found', { incidentRef: ref });
      throw new HubError('not-found', 'No plan with this id for your authority.');
    }
    return statusOf(stored, stored.change);
  }

  return { put, get };
}

export type PlanIntake = ReturnType<typeof createPlanIntake>;
