import {
  daWithdrawal,
  gpDaNotification,
  identityExceptionItem,
  maracReferral,
  type DaNotificationPayload,
  type DaPayloadKind,
  type DaWithdrawal,
  type Decision,
  type DecisionSet,
  type GpDaNotification,
  type IdentityExceptionItem,
  type IncidentSubject,
  type MaracReferral,
  type WithdrawalReason,
} from '@hub/contracts';
import { identitiesByRef, type EvaluateInput } from './evaluate.ts';
import { incidentDateOf, maracCriteriaOf } from './facts.ts';
import { notificationIdFor, withdrawalIdFor } from './ids.ts';
import { WITHDRAWS_PLACEHOLDER, type Policy } from './policy.ts';

/**
 * Minimised payload builders: one shape per recipient type, each built field by field from the submission (never
 * by copying it and deleting fields, so a new submission field can never leak into a payload by default), then
 * checked against its `.strict()` contract. Pure: the same input gives the same payload and the same id.
 */

/** What the builders need: the evaluation input plus the submitting force (from the receipt). */
export interface IncidentContext extends EvaluateInput {
  readonly force: string;
}

export interface BuildOptions {
  /** The notification this one amends (same recipient, same person, earlier receipt of the incident), or null. */
  readonly amends?: string | null;
}

function fail(message: string): never {
  throw new Error(`cannot build notification: ${message}`);
}

function checkContext(policy: Policy, incident: IncidentContext, set: DecisionSet, decision: Decision): void {
  if (set.policyVersion !== policy.version) {
    fail(`the decisions were made under policy ${set.policyVersion}, not ${policy.version}`);
  }
  if (set.receiptId !== incident.receiptId || decision.receiptId !== incident.receiptId) {
    fail('the decisions are for another receipt');
  }
  if (!set.decisions.some((d) => d.decisionId === decision.decisionId)) fail('the decision is not in the set');
}

function subjectOf(incident: IncidentContext, ref: string | null): IncidentSubject {
  const subject = incident.submission.subjects.find((s) => s.ref === ref);
  return subject ?? fail(`no subject "${String(ref)}" in the submission`);
}

function envelope(
  policy: Policy,
  incident: IncidentContext,
  decision: Decision,
  kind: DaPayloadKind,
  recipient: string,
  options: BuildOptions,
) {
  return {
    kind,
    notificationId: notificationIdFor({
      receiptId: incident.receiptId,
      recipient,
      subjectRef: decision.subjectRef,
      kind,
      policyVersion: policy.version,
    }),
    receiptId: incident.receiptId,
    decisionId: decision.decisionId,
    policyVersion: policy.version,
    amends: options.amends ?? null,
  };
}

function officerOf(incident: IncidentContext) {
  const { name, collarNumber, phone, email } = incident.submission.officer;
  return { name, collarNumber, phone, ...(email === undefined ? {} : { email }) };
}

/**
 * To the subject's practice, about that patient only: their NHS number (as matched) and name, their role, the
 * incident reference and date, the officer, what the practice is asked to do (policy text) and the record markers.
 * Also the effective risk and whether children were involved, except for a perpetrator (the DASH risk is the
 * victim's; a perpetrator's record says nothing of the victim or children beyond the fact of the incident).
 * Never: another person's identity, the circumstances, the DASH answers, the consent, the repeat count.
 */
