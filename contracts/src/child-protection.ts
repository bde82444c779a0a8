import { z } from 'zod';
import { caller } from './callers.ts';
import { DECISION_OUTCOMES, LAWFUL_BASIS_CODES, decisionId, policyVersion } from './decisions.ts';
import { personName } from './domestic-abuse.ts';
import { isoDate, isoDateTime, nhsNumber, odsCode, onsCode } from './identifiers.ts';
import { notificationId } from './inbox.ts';
import { confidentialMarker, gpRecordMarkers } from './notifications.ts';

/**
 * Child protection flags, CP-IS style (../shared/domain.md "CP-IS"): local authorities record child protection
 * plans, looked-after status and unborn child protection plans against an NHS number; the child's GP practice is
 * told when a plan starts, changes or ends; unscheduled-care settings look a child up, and every such look-up that
 * finds a flag is notified to the owning local authority. FGM-IS indicators share the model.
 *
 * A plan is identified by its local authority (from the caller's token) and the LA's own plan id, so two
 * authorities' ids never collide and an authority can only ever address its own plans.
 */
export const CP_LIMITS = {
  planIdChars: 64,
  teamChars: 100,
  /** Plans kept per NHS number (every authority, active and ended); more is refused rather than dropped. */
  plansPerChild: 50,
  fgmIndicatorsPerChild: 20,
  /** The look-up shows the most recent unscheduled accesses, newest first (CP-IS shows 25). */
  accessesShown: 25,
} as const;

export const CP_PLAN_TYPES = ['child-protection-plan', 'looked-after-child', 'unborn-child-protection-plan'] as const;
export type CpPlanType = (typeof CP_PLAN_TYPES)[number];

/** The unscheduled-care settings of CP-IS; each look-up from one of them is notified to the owning authority. */
export const UNSCHEDULED_SETTING_TYPES = [
  'emergency-department',
  'urgent-treatment-centre',
  'walk-in-centre',
  'minor-injury-unit',
  'out-of-hours',
  'nhs-111',
  'ambulance',
  'maternity',
] as const;
export type UnscheduledSettingType = (typeof UNSCHEDULED_SETTING_TYPES)[number];

/** The LA's own plan reference: letters, digits, dots, underscores, hyphens. */
export const planId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,64}$/, 'must be 1 to 64 letters, digits, dots, underscores or hyphens');

/** An FGM indicator's id, chosen by the recording organisation. */
export const fgmIndicatorId = planId;

const phoneNumber = z.string().regex(/^\+?[0-9 ]{6,20}$/, 'must be a telephone number: 6 to 20 digits or spaces');

/** Who to call about the child: the responsible team and its office-hours and out-of-hours numbers. */
export const laContact = z
  .object({
    team: z.string().trim().min(1).max(CP_LIMITS.teamChars),
    officeHoursPhone: phoneNumber,
    outOfHoursPhone: phoneNumber,
  })
  .strict();
export type LaContact = z.infer<typeof laContact>;

/**
 * `PUT /v1/child-protection-plans/{planId}` (role local-authority). Creating, changing and ending a plan are all
 * upserts of the same plan id; setting `endDate` ends it. For an unborn child protection plan `nhsNumber` is the
 * mother's and `expectedDeliveryDate` is required; nothing else about the unborn child is held.
 * The hub also checks, against its clock and directory: dates not in the future; the NHS number known and
 * active; the child under 18 on the start date (not for an unborn plan); the NHS number and type of an existing
 * plan unchanged (end it and start another instead).
 */
