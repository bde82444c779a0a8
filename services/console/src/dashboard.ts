import {
  CONSOLE_LIMITS,
  DECISION_OUTCOMES,
  RECIPIENT_KINDS,
  type Caller,
  type DecisionOutcome,
  type RecipientKind,
  type SafeguardingDashboard,
} from '@hub/contracts';
import type { Queryable } from '@hub/postgres';
import { organisationOf } from './trail.ts';

/**
 * The safeguarding dashboard (asked for by the London ICB's plan) as SQL over the audit trail (`audit_events`,
 * read-only), per calendar day in England (Europe/London, so a day is 23 or 25 hours at the clock changes), in the
 * caller's scope. Each count is of distinct ids, so an event recorded twice (two leaves of the log) counts once.
 *
 * - incidents: DA incident versions received (`incident-received`); plans: plan versions recorded (`plan-recorded`);
 * - notifications by recipient kind: stored in an inbox that day (`notification-stored`);
 * - decisions by rule and outcome (`decision-recorded`: share, withhold, exception);
 * - a notification's issue is its first `notification-signed` (or, for one stored without, its storing); it is read
 *   at its first fetch or acknowledgement; unread at the end of a day: issued by then and not read by then;
 *   exceptions open: stored in an `exceptions:` inbox by then and not acknowledged by then;
 * - issue to fetch and to acknowledgement: over the notifications first fetched (acknowledged) that day, the median
 *   and 95th percentile in seconds (continuous percentiles).
 *
 * The unread and open counts look at every notification in scope issued up to the last day (that is what "still
 * unread" means); the rest reads only the days asked for.
 */
const SQL = `
WITH days AS (
  SELECT d::date AS day FROM generate_series($1::date, $2::date, interval '1 day') AS d
),
bounds AS (
  SELECT ($1::date::timestamp AT TIME ZONE 'Europe/London') AS range_start,
         (($2::date + 1)::timestamp AT TIME ZONE 'Europe/London') AS range_end
),
events AS (
  SELECT (e.at AT TIME ZONE 'Europe/London')::date AS day, e.action, e.receipt_id, e.recipient, e.notification_id,
         e.decision_rule, e.outcome, e.event_id
    FROM audit_events e, bounds b
   WHERE e.at >= b.range_start AND e.at < b.range_end
     AND e.action IN ('incident-received', 'plan-recorded', 'notification-stored', 'decision-recorded')
     AND ($3::text IS NULL OR e.scopes @> ARRAY[$3::text])
),
counts AS (
  SELECT day,
         count(DISTINCT receipt_id) FILTER (WHERE action = 'incident-received') AS incidents,
         count(DISTINCT receipt_id) FILTER (WHERE action = 'plan-recorded') AS plans,
         count(DISTINCT notification_id) FILTER (WHERE action = 'notification-stored' AND recipient LIKE 'gp:%') AS gp,
         count(DISTINCT notification_id) FILTER (WHERE action = 'notification-stored' AND recipient LIKE 'marac:%') AS marac,
         count(DISTINCT notification_id) FILTER (WHERE action = 'notification-stored' AND recipient LIKE 'exceptions:%') AS exceptions,
         count(DISTINCT notification_id) FILTER (WHERE action = 'notification-stored' AND recipient LIKE 'la:%') AS la
    FROM events GROUP BY day
),
decisions AS (
  SELECT day, json_agg(json_build_object('rule', rule, 'outcome', outcome, 'n', n) ORDER BY rule, outcome) AS list
    FROM (
      SELECT day, decision_rule AS rule, outcome, count(DISTINCT event_id) AS n
        FROM events
       WHERE action = 'decision-recorded' AND decision_rule IS NOT NULL AND outcome IS NOT NULL
       GROUP BY day, decision_rule, outcome
    ) AS per_rule
   GROUP BY day
),
notes AS (
  SELECT min(e.at) FILTER (WHERE e.action IN ('notification-signed', 'notification-stored')) AS issued_at,
         min(e.at) FILTER (WHERE e.action = 'notification-fetched') AS fetched_at,
         min(e.at) FILTER (WHERE e.action = 'notification-acknowledged') AS acknowledged_at,
         bool_or(e.recipient LIKE 'exceptions:%') AS exception
    FROM audit_events e, bounds b
   WHERE e.at < b.range_end AND e.notification_id IS NOT NULL
     AND e.action IN ('notification-signed', 'notification-stored', 'notification-fetched', 'notification-acknowledged')
     AND ($3::text IS NULL OR e.scopes @> ARRAY[$3::text])
   GROUP BY e.notification_id
),
marks AS (
  SELECT (issued_at AT TIME ZONE 'Europe/London')::date AS issued_day,
         (least(fetched_at, acknowledged_at) AT TIME ZONE 'Europe/London')::date AS read_day,
         (fetched_at AT TIME ZONE 'Europe/London')::date AS fetched_day,
         (acknowledged_at AT TIME ZONE 'Europe/London')::date AS acknowledged_day,
         exception,
         extract(epoch FROM fetched_at - issued_at) AS fetch_wait,
         extract(epoch FROM acknowledged_at - issued_at) AS ack_wait
    FROM notes WHERE issued_at IS NOT NULL
),
-- Per day of the whole history: how many were issued, read, stored as exceptions, acknowledged as exceptions; the
-- open counts at the end of a day are running sums of these, so each notification is looked at once.
flows AS (
  SELECT day, sum(issued) AS issued, sum(read) AS read, sum(exceptions) AS exceptions, sum(closed) AS closed
    FROM (
      SELECT issued_day AS day, 1 AS issued, 0 AS read, exception::int AS exceptions, 0 AS closed FROM marks
      UNION ALL
      SELECT read_day, 0, 1, 0, 0 FROM marks WHERE read_day IS NOT NULL
      UNION ALL
      SELECT acknowledged_day, 0, 0, 0, 1 FROM marks WHERE exception AND acknowledged_day IS NOT NULL
    ) AS f
   GROUP BY day
),
fetch_waits AS (
  SELECT fetched_day AS day, count(*) AS n, percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY fetch_wait) AS p
    FROM marks WHERE fetched_day BETWEEN $1::date AND $2::date GROUP BY fetched_day
),
ack_waits AS (
  SELECT acknowledged_day AS day, count(*) AS n, percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY ack_wait) AS p
    FROM marks WHERE acknowledged_day BETWEEN $1::date AND $2::date GROUP BY acknowledged_day
)
SELECT to_char(d.day, 'YYYY-MM-DD') AS day,
       coalesce(c.incidents, 0) AS incidents, coalesce(c.plans, 0) AS plans, coalesce(c.gp, 0) AS gp,
       coalesce(c.marac, 0) AS marac, coalesce(c.exceptions, 0) AS exceptions, coalesce(c.la, 0) AS la,
       (SELECT coalesce(sum(issued - read), 0) FROM flows WHERE flows.day <= d.day) AS unread,
       (SELECT coalesce(sum(exceptions - closed), 0) FROM flows WHERE flows.day <= d.day) AS exceptions_open,
       coalesce(fw.n, 0) AS fetched, fw.p[1] AS fetch_p50, fw.p[2] AS fetch_p95,
       coalesce(aw.n, 0) AS acknowledged, aw.p[1] AS ack_p50, aw.p[2] AS ack_p95,
       coalesce(x.list, '[]') AS decisions
  FROM days d
  LEFT JOIN counts c ON c.day = d.day
  LEFT JOIN fetch_waits fw ON fw.day = d.day
  LEFT JOIN ack_waits aw ON aw.day = d.day
  LEFT JOIN decisions x ON x.day = d.day
 ORDER BY d.day`;