export function buildGpNotification(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  decision: Decision,
  options: BuildOptions = {},
): GpDaNotification {
  checkContext(policy, incident, set, decision);
  const recipient = decision.recipient;
  if (decision.outcome !== 'share' || recipient === null || !recipient.startsWith('gp:')) {
    fail(`decision ${decision.decisionId} is not a share with a GP practice`);
  }
  const subject = subjectOf(incident, decision.subjectRef);
  const identity = identitiesByRef(incident).get(subject.ref);
  if (identity?.outcome !== 'matched' || `gp:${identity.practiceOds}` !== recipient) {
    fail(`subject "${subject.ref}" is not matched to ${recipient}`);
  }
  const rule = policy.subjectRules.find((r) => r.id === decision.rule);
  const request = rule?.practiceRequest;
  if (request === undefined) fail(`rule ${decision.rule} has no practice request`);
  const perpetrator = subject.role === 'perpetrator';
  return gpDaNotification.parse({
    ...envelope(policy, incident, decision, 'da-gp-notification', recipient, options),
    recipient,
    rule: decision.rule,
    patient: { nhsNumber: identity.nhsNumber, name: { given: subject.name.given, family: subject.name.family } },
    role: subject.role,
    incident: {
      force: incident.force,
      incidentId: incident.submission.incidentId,
      occurredOn: incidentDateOf(incident.submission.occurredAt),
    },
    ...(perpetrator ? {} : { effectiveRisk: set.effectiveRisk, childrenInvolved: decision.facts.involvesChild }),
    maracReferralMade: set.decisions.some((d) => d.rule === 'DA-MARAC' && d.outcome === 'share'),
    officer: officerOf(incident),
    practiceRequest: request.byRole?.[subject.role] ?? request.default,
    markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
  });
}

/**
 * To the MARAC of the incident's area: the whole incident (the MARAC's purpose is the multi-agency picture). Every
 * subject with their details, how they were matched (NHS number and registered practice) or why not, the DASH
 * assessment, the criteria met, the repeat count, the circumstances and the officer.
 */
export function buildMaracReferral(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  decision: Decision,
  options: BuildOptions = {},
): MaracReferral {
  checkContext(policy, incident, set, decision);
  const recipient = decision.recipient;
  if (decision.rule !== 'DA-MARAC' || decision.outcome !== 'share' || recipient === null) {
    fail(`decision ${decision.decisionId} is not a MARAC referral`);
  }
  const { submission } = incident;
  const identities = identitiesByRef(incident);
  const { dash } = submission;
  return maracReferral.parse({
    ...envelope(policy, incident, decision, 'da-marac-referral', recipient, options),
    recipient,
    incident: {
      force: incident.force,
      incidentId: submission.incidentId,
      occurredAt: submission.occurredAt,
      reportedAt: submission.reportedAt,
      localAuthority: submission.localAuthority,
    },
    dash: {
      level: dash.level,
      ...(dash.yesCount === undefined ? {} : { yesCount: dash.yesCount }),
      ...(dash.professionalJudgement === undefined ? {} : { professionalJudgement: dash.professionalJudgement }),
    },
    effectiveRisk: set.effectiveRisk,
    criteriaMet: maracCriteriaOf(set.effectiveRisk, submission.repeatIncidentsLast12Months, set.thresholds).criteria,
    repeatIncidentsLast12Months: submission.repeatIncidentsLast12Months,
    maracRepeatThreshold: set.thresholds.maracRepeatThreshold,
    childrenPresent: submission.childrenPresent,
    victimConsent: submission.victimConsent,
    circumstances: submission.circumstances,
    subjects: submission.subjects.map((subject) => {
      const identity = identities.get(subject.ref) ?? fail(`no identity for "${subject.ref}"`);
      const own = set.decisions.find((d) => d.subjectRef === subject.ref) ?? fail(`no decision for "${subject.ref}"`);
      return {
        ref: subject.ref,
        role: subject.role,
        isChild: own.facts.isChild === true,
        name: { given: subject.name.given, family: subject.name.family },
        birthDate: subject.birthDate,
        ...(subject.postcode === undefined ? {} : { postcode: subject.postcode }),
        ...(subject.nhsNumber === undefined ? {} : { submittedNhsNumber: subject.nhsNumber }),
        identity:
          identity.outcome === 'matched'
            ? {
                outcome: 'matched',
                nhsNumber: identity.nhsNumber,
                practiceOds: identity.practiceOds,
                matchedBy: identity.matchedBy,
              }
            : { outcome: 'exception', reason: identity.reason },
      };
    }),
    officer: officerOf(incident),
    markers: { confidential: true, containsThirdPartyInformation: true },
  });
}