export const cpPlanSubmission = z
  .object({
    type: z.enum(CP_PLAN_TYPES),
    nhsNumber,
    startDate: isoDate,
    endDate: isoDate.optional(),
    expectedDeliveryDate: isoDate.optional(),
    contact: laContact,
  })
  .strict()
  .superRefine((plan, context) => {
    const issue = (path: string, message: string) => {
      context.addIssue({ code: 'custom', path: [path], message });
    };
    if (plan.endDate !== undefined && plan.endDate < plan.startDate) issue('endDate', 'must not be before startDate');
    const unborn = plan.type === 'unborn-child-protection-plan';
    if (unborn && plan.expectedDeliveryDate === undefined) {
      issue('expectedDeliveryDate', 'is required for an unborn child protection plan');
    }
    if (!unborn && plan.expectedDeliveryDate !== undefined) {
      issue('expectedDeliveryDate', 'is only for an unborn child protection plan');
    }
  })
  .describe(
    'A child protection plan, looked-after status or unborn child protection plan. Also checked: endDate not ' +
      'before startDate; expectedDeliveryDate given for, and only for, an unborn child protection plan.',
  );
export type CpPlanSubmission = z.infer<typeof cpPlanSubmission>;

export const cpPlanParams = z.object({ planId }).strict();

/**
 * What a plan version did: `started` (a first version without an end date), `ended` (a first version that already
 * carries one, or the first version with an end date after one without), else `changed` (also re-opening).
 */
export const CP_PLAN_CHANGES = ['started', 'changed', 'ended'] as const;
export type CpPlanChange = (typeof CP_PLAN_CHANGES)[number];

/** `contentId('cpv', ons, planId, contentHash, previousVersionId ?? '')`: a resend derives the same version. */
export const cpPlanVersionId = z.string().regex(/^cpv_[a-f0-9]{32}$/, 'must be cpv_ and 32 hex digits');

/** Answer of `PUT` and `GET /v1/child-protection-plans/{planId}`: ids and dates only. */
export const cpPlanStatus = z
  .object({
    planId,
    versionId: cpPlanVersionId,
    /** What the latest version did; `unchanged` (PUT only) when the resend was identical to it. */
    outcome: z.enum([...CP_PLAN_CHANGES, 'unchanged']),
    status: z.enum(['active', 'ended']),
    recordedAt: isoDateTime,
  })
  .strict();
export type CpPlanStatus = z.infer<typeof cpPlanStatus>;

/** Every recorded plan version (topic `cp.plan-recorded.v1`, key `<ONS code>:<planId>`). */
export const cpPlanRecorded = z
  .object({
    versionId: cpPlanVersionId,
    localAuthority: onsCode,
    planId,
    change: z.enum(CP_PLAN_CHANGES),
    previousVersionId: cpPlanVersionId.nullable(),
    contentHash: z.string().regex(/^[a-f0-9]{64}$/),
    recordedAt: isoDateTime,
    recordedBy: caller,
    plan: cpPlanSubmission,
  })
  .strict();
export type CpPlanRecorded = z.infer<typeof cpPlanRecorded>;

/**
 * Why a plan was refused before it was recorded; the LA's inbox is told. `not-a-child`: 18 or over on the plan's
 * start date (usually a parent's number given for the child's).
 */
export const CP_REFUSAL_REASONS = ['nhs-number-not-found', 'inactive-record', 'not-a-child'] as const;
export type CpRefusalReason = (typeof CP_REFUSAL_REASONS)[number];

/**
 * Why an FGM indicator was refused: a plan's reasons, or `not-female` (FGM-IS is for girls, and the directory
 * records the person as male; a person recorded as other or unknown is the clinician's call).
 */
export const FGM_REFUSAL_REASONS = [...CP_REFUSAL_REASONS, 'not-female'] as const;
export type FgmRefusalReason = (typeof FGM_REFUSAL_REASONS)[number];

/** `contentId('cpr', ons, planId, contentHash)`: the same refused submission is one refusal. */
export const cpRefusalId = z.string().regex(/^cpr_[a-f0-9]{32}$/);

/** A plan refused on its NHS number (topic `cp.plan-refused.v1`, key `<ONS code>:<planId>`). */
export const cpPlanRefused = z
  .object({
    refusalId: cpRefusalId,
    localAuthority: onsCode,
    planId,
    nhsNumber,
    reason: z.enum(CP_REFUSAL_REASONS),
    refusedAt: isoDateTime,
    recordedBy: caller,
  })
  .strict();
