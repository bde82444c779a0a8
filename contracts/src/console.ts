import { z } from 'zod';
import { AUDIT_REASON_NOTE_CHARS, auditEvent } from './audit.ts';
import { caller } from './callers.ts';
import type { DecisionOutcome } from './decisions.ts';
import { isoDate, isoDateTime, recipient, type RecipientKind } from './identifiers.ts';
import { INBOX_STATUSES, NOTIFICATION_KINDS, notificationId } from './inbox.ts';
import { signedPayload } from './signed-payloads.ts';

/**
 * The IG console's own shapes (issue 11 item 6): people signing in (local accounts or OpenID Connect), their
 * session, the incident and plan timeline, opening a notification's content with a reason, and the safeguarding
 * dashboard. The routes are entries of `HTTP_ROUTES` (http-api.ts, tag `console`); services/console serves them.
 */

/** The roles a person may hold in the console: the IG roles, with the same scope as their clients (audit README). */
export const CONSOLE_ROLES = ['ig-officer', 'ig-officer-national'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

/** Every bound of the console's API, in one place. */
export const CONSOLE_LIMITS = {
  usernameChars: 64,
  passwordChars: 256,
  displayNameChars: 100,
  /** The optional free text of a content view's reason: stored in the audit event, never logged or echoed. */
  reasonNoteChars: AUDIT_REASON_NOTE_CHARS,
  /** Events in one timeline; a record with more answers the oldest ones and `truncated: true`. */
  timelineEvents: 2_000,
  /** Days in one dashboard request. */
  dashboardDays: 92,
  /** Rules listed per dashboard day (a policy has a handful). */
  dashboardRules: 50,
} as const;

/**
 * The Content-Security-Policy of the console's page and files: only its own scripts, styles, fonts and images, no
 * inline script or style, no other origin (no CDN), API calls to itself only, never framed.
 */
export const CONSOLE_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** `GET /console/assets/{file}`: a built file's name (no directories, an extension). */
export const consoleAssetParams = z
  .object({
    file: z
      .string()
      .max(100)
      .regex(/^[A-Za-z0-9][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)+$/, 'must be a file name the console build makes'),
  })
  .strict();

/** The header an unsafe request made with a console session carries: the session's `csrfToken`. */
export const CONSOLE_CSRF_HEADER = 'x-csrf-token';

/** Where the OIDC callback sends the browser: the console after a sign-in, its sign-in screen after a failure. */
export const CONSOLE_REDIRECTS = {
  signedIn: '/console/',
  /** Followed by a failure code of `CONSOLE_SIGN_IN_FAILURES` (e.g. `/console/#/sign-in?failed=oidc-denied`). */
  signInFailed: '/console/#/sign-in?failed=',
} as const;

/** Why a console sign-in failed: stable codes, audited (`console-sign-in-refused`), shown to the person as codes. */
export const CONSOLE_SIGN_IN_FAILURES = [
  /** Unknown username or wrong password: the same code for both, so nobody learns which usernames exist. */
  'bad-credentials',
  'rate-limited',
  /** The identity provider said no, or the person cancelled. */
  'oidc-denied',
  /** The callback's state is unknown or expired, or the code exchange or ID token check failed. */
  'oidc-failed',
  /** The provider vouched for a person no console account lists. */
  'oidc-unknown-person',
] as const;
export type ConsoleSignInFailure = (typeof CONSOLE_SIGN_IN_FAILURES)[number];

/** A person's id in the console, as their actor `clientId` in the audit trail: the account's, never a name. */
export const consolePersonId = z
  .string()
  .max(100)
  .regex(/^(local|oidc):[A-Za-z0-9._@-]{1,90}$/, 'must be local:<account id> or oidc:<account id>');

/** Who is signed in. */
export const consoleUser = z
  .object({
    /** Their actor `clientId` on every audit event they cause. */
    id: consolePersonId,
    displayName: z.string().min(1).max(CONSOLE_LIMITS.displayNameChars),
    role: z.enum(CONSOLE_ROLES),
    /** An authority's ONS code (an area IG officer reads that area's trail), or another organisation code. */
    organisation: caller.shape.organisation,
    signIn: z.enum(['password', 'oidc']),
  })
  .strict();
export type ConsoleUser = z.infer<typeof consoleUser>;

/**
 * The signed-in session (`POST /v1/console/session`, `GET /v1/console/session`). The session itself is an opaque
 * HttpOnly cookie the page never sees; `csrfToken` goes in the `x-csrf-token` header of every unsafe request.
 */
export const consoleSession = z
  .object({
    user: consoleUser,
    csrfToken: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
    /** The session ends after this long without a request (every request made with it moves it on). */
    idleTimeoutSeconds: z.int().min(60).max(86_400),
    idleExpiresAt: isoDateTime,
    /** The session ends then whatever the activity: sign in again. */
    expiresAt: isoDateTime,
  })
  .strict();
export type ConsoleSession = z.infer<typeof consoleSession>;

/** `POST /v1/console/session`: a local account's sign-in (JSON only, so a cross-site form cannot post it). */
export const consoleSignIn = z
  .object({
    username: z.string().min(1).max(CONSOLE_LIMITS.usernameChars),
    password: z.string().min(1).max(CONSOLE_LIMITS.passwordChars),
  })
  .strict();

/** `GET /v1/console/sign-in-options`: what the sign-in screen offers. */
export const consoleSignInOptions = z
  .object({
    /** Local accounts with passwords (the demo); false when the accounts file has none. */
    password: z.boolean(),
    /** OpenID Connect (NHS CIS2 in production), or null when not configured. */
    oidc: z
      .object({
        /** The button's label, e.g. "NHS Care Identity Service 2". */
        name: z.string().min(1).max(100),
        /** Where the browser goes to start: `GET /v1/console/oidc/authorization`. */
        start: z.literal('/v1/console/oidc/authorization'),
      })
      .strict()
      .nullable(),
  })
  .strict();

/** `POST /v1/console/sign-out`. */
export const consoleSignedOut = z.object({ signedOut: z.literal(true) }).strict();

/** The OIDC redirection endpoint's query (RFC 6749 §4.1.2, RFC 9207 `iss`); anything else is ignored. */
export const consoleOidcCallbackQuery = z
  .object({
    code: z.string().min(1).max(2_048).optional(),
    state: z.string().min(1).max(256).optional(),
    iss: z.string().min(1).max(2_048).optional(),
    error: z.string().min(1).max(256).optional(),
    error_description: z.string().max(2_048).optional(),
    error_uri: z.string().max(2_048).optional(),
    session_state: z.string().max(2_048).optional(),
  })
  .strip();

// ---------------------------------------------------------------------------------------------------------------
// Timeline
// ---------------------------------------------------------------------------------------------------------------

/** Any record id an audit event can concern (as `searchAuditEvents`'s receiptId). */
const recordId = z
  .string()
  .regex(/^(rcpt|cpv|cpr|lkp|fgv)_[a-f0-9]{32}$/, 'must be a receipt, plan version, refusal, look-up or FGM id');
/** A submitter's reference: `<force>:<incidentId>`, `<ONS code>:<planId>`, `<ODS code>:<indicatorId>`. */
export const incidentRefParam = z
  .string()
  .max(80)
  .regex(/^[A-Z0-9]{1,12}:[A-Za-z0-9/._-]{1,64}$/, 'must be <organisation code>:<id>, e.g. ASP:ASP-2026-004417');

/**
 * `GET /v1/console/timeline`: exactly one of `receiptId` (one version: a DA receipt, a plan version, ...) or
 * `incidentRef` (every version of an incident or plan, amendments included).
 */
export const consoleTimelineQuery = z
  .object({ receiptId: recordId.optional(), incidentRef: incidentRefParam.optional() })
  .strict()
  .superRefine((query, ctx) => {
    if ((query.receiptId === undefined) === (query.incidentRef === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['receiptId'], message: 'give exactly one of receiptId or incidentRef' });
    }
  });

