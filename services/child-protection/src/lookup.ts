import { randomBytes } from 'node:crypto';
import { actorOf, auditEvent } from '@hub/audit';
import {
  auditEventsTopic,
  cpFlagAccessedTopic,
  STEPS,
  type Caller,
  type CareSetting,
  type CpFlags,
  type UnscheduledSettingType,
} from '@hub/contracts';
import { incidentDate, registeredPracticeOn, type PatientDirectory } from '@hub/directory';
import { HubError, type FieldError } from '@hub/errors';
import { requestTransaction, type KafkaClient } from '@hub/kafka';
import { auditDecisionOf, decideScheduledLookup, planScope, type ChildProtectionPolicy } from '@hub/policy';
import type { RedisClient } from '@hub/redis';
import { createFlagView, type StoredFgmIndicator, type StoredPlan, type UnscheduledAccess } from './flag-view.ts';
import { auditAlone, SERVICE } from './audit-alone.ts';

export interface FlagLookupDeps {
  readonly kafka: KafkaClient;
  readonly redis: RedisClient;
  readonly directory: Pick<PatientDirectory, 'findByNhsNumber' | 'localAuthority'>;
  readonly policy: ChildProtectionPolicy;
  /** The look-up's time (`asOf`, `accessedAt`) and the date plans are scoped on. */
  readonly now: () => Date;
  /** Stable per instance and used by nothing else. */
  readonly transactionalId: string;
}

/** `GET /v1/child-protection-flags` query, as validated by `cpFlagsQuery`. */
export interface FlagQuery {
  readonly nhsNumber: string;
  readonly settingOds?: string | undefined;
  readonly settingType?: UnscheduledSettingType | undefined;
}

export interface PlanInScope {
  readonly stored: StoredPlan;
  readonly status: 'active' | 'ended';
}

const SETTING_FIELDS = ['settingOds', 'settingType'] as const;

/**
 * Where the child presented: required (both fields) for unscheduled care, refused for a GP, whose look-ups are
 * scheduled care. `undefined` for a GP.
 */
export function settingOf(caller: Caller, query: FlagQuery): CareSetting | undefined {
  if (caller.role === 'unscheduled-care') {
    const errors: FieldError[] = SETTING_FIELDS.filter((field) => query[field] === undefined).map((field) => ({
      pointer: `/query/${field}`,
      detail: 'is required for an unscheduled-care look-up',
    }));
    if (query.settingOds === undefined || query.settingType === undefined) {
      throw new HubError('validation-failed', 'Say where the child presented: settingOds and settingType.', {
        errors,
      });
    }
    return { odsCode: query.settingOds, type: query.settingType };
  }
  if (caller.role === 'gp') {
    const errors: FieldError[] = SETTING_FIELDS.filter((field) => query[field] !== undefined).map((field) => ({
      pointer: `/query/${field}`,
      detail: 'is only for an unscheduled-care look-up',
    }));
    if (errors.length > 0) {
      throw new HubError('validation-failed', 'A GP look-up gives no unscheduled-care setting.', { errors });
    }
    return undefined;
  }
  throw new HubError('forbidden', 'This role may not look up child protection flags.');
}

/**
 * The plans a look-up on `today` shows: active ones, then those ended within the policy's window; within each,
 * latest start first (then authority and plan id, so the order is stable). Plans ended longer ago are left out.
 */
export function plansInScope(
  policy: ChildProtectionPolicy,
  plans: readonly StoredPlan[],
  today: string,
): PlanInScope[] {
  const rank = { active: 0, ended: 1 } as const;
  return plans
    .flatMap((stored) => {
      const status = planScope(policy, stored.plan, today);
      return status === undefined ? [] : [{ stored, status }];
    })
    .sort(
      (a, b) =>
        rank[a.status] - rank[b.status] ||
        b.stored.plan.startDate.localeCompare(a.stored.plan.startDate) ||
        a.stored.localAuthority.localeCompare(b.stored.localAuthority) ||
        a.stored.planId.localeCompare(b.stored.planId),
    );
}

function byNewest(a: StoredFgmIndicator, b: StoredFgmIndicator): number {
  return b.recordedAt.localeCompare(a.recordedAt) || a.indicatorId.localeCompare(b.indicatorId);
}

/**
 * CP-IS style look-ups. Every look-up is audited (`flags-looked-up`, found or not) and the audit is committed
 * before anything is answered. An unscheduled-care look-up that finds a plan in scope also publishes, in the same
 * transaction, the `cp.flag-accessed.v1` record the owning authorities' access notifications are made from, and
 * joins the child's recent accesses after the commit. A GP may look up only its own registered patients; its
 * look-up notifies nobody, and when it finds a plan the withhold decision is audited too.
 */