export type CpPlanRefused = z.infer<typeof cpPlanRefused>;

/** One look-up of `GET /v1/child-protection-flags`: `lkp_` and 32 random hex digits (each look-up is its own fact). */
export const lookupId = z.string().regex(/^lkp_[a-f0-9]{32}$/);

export const careSetting = z.object({ odsCode, type: z.enum(UNSCHEDULED_SETTING_TYPES) }).strict();
export type CareSetting = z.infer<typeof careSetting>;

/** A plan as a look-up found it in scope (active, or ended within the policy's window). */
export const flaggedPlanRef = z
  .object({
    localAuthority: onsCode,
    planId,
    versionId: cpPlanVersionId,
    type: z.enum(CP_PLAN_TYPES),
  })
  .strict();

/**
 * An unscheduled-care look-up that found at least one plan in scope (topic `cp.flag-accessed.v1`, key the NHS
 * number): the record each owning authority's access notification is made from.
 */
export const cpFlagAccessed = z
  .object({
    lookupId,
    nhsNumber,
    accessedAt: isoDateTime,
    accessedBy: caller,
    setting: careSetting,
    plans: z.array(flaggedPlanRef).min(1).max(CP_LIMITS.plansPerChild),
  })
  .strict();
export type CpFlagAccessed = z.infer<typeof cpFlagAccessed>;

export const FGM_INDICATOR_STATUSES = ['active', 'removed'] as const;

/**
 * `PUT /v1/fgm-indicators/{indicatorId}` (roles gp, unscheduled-care): a girl under 18 with a family history of
 * female genital mutilation. `status: active` adds the indicator, `removed` removes it; both are audited. The
 * indicator belongs to the recording organisation, which alone may change it.
 */
export const fgmIndicatorSubmission = z
  .object({
    nhsNumber,
    status: z.enum(FGM_INDICATOR_STATUSES),
  })
  .strict();
export type FgmIndicatorSubmission = z.infer<typeof fgmIndicatorSubmission>;

export const fgmIndicatorParams = z.object({ indicatorId: fgmIndicatorId }).strict();

/** `contentId('fgv', organisation, indicatorId, contentHash, previousVersionId ?? '')`. */
export const fgmIndicatorVersionId = z.string().regex(/^fgv_[a-f0-9]{32}$/);

/** Answer of `PUT /v1/fgm-indicators/{indicatorId}`. */
export const fgmIndicatorStatus = z
  .object({
    indicatorId: fgmIndicatorId,
    versionId: fgmIndicatorVersionId,
    status: z.enum(FGM_INDICATOR_STATUSES),
    outcome: z.enum(['added', 'removed', 'unchanged']),
    recordedAt: isoDateTime,
  })
  .strict();
export type FgmIndicatorStatus = z.infer<typeof fgmIndicatorStatus>;

/** Every FGM indicator change (topic `cp.fgm-indicator-recorded.v1`, key the NHS number). */
export const fgmIndicatorRecorded = z
  .object({
    versionId: fgmIndicatorVersionId,
    indicatorId: fgmIndicatorId,
    /** The recording organisation's ODS code: the indicator's owner. */
    organisation: odsCode,
    nhsNumber,
    status: z.enum(FGM_INDICATOR_STATUSES),
    previousVersionId: fgmIndicatorVersionId.nullable(),
    recordedAt: isoDateTime,
    recordedBy: caller,
  })
  .strict();
export type FgmIndicatorRecorded = z.infer<typeof fgmIndicatorRecorded>;

/**
 * Query of `GET /v1/child-protection-flags`. An unscheduled-care caller must say where the child presented
 * (`settingOds` and `settingType`); a GP gives neither.
 */
export const cpFlagsQuery = z
  .object({
    nhsNumber,
    settingOds: odsCode.optional(),
    settingType: z.enum(UNSCHEDULED_SETTING_TYPES).optional(),
  })
  .strict();