/**
 * To the area's exceptions inbox: one person the policy would have notified but who could not be matched. What a
 * safeguarding team needs to trace them and no more: the details as submitted (name, birth date, and postcode and
 * NHS number when given), their role, the incident reference and date, the reason code and the pending rule.
 */
export function buildExceptionItem(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  decision: Decision,
  options: BuildOptions = {},
): IdentityExceptionItem {
  checkContext(policy, incident, set, decision);
  const { recipient, wouldShareUnder } = decision;
  const reason = decision.facts.identityException;
  if (decision.outcome !== 'exception' || recipient === null || wouldShareUnder === null || reason === null) {
    fail(`decision ${decision.decisionId} is not an identity exception`);
  }
  const subject = subjectOf(incident, decision.subjectRef);
  return identityExceptionItem.parse({
    ...envelope(policy, incident, decision, 'da-exception', recipient, options),
    recipient,
    localAuthority: incident.submission.localAuthority,
    incident: {
      force: incident.force,
      incidentId: incident.submission.incidentId,
      occurredOn: incidentDateOf(incident.submission.occurredAt),
    },
    reason,
    pendingRule: wouldShareUnder,
    subject: {
      ref: subject.ref,
      role: subject.role,
      name: { given: subject.name.given, family: subject.name.family },
      birthDate: subject.birthDate,
      ...(subject.postcode === undefined ? {} : { postcode: subject.postcode }),
      ...(subject.nhsNumber === undefined ? {} : { submittedNhsNumber: subject.nhsNumber }),
    },
    markers: { confidential: true },
  });
}

export interface BuildAllOptions {
  /** The notification each new one amends, if any (e.g. looked up from the previous receipt's notifications). */
  readonly amendsOf?: (target: {
    readonly kind: DaPayloadKind;
    readonly recipient: string;
    readonly subjectRef: string | null;
  }) => string | null;
}

/**
 * Every payload a decision set calls for, in decision order: a GP notification per practice share, the MARAC
 * referral, an exceptions item per identity exception. Withholds produce nothing.
 */
export function buildNotifications(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  options: BuildAllOptions = {},
): DaNotificationPayload[] {
  const payloads: DaNotificationPayload[] = [];
  const amends = (kind: DaPayloadKind, decision: Decision): BuildOptions => ({
    amends: options.amendsOf?.({ kind, recipient: decision.recipient ?? '', subjectRef: decision.subjectRef }) ?? null,
  });
  for (const decision of set.decisions) {
    if (decision.outcome === 'exception') {
      payloads.push(buildExceptionItem(policy, incident, set, decision, amends('da-exception', decision)));
    } else if (decision.outcome === 'share' && decision.rule === 'DA-MARAC') {
      payloads.push(buildMaracReferral(policy, incident, set, decision, amends('da-marac-referral', decision)));
    } else if (decision.outcome === 'share') {
      payloads.push(buildGpNotification(policy, incident, set, decision, amends('da-gp-notification', decision)));
    }
  }
  return payloads;
}

/**
 * A slot is what an amendment's notification replaces: the same incident, kind, recipient and person (null for the
 * MARAC referral). An `IssuedSlot` is a slot an earlier receipt of the incident filled, with the notification
 * that filled it (a share, referral or exceptions item; never a withdrawal).
 */
export interface NotificationSlot {
  readonly kind: DaPayloadKind;
  readonly recipient: string;
  readonly subjectRef: string | null;
}

export interface IssuedSlot extends NotificationSlot {
  readonly notificationId: string;
}

/** A stable text key for a slot within one incident. */
export function slotKeyOf(slot: NotificationSlot): string {
  return `${slot.kind}|${slot.recipient}|${slot.subjectRef ?? ''}`;
}

