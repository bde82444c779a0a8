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
  SELECT d::date AS day,
         (d::date::timestamp AT TIME ZONE 'Europe/London') AS day_start,
         ((d::date + 1)::timestamp AT TIME ZONE 'Europe/London') AS day_end
    FROM generate_series($1::date, $2::date, interval '1 day') AS d
),
bounds AS (SELECT min(day_start) AS range_start, max(day_end) AS range_end FROM days),
events AS (
  SELECT e.action, e.at, e.receipt_id, e.recipient, e.notification_id, e.decision_rule, e.outcome, e.event_id
    FROM audit_events e, bounds b
   WHERE e.at >= b.range_start AND e.at < b.range_end
     AND e.action IN ('incident-received', 'plan-recorded', 'notification-stored', 'decision-recorded')
     AND ($3::text IS NULL OR e.scopes @> ARRAY[$3::text])
),
per_day AS (
  SELECT d.day,
         count(DISTINCT ev.receipt_id) FILTER (WHERE ev.action = 'incident-received') AS incidents,
         count(DISTINCT ev.receipt_id) FILTER (WHERE ev.action = 'plan-recorded') AS plans,
         count(DISTINCT ev.notification_id) FILTER (WHERE ev.action = 'notification-stored' AND ev.recipient LIKE 'gp:%') AS gp,
         count(DISTINCT ev.notification_id) FILTER (WHERE ev.action = 'notification-stored' AND ev.recipient LIKE 'marac:%') AS marac,
         count(DISTINCT ev.notification_id) FILTER (WHERE ev.action = 'notification-stored' AND ev.recipient LIKE 'exceptions:%') AS exceptions,
         count(DISTINCT ev.notification_id) FILTER (WHERE ev.action = 'notification-stored' AND ev.recipient LIKE 'la:%') AS la
    FROM days d LEFT JOIN events ev ON ev.at >= d.day_start AND ev.at < d.day_end
   GROUP BY d.day
),
decisions AS (
  SELECT d.day, ev.decision_rule AS rule, ev.outcome, count(DISTINCT ev.event_id) AS n
    FROM days d JOIN events ev ON ev.at >= d.day_start AND ev.at < d.day_end
   WHERE ev.action = 'decision-recorded' AND ev.decision_rule IS NOT NULL AND ev.outcome IS NOT NULL
   GROUP BY d.day, ev.decision_rule, ev.outcome
),
notes AS (
  SELECT e.notification_id,
         min(e.at) FILTER (WHERE e.action IN ('notification-signed', 'notification-stored')) AS issued_at,
         min(e.at) FILTER (WHERE e.action = 'notification-fetched') AS fetched_at,
         min(e.at) FILTER (WHERE e.action = 'notification-acknowledged') AS acknowledged_at,
         bool_or(e.recipient LIKE 'exceptions:%') AS exception
    FROM audit_events e, bounds b
   WHERE e.at < b.range_end AND e.notification_id IS NOT NULL
     AND e.action IN ('notification-signed', 'notification-stored', 'notification-fetched', 'notification-acknowledged')
     AND ($3::text IS NULL OR e.scopes @> ARRAY[$3::text])
   GROUP BY e.notification_id
),
states AS (
  SELECT d.day,
         count(*) FILTER (WHERE n.issued_at < d.day_end
                            AND coalesce(least(n.fetched_at, n.acknowledged_at), 'infinity') >= d.day_end) AS unread,
         count(*) FILTER (WHERE n.exception AND n.issued_at < d.day_end
                            AND coalesce(n.acknowledged_at, 'infinity') >= d.day_end) AS exceptions_open,
         count(*) FILTER (WHERE n.fetched_at >= d.day_start AND n.fetched_at < d.day_end) AS fetched,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM n.fetched_at - n.issued_at))
           FILTER (WHERE n.fetched_at >= d.day_start AND n.fetched_at < d.day_end) AS fetch_p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM n.fetched_at - n.issued_at))
           FILTER (WHERE n.fetched_at >= d.day_start AND n.fetched_at < d.day_end) AS fetch_p95,
         count(*) FILTER (WHERE n.acknowledged_at >= d.day_start AND n.acknowledged_at < d.day_end) AS acknowledged,
         percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM n.acknowledged_at - n.issued_at))
           FILTER (WHERE n.acknowledged_at >= d.day_start AND n.acknowledged_at < d.day_end) AS ack_p50,
         percentile_cont(0.95) WITHIN GROUP (ORDER BY extract(epoch FROM n.acknowledged_at - n.issued_at))
           FILTER (WHERE n.acknowledged_at >= d.day_start AND n.acknowledged_at < d.day_end) AS ack_p95
    FROM days d LEFT JOIN notes n ON n.issued_at IS NOT NULL AND n.issued_at < d.day_end
   GROUP BY d.day
)
SELECT to_char(p.day, 'YYYY-MM-DD') AS day, p.incidents, p.plans, p.gp, p.marac, p.exceptions, p.la,
       s.unread, s.exceptions_open, s.fetched, s.fetch_p50, s.fetch_p95, s.acknowledged, s.ack_p50, s.ack_p95,
       coalesce((SELECT json_agg(json_build_object('rule', x.rule, 'outcome', x.outcome, 'n', x.n) ORDER BY x.rule, x.outcome)
                   FROM decisions x WHERE x.day = p.day), '[]') AS decisions
  FROM per_day p JOIN states s ON s.day = p.day
 ORDER BY p.day`;

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
