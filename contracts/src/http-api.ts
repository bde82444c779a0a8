import { z } from 'zod';
import { auditLogVerification, auditLogVerificationStarted } from './audit-verification.ts';
import { AUDIT_ACTIONS, auditSearchPage, storedAuditEvent } from './audit.ts';
import type { ClientRole } from './callers.ts';
import {
  FGM_REFUSAL_REASONS,
  cpFlags,
  cpFlagsQuery,
  cpPlanParams,
  cpPlanStatus,
  cpPlanSubmission,
  fgmIndicatorParams,
  fgmIndicatorStatus,
  fgmIndicatorSubmission,
} from './child-protection.ts';
import {
  CONSOLE_CONTENT_SECURITY_POLICY,
  CONSOLE_ROLES,
  CONSOLE_SCHEMAS,
  consoleAssetParams,
  consoleOidcCallbackQuery,
  consoleSession,
  consoleSignedOut,
  consoleSignIn,
  consoleSignInOptions,
  consoleTimeline,
  consoleTimelineQuery,
  contentViewParams,
  contentViewRequest,
  dashboardQuery,
  notificationContentView,
  safeguardingDashboard,
} from './console.ts';
import { DECISION_LIMITS, DECISION_OUTCOMES } from './decisions.ts';
import {
  DELIVERY_STATUSES,
  cpPlanDeliveryStatus,
  deliveryTimes,
  openDeadline,
  planNotificationStatus,
} from './deadlines.ts';
import { daIncidentSubmission } from './domestic-abuse.ts';
import { isoDateTime, nhsNumber, recipient } from './identifiers.ts';
import { INBOX_LIMITS, inboxAcknowledgement, inboxItem, inboxPage, notificationId } from './inbox.ts';
import {
  AUDIT_LOG_ENTRY_ROLES,
  AUDIT_LOG_PROOF_ROLES,
  AUDIT_LOG_READER_ROLES,
  auditConsistencyProof,
  auditConsistencyQuery,
  auditInclusionProof,
  auditInclusionQuery,
  auditLogBundleParams,
  auditLogBytes,
  auditLogNote,
  auditLogTileParams,
} from './audit-log.ts';
import type { HubViewName } from './state.ts';

/**
 * The hub's public HTTP API as data, in one place: every route with its method, path (OpenAPI form,
 * `/v1/x/{id}`), the roles allowed, its zod schemas and the problems it can answer. `generate.ts` turns this into
 * `contracts/generated/openapi.json`; services import the schemas below for their routes, so the document and the
 * code cannot disagree about a shape.
 */

export const HTTP_API_INFO = {
  title: 'Safeguarding information-sharing hub API',
  /** The document's version: bump the minor for additions, the major with a new `/v<n>`. */
  version: '1.0.0',
} as const;

// ---------------------------------------------------------------------------------------------------------------
// Problems (RFC 9457)
// ---------------------------------------------------------------------------------------------------------------

/**
 * The HTTP codes of the `@hub/errors` catalogue, with their status and title (the catalogue is the source;
 * `generate.test.ts` fails if these differ from it). Clients branch on `code`, never on `title` or `detail`.
 */