/** Answer of `GET /v1/child-protection-flags`: what a clinician needs to act, and whom to call. */
export const cpFlags = z
  .object({
    lookupId,
    nhsNumber,
    asOf: isoDateTime,
    plans: z
      .array(
        z
          .object({
            planId,
            type: z.enum(CP_PLAN_TYPES),
            status: z.enum(['active', 'ended']),
            startDate: isoDate,
            endDate: isoDate.nullable(),
            expectedDeliveryDate: isoDate.nullable(),
            localAuthority: z.object({ ons: onsCode, name: z.string().min(1).max(200) }).strict(),
            contact: laContact,
          })
          .strict(),
      )
      .max(CP_LIMITS.plansPerChild),
    fgmIndicators: z
      .array(z.object({ indicatorId: fgmIndicatorId, recordedBy: odsCode, recordedAt: isoDateTime }).strict())
      .max(CP_LIMITS.fgmIndicatorsPerChild),
    /** Earlier unscheduled look-ups that found a flag, newest first (this look-up not included). */
    unscheduledAccesses: z
      .array(z.object({ accessedAt: isoDateTime, setting: careSetting }).strict())
      .max(CP_LIMITS.accessesShown),
    /** The authorities this look-up was notified to (empty for a GP, or when nothing was flagged). */
    notified: z.array(onsCode).max(CP_LIMITS.plansPerChild),
  })
  .strict();
export type CpFlags = z.infer<typeof cpFlags>;

// ---------------------------------------------------------------------------------------------------------------
// Decisions and signed payloads
// ---------------------------------------------------------------------------------------------------------------

/** The rule ids of a child-protection policy; what each does is in the policy data. */
export const CP_RULE_IDS = [
  'CP-GP-PLAN',
  'CP-EXCEPTION',
  'CP-ACCESS-UNSCHEDULED',
  'CP-ACCESS-SCHEDULED',
  'CP-REFUSED',
  /** A plan version that shows an ended plan outside the visibility window: recorded, flagged nowhere (withhold). */
  'CP-PLAN-OUT-OF-SCOPE',
] as const;
export type CpRuleId = (typeof CP_RULE_IDS)[number];

/**
 * One child-protection decision. `decisionId` is `contentId('dec', sourceId, rule, recipient ?? '', policyVersion)`,
 * where sourceId is the plan version, refusal or look-up id.
 */
export const cpDecision = z
  .object({
    decisionId,
    rule: z.enum(CP_RULE_IDS),
    policyVersion,
    outcome: z.enum(DECISION_OUTCOMES),
    recipient: z
      .string()
      .regex(/^(gp:[A-Z0-9]{1,9}|(exceptions|la):[EWSN]\d{8})$/)
      .nullable(),
    lawfulBasis: z.array(z.enum(LAWFUL_BASIS_CODES)).min(1).max(LAWFUL_BASIS_CODES.length),
    /** From the policy's wording: types, changes and reason codes only, never personal data. */
    reason: z.string().min(1).max(300),
  })
  .strict();
export type CpDecision = z.infer<typeof cpDecision>;

/** The kinds of the inbox's `NOTIFICATION_KINDS` made by the child-protection flow. */
export const CP_PAYLOAD_KINDS = [
  'cp-gp-notification',
  'cp-exception',
  'cp-access-notification',
  'cp-plan-refused',
] as const;

/** Ties a payload to its decision; `notificationId` is `contentId('ntf', sourceId, recipient, kind, policyVersion)`. */
const cpEnvelope = {
  notificationId,
  decisionId,
  policyVersion,
  rule: z.enum(CP_RULE_IDS),
};

const planOfNotification = z
  .object({
    localAuthority: onsCode,
    planId,
    versionId: cpPlanVersionId,
    type: z.enum(CP_PLAN_TYPES),
    change: z.enum(CP_PLAN_CHANGES),
    startDate: isoDate,
    endDate: isoDate.nullable(),
    expectedDeliveryDate: isoDate.nullable(),
  })
  .strict();

/** A SNOMED CT concept the practice should record (only concepts verified in ../shared/domain.md). */
export const snomedConcept = z
  .object({
    system: z.literal('http://snomed.info/sct'),
    code: z.string().regex(/^\d{6,18}$/),
    display: z.string().min(1).max(200),
  })
  .strict();

