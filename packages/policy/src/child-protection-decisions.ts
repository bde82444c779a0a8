import {
  contentId,
  cpAccessNotification,
  cpException,
  cpGpNotification,
  cpPlanRefusedNotice,
  type CpAccessNotification,
  type CpDecision,
  type CpException,
  type CpFlagAccessed,
  type CpGpNotification,
  type CpPlanRecorded,
  type CpPlanRefused,
  type CpPlanRefusedNotice,
  type CpRoutingException,
  type CpRuleId,
} from '@hub/contracts';
import { planScope, type ChildProtectionPolicy, type CpPracticeNotice } from './child-protection.ts';

/**
 * Child-protection decisions and their minimised payloads: pure functions of a record on Kafka, the directory's
 * answer and the policy. Ids are content-derived from the record's id (plan version, refusal, look-up), the
 * recipient and the policy version, so a redelivery makes the same decision and the same notification, and a new
 * policy version new ones. Every payload is parsed against its contract before it is returned.
 */

export interface Decided<P> {
  readonly decision: CpDecision;
  readonly payload: P;
}

function render(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{([^}]*)\}/g, (_whole, name: string) => values[name] ?? '');
}

function decide(
  policy: ChildProtectionPolicy,
  rule: CpRuleId,
  sourceId: string,
  recipient: string | null,
  values: Readonly<Record<string, string>> = {},
): CpDecision {
  const entry = policy.rules[rule];
  return {
    decisionId: contentId('dec', sourceId, rule, recipient ?? '', policy.version),
    rule,
    policyVersion: policy.version,
    outcome: entry.then,
    recipient,
    lawfulBasis: [...entry.lawfulBasis],
    reason: render(entry.reason, values).slice(0, 300),
  };
}

function notificationId(sourceId: string, recipient: string, kind: string, policyVersion: string): string {
  return contentId('ntf', sourceId, recipient, kind, policyVersion);
}

/** Where a plan's subject could be routed: their registered practice today, or why not. */
export type PlanRoute =
  | {
      readonly outcome: 'matched';
      readonly practiceOds: string;
      readonly patient: {
        readonly nhsNumber: string;
        readonly name: { readonly given: string; readonly family: string };
        readonly birthDate: string;
      };
    }
  | { readonly outcome: 'exception'; readonly reason: CpRoutingException };

export interface PlanNotificationInput {
  readonly recorded: CpPlanRecorded;
  readonly route: PlanRoute;
  /** The owning authority, from the directory. */
  readonly localAuthority: { readonly ons: string; readonly name: string };
}

/**
 * What the practice is told the version is: its change, or `recorded-after-end` for a plan whose first version
 * already carried an end date (the practice never heard of it as current).
 */
export function practiceNoticeOf(recorded: CpPlanRecorded): CpPracticeNotice {
  return recorded.change === 'ended' && recorded.previousVersionId === null ? 'recorded-after-end' : recorded.change;
}

/**
 * The rule of plans shared after they ended (CP-PLAN-OUT-OF-SCOPE, withhold, nobody told): a version is flagged
 * nowhere when, on the day it was recorded (`recordedOn`, England's date of `recordedAt`, so a replay decides the
 * same), its plan had ended more than the policy's `endedPlanVisibleMonths` before (`planScope` undefined); unless it
 * is the version that ends a plan the practice was told is current (`ended` with an earlier version, which was
 * active): that practice must hear of the end, however long ago it was. Undefined when the version is notified as
 * usual (decidePlanNotification).
 */
export function decidePlanOutOfScope(
  policy: ChildProtectionPolicy,
  recorded: CpPlanRecorded,
  recordedOn: string,
): CpDecision | undefined {
  const endsACurrentPlan = recorded.change === 'ended' && recorded.previousVersionId !== null;
  if (endsACurrentPlan || planScope(policy, recorded.plan, recordedOn) !== undefined) return undefined;
  return decide(policy, 'CP-PLAN-OUT-OF-SCOPE', recorded.versionId, null, {
    planType: recorded.plan.type,
    visibleMonths: String(policy.endedPlanVisibleMonths),
  });
}

/**
 * A recorded plan version: to the registered practice of the child (the mother, for an unborn child protection
 * plan) with the concept to record and whom to call (CP-GP-PLAN); or, with no practice the hub may route to, to the
 * owning authority's exceptions inbox (CP-EXCEPTION). Never a guess: a restricted record is never routed.
 */
