import { z } from 'zod';
import type { AuditEvent } from './audit.ts';
import { cpPlanVersionId, lookupId, planId } from './child-protection.ts';
import { escalationRecipient, senderInbox } from './delivery-deadlines.ts';
import { policyVersion } from './decisions.ts';
import { isoDateTime, recipient } from './identifiers.ts';
import { NOTIFICATION_KINDS, notificationId, type NotificationKind } from './inbox.ts';
import { confidentialMarker } from './notifications.ts';

/**
 * What the deadline stage (services/deadlines) sends and reads: the signed notices it issues when a deadline passes,
 * the ticks its clock publishes, and the delivery states the senders' status routes show.
 */

/** The kinds of the inbox's `NOTIFICATION_KINDS` the deadline stage issues. They have no deadlines themselves. */
export const DEADLINE_NOTICE_KINDS = [
  'delivery-escalation',
  'escalation-closed',
  'non-delivery-report',
] as const satisfies readonly NotificationKind[];
export type DeadlineNoticeKind = (typeof DEADLINE_NOTICE_KINDS)[number];

/** The escalated deadlines: the final one is not escalated, it makes a non-delivery report. */
export const ESCALATED_DEADLINES = ['fetch', 'acknowledge'] as const;

/**
 * The late notification a notice is about: ids, its kind, its inbox and when it was issued. No personal data: the
 * receipt id is the sender's own handle on it (a police receipt, a plan version, a look-up).
 */
export const lateNotification = z
  .object({
    notificationId,
    kind: z.enum(NOTIFICATION_KINDS),
    recipient,
    receiptId: z.string().max(40),
    issuedAt: isoDateTime,
  })
  .strict();

/** Which rule set the deadline, under which policy version, and when it passed. */
const deadlineFacts = {
  rule: z.string().max(40),
  policyVersion,
  due: isoDateTime,
};

/**
 * To the area's safeguarding team (the exceptions inbox, or the escalation recipient the policy names): a
 * notification was not fetched (or not acknowledged) by its deadline. `notificationId` is
 * `contentId('ntf', <late notification id>, 'delivery-escalation', deadline)`.
 */
export const deliveryEscalation = z
  .object({
    kind: z.literal('delivery-escalation'),
    notificationId,
    recipient: escalationRecipient,
    concerns: lateNotification,
    deadline: z.enum(ESCALATED_DEADLINES),
    ...deadlineFacts,
    /** Who sent the late notification (its non-delivery reports go there), or null for a notice of the hub's own. */
    sender: senderInbox.nullable(),
    markers: confidentialMarker,
  })
  .strict();
export type DeliveryEscalation = z.infer<typeof deliveryEscalation>;

/**
 * To whoever an escalation went to: the late notification has now been fetched (or acknowledged), so the
 * escalation is closed. `notificationId` is `contentId('ntf', <late notification id>, 'escalation-closed', deadline)`.
 */
export const escalationClosed = z
  .object({
    kind: z.literal('escalation-closed'),
    notificationId,
    recipient: escalationRecipient,
    /** The escalation notice this closes. */
    closes: notificationId,
    concerns: lateNotification,
    deadline: z.enum(ESCALATED_DEADLINES),
    /** The rule and policy version of the deadline that was escalated. */
    rule: deadlineFacts.rule,
    policyVersion,
    closedBy: z.enum(['fetched', 'acknowledged']),
    /** When the late inbox fetched or acknowledged it. */
    at: isoDateTime,
    markers: confidentialMarker,
  })
  .strict();
export type EscalationClosed = z.infer<typeof escalationClosed>;

/**
 * To the sender's own inbox (`force:<code>`, `la:<ONS code>`): a notification was not acknowledged by its final
 * deadline, so it is not delivered. `notificationId` is `contentId('ntf', <late notification id>,
 * 'non-delivery-report')`.
 */
export const nonDeliveryReport = z
  .object({
    kind: z.literal('non-delivery-report'),
    notificationId,
    recipient: senderInbox,
    concerns: lateNotification.extend({
      /** The sender's own reference for the person it was about (null for one about everyone). */
      subjectRef: z.string().max(32).nullable(),
    }),
    ...deadlineFacts,
    /** How far it got: stored in the inbox but never fetched, or fetched but never acknowledged. */
    reached: z.enum(['delivered', 'fetched']),
    /** Where its escalations went, if any. */
    escalatedTo: escalationRecipient.nullable(),
    markers: confidentialMarker,
  })
  .strict();
