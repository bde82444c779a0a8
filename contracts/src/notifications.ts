import { z } from 'zod';
import { decisionId, policyVersion, RULE_IDS } from './decisions.ts';
import {
  DA_LIMITS,
  DASH_LEVELS,
  SUBJECT_ROLES,
  VICTIM_CONSENT,
  dashAssessment,
  officerContact,
  personName,
} from './domestic-abuse.ts';
import { forceCode, isoDate, isoDateTime, nhsNumber, odsCode, onsCode, postcode } from './identifiers.ts';
import { IDENTITY_EXCEPTION_REASONS, MATCH_METHODS } from './identity.ts';
import { notificationId, type NotificationKind } from './inbox.ts';

/**
 * The minimised payloads the hub delivers, one shape per recipient type (Caldicott: the minimum necessary, on a
 * need-to-know basis). A GP notification names only its own patient; the MARAC gets the whole incident; the
 * exceptions inbox gets only what is needed to trace one person. Every shape is `.strict()`: a payload with a
 * field its contract does not name is refused, so extra personal data cannot slip through.
 */

/**
 * The domestic-abuse kinds of the inbox's `NOTIFICATION_KINDS` (`inbox.ts`). Each payload's `notificationId` is
 * `contentId('ntf', receiptId, recipient, subjectRef ?? '', kind, policyVersion)` (`ids.ts`), the inbox's id format.
 */
export const DA_PAYLOAD_KINDS = [
  'da-gp-notification',
  'da-marac-referral',
  'da-exception',
  'da-withdrawal',
] as const satisfies readonly NotificationKind[];
export type DaPayloadKind = (typeof DA_PAYLOAD_KINDS)[number];

export const NOTIFICATION_LIMITS = {
  practiceRequestChars: 1_000,
  withdrawalRequestChars: 1_000,
} as const;

const receiptId = z.string().regex(/^rcpt_[a-f0-9]{32}$/);
const subjectRef = z.string().regex(/^[A-Za-z0-9._-]{1,32}$/);
const incidentId = z.string().regex(/^[A-Za-z0-9/._-]{1,64}$/);

/** How the police know the incident: the force and its own incident id. */
export const incidentReference = z.object({ force: forceCode, incidentId }).strict();

/** Markers the GP system must honour when filing (EMIS/SystmOne padlocks; ../shared/domain.md). */
export const gpRecordMarkers = z
  .object({
    confidential: z.literal(true),
    containsThirdPartyInformation: z.literal(true),
    withholdFromPatientOnlineAccess: z.literal(true),
  })
  .strict();

/** The marker of a payload for a team's own inbox (exceptions, LA): confidential, nothing to hide from a patient. */
export const confidentialMarker = z.object({ confidential: z.literal(true) }).strict();

/** Fields every payload carries to tie it to its decision and to what it replaces. */
const envelope = {
  notificationId,
  receiptId,
  decisionId,
  policyVersion,
  /** The notification this one replaces (an amended incident), or null. */
  amends: notificationId.nullable(),
};

/**
 * To one GP practice about one of its patients. Nothing about any other person, no circumstances. For a
 * perpetrator, `effectiveRisk` and `childrenInvolved` are omitted: the DASH risk is the victim's assessment, and
 * the perpetrator's record must not reveal the victim or the children beyond the fact of the incident.
 */
export const gpDaNotification = z
  .object({
    kind: z.literal('da-gp-notification'),
    ...envelope,
    recipient: z.string().regex(/^gp:[A-Z0-9]{1,9}$/),
    rule: z.enum(RULE_IDS),
    patient: z.object({ nhsNumber, name: personName }).strict(),
    role: z.enum(SUBJECT_ROLES),
    incident: incidentReference.extend({ occurredOn: isoDate }).strict(),
    effectiveRisk: z.enum(DASH_LEVELS).optional(),
    childrenInvolved: z.boolean().optional(),
    maracReferralMade: z.boolean(),
    officer: officerContact,
    /** What the practice is asked to do; worded in the policy, so it is versioned with it. */
    practiceRequest: z.string().min(1).max(NOTIFICATION_LIMITS.practiceRequestChars),
    markers: gpRecordMarkers,
  })
  .strict()
  .superRefine((n, context) => {
    const perpetrator = n.role === 'perpetrator';
    for (const field of ['effectiveRisk', 'childrenInvolved'] as const) {
      if (perpetrator && n[field] !== undefined) {
        context.addIssue({ code: 'custom', path: [field], message: 'must be omitted for a perpetrator' });
      }
      if (!perpetrator && n[field] === undefined) {
        context.addIssue({ code: 'custom', path: [field], message: 'is required unless the role is perpetrator' });
      }
    }
  })
  .describe(
    'A domestic-abuse notification to one GP practice about one of its patients. Also checked: effectiveRisk ' +
      'and childrenInvolved are present unless role is perpetrator, and absent for a perpetrator.',
  );
export type GpDaNotification = z.infer<typeof gpDaNotification>;

/** How a subject was, or could not be, matched to a registered patient. */
export const referralIdentity = z.discriminatedUnion('outcome', [
  z
    .object({
      outcome: z.literal('matched'),
      nhsNumber,
      practiceOds: odsCode,
      matchedBy: z.enum(MATCH_METHODS),
    })
    .strict(),
  z.object({ outcome: z.literal('exception'), reason: z.enum(IDENTITY_EXCEPTION_REASONS) }).strict(),
]);

export const referralSubject = z
  .object({
    ref: subjectRef,
    role: z.enum(SUBJECT_ROLES),
    isChild: z.boolean(),
    name: personName,
    birthDate: isoDate,
    postcode: postcode.optional(),
    /** The NHS number as the police submitted it, when they did. */
    submittedNhsNumber: nhsNumber.optional(),
    identity: referralIdentity,
  })
  .strict();