/** The slot a payload of `buildNotifications(policy, incident, set)` fills (its subject is its decision's). */
export function slotOf(
  set: DecisionSet,
  payload: Pick<DaNotificationPayload, 'kind' | 'recipient' | 'decisionId'>,
): NotificationSlot {
  const decision = set.decisions.find((d) => d.decisionId === payload.decisionId);
  return { kind: payload.kind, recipient: payload.recipient, subjectRef: decision?.subjectRef ?? null };
}

/**
 * Why the amended decision set no longer fills `slot`, and the decision that says so (null when the person is not
 * in the incident any more): withhold now -> `no-longer-shared`; the same kind of area inbox, another area ->
 * `area-changed`; a share or exception elsewhere (another practice, no longer matched, now matched) ->
 * `identity-changed`.
 */
export function withdrawalReasonOf(
  incident: IncidentContext,
  set: DecisionSet,
  slot: NotificationSlot,
): { readonly reason: WithdrawalReason; readonly decision: Decision | null } {
  const decision =
    slot.subjectRef === null
      ? set.decisions.find((d) => d.rule === 'DA-MARAC')
      : incident.submission.subjects.some((s) => s.ref === slot.subjectRef)
        ? set.decisions.find((d) => d.subjectRef === slot.subjectRef)
        : undefined;
  if (decision === undefined) return { reason: 'subject-removed', decision: null };
  if (decision.outcome === 'withhold' || decision.recipient === null) return { reason: 'no-longer-shared', decision };
  const areaInbox = (recipient: string) => (recipient.startsWith('gp:') ? null : recipient.split(':')[0]);
  const before = areaInbox(slot.recipient);
  if (before !== null && before === areaInbox(decision.recipient)) return { reason: 'area-changed', decision };
  return { reason: 'identity-changed', decision };
}

/**
 * To the recipient of `slot`'s notification, which the amended decision set no longer sends them anything for:
 * which notification is withdrawn, why (a code) and what to do (the policy's wording). Ids, the incident reference
 * and codes only: nothing the recipient was not already told, and no personal data.
 */
export function buildWithdrawal(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  slot: IssuedSlot,
): DaWithdrawal {
  if (set.policyVersion !== policy.version) {
    fail(`the decisions were made under policy ${set.policyVersion}, not ${policy.version}`);
  }
  if (set.receiptId !== incident.receiptId) fail('the decisions are for another receipt');
  const wording = policy.withdrawal ?? fail(`policy ${policy.version} has no withdrawal wording`);
  const { reason, decision } = withdrawalReasonOf(incident, set, slot);
  const request = wording.request.byReason?.[reason] ?? wording.request.default;
  return daWithdrawal.parse({
    kind: 'da-withdrawal',
    notificationId: withdrawalIdFor({
      receiptId: incident.receiptId,
      recipient: slot.recipient,
      withdraws: slot.notificationId,
      policyVersion: policy.version,
    }),
    receiptId: incident.receiptId,
    decisionId: decision?.decisionId ?? null,
    policyVersion: policy.version,
    amends: slot.notificationId,
    recipient: slot.recipient,
    withdraws: slot.notificationId,
    incident: { force: incident.force, incidentId: incident.submission.incidentId },
    reason,
    request: request.replaceAll(WITHDRAWS_PLACEHOLDER, slot.notificationId),
    markers: { confidential: true },
  });
}

/**
 * The withdrawals an amended decision set calls for: one per slot the previous receipt filled (`previous`) that
 * this set's notifications (`buildNotifications`) do not fill, in `previous` order.
 */
export function buildWithdrawals(
  policy: Policy,
  incident: IncidentContext,
  set: DecisionSet,
  previous: readonly IssuedSlot[],
): DaWithdrawal[] {
  const filled = new Set(buildNotifications(policy, incident, set).map((payload) => slotKeyOf(slotOf(set, payload))));
  return previous
    .filter((slot) => slot.kind !== 'da-withdrawal' && !filled.has(slotKeyOf(slot)))
    .map((slot) => buildWithdrawal(policy, incident, set, slot));
}