/** One step of a timeline: the audit event as recorded, and its leaf in the verifiable log (null until sequenced). */
export const consoleTimelineEntry = auditEvent.extend({ leafIndex: z.int().min(0).nullable() }).strict();

/**
 * Every audit event of the record, oldest first (by time, then by log position): receipt, identity, each decision
 * with its rule, policy version and lawful basis, withholds and exceptions, signing, routing, storing, each fetch,
 * acknowledgement and content view. Scoped like a search: an area IG officer sees only what concerns their area, and
 * a record outside it answers an empty timeline, as if it did not exist. Viewing a timeline is audited
 * (`audit-searched`).
 */
export const consoleTimeline = z
  .object({
    items: z.array(consoleTimelineEntry).max(CONSOLE_LIMITS.timelineEvents),
    /** True when the record has more events than `CONSOLE_LIMITS.timelineEvents`: the oldest are listed. */
    truncated: z.boolean(),
  })
  .strict();
export type ConsoleTimeline = z.infer<typeof consoleTimeline>;

// ---------------------------------------------------------------------------------------------------------------
// Opening a notification's content
// ---------------------------------------------------------------------------------------------------------------

/** Why an IG officer opens a notification's content: stable codes, recorded on the audit event. */
export const CONTENT_VIEW_REASONS = [
  'safeguarding-review',
  'complaint-investigation',
  'subject-access-request',
  'information-governance-incident',
  'legal-or-court-request',
  'data-quality-check',
] as const;
export type ContentViewReason = (typeof CONTENT_VIEW_REASONS)[number];

/** The body of `POST /v1/console/notifications/{notificationId}/content-views`: a reason is required. */
export const contentViewRequest = z
  .object({
    reason: z.enum(CONTENT_VIEW_REASONS),
    /** Optional words of the officer's own: kept on the audit event, never logged, never sent back. */
    note: z
      .string()
      .min(1)
      .max(CONSOLE_LIMITS.reasonNoteChars)
      .regex(/^[^\p{Cc}]*$/u, 'must not contain control characters')
      .optional(),
  })
  .strict();