export const HTTP_PROBLEMS = {
  'validation-failed': { status: 400, title: 'Validation failed' },
  'malformed-json': { status: 400, title: 'Malformed JSON' },
  'bad-request': { status: 400, title: 'Bad request' },
  unauthenticated: { status: 401, title: 'Unauthenticated' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  conflict: { status: 409, title: 'Conflict' },
  unprocessable: { status: 422, title: 'Unprocessable' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'uri-too-long': { status: 414, title: 'URI too long' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'too-many-requests': { status: 429, title: 'Too many requests' },
  'headers-too-large': { status: 431, title: 'Request headers too large' },
  internal: { status: 500, title: 'Internal error' },
  'not-ready': { status: 503, title: 'Not ready' },
  'processing-timeout': { status: 503, title: 'Processing timeout' },
} as const satisfies Record<string, { readonly status: number; readonly title: string }>;
export type HttpProblemCode = keyof typeof HTTP_PROBLEMS;
export const HTTP_PROBLEM_CODES = Object.keys(HTTP_PROBLEMS) as [HttpProblemCode, ...HttpProblemCode[]];

/** Base of every problem `type` URI (`.invalid`, RFC 2606: it identifies a problem type, it is not fetched). */
export const PROBLEM_TYPE_BASE = 'https://safeguarding-hub.invalid/problems/';

export const PROBLEM_LIMITS = {
  /** `@hub/http` lists at most this many field errors; `detail` gives the full count. */
  fieldErrors: 20,
  pointerChars: 2_000,
  detailChars: 2_000,
} as const;

/** One failing field: an RFC 6901 pointer into `/body`, `/query`, `/params` or `/headers`, and the rule it broke. */
export const fieldError = z
  .object({
    pointer: z.string().min(1).max(PROBLEM_LIMITS.pointerChars),
    detail: z.string().min(1).max(PROBLEM_LIMITS.detailChars),
  })
  .strict();

/**
 * An RFC 9457 problem, as every hub error response (`application/problem+json`). Open to extension members
 * (RFC 9457 §3.2), e.g. `failedChecks` on a readiness 503 or the OAuth `error` on the token endpoint; `detail`
 * states the rule that failed and never echoes a request value.
 */
export const problemDetails = z
  .object({
    type: z.url().describe(`${PROBLEM_TYPE_BASE}<code>`),
    title: z.string().min(1).max(100),
    status: z.int().min(400).max(599),
    detail: z.string().max(PROBLEM_LIMITS.detailChars),
    /**
     * The template of the route that answered (`/v1/inboxes/{recipient}/notifications`), never the request path,
     * which can hold NHS numbers. Absent when no route matched (404, 405) and for connection-level errors.
     */
    instance: z.string().max(200).optional(),
    code: z.enum(HTTP_PROBLEM_CODES),
    /** The `x-request-id` of the request: quote it when reporting a problem. */
    requestId: z.string().min(1).max(64),
    /** On `validation-failed` and `unprocessable`: one entry per failing field, at most 20. */
    errors: z.array(fieldError).max(PROBLEM_LIMITS.fieldErrors).optional(),
  })
  .loose()
  .describe(
    'RFC 9457 problem details. Clients branch on `code` (or `type`), never on `title` or `detail`. Other members ' +
      'are extensions.',
  );
export type ProblemDetails = z.infer<typeof problemDetails>;

/** The RFC 6749 §5.2 error codes the token endpoint uses. */
export const OAUTH_ERROR_CODES = ['invalid_request', 'invalid_client', 'unsupported_grant_type'] as const;
export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/** A token endpoint problem: the RFC 6749 §5.2 members ride along as extensions on its 400 and 401 answers. */
export const oauthProblem = problemDetails
  .extend({
    error: z.enum(OAUTH_ERROR_CODES).optional(),
    error_description: z.string().max(200).optional(),
  })
  .describe(
    'RFC 9457 problem details carrying the RFC 6749 §5.2 `error` and `error_description` members on 400 and ' +
      '401 (OAuth clients read those; everything else reads `code`).',
  );

/**
 * A refused child-protection plan or FGM indicator: the 422 says why as a stable `reason` code (for a plan, the
 * LA's inbox is told as well).
 */
export const cpRefusalProblem = problemDetails
  .extend({ reason: z.enum(FGM_REFUSAL_REASONS).optional() })
  .describe('RFC 9457 problem details; a 422 carries the refusal reason code in `reason`.');

/** A readiness problem: the 503 names the failing checks (names only, never their errors). */
export const readinessProblem = problemDetails
  .extend({ failedChecks: z.array(z.string().min(1).max(64)).max(20).optional() })
  .describe('RFC 9457 problem details; a failed readiness check names the failing checks in `failedChecks`.');

// ---------------------------------------------------------------------------------------------------------------
// Token endpoint (OAuth 2.0 client credentials with a private-key JWT client assertion; see packages/auth)
// ---------------------------------------------------------------------------------------------------------------

export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** The form parameters of `POST /oauth2/token` (`application/x-www-form-urlencoded`, each at most once). */
export const tokenRequest = z
  .object({
    grant_type: z.literal('client_credentials'),
    client_assertion_type: z.literal(CLIENT_ASSERTION_TYPE),
    client_assertion: z
      .string()
      .min(1)
      .max(8 * 1024)
      .describe(
        'A compact JWS (RS512 or ES256, header kid naming a key the client registered) with iss = sub = the ' +
          'client id, aud = the token URL exactly, a jti used once, exp at most 5 minutes ahead.',
      ),
    client_id: z.string().min(1).max(100).optional().describe("If sent, must equal the assertion's iss."),
  })
  .describe('Other parameters are ignored; at most 20 parameters in all, none repeated, body at most 16 KiB.');
export type TokenRequest = z.infer<typeof tokenRequest>;

/** The token endpoint's answer (`Cache-Control: no-store`). */
export const tokenResponse = z
  .object({
    access_token: z
      .string()
      .min(1)
      .max(4 * 1024)
      .describe('A JWS (typ at+jwt) signed with the hub key: send as `Authorization: Bearer <token>`.'),
    token_type: z.literal('Bearer'),
    expires_in: z.int().min(60).max(3_600).describe('Seconds the access token is valid (300 by default).'),
  })
  .strict();
export type TokenResponse = z.infer<typeof tokenResponse>;

// ---------------------------------------------------------------------------------------------------------------
// Police: domestic-abuse incidents
// ---------------------------------------------------------------------------------------------------------------

const receiptId = z.string().regex(/^rcpt_[a-f0-9]{32}$/, 'must be a receipt id');

/** 202 of `POST /v1/domestic-abuse-incidents`. */
export const daSubmissionAccepted = z
  .object({
    receiptId,
    /** `accepted`: recorded (first version or amendment); `unchanged`: identical to the latest version. */
    status: z.enum(['accepted', 'unchanged']),
    /** The receipt this submission amends (an earlier version of the same incident), or null. */
    amendsReceiptId: receiptId.nullable(),
  })
  .strict();
export type DaSubmissionAccepted = z.infer<typeof daSubmissionAccepted>;

/** Where a receipt's notification to one recipient has got to (`DELIVERY_STATUSES`, deadlines.ts). */
export const RECIPIENT_STATUSES = DELIVERY_STATUSES;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

export const receiptRecipientStatus = z
  .object({
    recipient,
    /** The force's own reference for the subject; null for the incident-level MARAC referral. */
    subjectRef: z.string().min(1).max(32).nullable(),
    status: z.enum(RECIPIENT_STATUSES),
    /** For `exception`: the identity reason code (e.g. `no-match`); otherwise null. */
    reason: z.string().max(80).nullable(),
    updatedAt: isoDateTime,
    /** The latest delivery deadline that passed unmet and is still unmet, or null. */
    deadline: openDeadline,
    /** When each state was first reached. */
    times: deliveryTimes,
  })
  .strict();
export type ReceiptRecipientStatus = z.infer<typeof receiptRecipientStatus>;

/** 200 of `GET /v1/domestic-abuse-incidents/{receiptId}`: ids, times and statuses only, no personal data. */
export const daReceiptStatus = z
  .object({
    receiptId,
    incidentId: z.string().min(1).max(64),
    receivedAt: isoDateTime,
    amendsReceiptId: receiptId.nullable(),
    /** One entry per recipient and subject, sorted by recipient then subject ref. */
    recipients: z.array(receiptRecipientStatus).max(DECISION_LIMITS.decisionsPerSet),
  })
  .strict();
export type DaReceiptStatus = z.infer<typeof daReceiptStatus>;

export const receiptParams = z.object({ receiptId }).strict();

// ---------------------------------------------------------------------------------------------------------------
// Paging
// ---------------------------------------------------------------------------------------------------------------

/** An opaque page cursor: pass back a previous page's `nextCursor` unchanged. */
export const pageCursor = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,128}$/, 'must be the nextCursor of a previous page')
  .describe("Opaque: a previous page's nextCursor, passed back unchanged.");

/** A page size query parameter: digits only, 1 to `max`; the default applies when it is absent. */
export function pageLimit(max: number, fallback: number) {
  return z
    .string()
    .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${max}`)
    .transform(Number)
    .pipe(z.int().min(1).max(max))
    .default(fallback)
    .describe(`Page size: a whole number from 1 to ${max}; ${fallback} when absent.`);
}

// ---------------------------------------------------------------------------------------------------------------
// Inboxes
// ---------------------------------------------------------------------------------------------------------------

export const inboxParams = z.object({ recipient }).strict();

/** An acknowledgement carries nothing: no body, or an empty JSON object; anything else is refused. */
export const emptyBody = z.object({}).strict().nullish().describe('No body, or an empty JSON object.');
export const inboxNotificationParams = z.object({ recipient, id: notificationId }).strict();
export const inboxQuery = z
  .object({
    cursor: pageCursor.optional(),
    limit: pageLimit(INBOX_LIMITS.pageSize, INBOX_LIMITS.defaultPageSize),
  })
  .strict();

// ---------------------------------------------------------------------------------------------------------------
// JWKS
// ---------------------------------------------------------------------------------------------------------------

const base64url = z
  .string()
  .min(1)
  .max(2_048)
  .regex(/^[A-Za-z0-9_-]+$/);
const kid = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/);

/** One of the hub's public signing keys: EC P-256 (ES256) or RSA (RS512). Public members only. */
export const jwk = z.discriminatedUnion('kty', [
  z
    .object({
      kty: z.literal('EC'),
      crv: z.literal('P-256'),
      x: base64url,
      y: base64url,
      kid,
      alg: z.literal('ES256'),
      use: z.literal('sig'),
    })
    .strict(),
  z
    .object({ kty: z.literal('RSA'), n: base64url, e: base64url, kid, alg: z.literal('RS512'), use: z.literal('sig') })
    .strict(),
]);

/** `GET /.well-known/jwks.json`: verifies notification JWSs (and access tokens). */
export const jwks = z.object({ keys: z.array(jwk).min(1).max(20) }).strict();
export type Jwks = z.infer<typeof jwks>;

// ---------------------------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------------------------

export const AUDIT_SEARCH_LIMITS = { pageSize: 200, defaultPageSize: 50 } as const;

/** Any record id an audit event can concern: DA receipt, plan version, plan refusal, flag look-up, FGM version. */
const auditRecordId = z
  .string()
  .regex(/^(rcpt|cpv|cpr|lkp|fgv)_[a-f0-9]{32}$/, 'must be a receipt, plan version, refusal, look-up or FGM id');

/** The orders of a search: by the time of the event, then where it was recorded (partition, offset). */
export const AUDIT_SEARCH_ORDERS = ['oldest', 'newest'] as const;

/** Filters of `GET /v1/audit/events`; every filter given must match (AND). Times are inclusive. */
export const auditSearchQuery = z
  .object({
    receiptId: auditRecordId.optional(),
    /** The submitter's reference: `<force>:<incidentId>`, `<ONS code>:<planId>` or `<ODS code>:<indicatorId>`. */
    incidentRef: z
      .string()
      .regex(/^[A-Z0-9]{1,12}:[A-Za-z0-9/._-]{1,64}$/, 'must be an organisation code, a colon and a reference')
      .optional(),
    nhsNumber: nhsNumber.optional(),
    recipient: recipient.optional(),
    actorClientId: z
      .string()
      .max(100)
      .regex(
        /^(?:[A-Za-z0-9._-]{1,100}|(?:local|oidc):[A-Za-z0-9._@-]{1,90})$/,
        'must be a client id (letters, digits, . _ -) or a console person id (local:<id>, oidc:<id>)',
      )
      .optional(),
    actorOrganisation: z
      .string()
      .regex(/^[A-Z0-9]{1,12}$/, 'must be an organisation code')
      .optional(),
    action: z.enum(AUDIT_ACTIONS).optional(),
    /** A decision's rule (e.g. `DA-GP-VICTIM`). */
    rule: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,40}$/, 'must be a rule id')
      .optional(),
    /** A decision's outcome. */
    outcome: z.enum(DECISION_OUTCOMES).optional(),
    from: isoDateTime.optional(),
    to: isoDateTime.optional(),
    order: z.enum(AUDIT_SEARCH_ORDERS).default('oldest'),
    cursor: pageCursor.optional(),
    limit: pageLimit(AUDIT_SEARCH_LIMITS.pageSize, AUDIT_SEARCH_LIMITS.defaultPageSize),
  })
  .strict()
  .superRefine((query, ctx) => {
    if (query.from !== undefined && query.to !== undefined && Date.parse(query.from) > Date.parse(query.to)) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must not be before from' });
    }
  });

// ---------------------------------------------------------------------------------------------------------------
// Health
// ---------------------------------------------------------------------------------------------------------------

export const healthLive = z.object({ status: z.literal('ok'), service: z.string().min(1).max(64) }).strict();
export const healthReady = z.object({ status: z.literal('ready'), service: z.string().min(1).max(64) }).strict();

// ---------------------------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------------------------

/** The OpenAPI tags, in document order. */
export const HTTP_TAGS = {
  auth: 'Client authentication: OAuth 2.0 client credentials with a private-key JWT client assertion.',
  police: 'Police forces submit domestic-abuse incidents and follow their receipts.',
  inbox: 'GP practices, MARACs and local authorities pull and acknowledge signed notifications.',
  keys: "The hub's public signing keys, to verify notifications.",
  'child-protection':
    'Local authorities record child protection plans; GP practices and unscheduled-care settings look children ' +
    'up (CP-IS style) and record FGM indicators (FGM-IS style).',
  audit: 'IG officers search the audit trail; anyone may check the verifiable log it is a part of.',
  console:
    "The IG console: people sign in (local accounts or OpenID Connect) for a session cookie; the console's " +
    'timeline, content views and dashboard, and its static files at /console/.',
  health: 'Liveness and readiness probes (no token).',
} as const;
export type HttpTag = keyof typeof HTTP_TAGS;

/** Who can be a route's caller: a registered client (bearer token) or a person signed in to the console. */
export const PRINCIPALS = ['client', 'person'] as const;
export type Principal = (typeof PRINCIPALS)[number];

/** The principals of a route: its `principals`, or a bearer client only. */
export function principalsOf(route: HttpRoute): readonly Principal[] {
  return route.principals ?? ['client'];
}

export const HTTP_METHODS = ['get', 'post', 'put'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const BODY_CONTENT_TYPES = ['application/json', 'application/x-www-form-urlencoded'] as const;
export type BodyContentType = (typeof BODY_CONTENT_TYPES)[number];

/** A problem a route can answer with, and when. */
export interface ProblemResponse {
  readonly status: number;
  readonly code: HttpProblemCode;
  readonly when: string;
}

export interface RouteResponse {
  readonly description: string;
  readonly schema: z.ZodType;
  /**
   * What the body is: `json` (default; `schema` describes it), `none` (a redirect: no body, `schema` is
   * `z.undefined()`) or `file` (a static file served as its bytes with its own content type).
   */
  readonly body?: 'json' | 'none' | 'file';
  /**
   * Response headers worth documenting (name -> meaning). For `cache-control` and `pragma` the meaning is the exact
   * value: `@hub/http` `serveRoutes` sends it.
   */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface HttpRoute {
  readonly operationId: string;
  readonly method: HttpMethod;
  /** OpenAPI form: `/v1/domestic-abuse-incidents/{receiptId}`. `routePattern()` gives fastify's form. */
  readonly path: `/${string}`;
  readonly tag: HttpTag;
  readonly summary: string;
  readonly description: string;
  /** The client roles allowed (`x-roles`); empty for a public route (no token). */
  readonly roles: readonly ClientRole[];
  /**
   * Who may present themselves, for a route with roles: `client` (a bearer access token, the default) and/or
   * `person` (a console session cookie of a person holding one of the roles; unsafe methods also need its CSRF
   * token). Deny by default: a route admits a session only when its entry says so.
   */
  readonly principals?: readonly Principal[];
  /**
   * The path's last parameter takes the rest of the path, slashes included (fastify's wildcard): C2SP tlog-tiles
   * paths such as `tile/0/x001/234.p/7`. OpenAPI cannot say so; the parameter's description does.
   */
  readonly pathRest?: true;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: { readonly contentType: BodyContentType; readonly schema: z.ZodType; readonly required: boolean };
  /** Success responses by status. */
  readonly responses: Readonly<Record<number, RouteResponse>>;
  /** The problem body's schema; `problemDetails` unless the route adds extension members. */
  readonly problemSchema: z.ZodType;
  readonly problems: readonly ProblemResponse[];
  /**
   * The Redis views (`HUB_VIEWS`) the route reads. While any of them is not built, or was lost, `@hub/http`
   * `serveRoutes` answers 503 `not-ready` before the route runs: never an empty answer presented as complete.
   */
  readonly reads?: readonly HubViewName[];
}

function problem(code: HttpProblemCode, when: string): ProblemResponse {
  return { status: HTTP_PROBLEMS[code].status, code, when };
}

function defineRoute<const R extends HttpRoute>(route: R): R {
  return Object.freeze(route);
}

/** Every route may answer these: server faults and shutdown. */
const SERVER_PROBLEMS = [
  problem('internal', 'Anything unexpected; nothing is revealed (quote requestId).'),
  problem(
    'not-ready',
    'A dependency (Kafka, Redis) is unavailable, a view the route reads is being built or was lost, or the ' +
      'service is shutting down; retry later (Retry-After).',
  ),
  problem('processing-timeout', 'The handler did not finish in time; the outcome is unknown, retry is safe.'),
] as const;

/** Every protected route may answer these (`@hub/auth`'s `auth.guard`, run by `@hub/http` `serveRoutes`). */
const BEARER_PROBLEMS = [
  problem(
    'unauthenticated',
    'No bearer token, a malformed one, or an invalid or expired one; WWW-Authenticate says which (RFC 6750).',
  ),
  problem('forbidden', 'The token\'s role may not call this route (error="insufficient_scope").'),
] as const;

const JSON_BODY_PROBLEMS = [
  problem('malformed-json', 'The body is not JSON, is empty, or tries prototype poisoning.'),
  problem('payload-too-large', 'The body is over the body limit (64 KiB unless configured).'),
  problem('unsupported-media-type', 'The body is not application/json.'),
] as const;

const INBOX_ROLES = ['gp', 'marac', 'local-authority', 'police'] as const satisfies readonly ClientRole[];

const INBOX_SCOPE =
  'A GP practice reads gp:<its ODS code>; a MARAC marac:<its ONS code>; a local authority exceptions:<its ONS ' +
  'code> and la:<its ONS code>; a police force force:<its code> (its non-delivery reports). Any other inbox is ' +
  'answered 404, as if it did not exist, and the attempt is audited.';

const CACHE_NO_STORE = { 'cache-control': 'no-store' } as const;

const CONSOLE_ROLE_LIST: readonly ClientRole[] = CONSOLE_ROLES;

/** The audit search and the log's verification: the IG officers, area and national, whose trail it is. */
const IG_OFFICER_ROLES = ['ig-officer', 'ig-officer-national'] as const satisfies readonly ClientRole[];

/**
 * A static file's bytes, for a response whose `body` is `file`: sent as they are with their own content type
 * (fastify sends a Buffer unserialized).
 */
export const fileBody = z.custom<Uint8Array>((value) => value instanceof Uint8Array, 'must be the bytes of a file');

/** What a console session route may answer besides its own problems (`@hub/auth`'s session guard). */
const SESSION_PROBLEMS = [
  problem('unauthenticated', 'No console session, or it has ended (idle timeout, lifetime, signed out).'),
  problem('forbidden', "An unsafe request without the session's CSRF token in x-csrf-token."),
] as const;

/** The console's files carry these (services/console serves them); the page also `cache-control: no-cache`. */
const CONSOLE_ASSET_HEADERS = {
  'content-security-policy': CONSOLE_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
} as const;
const CONSOLE_PAGE_HEADERS = { ...CONSOLE_ASSET_HEADERS, 'cache-control': 'no-cache' } as const;

/** The OpenID Connect routes' problems: they answer 404 where no provider is configured. */
const OIDC_PROBLEMS = [problem('not-found', 'OpenID Connect is not configured.'), ...SERVER_PROBLEMS] as const;

/** A 303 See Other to `location` (what it holds, in words), with no body and never cached. */
function seeOther<const D extends string, const L extends string>(description: D, location: L) {
  return {
    303: { description, schema: z.undefined(), body: 'none', headers: { ...CACHE_NO_STORE, location } },
  } as const;
}

/** A signed note of the audit log (a checkpoint), served as its text. */
function auditLogNoteResponse<const D extends string>(description: D) {
  return {
    200: {
      description,
      schema: auditLogNote,
      body: 'file',
      headers: { ...CACHE_NO_STORE, 'content-type': 'text/plain; charset=utf-8' },
    },
  } as const;
}

export const HTTP_ROUTES = {
  requestAccessToken: defineRoute({
    operationId: 'requestAccessToken',
    method: 'post',
    path: '/oauth2/token',
    tag: 'auth',
    summary: 'Exchange a signed client assertion for an access token',
    description:
      'OAuth 2.0 client credentials (RFC 6749 §4.4) with a private-key JWT client assertion (RFC 7523), as in ' +
      "the NHS API platform's signed-JWT authentication: sign a short-lived JWT with the client's registered " +
      'private key and post it here; the answer is a 5-minute bearer token for the routes your role allows. ' +
      'Errors carry the OAuth error and error_description members as well as code.',
    roles: [],
    body: { contentType: 'application/x-www-form-urlencoded', schema: tokenRequest, required: true },
    responses: {
      200: {
        description: 'An access token.',
        schema: tokenResponse,
        headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
      },
    },
    problemSchema: oauthProblem,
    problems: [
      problem(
        'validation-failed',
        'Not form-encoded, a parameter missing or repeated, or the wrong client_assertion_type ' +
          '(error=invalid_request); grant_type other than client_credentials (error=unsupported_grant_type).',
      ),
      problem(
        'unauthenticated',
        'Anything wrong with the client assertion: format, algorithm, unknown client or key, signature, claims, ' +
          'replayed jti (error=invalid_client).',
      ),
      problem('payload-too-large', 'The body is over 16 KiB.'),
      problem('internal', 'Anything unexpected, including a failure to audit the issued token (no token is given).'),
      problem('not-ready', 'Redis (the replay check) is unavailable, or the service is shutting down.'),
      problem('processing-timeout', 'The handler did not finish in time.'),
    ],
  }),

  submitDomesticAbuseIncident: defineRoute({
    operationId: 'submitDomesticAbuseIncident',
    method: 'post',
    path: '/v1/domestic-abuse-incidents',
    tag: 'police',
    summary: 'Submit (or amend) a domestic-abuse incident',
    description:
      "The force is the caller's organisation, never a field of the body. The same submission always gets the " +
      'same receipt: an identical resend answers `unchanged`; a changed one for the same incidentId is an ' +
      'amendment of the latest version (`amendsReceiptId`). Unknown fields are refused.',
    // Its incident versions tell `unchanged` and amendments from new incidents: not taken while they are rebuilt.
    reads: ['incident-versions'],
    roles: ['police'],
    body: { contentType: 'application/json', schema: daIncidentSubmission, required: true },
    responses: {
      202: {
        description: 'Accepted: recorded on the hub (or unchanged). Follow it with the receipt status route.',
        schema: daSubmissionAccepted,
        headers: { location: 'The receipt status URL, /v1/domestic-abuse-incidents/{receiptId}.' },
      },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A field failed its contract; `errors` names each by JSON pointer.'),
      ...JSON_BODY_PROBLEMS,
      ...BEARER_PROBLEMS,
      problem('conflict', 'Another submission of the same incident is being recorded; retry shortly.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getReceiptStatus: defineRoute({
    operationId: 'getReceiptStatus',
    method: 'get',
    path: '/v1/domestic-abuse-incidents/{receiptId}',
    tag: 'police',
    summary: 'Where the notifications of a receipt have got to',
    description:
      'Per recipient and subject: decided, exception (with the identity reason), delivered, fetched, ' +
      "acknowledged; overdue (a fetch or acknowledgement deadline passed unmet), escalated (and the area's " +
      'safeguarding team was sent an escalation notice), not-delivered (the final deadline passed unacknowledged: ' +
      "a non-delivery report is in the force's inbox, force:<code>), each with the time it was first reached. " +
      'Only the submitting force sees a receipt.',
    reads: ['incident-versions', 'receipt-status'],
    roles: ['police'],
    params: receiptParams,
    responses: { 200: { description: 'The receipt and its recipients.', schema: daReceiptStatus } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'The receipt id is not rcpt_ and 32 hex digits.'),
      ...BEARER_PROBLEMS,
      problem('not-found', "No such receipt for the caller's force (another force's receipt answers the same)."),
      ...SERVER_PROBLEMS,
    ],
  }),

  putChildProtectionPlan: defineRoute({
    operationId: 'putChildProtectionPlan',
    method: 'put',
    path: '/v1/child-protection-plans/{planId}',
    tag: 'child-protection',
    summary: 'Start, change or end a child protection plan (upsert)',
    description:
      "The local authority is the caller's organisation; plan ids are the authority's own, so an authority " +
      'only ever addresses its own plans. An identical resend answers `unchanged` and changes nothing; setting ' +
      "endDate ends the plan. Each recorded version notifies the child's registered practice (the mother's, for " +
      "an unborn child protection plan), or the authority's exceptions inbox when the hub has no practice to " +
      'route to. An NHS number the directory does not know, knows as inactive, or that is 18 or over on the start ' +
      "date is refused with 422 and a notice to the authority's inbox (la:<ONS code>). Later versions of a plan are " +
      'checked against the directory only when their startDate changes, so a plan can always be ended, even after ' +
      "the child's record became inactive.",
    reads: ['cp-flags'],
    roles: ['local-authority'],
    params: cpPlanParams,
    body: { contentType: 'application/json', schema: cpPlanSubmission, required: true },
    responses: {
      200: { description: 'Recorded (started, changed, ended) or unchanged.', schema: cpPlanStatus },
    },
    problemSchema: cpRefusalProblem,
    problems: [
      problem('validation-failed', 'A field failed its contract, or a date is in the future.'),
      ...JSON_BODY_PROBLEMS,
      ...BEARER_PROBLEMS,
      problem('conflict', 'The NHS number or type of an existing plan would change, or a concurrent update.'),
      problem('unprocessable', 'NHS number unknown, inactive, or not a child; `reason` says which.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getChildProtectionPlan: defineRoute({
    operationId: 'getChildProtectionPlan',
    method: 'get',
    path: '/v1/child-protection-plans/{planId}',
    tag: 'child-protection',
    summary: "A plan's latest recorded version",
    description: "Only the authority that owns the plan sees it; another authority's plan id answers 404.",
    reads: ['cp-flags'],
    roles: ['local-authority'],
    params: cpPlanParams,
    responses: { 200: { description: 'The latest version.', schema: cpPlanStatus, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'The plan id is malformed.'),
      ...BEARER_PROBLEMS,
      problem('not-found', "No such plan for the caller's authority."),
      ...SERVER_PROBLEMS,
    ],
  }),

  getChildProtectionPlanStatus: defineRoute({
    operationId: 'getChildProtectionPlanStatus',
    method: 'get',
    path: '/v1/child-protection-plans/{planId}/status',
    tag: 'child-protection',
    summary: "Where a plan's notifications have got to",
    description:
      "Each version of the plan (newest first, at most 50) with its notification to the child's practice (or the " +
      'exceptions inbox), and each unscheduled-care look-up that found the plan (newest first, at most 50) with ' +
      'its access notification to the authority: delivered, fetched, acknowledged, overdue, escalated, ' +
      'not-delivered, each with the time it was first reached. Ids, inboxes, states and times only. Only the ' +
      "authority that owns the plan sees it; another authority's plan id answers 404.",
    reads: ['plan-status'],
    roles: ['local-authority'],
    params: cpPlanParams,
    responses: {
      200: { description: 'The plan and its notifications.', schema: cpPlanDeliveryStatus, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'The plan id is malformed.'),
      ...BEARER_PROBLEMS,
      problem('not-found', "No such plan for the caller's authority."),
      ...SERVER_PROBLEMS,
    ],
  }),

  putFgmIndicator: defineRoute({
    operationId: 'putFgmIndicator',
    method: 'put',
    path: '/v1/fgm-indicators/{indicatorId}',
    tag: 'child-protection',
    summary: 'Add or remove an FGM indicator (family history of FGM, girl under 18)',
    description:
      'status active adds, removed removes; both are audited and an identical resend is unchanged. The ' +
      'indicator belongs to the recording organisation: only it may change it. When adding, the NHS number must ' +
      'be known, active and under 18 today; removing is always possible.',
    reads: ['cp-flags'],
    roles: ['gp', 'unscheduled-care'],
    params: fgmIndicatorParams,
    body: { contentType: 'application/json', schema: fgmIndicatorSubmission, required: true },
    responses: { 200: { description: 'Recorded or unchanged.', schema: fgmIndicatorStatus } },
    problemSchema: cpRefusalProblem,
    problems: [
      problem('validation-failed', 'A field failed its contract.'),
      ...JSON_BODY_PROBLEMS,
      ...BEARER_PROBLEMS,
      problem('not-found', "Removing an indicator the caller's organisation never added."),
      problem('conflict', 'The NHS number of an existing indicator would change, or a concurrent update.'),
      problem('unprocessable', 'NHS number unknown, inactive, or 18 or over; `reason` says which.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getChildProtectionFlags: defineRoute({
    operationId: 'getChildProtectionFlags',
    method: 'get',
    path: '/v1/child-protection-flags',
    tag: 'child-protection',
    summary: "Look a child up: plans, the authority's contacts, FGM indicators, recent unscheduled accesses",
    description:
      'Active plans and plans ended in the last 12 months, with the responsible authority and its office-hours ' +
      'and out-of-hours numbers; FGM indicators; the last 25 unscheduled accesses. An unscheduled-care caller ' +
      'must give settingOds and settingType; when a plan is found, each owning authority is sent an access ' +
      'notification. A GP practice may look up only its own registered patients and triggers no notification. ' +
      'Every look-up is audited, including those that find nothing.',
    reads: ['cp-flags'],
    roles: ['unscheduled-care', 'gp'],
    query: cpFlagsQuery,
    responses: { 200: { description: 'The flags (possibly none).', schema: cpFlags, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A bad NHS number or setting, or the setting missing for unscheduled care.'),
      BEARER_PROBLEMS[0],
      problem(
        'forbidden',
        "The token's role may not call this route; or a GP look-up of a child not registered at the caller's " +
          'practice today (audited).',
      ),
      ...SERVER_PROBLEMS,
    ],
  }),

  listInboxNotifications: defineRoute({
    operationId: 'listInboxNotifications',
    method: 'get',
    path: '/v1/inboxes/{recipient}/notifications',
    tag: 'inbox',
    summary: 'Pull notifications from an inbox, oldest first',
    description:
      'Each item holds a compact JWS over the minimised payload, verifiable with /.well-known/jwks.json. Pass ' +
      'nextCursor back as cursor to get what came after; it is unchanged when there was nothing new. Items are ' +
      `marked fetched (audited). ${INBOX_SCOPE}`,
    reads: ['inbox'],
    roles: INBOX_ROLES,
    params: inboxParams,
    query: inboxQuery,
    responses: { 200: { description: 'A page of notifications.', schema: inboxPage, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A bad recipient address, cursor or limit, or an unknown query parameter.'),
      ...BEARER_PROBLEMS,
      problem('not-found', "Not one of the caller's inboxes."),
      problem('conflict', 'Another request on this inbox is in progress; retry shortly.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  acknowledgeNotification: defineRoute({
    operationId: 'acknowledgeNotification',
    method: 'post',
    path: '/v1/inboxes/{recipient}/notifications/{id}/acknowledgement',
    tag: 'inbox',
    summary: 'Acknowledge a notification (it has been filed)',
    description:
      'Idempotent: a repeat answers the first acknowledgement again and adds nothing to the audit trail. No body ' +
      `(or an empty JSON object). ${INBOX_SCOPE}`,
    reads: ['inbox'],
    roles: INBOX_ROLES,
    params: inboxNotificationParams,
    body: { contentType: 'application/json', schema: emptyBody, required: false },
    responses: {
      200: { description: 'Acknowledged.', schema: inboxAcknowledgement, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A bad recipient address or notification id, or a non-empty body.'),
      ...JSON_BODY_PROBLEMS,
      ...BEARER_PROBLEMS,
      problem('not-found', "No such notification in this inbox, or not one of the caller's inboxes."),
      problem('conflict', 'Another request on this inbox is in progress; retry shortly.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getJwks: defineRoute({
    operationId: 'getJwks',
    method: 'get',
    path: '/.well-known/jwks.json',
    tag: 'keys',
    summary: "The hub's public signing keys (JWKS)",
    description:
      'Public, no token: clients need the keys to verify notifications before they hold any token. Keys are ' +
      'published well before they sign, and kept after rotation while anything they signed may be verified.',
    roles: [],
    responses: {
      200: {
        description: 'The JWKS.',
        schema: jwks,
        headers: { 'cache-control': 'public, max-age=300' },
      },
    },
    problemSchema: problemDetails,
    problems: [...SERVER_PROBLEMS],
  }),

  searchAuditEvents: defineRoute({
    operationId: 'searchAuditEvents',
    method: 'get',
    path: '/v1/audit/events',
    tag: 'audit',
    summary: 'Search the audit trail',
    description:
      'Events matching every filter given (AND), oldest or newest first, each with where it was recorded and its ' +
      "leaf index in the verifiable log. An area IG officer sees only what concerns their organisation's area. " +
      'The search itself is audited (audit-searched) before anything is read.',
    reads: ['audit'],
    roles: IG_OFFICER_ROLES,
    principals: ['client', 'person'],
    query: auditSearchQuery,
    responses: { 200: { description: 'A page of audit events.', schema: auditSearchPage, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A bad filter, cursor or limit, or an unknown query parameter.'),
      ...BEARER_PROBLEMS,
      ...SERVER_PROBLEMS,
    ],
  }),

  getAuditLogVerification: defineRoute({
    operationId: 'getAuditLogVerification',
    method: 'get',
    path: '/v1/audit/log/verification',
    tag: 'audit',
    summary: "The last full verification of the audit log (the console's integrity panel)",
    description:
      'Every few minutes (AUDIT_LOG_VERIFY_INTERVAL_SECONDS) and on demand the hub reads its whole log back from its ' +
      "store and verifies it with the log's and its witnesses' public keys, as ./hub audit verify --log does: every " +
      "event hashed against its tile, the tree rebuilt, every checkpoint's root and cosignature checked, the log held " +
      "to the last verified checkpoint and to each witness's. The last run, its failures (codes, leaf indexes, fixed " +
      'words: no content) and when one last passed.',
    reads: ['audit'],
    roles: IG_OFFICER_ROLES,
    principals: ['client', 'person'],
    responses: {
      200: { description: 'The last verification.', schema: auditLogVerification, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [...BEARER_PROBLEMS, ...SERVER_PROBLEMS],
  }),

  verifyAuditLog: defineRoute({
    operationId: 'verifyAuditLog',
    method: 'post',
    path: '/v1/audit/log/verification',
    tag: 'audit',
    summary: 'Verify the whole audit log now',
    description:
      'Starts a full verification now (answered at once; GET the same path for the result). When one is already ' +
      'under way on the instance that answers, nothing more is started. No body.',
    reads: ['audit'],
    roles: IG_OFFICER_ROLES,
    principals: ['client', 'person'],
    responses: {
      202: { description: 'A run is under way.', schema: auditLogVerificationStarted, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [...BEARER_PROBLEMS, ...SERVER_PROBLEMS],
  }),

  // -------------------------------------------------------------------------------------------------------------
  // The IG console (services/console; contracts/src/console.ts)
  // -------------------------------------------------------------------------------------------------------------

  getConsoleSignInOptions: defineRoute({
    operationId: 'getConsoleSignInOptions',
    method: 'get',
    path: '/v1/console/sign-in-options',
    tag: 'console',
    summary: 'What the console sign-in screen offers',
    description: 'Whether local accounts can sign in with a password, and the OpenID Connect provider if configured.',
    roles: [],
    responses: { 200: { description: 'The options.', schema: consoleSignInOptions, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [...SERVER_PROBLEMS],
  }),

  signInToConsole: defineRoute({
    operationId: 'signInToConsole',
    method: 'post',
    path: '/v1/console/session',
    tag: 'console',
    summary: 'Sign a person in with a local account',
    description:
      'Checks the username and password against the accounts file (scrypt hashes) and starts a session: an opaque ' +
      'HttpOnly, SameSite=Strict cookie (Secure when the console is served over TLS), and the CSRF token in the ' +
      'answer. An unknown username and a wrong password get the same 401. Failures are audited ' +
      '(console-sign-in-refused, never with what was typed) and limited per account and per network (429).',
    roles: [],
    body: { contentType: 'application/json', schema: consoleSignIn, required: true },
    responses: {
      200: {
        description: 'Signed in.',
        schema: consoleSession,
        headers: { ...CACHE_NO_STORE, 'set-cookie': 'The session cookie (HttpOnly, SameSite=Strict, Path=/).' },
      },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A field missing or over its length, or an unknown field.'),
      ...JSON_BODY_PROBLEMS,
      problem('unauthenticated', 'Unknown username or wrong password (the same answer for both).'),
      problem('too-many-requests', 'Too many failed sign-ins for this account or from this network; Retry-After.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getConsoleSession: defineRoute({
    operationId: 'getConsoleSession',
    method: 'get',
    path: '/v1/console/session',
    tag: 'console',
    summary: 'The signed-in person and their session',
    description: 'Answers the session of the cookie (and moves its idle timeout on), or 401 when there is none.',
    roles: CONSOLE_ROLE_LIST,
    principals: ['person'],
    responses: { 200: { description: 'The session.', schema: consoleSession, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [...SESSION_PROBLEMS, ...SERVER_PROBLEMS],
  }),

  signOutOfConsole: defineRoute({
    operationId: 'signOutOfConsole',
    method: 'post',
    path: '/v1/console/sign-out',
    tag: 'console',
    summary: 'Sign out: end the session',
    description: 'Deletes the session and clears the cookie; audited (console-signed-out).',
    roles: CONSOLE_ROLE_LIST,
    principals: ['person'],
    body: { contentType: 'application/json', schema: emptyBody, required: false },
    responses: {
      200: {
        description: 'Signed out.',
        schema: consoleSignedOut,
        headers: { ...CACHE_NO_STORE, 'set-cookie': 'Clears the session cookie.' },
      },
    },
    problemSchema: problemDetails,
    problems: [...JSON_BODY_PROBLEMS, ...SESSION_PROBLEMS, ...SERVER_PROBLEMS],
  }),

  startConsoleOidcSignIn: defineRoute({
    operationId: 'startConsoleOidcSignIn',
    method: 'get',
    path: '/v1/console/oidc/authorization',
    tag: 'console',
    summary: 'Start an OpenID Connect sign-in (authorization code with PKCE)',
    description:
      "Redirects the browser to the provider's authorization endpoint with a fresh state, nonce and PKCE " +
      'challenge (S256), bound to this browser by a short-lived cookie.',
    roles: [],
    responses: seeOther("To the provider's authorization endpoint.", "The provider's authorization URL."),
    problemSchema: problemDetails,
    problems: OIDC_PROBLEMS,
  }),

  completeConsoleOidcSignIn: defineRoute({
    operationId: 'completeConsoleOidcSignIn',
    method: 'get',
    path: '/v1/console/oidc/callback',
    tag: 'console',
    summary: 'The OpenID Connect redirection endpoint',
    description:
      'Checks the state against the browser, exchanges the code (with the PKCE verifier), checks the ID token ' +
      '(issuer, audience, nonce, signature) and signs in the console account that lists the subject. Always ' +
      'redirects: to /console/ when signed in, otherwise to the sign-in screen with a failure code (audited).',
    roles: [],
    query: consoleOidcCallbackQuery,
    responses: seeOther(
      'To the console, or to its sign-in screen with a failure code.',
      '/console/ or /console/#/sign-in?failed=<code>.',
    ),
    problemSchema: problemDetails,
    problems: OIDC_PROBLEMS,
  }),

  getConsoleTimeline: defineRoute({
    operationId: 'getConsoleTimeline',
    method: 'get',
    path: '/v1/console/timeline',
    tag: 'console',
    summary: 'Every audit event of an incident, plan or receipt, oldest first',
    description:
      'By receiptId (one version) or incidentRef (every version of an incident or plan): decisions with rule, ' +
      'policy version and lawful basis, withholds, exceptions, fetches, acknowledgements and content views. ' +
      'Scoped like a search; audited as one (audit-searched). Never any notification content.',
    reads: ['audit'],
    roles: CONSOLE_ROLE_LIST,
    principals: ['client', 'person'],
    query: consoleTimelineQuery,
    responses: { 200: { description: 'The timeline.', schema: consoleTimeline, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'Neither or both of receiptId and incidentRef, or a malformed one.'),
      ...BEARER_PROBLEMS,
      ...SERVER_PROBLEMS,
    ],
  }),

  viewNotificationContent: defineRoute({
    operationId: 'viewNotificationContent',
    method: 'post',
    path: '/v1/console/notifications/{notificationId}/content-views',
    tag: 'console',
    summary: "Open a notification's content, giving a reason",
    description:
      'Records the view on the audit trail first (notification-content-viewed: the officer, the reason code and ' +
      'note, the notification), then answers the signed payload as its recipient received it. A notification ' +
      "outside the officer's scope answers 404 as if it did not exist. The note is never sent back.",
    reads: ['audit', 'inbox'],
    roles: CONSOLE_ROLE_LIST,
    principals: ['client', 'person'],
    params: contentViewParams,
    body: { contentType: 'application/json', schema: contentViewRequest, required: true },
    responses: {
      200: { description: 'The content.', schema: notificationContentView, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'No reason, an unknown reason code, a note too long, or a malformed id.'),
      ...JSON_BODY_PROBLEMS,
      ...BEARER_PROBLEMS,
      problem('not-found', "No such notification in the caller's scope."),
      ...SERVER_PROBLEMS,
    ],
  }),

  getSafeguardingDashboard: defineRoute({
    operationId: 'getSafeguardingDashboard',
    method: 'get',
    path: '/v1/console/dashboard',
    tag: 'console',
    summary: 'The safeguarding dashboard, per day',
    description:
      'Per day (Europe/London): incidents, plans, notifications by recipient kind, decisions by rule and outcome, ' +
      'exceptions open, unread notifications, and issue-to-fetch and issue-to-acknowledgement p50/p95. Computed ' +
      "from the audit trail in the caller's scope; counts only, no personal data.",
    reads: ['audit'],
    roles: CONSOLE_ROLE_LIST,
    principals: ['client', 'person'],
    query: dashboardQuery,
    responses: { 200: { description: 'The days.', schema: safeguardingDashboard, headers: CACHE_NO_STORE } },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A bad date, to before from, or more than 92 days.'),
      ...BEARER_PROBLEMS,
      ...SERVER_PROBLEMS,
    ],
  }),

  getConsole: defineRoute({
    operationId: 'getConsole',
    method: 'get',
    path: '/console',
    tag: 'console',
    summary: 'The console (redirects to /console/)',
    description: 'A permanent redirect to /console/, so relative URLs resolve under it.',
    roles: [],
    responses: {
      308: { description: 'To /console/.', schema: z.undefined(), body: 'none', headers: { location: '/console/' } },
    },
    problemSchema: problemDetails,
    problems: [...SERVER_PROBLEMS],
  }),

  getConsolePage: defineRoute({
    operationId: 'getConsolePage',
    method: 'get',
    path: '/console/',
    tag: 'console',
    summary: "The console's page",
    description:
      'The single page (text/html) under a strict Content-Security-Policy: no inline script or style, nothing ' +
      'from another origin. It holds no data; everything comes from the console API with the session.',
    roles: [],
    responses: {
      200: { description: 'index.html.', schema: fileBody, body: 'file', headers: CONSOLE_PAGE_HEADERS },
    },
    problemSchema: problemDetails,
    problems: [problem('not-found', 'The console was not built (services/console/ui).'), ...SERVER_PROBLEMS],
  }),

  getConsoleAsset: defineRoute({
    operationId: 'getConsoleAsset',
    method: 'get',
    path: '/console/assets/{file}',
    tag: 'console',
    summary: "The console's scripts, styles, fonts and images",
    description: 'Built files with a content hash in their names: cached for a year, immutable.',
    roles: [],
    params: consoleAssetParams,
    responses: {
      200: {
        description: 'The file, with its content type.',
        schema: fileBody,
        body: 'file',
        headers: { ...CONSOLE_ASSET_HEADERS, 'cache-control': 'public, max-age=31536000, immutable' },
      },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'Not a file name the build makes.'),
      problem('not-found', 'No such file.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  // -------------------------------------------------------------------------------------------------------------
  // The audit trail's verifiable log (services/audit/src/log; contracts/src/audit-log.ts)
  // -------------------------------------------------------------------------------------------------------------

  getAuditLogCheckpoint: defineRoute({
    operationId: 'getAuditLogCheckpoint',
    method: 'get',
    path: '/v1/audit/log/checkpoint',
    tag: 'audit',
    summary: "The audit log's latest checkpoint (C2SP tlog-checkpoint)",
    description:
      "The latest signed note: origin, tree size, root hash, signed with the log's Ed25519 key (a new one each " +
      'second the log grows). Hashes only, no personal data.',
    reads: ['audit'],
    roles: AUDIT_LOG_READER_ROLES,
    principals: ['client', 'person'],
    responses: auditLogNoteResponse('The signed checkpoint (text/plain; charset=utf-8).'),
    problemSchema: problemDetails,
    problems: [...BEARER_PROBLEMS, ...SERVER_PROBLEMS],
  }),

  getAuditLogCosignedCheckpoint: defineRoute({
    operationId: 'getAuditLogCosignedCheckpoint',
    method: 'get',
    path: '/v1/audit/log/cosigned-checkpoint',
    tag: 'audit',
    summary: 'The latest checkpoint a witness cosigned (C2SP tlog-cosignature)',
    description:
      "The latest checkpoint with the log's signature and each configured witness's cosignature that it got.",
    reads: ['audit'],
    roles: AUDIT_LOG_READER_ROLES,
    principals: ['client', 'person'],
    responses: auditLogNoteResponse('The cosigned checkpoint (text/plain; charset=utf-8).'),
    problemSchema: problemDetails,
    problems: [
      ...BEARER_PROBLEMS,
      problem('not-found', 'No witness has cosigned a checkpoint yet (or none is configured).'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getAuditLogTile: defineRoute({
    operationId: 'getAuditLogTile',
    method: 'get',
    path: '/v1/audit/log/tile/{tilePath}',
    pathRest: true,
    tag: 'audit',
    summary: 'A tile of the Merkle tree (C2SP tlog-tiles)',
    description:
      'Up to 256 hashes of one tree level, as C2SP tlog-tiles serves them (`tile/<L>/<N>[.p/<W>]`): with the ' +
      'checkpoint, enough to compute any root or proof offline. Hashes only. A tile never changes once served.',
    reads: ['audit'],
    roles: AUDIT_LOG_READER_ROLES,
    params: auditLogTileParams,
    responses: {
      200: {
        description: 'The hashes, 32 bytes each (application/octet-stream).',
        schema: auditLogBytes,
        body: 'file',
        headers: {
          'cache-control': 'private, max-age=31536000, immutable',
          'content-type': 'application/octet-stream',
        },
      },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'Not a tile path in its one canonical spelling.'),
      ...BEARER_PROBLEMS,
      problem('not-found', 'The tree does not have that tile (at that width) yet.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getAuditLogEntries: defineRoute({
    operationId: 'getAuditLogEntries',
    method: 'get',
    path: '/v1/audit/log/tile/entries/{bundlePath}',
    pathRest: true,
    tag: 'audit',
    summary: 'An entry bundle: the audit events of 256 leaves (C2SP tlog-tiles)',
    description:
      "The leaves' entries, each the event's canonical JSON with a 2-byte big-endian length (C2SP tlog-tiles " +
      '`tile/entries/<N>[.p/<W>]`). They hold personal data of every area, so only a national IG officer reads ' +
      'them, and each read is audited (audit-log-entries-read) before anything is read.',
    reads: ['audit'],
    roles: AUDIT_LOG_ENTRY_ROLES,
    params: auditLogBundleParams,
    responses: {
      200: {
        description: 'The entry bundle (application/octet-stream).',
        schema: auditLogBytes,
        body: 'file',
        headers: { ...CACHE_NO_STORE, 'content-type': 'application/octet-stream' },
      },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'Not an entry bundle path in its one canonical spelling.'),
      ...BEARER_PROBLEMS,
      problem('not-found', 'The tree does not have those leaves yet.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getAuditLogInclusionProof: defineRoute({
    operationId: 'getAuditLogInclusionProof',
    method: 'get',
    path: '/v1/audit/log/proofs/inclusion',
    tag: 'audit',
    summary: 'Prove an audit event is in the log (RFC 9162 inclusion proof)',
    description:
      'By leaf index, or by event id (every leaf recording it, at most 16), in the tree of treeSize leaves (the ' +
      "latest checkpoint's when absent, that checkpoint included). Hashes only.",
    reads: ['audit'],
    roles: AUDIT_LOG_PROOF_ROLES,
    query: auditInclusionQuery,
    responses: {
      200: { description: 'The proofs.', schema: auditInclusionProof, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'Neither or both of eventId and leafIndex, or a malformed value.'),
      ...BEARER_PROBLEMS,
      problem('not-found', 'No such leaf or event in the tree of that size (not sequenced yet, or beyond the log).'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getAuditLogConsistencyProof: defineRoute({
    operationId: 'getAuditLogConsistencyProof',
    method: 'get',
    path: '/v1/audit/log/proofs/consistency',
    tag: 'audit',
    summary: 'Prove one tree size extends another (RFC 9162 consistency proof)',
    description: 'Between any two sizes of the log from 1 up to its size, e.g. two checkpoints. Hashes only.',
    reads: ['audit'],
    roles: AUDIT_LOG_READER_ROLES,
    query: auditConsistencyQuery,
    responses: {
      200: { description: 'The proof.', schema: auditConsistencyProof, headers: CACHE_NO_STORE },
    },
    problemSchema: problemDetails,
    problems: [
      problem('validation-failed', 'A size that is not a whole number from 1, or from above to.'),
      ...BEARER_PROBLEMS,
      problem('not-found', 'The log is not that large yet.'),
      ...SERVER_PROBLEMS,
    ],
  }),

  getLiveness: defineRoute({
    operationId: 'getLiveness',
    method: 'get',
    path: '/health/live',
    tag: 'health',
    summary: 'Liveness: the process serves HTTP',
    description: 'Runs no dependency checks, so a broken dependency never gets the process restarted.',
    roles: [],
    responses: { 200: { description: 'Alive.', schema: healthLive } },
    problemSchema: problemDetails,
    problems: [...SERVER_PROBLEMS],
  }),

  getReadiness: defineRoute({
    operationId: 'getReadiness',
    method: 'get',
    path: '/health/ready',
    tag: 'health',
    summary: 'Readiness: every dependency answers',
    description: 'Runs every readiness check (Kafka, Redis, ...) concurrently, each with a 1 s timeout.',
    roles: [],
    responses: { 200: { description: 'Ready.', schema: healthReady } },
    problemSchema: readinessProblem,
    problems: [
      problem('internal', 'Anything unexpected.'),
      problem('not-ready', 'A readiness check failed (named in failedChecks), or the service is shutting down.'),
    ],
  }),
} as const satisfies Record<string, HttpRoute>;

export type HttpOperationId = keyof typeof HTTP_ROUTES;

export const ALL_HTTP_ROUTES: readonly HttpRoute[] = Object.values(HTTP_ROUTES);

/**
 * The named schemas of the API (OpenAPI `components.schemas`). Every body, response and problem schema of a route
 * must be here; the generator refuses one that is not. Names are the public component names: never rename one.
 */
export const HTTP_SCHEMAS = {
  TokenRequest: tokenRequest,
  TokenResponse: tokenResponse,
  Problem: problemDetails,
  FieldError: fieldError,
  OAuthProblem: oauthProblem,
  ReadinessProblem: readinessProblem,
  CpRefusalProblem: cpRefusalProblem,
  DaIncidentSubmission: daIncidentSubmission,
  DaSubmissionAccepted: daSubmissionAccepted,
  DaReceiptStatus: daReceiptStatus,
  ReceiptRecipientStatus: receiptRecipientStatus,
  CpPlanSubmission: cpPlanSubmission,
  CpPlanStatus: cpPlanStatus,
  CpPlanDeliveryStatus: cpPlanDeliveryStatus,
  PlanNotificationStatus: planNotificationStatus,
  DeliveryTimes: deliveryTimes,
  FgmIndicatorSubmission: fgmIndicatorSubmission,
  FgmIndicatorStatus: fgmIndicatorStatus,
  CpFlags: cpFlags,
  InboxPage: inboxPage,
  InboxItem: inboxItem,
  InboxAcknowledgement: inboxAcknowledgement,
  EmptyBody: emptyBody,
  Jwks: jwks,
  Jwk: jwk,
  AuditSearchPage: auditSearchPage,
  AuditInclusionProof: auditInclusionProof,
  AuditConsistencyProof: auditConsistencyProof,
  StoredAuditEvent: storedAuditEvent,
  AuditLogVerification: auditLogVerification,
  AuditLogVerificationStarted: auditLogVerificationStarted,
  HealthLive: healthLive,
  HealthReady: healthReady,
  ...CONSOLE_SCHEMAS,
} as const satisfies Record<string, z.ZodType>;

/** Fastify's form of an OpenAPI path: `/v1/x/{id}` becomes `/v1/x/:id`. */
export function routePattern(path: string): string {
  return path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
}

/** Where fastify serves a route: `routePattern`, with a `pathRest` route's last parameter as its wildcard `*`. */
export function routeUrl(route: Pick<HttpRoute, 'path' | 'pathRest'>): string {
  const pattern = routePattern(route.path);
  return route.pathRest === true ? pattern.replace(/:[A-Za-z0-9_]+$/, '*') : pattern;
}