/**
 * To the registered practice of the child (of the mother, for an unborn child protection plan): the plan, the
 * concept to record, whom to call. Nothing about anyone else; for an unborn plan nothing about the unborn child
 * beyond the expected delivery date.
 */
export const cpGpNotification = z
  .object({
    kind: z.literal('cp-gp-notification'),
    ...cpEnvelope,
    recipient: z.string().regex(/^gp:[A-Z0-9]{1,9}$/),
    plan: planOfNotification,
    patient: z.object({ nhsNumber, name: personName, birthDate: isoDate }).strict(),
    /** `child`, or `expectant-mother` for an unborn child protection plan. */
    patientIs: z.enum(['child', 'expectant-mother']),
    /** Null where no verified concept applies (e.g. looked-after status); the practice request says what to do. */
    recordConcept: snomedConcept.nullable(),
    localAuthority: z.object({ ons: onsCode, name: z.string().min(1).max(200), ...laContact.shape }).strict(),
    practiceRequest: z.string().min(1).max(1_000),
    markers: gpRecordMarkers,
  })
  .strict();
export type CpGpNotification = z.infer<typeof cpGpNotification>;

/**
 * Why a recorded plan could not be routed to a practice. The first two arise only when the directory changed
 * between recording and routing (the intake refuses such numbers).
 */
export const CP_ROUTING_EXCEPTIONS = [
  'nhs-number-not-found',
  'inactive-record',
  'restricted-record',
  'no-registered-practice',
] as const;
export type CpRoutingException = (typeof CP_ROUTING_EXCEPTIONS)[number];

/** To the plan's authority's exceptions inbox: a plan whose child (or mother) has no practice the hub may route to. */
export const cpException = z
  .object({
    kind: z.literal('cp-exception'),
    ...cpEnvelope,
    recipient: z.string().regex(/^exceptions:[EWSN]\d{8}$/),
    plan: planOfNotification,
    nhsNumber,
    reason: z.enum(CP_ROUTING_EXCEPTIONS),
    pendingRule: z.literal('CP-GP-PLAN'),
    markers: confidentialMarker,
  })
  .strict();
export type CpException = z.infer<typeof cpException>;

/** To the owning authority: an unscheduled-care setting looked the child up (CP-IS access to service notification). */
export const cpAccessNotification = z
  .object({
    kind: z.literal('cp-access-notification'),
    ...cpEnvelope,
    recipient: z.string().regex(/^la:[EWSN]\d{8}$/),
    lookupId,
    nhsNumber,
    /** This authority's plans the look-up found. */
    plans: z
      .array(z.object({ planId, type: z.enum(CP_PLAN_TYPES) }).strict())
      .min(1)
      .max(CP_LIMITS.plansPerChild),
    setting: careSetting,
    /** The organisation whose client looked the child up. */
    accessedBy: odsCode,
    accessedAt: isoDateTime,
    markers: confidentialMarker,
  })
  .strict();
export type CpAccessNotification = z.infer<typeof cpAccessNotification>;

/** To the submitting authority: a plan was refused on its NHS number and is not flagged. */
export const cpPlanRefusedNotice = z
  .object({
    kind: z.literal('cp-plan-refused'),
    ...cpEnvelope,
    recipient: z.string().regex(/^la:[EWSN]\d{8}$/),
    refusalId: cpRefusalId,
    planId,
    nhsNumber,
    reason: z.enum(CP_REFUSAL_REASONS),
    refusedAt: isoDateTime,
    markers: confidentialMarker,
  })
  .strict();
export type CpPlanRefusedNotice = z.infer<typeof cpPlanRefusedNotice>;

export const cpNotificationPayload = z.discriminatedUnion('kind', [
  cpGpNotification,
  cpException,
  cpAccessNotification,
  cpPlanRefusedNotice,
]);
export type CpNotificationPayload = z.infer<typeof cpNotificationPayload>;