export type NonDeliveryReport = z.infer<typeof nonDeliveryReport>;

export const deadlineNoticePayload = z.discriminatedUnion('kind', [
  deliveryEscalation,
  escalationClosed,
  nonDeliveryReport,
]);
export type DeadlineNoticePayload = z.infer<typeof deadlineNoticePayload>;

/**
 * A tick of the deadline clock (topic `deadlines.due.v1`, key the notification id): at `observedAt`, by the clock of
 * the instance that published it, something of the notification's deadlines was due. The deadline stage decides
 * what, from the deadlines view as of that instant; ticks may repeat (any instance, any restart), firings do not.
 */
export const deadlineTick = z.object({ notificationId, observedAt: isoDateTime }).strict();
export type DeadlineTick = z.infer<typeof deadlineTick>;

// ---------------------------------------------------------------------------------------------------------------
// What a sender sees
// ---------------------------------------------------------------------------------------------------------------

/**
 * Where a notification has got to, as its sender sees it (the furthest state, unless a deadline is open):
 * `decided` (an IG decision to share), `exception` (a person could not be matched: the exceptions inbox gets it),
 * `delivered` (in the recipient's inbox), `fetched`, `acknowledged`; `overdue` (a fetch or acknowledgement
 * deadline passed unmet, recorded only), `escalated` (the same, and the area's safeguarding team was sent an
 * escalation notice), `not-delivered` (the final deadline passed unacknowledged: a non-delivery report went to the
 * sender). A late fetch or acknowledgement moves it on again (the times stay).
 */