export function decidePlanNotification(
  policy: ChildProtectionPolicy,
  input: PlanNotificationInput,
): Decided<CpGpNotification> | Decided<CpException> {
  const { recorded, route, localAuthority } = input;
  const { plan } = recorded;
  const planOf = {
    localAuthority: recorded.localAuthority,
    planId: recorded.planId,
    versionId: recorded.versionId,
    type: plan.type,
    change: recorded.change,
    startDate: plan.startDate,
    endDate: plan.endDate ?? null,
    expectedDeliveryDate: plan.expectedDeliveryDate ?? null,
  };
  const patientIs = plan.type === 'unborn-child-protection-plan' ? 'expectant-mother' : 'child';
  const notice = practiceNoticeOf(recorded);
  if (route.outcome === 'exception') {
    const recipient = `exceptions:${recorded.localAuthority}`;
    const decision = decide(policy, 'CP-EXCEPTION', recorded.versionId, recipient, {
      planType: plan.type,
      change: notice,
      identityReason: route.reason,
    });
    const payload = cpException.parse({
      kind: 'cp-exception',
      notificationId: notificationId(recorded.versionId, recipient, 'cp-exception', policy.version),
      decisionId: decision.decisionId,
      policyVersion: policy.version,
      rule: decision.rule,
      recipient,
      plan: planOf,
      nhsNumber: plan.nhsNumber,
      reason: route.reason,
      pendingRule: 'CP-GP-PLAN',
      markers: { confidential: true },
    } satisfies CpException);
    return { decision, payload };
  }
  if (route.patient.nhsNumber !== plan.nhsNumber) {
    throw new Error('the routed patient is not the plan subject');
  }
  const recipient = `gp:${route.practiceOds}`;
  const decision = decide(policy, 'CP-GP-PLAN', recorded.versionId, recipient, {
    planType: plan.type,
    change: notice,
    patientIs,
  });
  const concept = policy.recordConcepts[plan.type];
  const payload = cpGpNotification.parse({
    kind: 'cp-gp-notification',
    notificationId: notificationId(recorded.versionId, recipient, 'cp-gp-notification', policy.version),
    decisionId: decision.decisionId,
    policyVersion: policy.version,
    rule: decision.rule,
    recipient,
    plan: planOf,
    patient: { nhsNumber: route.patient.nhsNumber, name: route.patient.name, birthDate: route.patient.birthDate },
    patientIs,
    recordConcept:
      concept === null ? null : { system: 'http://snomed.info/sct', code: concept.code, display: concept.display },
    localAuthority: { ons: localAuthority.ons, name: localAuthority.name, ...plan.contact },
    practiceRequest: policy.practiceRequests[plan.type][notice],
    markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
  } satisfies CpGpNotification);
  return { decision, payload };
}

/**
 * An unscheduled-care look-up that found plans: one access notification per owning authority (CP-IS "access to
 * service notification"), naming only that authority's plans.
 */
export function decideAccessNotifications(
  policy: ChildProtectionPolicy,
  accessed: CpFlagAccessed,
): Decided<CpAccessNotification>[] {
  const byAuthority = new Map<string, CpFlagAccessed['plans'][number][]>();
  for (const plan of accessed.plans) {
    const list = byAuthority.get(plan.localAuthority) ?? [];
    list.push(plan);
    byAuthority.set(plan.localAuthority, list);
  }
  return [...byAuthority.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([ons, plans]) => {
      const recipient = `la:${ons}`;
      const decision = decide(policy, 'CP-ACCESS-UNSCHEDULED', accessed.lookupId, recipient, {
        settingType: accessed.setting.type,
        planCount: String(plans.length),
      });
      const payload = cpAccessNotification.parse({
        kind: 'cp-access-notification',
        notificationId: notificationId(accessed.lookupId, recipient, 'cp-access-notification', policy.version),
        decisionId: decision.decisionId,
        policyVersion: policy.version,
        rule: decision.rule,
        recipient,
        lookupId: accessed.lookupId,
        nhsNumber: accessed.nhsNumber,
        plans: plans.map((plan) => ({ planId: plan.planId, type: plan.type })),
        setting: accessed.setting,
        accessedBy: accessed.accessedBy.organisation,
        accessedAt: accessed.accessedAt,
        markers: { confidential: true },
      } satisfies CpAccessNotification);
      return { decision, payload };
    });
}

/** A look-up by the child's own practice (scheduled care): audited, but no access notification. */
export function decideScheduledLookup(policy: ChildProtectionPolicy, lookupId: string): CpDecision {
  return decide(policy, 'CP-ACCESS-SCHEDULED', lookupId, null);
}

/** A plan refused on its NHS number: a notice to the submitting authority's inbox, as CP-IS does for inactive numbers. */
export function decideRefusalNotice(
  policy: ChildProtectionPolicy,
  refused: CpPlanRefused,
): Decided<CpPlanRefusedNotice> {
  const recipient = `la:${refused.localAuthority}`;
  const decision = decide(policy, 'CP-REFUSED', refused.refusalId, recipient, { refusalReason: refused.reason });
  const payload = cpPlanRefusedNotice.parse({
    kind: 'cp-plan-refused',
    notificationId: notificationId(refused.refusalId, recipient, 'cp-plan-refused', policy.version),
    decisionId: decision.decisionId,
    policyVersion: policy.version,
    rule: decision.rule,
    recipient,
    refusalId: refused.refusalId,
    planId: refused.planId,
    nhsNumber: refused.nhsNumber,
    reason: refused.reason,
    refusedAt: refused.refusedAt,
    markers: { confidential: true },
  } satisfies CpPlanRefusedNotice);
  return { decision, payload };
}
