import { z } from 'zod';
import { caller } from './callers.ts';
import { DECISION_OUTCOMES, LAWFUL_BASIS_CODES } from './decisions.ts';
import { DEADLINE_AUDIT_ACTIONS, DEADLINE_OUTCOMES } from './delivery-deadlines.ts';
import { isoDateTime, nhsNumber, recipient } from './identifiers.ts';

/**
 * The audit trail: one event per step of every service, published in the same Kafka transaction as the step's
 * output, so nothing happens unaudited. Withholds and refusals are events too. The audit trail is an IG record
 * for IG officers (role ig-officer), so it may name NHS numbers to be searchable; it never holds names, dates of
 * birth, addresses or free text (but an IG officer's own note on why they opened a notification, `reasonNote`),
 * and it is not a log.
 */
export const AUDIT_ACTIONS = [
  'incident-received',
  'incident-unchanged',
  'request-rejected',
  'subject-matched',
  'subject-unmatched',
  'decision-recorded',
  'notification-routed',
  'notification-signed',
  /** An amendment withdrew a notification: its id, the recipient told, and the withdrawal reason code. */
  'notification-withdrawn',
  'notification-stored',
  'notification-fetched',
  'notification-acknowledged',
  'token-issued',
  'token-refused',
  'access-denied',
  /**
   * A source's requests refused for a rate limit in one window (at most a minute, ending at `at`), in aggregate:
   * `refusedCount`, the limit in `reason`, and the client as `actor` or else `sourceNetwork`. One per source per
   * window, however many were refused, so a flood cannot grow the trail without bound.
   */
  'rate-limited',
  'audit-searched',
  /**
   * A national IG officer read an entry bundle of the verifiable log (up to 256 events of any area): the actor, and
   * in `reason` the leaves read, `leaves:<first>-<last>`.
   */
  'audit-log-entries-read',
  'plan-recorded',
  'plan-unchanged',
  'plan-refused',
  'flags-looked-up',
  'fgm-indicator-recorded',
  'fgm-indicator-unchanged',
  ...DEADLINE_AUDIT_ACTIONS,
  /** A person signed in to the IG console (actor: them; reason: `password` or `oidc`). */
  'console-signed-in',
  /**
   * A console sign-in refused: a `CONSOLE_SIGN_IN_FAILURES` code in `reason`, the source's network in
   * `sourceNetwork`, never what was typed (a username can be a mistyped password).
   */
  'console-sign-in-refused',
  /** A person signed out of the console, or their session ended (reason `signed-out`). */
  'console-signed-out',
  /**
   * An IG officer opened a notification's content: the officer (actor), the notification, its recipient and
   * record, the reason code (`reason`) and their optional note (`reasonNote`). Committed before the content is read.
   */
  'notification-content-viewed',
  /** An IG officer looked at the safeguarding dashboard (counts only): the officer, and their scope in `reason`. */
  'console-dashboard-viewed',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The longest `reasonNote` (console.ts `CONSOLE_LIMITS.reasonNoteChars`). */
export const AUDIT_REASON_NOTE_CHARS = 500;

export const auditDecision = z
  .object({
    rule: z.string().min(1).max(40),
    policyVersion: z.string().min(1).max(40),
    /** An IG outcome, or the deadline stage's (delivery-deadlines.ts). */
    outcome: z.enum([...DECISION_OUTCOMES, ...DEADLINE_OUTCOMES]),
    lawfulBasis: z.array(z.enum(LAWFUL_BASIS_CODES)).max(LAWFUL_BASIS_CODES.length),
    reason: z.string().max(300),
  })
  .strict();

export const auditEvent = z
  .object({
    /** Derived from content (service, action and the ids it concerns), so a redelivered step audits once. */
    eventId: z.string().regex(/^aud_[a-f0-9]{32}$/),
    at: isoDateTime,
    service: z.string().min(1).max(40),
    action: z.enum(AUDIT_ACTIONS),
    traceId: z.string().min(1).max(64),
    /** Who caused it; null for the hub's own steps. */
    actor: caller.nullable(),
    /**
     * The record the event concerns: a DA receipt (`rcpt_`), a child-protection plan version (`cpv_`), plan refusal
     * (`cpr_`), flag look-up (`lkp_`) or FGM indicator version (`fgv_`).
     */
    receiptId: z.string().max(40).nullable(),
    /**
     * The submitter's own reference: `<force>:<incidentId>` for an incident, `<ONS code>:<planId>` for a plan,
     * `<ODS code>:<indicatorId>` for an FGM indicator.
     */
    incidentRef: z.string().max(80).nullable(),
    subjectRef: z.string().max(32).nullable(),
    nhsNumber: nhsNumber.nullable(),
    recipient: recipient.nullable(),
    notificationId: z.string().max(80).nullable(),
    decision: auditDecision.nullable(),
    /** A stable reason code (e.g. an identity exception reason, an error code); never free text from a request. */
    reason: z.string().max(80).nullable(),
    /**
     * On an `access-denied` from the auth layer: the route template refused (`/v1/inboxes/{recipient}/notifications`),
     * never the URL. Absent on every other event (and on events recorded before it existed).
     */
    route: z
      .string()
      .max(200)
      .regex(/^\/[A-Za-z0-9/{}._-]*$/)
      .optional(),
    /**
     * On an `audit-searched` event: the search's other filters and order (those naming a record, a person or an inbox
     * are the event's own `receiptId`, `incidentRef`, `nhsNumber` and `recipient`). Absent on every other event.
     */
    searchFilters: z
      .object({
        actorClientId: z.string().max(100).optional(),
        actorOrganisation: z.string().max(12).optional(),
        action: z.enum(AUDIT_ACTIONS).optional(),
        rule: z.string().max(40).optional(),
        outcome: z.enum(DECISION_OUTCOMES).optional(),
        from: isoDateTime.optional(),
        to: isoDateTime.optional(),
        order: z.enum(['oldest', 'newest']),
      })
      .strict()
      .optional(),
    /** On a `rate-limited` event: how many requests of the source were refused in the window. */
    refusedCount: z.int().min(1).optional(),
    /**
     * On a `rate-limited` event of a source that proved no identity: the network its requests came from (IPv4 /24,
     * IPv6 /48), never the full address, which can single out a household or a device.
     */
    sourceNetwork: z
      .string()
      .max(50)
      .regex(/^(\d{1,3}\.\d{1,3}\.\d{1,3}\.0\/24|[0-9a-f:]{2,39}\/48|unknown)$/)
      .optional(),
    /**
     * On a `notification-content-viewed` event only: the officer's own words on why (the one free text of the trail,
     * bounded, IG-readable like the rest; never logged, never sent back to the request that gave it).
     */
    reasonNote: z
      .string()
      .min(1)
      .max(AUDIT_REASON_NOTE_CHARS)
      .regex(/^[^\p{Cc}]*$/u)
      .optional(),
  })
  .strict();
export type AuditEvent = z.infer<typeof auditEvent>;

/** Where a stored audit event was recorded: its Kafka record (one event, one record, one leaf). */
export const auditEventPosition = z.object({ partition: z.int().min(0), offset: z.int().min(0) }).strict();

/**
 * An audit event as the audit store answers it: the event (the leaf entry's content), where it was recorded, and
 * its leaf index in the verifiable log (null until the sequencer has placed it, within a second or so).
 */
export const storedAuditEvent = auditEvent
  .extend({ position: auditEventPosition, leafIndex: z.int().min(0).nullable() })
  .strict();
export type StoredAuditEvent = z.infer<typeof storedAuditEvent>;

/** Bounds of a search page's integrity report: the count is exact, the positions listed are at most this many. */
export const AUDIT_INTEGRITY_LIMITS = { positions: 50 } as const;

/**
 * Stored events the search met but could not read (an entry that is no longer an audit event, does not hash to its
 * leaf hash, or is not the event its row names): how many, and where each was recorded. Never their content.
 */
export const auditSearchIntegrity = z
  .object({
    unreadable: z.int().min(0),
    positions: z.array(auditEventPosition).max(AUDIT_INTEGRITY_LIMITS.positions),
  })
  .strict();

/**
 * One page of `GET /v1/audit/events`, in the order asked for; `nextCursor` is null on the last page. `integrity` reports the
 * unreadable events among those this page read (zero and empty when all were readable).
 */
export const auditSearchPage = z
  .object({
    items: z.array(storedAuditEvent),
    nextCursor: z.string().nullable(),
    integrity: auditSearchIntegrity,
  })
  .strict();