export const DELIVERY_STATUSES = [
  'decided',
  'exception',
  'delivered',
  'fetched',
  'acknowledged',
  'overdue',
  'escalated',
  'not-delivered',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const at = isoDateTime.nullable();

/** When each state was first reached (null: not yet). */
export const deliveryTimes = z
  .object({
    decided: at,
    delivered: at,
    fetched: at,
    acknowledged: at,
    overdue: at,
    escalated: at,
    escalationClosed: at,
    notDelivered: at,
  })
  .strict();
export type DeliveryTimes = z.infer<typeof deliveryTimes>;

/** The latest deadline that passed unmet and is still unmet (`fetch`, `acknowledge`, `final`), or null. */
export const openDeadline = z.enum(['fetch', 'acknowledge', 'final']).nullable();

export const PLAN_STATUS_LIMITS = {
  /** The newest plan versions shown. */
  versions: 50,
  /** The newest look-ups that found the plan shown. */
  accesses: 50,
  /** Notifications per version or look-up (one practice or exceptions inbox; one access notification). */
  notifications: 4,
} as const;

/** One notification of a plan version or look-up, as the authority sees it. */
export const planNotificationStatus = z
  .object({
    notificationId,
    kind: z.enum(NOTIFICATION_KINDS),
    recipient,
    status: z.enum(DELIVERY_STATUSES),
    deadline: openDeadline,
    times: deliveryTimes,
  })
  .strict();
export type PlanNotificationStatus = z.infer<typeof planNotificationStatus>;

/**
 * 200 of `GET /v1/child-protection-plans/{planId}/status`: each version of the plan (newest first) with its
 * notification (to the child's practice or the authority's exceptions inbox), and each look-up that found the plan
 * with the access notification sent to the authority. Ids, kinds, inboxes, states and times: no personal data.
 */
export const cpPlanDeliveryStatus = z
  .object({
    planId,
    versions: z
      .array(
        z
          .object({
            versionId: cpPlanVersionId,
            notifications: z.array(planNotificationStatus).max(PLAN_STATUS_LIMITS.notifications),
          })
          .strict(),
      )
      .max(PLAN_STATUS_LIMITS.versions),
    accessNotifications: z
      .array(
        z
          .object({
            lookupId,
            notifications: z.array(planNotificationStatus).max(PLAN_STATUS_LIMITS.notifications),
          })
          .strict(),
      )
      .max(PLAN_STATUS_LIMITS.accesses),
  })
  .strict();
export type CpPlanDeliveryStatus = z.infer<typeof cpPlanDeliveryStatus>;

// ---------------------------------------------------------------------------------------------------------------
// From the audit trail to what a sender sees (the receipt status and plan status views; the deadlines view)
// ---------------------------------------------------------------------------------------------------------------

/**
 * The facts about one notification's delivery that audit events record, each kept with the time it first happened
 * (a view merges them first-time-kept, so replays and reordering change nothing). `overdue:<deadline>` and
 * `escalated:<deadline>` are per escalated deadline; `not-delivered` is the final deadline's.
 */
export const DELIVERY_MARKS = [
  'decided',
  'exception',
  'delivered',
  'fetched',
  'acknowledged',
  'overdue:fetch',
  'overdue:acknowledge',
  'escalated:fetch',
  'escalated:acknowledge',
  'closed:fetch',
  'closed:acknowledge',
  'not-delivered',
] as const;
export type DeliveryMark = (typeof DELIVERY_MARKS)[number];
export type DeliveryMarks = Partial<Record<DeliveryMark, string>>;

/** A deadline stage event's mark: its `reason` is the deadline (`fetch`, `acknowledge`). */
function escalatedMark(prefix: 'overdue' | 'escalated' | 'closed', reason: string | null): DeliveryMark | undefined {
  return reason === 'fetch' || reason === 'acknowledge' ? `${prefix}:${reason}` : undefined;
}

/** The mark an audit event sets on its notification (or, for a decision, on its recipient), if any. */
export function deliveryMarkOf(event: AuditEvent): DeliveryMark | undefined {
  switch (event.action) {
    case 'decision-recorded':
      if (event.decision?.outcome === 'share') return 'decided';
      if (event.decision?.outcome === 'exception') return 'exception';
      return undefined;
    case 'notification-stored':
      return 'delivered';
    case 'notification-fetched':
      return 'fetched';
    case 'notification-acknowledged':
      return 'acknowledged';
    case 'notification-overdue':
      return escalatedMark('overdue', event.reason);
    case 'notification-escalated':
      return escalatedMark('escalated', event.reason);
    case 'escalation-closed':
      return escalatedMark('closed', event.reason);
    case 'notification-not-delivered':
      return 'not-delivered';
    default:
      return undefined;
  }
}

const earliest = (...times: (string | undefined)[]): string | null =>
  times.filter((time): time is string => time !== undefined).sort()[0] ?? null;

/** What a sender is shown for one notification (or recipient): its status, the open deadline, and the times. */
export function deliveryViewOf(marks: DeliveryMarks): {
  status: DeliveryStatus;
  deadline: 'fetch' | 'acknowledge' | 'final' | null;
  times: DeliveryTimes;
} {
  const acknowledged = marks.acknowledged !== undefined;
  const fetched = acknowledged || marks.fetched !== undefined;
  const deadline = acknowledged
    ? null
    : marks['not-delivered'] !== undefined
      ? 'final'
      : marks['overdue:acknowledge'] !== undefined
        ? 'acknowledge'
        : marks['overdue:fetch'] !== undefined && !fetched
          ? 'fetch'
          : null;
  const progress: DeliveryStatus = acknowledged
    ? 'acknowledged'
    : marks.fetched !== undefined
      ? 'fetched'
      : marks.delivered !== undefined
        ? 'delivered'
        : marks.exception !== undefined
          ? 'exception'
          : 'decided';
  const status: DeliveryStatus =
    deadline === 'final'
      ? 'not-delivered'
      : deadline === null
        ? progress
        : marks[`escalated:${deadline}`] !== undefined
          ? 'escalated'
          : 'overdue';
  return {
    status,
    deadline,
    times: {
      decided: earliest(marks.decided, marks.exception),
      delivered: marks.delivered ?? null,
      fetched: marks.fetched ?? null,
      acknowledged: marks.acknowledged ?? null,
      overdue: earliest(marks['overdue:fetch'], marks['overdue:acknowledge']),
      escalated: earliest(marks['escalated:fetch'], marks['escalated:acknowledge']),
      escalationClosed: earliest(marks['closed:fetch'], marks['closed:acknowledge']),
      notDelivered: marks['not-delivered'] ?? null,
    },
  };
}