export function createFlagLookup(deps: FlagLookupDeps) {
  const view = createFlagView(deps.redis);

  /** A GP's look-up of anyone not registered with it today is refused (and audited): 403. */
  async function requireRegisteredHere(caller: Caller, nhsNumber: string, today: string, lookupId: string, at: Date) {
    const patient = await deps.directory.findByNhsNumber(nhsNumber);
    const registeredHere =
      patient !== undefined &&
      patient.nhsNumber === nhsNumber &&
      patient.active &&
      !patient.restricted &&
      registeredPracticeOn(patient.practices, today) === caller.organisation;
    if (registeredHere) return;
    await auditAlone(deps.kafka, lookupId, 'access-denied', at, {
      actor: actorOf(caller),
      receiptId: lookupId,
      nhsNumber,
      reason: 'not-registered-with-caller',
    });
    throw new HubError('forbidden', 'A GP practice may look up only patients registered with it today.');
  }

  async function authorityNames(plans: readonly PlanInScope[]): Promise<Map<string, string>> {
    const codes = [...new Set(plans.map((plan) => plan.stored.localAuthority))];
    // An authority missing from the directory still shows, under its ONS code: the contact numbers are the plan's.
    return new Map(
      await Promise.all(
        codes.map(async (ons) => [ons, (await deps.directory.localAuthority(ons))?.name ?? ons] as const),
      ),
    );
  }

  async function lookup(caller: Caller, query: FlagQuery): Promise<CpFlags> {
    const setting = settingOf(caller, query);
    const { nhsNumber } = query;
    const at = deps.now();
    const today = incidentDate(at.toISOString());
    const lookupId = `lkp_${randomBytes(16).toString('hex')}`;
    if (caller.role === 'gp') await requireRegisteredHere(caller, nhsNumber, today, lookupId, at);

    const [plans, indicators, accesses] = await Promise.all([
      view.plansOfChild(nhsNumber),
      view.activeFgmOfChild(nhsNumber),
      view.accesses(nhsNumber),
    ]);
    const found = plansInScope(deps.policy, plans, today);
    const names = await authorityNames(found);
    // Only an unscheduled-care look-up that finds a plan is an access the owning authorities are told of.
    const access: UnscheduledAccess | undefined =
      setting !== undefined && found.length > 0 ? { accessedAt: at.toISOString(), setting } : undefined;
    const notified = access === undefined ? [] : [...new Set(found.map((plan) => plan.stored.localAuthority))];
    const actor = actorOf(caller);

    await requestTransaction(deps.kafka, { ...STEPS.flagLookup, transactionalId: deps.transactionalId }, async (tx) => {
      if (access !== undefined) {
        await tx.publish(cpFlagAccessedTopic, [
          {
            key: nhsNumber,
            value: {
              lookupId,
              nhsNumber,
              accessedAt: access.accessedAt,
              accessedBy: actor,
              setting: access.setting,
              plans: found.map(({ stored }) => ({
                localAuthority: stored.localAuthority,
                planId: stored.planId,
                versionId: stored.versionId,
                type: stored.plan.type,
              })),
            },
          },
        ]);
      }
      const fields = { actor, receiptId: lookupId, nhsNumber };
      const reason = found.length > 0 || indicators.length > 0 ? 'flags-found' : 'no-flags';
      await tx.publish(auditEventsTopic, [
        { key: lookupId, value: auditEvent(SERVICE, 'flags-looked-up', at, { ...fields, reason }) },
        ...(caller.role === 'gp' && found.length > 0
          ? [
              {
                key: lookupId,
                value: auditEvent(SERVICE, 'decision-recorded', at, {
                  ...fields,
                  decision: auditDecisionOf(decideScheduledLookup(deps.policy, lookupId)),
                }),
              },
            ]
          : []),
      ]);
    });
    // The projector records it from cp.flag-accessed.v1 too; the access is named by its look-up id, so once.
    if (access !== undefined) await view.recordAccess(nhsNumber, lookupId, access);

    return {
      lookupId,
      nhsNumber,
      asOf: at.toISOString(),
      plans: found.map(({ stored, status }) => ({
        planId: stored.planId,
        type: stored.plan.type,
        status,
        startDate: stored.plan.startDate,
        endDate: stored.plan.endDate ?? null,
        expectedDeliveryDate: stored.plan.expectedDeliveryDate ?? null,
        localAuthority: { ons: stored.localAuthority, name: names.get(stored.localAuthority) ?? stored.localAuthority },
        contact: stored.plan.contact,
      })),
      fgmIndicators: [...indicators].sort(byNewest).map((indicator) => ({
        indicatorId: indicator.indicatorId,
        recordedBy: indicator.organisation,
        recordedAt: indicator.recordedAt,
      })),
      unscheduledAccesses: accesses,
      notified,
    };
  }

  return { lookup };
}

export type FlagLookup = ReturnType<typeof createFlagLookup>;