export type ContentViewRequest = z.infer<typeof contentViewRequest>;

export const contentViewParams = z.object({ notificationId }).strict();

/**
 * The content, once the view is audited (`notification-content-viewed`, committed before anything is read): the
 * notification's signed payload, verified against the hub's keys, as its recipient received it.
 */
export const notificationContentView = z
  .object({
    notificationId,
    recipient,
    kind: z.enum(NOTIFICATION_KINDS),
    receiptId: z.string().max(40),
    issuedAt: isoDateTime,
    /** Its inbox status now. */
    status: z.enum(INBOX_STATUSES),
    /** The minimised payload the recipient got (personal data): shown, never stored by the console. */
    payload: signedPayload,
    /** The hub key that signed it. */
    kid: z.string().min(1).max(128),
    viewedAt: isoDateTime,
    /** The audit event recording this view (find it in the trail and the log). */
    auditEventId: z.string().regex(/^aud_[a-f0-9]{32}$/),
  })
  .strict();
export type NotificationContentView = z.infer<typeof notificationContentView>;

// ---------------------------------------------------------------------------------------------------------------
// Safeguarding dashboard
// ---------------------------------------------------------------------------------------------------------------

/** `GET /v1/console/dashboard`: England's calendar days (Europe/London), `from` to `to` inclusive, at most 92. */
export const dashboardQuery = z
  .object({ from: isoDate, to: isoDate })
  .strict()
  .superRefine((query, ctx) => {
    const days = (Date.parse(query.to) - Date.parse(query.from)) / 86_400_000 + 1;
    if (days < 1) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    if (days > CONSOLE_LIMITS.dashboardDays) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `at most ${CONSOLE_LIMITS.dashboardDays} days` });
    }
  });

/** Seconds between two events over the day's notifications: how many, the median and the 95th percentile. */
export const dashboardDuration = z
  .object({
    count: z.int().min(0),
    /** Null when count is 0. */
    p50Seconds: z.number().min(0).nullable(),
    p95Seconds: z.number().min(0).nullable(),
  })
  .strict();

const count = z.int().min(0);

/** One day of the dashboard. Counts are of audit events in the caller's scope. */
export const dashboardDay = z
  .object({
    day: isoDate,
    /** Domestic-abuse incident versions received (first versions and amendments; identical resends are not). */
    incidents: z.int().min(0),
    /** Child protection plan versions recorded (started, changed, ended). */
    plans: z.int().min(0),
    /** Notifications stored in inboxes, by recipient kind. */
    notifications: z
      .object({ gp: count, marac: count, exceptions: count, la: count } satisfies Record<RecipientKind, typeof count>)
      .strict(),
    /** Decisions by rule: how many shared, withheld, and sent to the exceptions inbox. */
    decisions: z
      .array(
        z
          .object({
            rule: z.string().min(1).max(40),
            ...({ share: count, withhold: count, exception: count } satisfies Record<DecisionOutcome, typeof count>),
          })
          .strict(),
      )
      .max(CONSOLE_LIMITS.dashboardRules),
    /** Exceptions-inbox notifications stored by the end of the day and not acknowledged by then. */
    exceptionsOpen: z.int().min(0),
    /** Notifications stored by the end of the day and not fetched by then. */
    unread: z.int().min(0),
    /** From issue (stored in the inbox) to first fetch, over the notifications first fetched that day. */
    issueToFetch: dashboardDuration,
    /** From issue to acknowledgement, over the notifications acknowledged that day. */
    issueToAcknowledgement: dashboardDuration,
  })
  .strict();

export const safeguardingDashboard = z
  .object({
    from: isoDate,
    to: isoDate,
    /** The day boundaries' zone. */
    timeZone: z.literal('Europe/London'),
    /** One entry per day from `from` to `to`, in order (days with nothing are zeros). */
    days: z.array(dashboardDay).max(CONSOLE_LIMITS.dashboardDays),
    generatedAt: isoDateTime,
  })
  .strict();
export type SafeguardingDashboard = z.infer<typeof safeguardingDashboard>;

/** Every console schema, for the OpenAPI document's named components (`HTTP_SCHEMAS`). */
export const CONSOLE_SCHEMAS = {
  ConsoleSignIn: consoleSignIn,
  ConsoleSignInOptions: consoleSignInOptions,
  ConsoleSession: consoleSession,
  ConsoleUser: consoleUser,
  ConsoleSignedOut: consoleSignedOut,
  ConsoleTimeline: consoleTimeline,
  ConsoleTimelineEntry: consoleTimelineEntry,
  ContentViewRequest: contentViewRequest,
  NotificationContentView: notificationContentView,
  SafeguardingDashboard: safeguardingDashboard,
  DashboardDay: dashboardDay,
  DashboardDuration: dashboardDuration,
} as const satisfies Record<string, z.ZodType>;
