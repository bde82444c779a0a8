import { z } from 'zod';
import { policyVersion } from './decisions.ts';
import { isoDate, isoDateTime } from './identifiers.ts';

/**
 * Delivery deadlines as the record carries them: each notification the hub issues under a policy with deadlines
 * carries its three due instants (`IssuedNotification.deadlines`), computed when it was issued by `@hub/policy`
 * `deadlinesFor` under the policy version that decided it. The deadline stage (services/deadlines) acts on these,
 * never on a policy loaded later, so a deadline is explained by the rule and version that set it.
 */

export const DEADLINE_UNITS = ['working-hours', 'calendar-hours'] as const;
export type DeadlineUnit = (typeof DEADLINE_UNITS)[number];

/** When the fetch or acknowledgement deadline passes unmet. */
export const ESCALATION_ACTIONS = ['escalate', 'record-only'] as const;
/** When the final deadline passes unacknowledged. */
export const FINAL_ACTIONS = ['non-delivery-report', 'record-only'] as const;
export type EscalationAction = (typeof ESCALATION_ACTIONS)[number];
export type FinalAction = (typeof FINAL_ACTIONS)[number];

/** The three deadlines of a notification, in the order they fall. */
export const DEADLINES = ['fetch', 'acknowledge', 'final'] as const;
export type Deadline = (typeof DEADLINES)[number];

export const DEADLINE_LIMITS = {
  /** A deadline is at most 14 days of hours (336), in either unit (the policy's own limit). */
  hours: 336,
} as const;

/** Where an escalation goes: the area's exceptions inbox or a local authority's inbox the policy names. */
export const escalationRecipient = z
  .string()
  .regex(/^(exceptions|la):[EWSN]\d{8}$/, 'must be exceptions:<ONS code> or la:<ONS code>');

/**
 * A sender's own inbox, where its non-delivery reports arrive: a police force's `force:<code>` or a local
 * authority's `la:<ONS code>`.
 */
export const senderInbox = z
  .string()
  .regex(/^(force:[A-Z0-9]{2,12}|la:[EWSN]\d{8})$/, 'must be force:<force code> or la:<ONS code>');

const within = z.number().positive().max(DEADLINE_LIMITS.hours);

const escalationDeadline = z
  .object({
    /** When it passes (ISO 8601, UTC). */
    due: isoDateTime,
    /** In the rule's unit. */
    within,
    then: z.enum(ESCALATION_ACTIONS),
    /** Whom `escalate` tells; null when recorded only (also when the late inbox is the escalation point itself). */
    escalateTo: escalationRecipient.nullable(),
  })
  .strict()
  .refine((d) => (d.then === 'escalate') === (d.escalateTo !== null), {
    path: ['escalateTo'],
    message: 'must name a recipient exactly when the deadline escalates',
  });

/** A notification's deadlines as issued: what set them (rule, policy version, calendar) and when each falls. */
export const issuedDeadlines = z
  .object({
    rule: z
      .string()
      .max(40)
      .regex(/^DL-[A-Z0-9]+(-[A-Z0-9]+)*$/),
    policyVersion,
    unit: z.enum(DEADLINE_UNITS),
    /** Met by a fetch or an acknowledgement. */
    fetch: escalationDeadline,
    /** Met by an acknowledgement. */
    acknowledge: escalationDeadline,
    /** Met by an acknowledgement; when it passes unmet the notification is not delivered. */
    final: z.object({ due: isoDateTime, within, then: z.enum(FINAL_ACTIONS) }).strict(),
    /**
     * The sender's own inbox, where a non-delivery report goes; null when the sender has none (a look-up from a
     * care setting, a notice of the hub's own): the final deadline is then recorded only.
     */
    reportTo: senderInbox.nullable(),
    /** The bank-holiday data working hours were counted with. */
    bankHolidays: z.object({ source: z.string().min(1).max(200), takenOn: isoDate }).strict(),
  })
  .strict()
  .refine((d) => d.fetch.due <= d.acknowledge.due && d.acknowledge.due <= d.final.due, {
    path: ['final', 'due'],
    message: 'deadlines must fall in order: fetch, acknowledge, final',
  });
export type IssuedDeadlines = z.infer<typeof issuedDeadlines>;

/**
 * The audit actions of the deadline stage. Each carries the late notification (`notificationId`, `recipient`,
 * `receiptId`, `subjectRef`), the deadline in `reason` (`fetch`, `acknowledge`, `final`) and the decision (rule,
 * policy version, outcome, lawful basis, what was done).
 */
export const DEADLINE_AUDIT_ACTIONS = [
  /** A fetch or acknowledgement deadline passed unmet. */
  'notification-overdue',
  /** ...and an escalation notice was issued (to the decision's escalation recipient). */
  'notification-escalated',
  /** A late fetch or acknowledgement closed an escalation; the escalation recipient was told. */
  'escalation-closed',
  /** The final deadline passed unacknowledged: not delivered (a non-delivery report to the sender, or recorded). */
  'notification-not-delivered',
] as const;

/** The outcomes of the deadline stage's decisions (`auditDecision.outcome`, beside the IG outcomes). */
export const DEADLINE_OUTCOMES = ['overdue', 'escalated', 'escalation-closed', 'not-delivered'] as const;
export type DeadlineOutcome = (typeof DEADLINE_OUTCOMES)[number];