export const MARAC_CRITERIA = ['high-risk', 'repeat-incidents'] as const;
export type MaracCriterion = (typeof MARAC_CRITERIA)[number];

/** To the MARAC of the incident's area: the whole incident, everyone in it, and why it met the criteria. */
export const maracReferral = z
  .object({
    kind: z.literal('da-marac-referral'),
    ...envelope,
    recipient: z.string().regex(/^marac:[EWSN]\d{8}$/),
    incident: incidentReference
      .extend({ occurredAt: isoDateTime, reportedAt: isoDateTime, localAuthority: onsCode })
      .strict(),
    dash: dashAssessment,
    effectiveRisk: z.enum(DASH_LEVELS),
    /** Which MARAC criteria the incident met (empty only if a policy refers without them). */
    criteriaMet: z.array(z.enum(MARAC_CRITERIA)).max(MARAC_CRITERIA.length),
    repeatIncidentsLast12Months: z.int().min(0).max(DA_LIMITS.repeatIncidents),
    maracRepeatThreshold: z.int().min(1).max(DA_LIMITS.repeatIncidents),
    childrenPresent: z.boolean(),
    victimConsent: z.enum(VICTIM_CONSENT),
    circumstances: z.string().max(DA_LIMITS.circumstancesChars),
    subjects: z.array(referralSubject).min(1).max(DA_LIMITS.subjects),
    officer: officerContact,
    markers: z.object({ confidential: z.literal(true), containsThirdPartyInformation: z.literal(true) }).strict(),
  })
  .strict();
export type MaracReferral = z.infer<typeof maracReferral>;

/**
 * To the area's exceptions inbox: one person who would have been notified but could not be matched. Only what a
 * safeguarding team needs to trace them: the details as submitted (name, birth date, postcode and NHS number when
 * given), their role, the incident reference and date, the reason, and which rule is waiting. No circumstances,
 * no risk details, no other person.
 */
export const identityExceptionItem = z
  .object({
    kind: z.literal('da-exception'),
    ...envelope,
    recipient: z.string().regex(/^exceptions:[EWSN]\d{8}$/),
    localAuthority: onsCode,
    incident: incidentReference.extend({ occurredOn: isoDate }).strict(),
    reason: z.enum(IDENTITY_EXCEPTION_REASONS),
    /** The rule under which the person would have been notified once traced. */
    pendingRule: z.enum(RULE_IDS),
    subject: z
      .object({
        ref: subjectRef,
        role: z.enum(SUBJECT_ROLES),
        name: personName,
        birthDate: isoDate,
        postcode: postcode.optional(),
        submittedNhsNumber: nhsNumber.optional(),
      })
      .strict(),
    markers: confidentialMarker,
  })
  .strict();
export type IdentityExceptionItem = z.infer<typeof identityExceptionItem>;

/**
 * Why an amendment withdrew a notification (stable codes, never renamed):
 * - `no-longer-shared`: the amended incident's decision for that person (or the MARAC referral) is now withhold;
 * - `identity-changed`: the person is now matched to another practice, or could no longer be matched (e.g. the
 *   force corrected an NHS number): the notification may be about the wrong patient, or is no longer this inbox's;
 * - `subject-removed`: the person is no longer part of the incident;
 * - `area-changed`: the incident is now in another area, whose MARAC or exceptions inbox has it.
 */
export const WITHDRAWAL_REASONS = ['no-longer-shared', 'identity-changed', 'subject-removed', 'area-changed'] as const;
export type WithdrawalReason = (typeof WITHDRAWAL_REASONS)[number];

/**
 * To a recipient sent a notification that an amendment of the incident no longer sends them anything for: which
 * notification is withdrawn, why (a code), and what to do (policy text). No personal data at all: ids, the incident
 * reference and codes only, so it tells the recipient nothing it was not already told. `notificationId` is
 * `contentId('ntf', receiptId, recipient, withdraws, 'da-withdrawal', policyVersion)`; `amends` is `withdraws`.
 */
export const daWithdrawal = z
  .object({
    kind: z.literal('da-withdrawal'),
    notificationId,
    /** The amending receipt. */
    receiptId,
    /** The amending receipt's decision for that person or referral; null when the person is no longer in it. */
    decisionId: decisionId.nullable(),
    policyVersion,
    amends: notificationId,
    recipient: z.string().regex(/^(?:gp:[A-Z0-9]{1,9}|marac:[EWSN]\d{8}|exceptions:[EWSN]\d{8})$/),
    /** The notification withdrawn: an earlier one to this recipient about the same incident. */
    withdraws: notificationId,
    incident: incidentReference,
    reason: z.enum(WITHDRAWAL_REASONS),
    /** What the recipient is asked to do; worded in the policy, so it is versioned with it. */
    request: z.string().min(1).max(NOTIFICATION_LIMITS.withdrawalRequestChars),
    markers: confidentialMarker,
  })
  .strict()
  .refine((w) => w.amends === w.withdraws, { path: ['amends'], message: 'must be the notification withdrawn' })
  .describe(
    'The withdrawal of an earlier notification after the incident was amended. Also checked: amends equals ' +
      'withdraws.',
  );
export type DaWithdrawal = z.infer<typeof daWithdrawal>;

/** Any domestic-abuse payload: what the dispatcher signs into an `IssuedNotification`'s JWS. */
export const daNotificationPayload = z.discriminatedUnion('kind', [
  gpDaNotification,
  maracReferral,
  identityExceptionItem,
  daWithdrawal,
]);
export type DaNotificationPayload = z.infer<typeof daNotificationPayload>;
