import { z } from 'zod';
import { issuedDeadlines } from './delivery-deadlines.ts';
import { isoDateTime, recipient } from './identifiers.ts';

/**
 * A signed notification addressed to one inbox. `jws` is the compact JWS the hub signed over the minimised
 * payload (verifiable with `/.well-known/jwks.json`); the other fields hold no personal data, so the inbox
 * store and the status views can work without opening the payload.
 */
export const NOTIFICATION_KINDS = [
  'da-gp-notification',
  'da-marac-referral',
  'da-exception',
  'da-withdrawal',
  'cp-gp-notification',
  'cp-exception',
  'cp-access-notification',
  'cp-plan-refused',
  // The deadline stage's notices (deadlines.ts): to the escalation recipient, and to the sender's own inbox.
  'delivery-escalation',
  'escalation-closed',
  'non-delivery-report',
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const notificationId = z.string().regex(/^ntf_[a-f0-9]{32}$/);

/**
 * The kinds that fill a slot of a domestic-abuse incident's amendment lineage (incident, kind, recipient, person):
 * a `da-withdrawal` is recorded in the slot of the notification it withdraws.
 */
export const DA_SLOT_KINDS = [
  'da-gp-notification',
  'da-marac-referral',
  'da-exception',
] as const satisfies readonly NotificationKind[];

/**
 * Where a domestic-abuse notification sits in its incident's amendment lineage: what the dispatcher's lineage
 * projector needs to rebuild that lineage from `notifications.issued.v1` alone. Internal to the hub: ids and an
 * offset, no personal data, and never served to a recipient (an inbox item has its own shape).
 */
export const issuedLineage = z
  .object({
    /** `<force>:<incidentId>`, the police's own reference for the incident (the key of the DA topics). */
    incidentRef: z
      .string()
      .max(77)
      .regex(/^[A-Z0-9]{2,12}:[A-Za-z0-9/._-]{1,64}$/, 'must be <force>:<incidentId>'),
    /** The offset, in its partition of `da.incident-decided.v1`, of the decision set it was issued for. */
    decisionOffset: z
      .string()
      .max(16)
      .regex(/^(0|[1-9][0-9]{0,15})$/, 'must be a decimal integer of at most 16 digits'),
    /** The kind of its slot: its own kind, or for a `da-withdrawal` the kind of the notification it withdraws. */
    slotKind: z.enum(DA_SLOT_KINDS),
  })
  .strict();
export type IssuedLineage = z.infer<typeof issuedLineage>;

export const issuedNotification = z
  .object({
    notificationId,
    recipient,
    kind: z.enum(NOTIFICATION_KINDS),
    /** What the notification came from: a DA receipt, a plan version, a plan refusal or a flag look-up id. */
    receiptId: z.string().max(40),
    /** The submitting organisation's own reference for the person it is about; null for a referral about everyone. */
    subjectRef: z.string().max(32).nullable(),
    /**
     * The notification this one replaces for the same recipient and person, or null. A `da-withdrawal` amends the
     * notification it withdraws.
     */
    amends: notificationId.nullable(),
    issuedAt: isoDateTime,
    jws: z
      .string()
      .min(1)
      .max(64 * 1024),
    /**
     * Its place in the amendment lineage, on every domestic-abuse notification the dispatcher issues; absent on
     * child-protection notifications and on records issued before the field existed.
     */
    lineage: issuedLineage.optional(),
    /**
     * Its delivery deadlines, computed when it was issued under the policy that decided it: on every notification
     * issued under a policy with deadlines; absent on the deadline stage's own notices and on records issued before
     * the field existed (those have no deadlines).
     */
    deadlines: issuedDeadlines.optional(),
  })
  .strict()
  .refine(({ kind, lineage }) => lineage === undefined || kind === lineage.slotKind || kind === 'da-withdrawal', {
    path: ['lineage', 'slotKind'],
    message: "must be the notification's kind (a withdrawal: the kind it withdraws)",
  });
export type IssuedNotification = z.infer<typeof issuedNotification>;

export const INBOX_LIMITS = { pageSize: 100, defaultPageSize: 20 } as const;

/**
 * How long a notification stays in its inbox after it was issued, in days: `HUB_INBOX_RETENTION_DAYS` (services/hub
 * README), this default and range. Expiry is a function of the record (`issuedAt`) and the clock, so a rebuilt inbox
 * holds what the live one shows. The floor outlasts every delivery deadline (at most 336 hours each, of working hours
 * at most, about ten weeks with holidays); the signing keys that signed a notification stay in the JWKS for the
 * retention and a day (`@hub/signing` `retiredKeyKeepMs`), so whatever an inbox still holds verifies. Kafka keeps the
 * record itself (`notifications.issued.v1`) for ever: the retention is the inboxes', not the record's.
 */
export const INBOX_RETENTION_DAYS = { default: 90, min: 90, max: 3_650 } as const;
const DAY_MS = 24 * 60 * 60 * 1000;
export const inboxRetentionMs = (days: number): number => days * DAY_MS;

export const INBOX_STATUSES = ['delivered', 'fetched', 'acknowledged'] as const;
export type InboxStatus = (typeof INBOX_STATUSES)[number];

/**
 * A notification's place in its inbox: its offset in `notifications.issued.v1`, a decimal string (a Kafka offset is
 * a 64-bit integer). The topic is keyed by recipient, so one inbox's notifications are all in one partition, in
 * order; the offset is the record's own, so a rebuilt inbox has the same positions.
 */
export const inboxPosition = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,18})$/, 'must be a decimal integer of at most 19 digits');

/** One item of `GET /v1/inboxes/{recipient}/notifications`. */
export const inboxItem = z
  .object({
    id: notificationId,
    sequence: inboxPosition.describe(
      "The notification's position in its inbox: its offset in notifications.issued.v1, as a decimal string. " +
        'Increasing within the inbox but not contiguous, and the same after the inbox is rebuilt from the record. ' +
        'Compare as integers, not as text.',
    ),
    kind: z.enum(NOTIFICATION_KINDS),
    amends: notificationId.nullable(),
    issuedAt: isoDateTime,
    status: z.enum(INBOX_STATUSES),
    jws: z.string(),
  })
  .strict();

export const inboxPage = z
  .object({
    items: z.array(inboxItem),
    /** Pass back as `cursor` to get what came after; unchanged when there was nothing new. */
    nextCursor: z.string(),
  })
  .strict();

/** Answer of `POST /v1/inboxes/{recipient}/notifications/{id}/acknowledgement`: the same body on every repeat. */
export const inboxAcknowledgement = z
  .object({
    id: notificationId,
    status: z.literal('acknowledged'),
    acknowledgedAt: isoDateTime,
  })
  .strict();