interface Row {
  readonly day: string;
  readonly incidents: string;
  readonly plans: string;
  readonly gp: string;
  readonly marac: string;
  readonly exceptions: string;
  readonly la: string;
  readonly unread: string;
  readonly exceptions_open: string;
  readonly fetched: string;
  readonly fetch_p50: number | null;
  readonly fetch_p95: number | null;
  readonly acknowledged: string;
  readonly ack_p50: number | null;
  readonly ack_p95: number | null;
  readonly decisions: readonly { rule: string; outcome: string; n: number }[];
}

const seconds = (value: number | null) => (value === null ? null : Math.round(value * 1000) / 1000);

function decisionsOf(rows: Row['decisions']) {
  const byRule = new Map<string, Record<DecisionOutcome, number>>();
  for (const { rule, outcome, n } of rows) {
    if (!(DECISION_OUTCOMES as readonly string[]).includes(outcome)) continue;
    const counts = byRule.get(rule) ?? { share: 0, withhold: 0, exception: 0 };
    counts[outcome as DecisionOutcome] += n;
    byRule.set(rule, counts);
  }
  return [...byRule].slice(0, CONSOLE_LIMITS.dashboardRules).map(([rule, counts]) => ({ rule, ...counts }));
}

export async function readDashboard(
  db: Queryable,
  caller: Caller,
  from: string,
  to: string,
  now: Date,
): Promise<SafeguardingDashboard> {
  const { rows } = await db.query<Row>(SQL, [from, to, organisationOf(caller)]);
  const kinds = Object.fromEntries(RECIPIENT_KINDS.map((kind) => [kind, 0])) as Record<RecipientKind, number>;
  return {
    from,
    to,
    timeZone: 'Europe/London',
    generatedAt: now.toISOString(),
    days: rows.map((row) => ({
      day: row.day,
      incidents: Number(row.incidents),
      plans: Number(row.plans),
      notifications: {
        ...kinds,
        gp: Number(row.gp),
        marac: Number(row.marac),
        exceptions: Number(row.exceptions),
        la: Number(row.la),
      },
      decisions: decisionsOf(row.decisions),
      exceptionsOpen: Number(row.exceptions_open),
      unread: Number(row.unread),
      issueToFetch: {
        count: Number(row.fetched),
        p50Seconds: seconds(row.fetch_p50),
        p95Seconds: seconds(row.fetch_p95),
      },
      issueToAcknowledgement: {
        count: Number(row.acknowledged),
        p50Seconds: seconds(row.ack_p50),
        p95Seconds: seconds(row.ack_p95),
      },
    })),
  };
}
