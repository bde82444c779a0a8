/**
 * The IG console's safeguarding dashboard (services/console/src/dashboard.ts): its one SQL query over `audit_events`,
 * timed against a real PostgreSQL on a synthetic trail: `--notifications` notifications spread over `--days` days
 * ending today, each signed and stored, most fetched, many acknowledged, a tenth to exceptions inboxes, with their
 * incidents and decisions, in two areas. The whole range is asked for, as a national officer (every row) and as an
 * area officer (half of them, through the scopes GIN index). The schema is made fresh and dropped at the end.
 *
 *   node test/bench/console-dashboard.ts [--notifications=100000] [--days=31] [--runs=10] [--timeout-s=600]
 */
import { AUDIT_MIGRATIONS } from '@hub/audit-service';
import { readDashboard } from '@hub/console';
import type { Caller } from '@hub/contracts';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  summarize,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';
import { benchPostgresUrl, withBenchSchema } from './postgres-schema.ts';

interface DashboardBenchOptions {
  readonly url: string;
  readonly notifications: number;
  readonly days: number;
  readonly runs: number;
  readonly timeoutMs: number;
}

export function dashboardOptions(argv: readonly string[]): DashboardBenchOptions {
  return {
    url: benchPostgresUrl(),
    notifications: intOption(argv, 'notifications', 'BENCH_DASHBOARD_NOTIFICATIONS', 100_000),
    days: intOption(argv, 'days', 'BENCH_DASHBOARD_DAYS', 31),
    runs: intOption(argv, 'runs', 'BENCH_DASHBOARD_RUNS', 10),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_DASHBOARD_TIMEOUT_S', 600) * 1000,
  };
}

/**
 * Every row in one INSERT … SELECT: per notification n, at a time spread over the range, its events in order
 * (signed, stored, fetched after minutes for 80%, acknowledged after hours for 60%), a decision, and an incident for
 * every second one; `$3` is the first n of a chunk (one statement per 10,000, within the statement timeout). Offsets
 * are 8n + the event's kind, so the primary key holds; entries are placeholders (the dashboard reads columns only).
 */
const SEED = `
WITH n AS (
  SELECT i,
         now() - ($2::int * interval '1 day') * random() AS t,
         CASE WHEN i % 2 = 0 THEN 'E06000066' ELSE 'E06000023' END AS area,
         CASE WHEN i % 10 = 0 THEN 'exceptions:' WHEN i % 10 = 1 THEN 'marac:' ELSE 'gp:' END AS kind
    FROM generate_series($3::int, $3::int + $1::int - 1) AS i
),
events AS (
  SELECT i, 0 AS k, t, area, 'notification-signed' AS action, kind FROM n
  UNION ALL SELECT i, 1, t + interval '1 second', area, 'notification-stored', kind FROM n
  UNION ALL SELECT i, 2, t + (random() * 120) * interval '1 minute', area, 'notification-fetched', kind FROM n WHERE i % 5 <> 0
  UNION ALL SELECT i, 3, t + (random() * 48) * interval '1 hour', area, 'notification-acknowledged', kind FROM n WHERE i % 5 IN (1, 2, 3)
  UNION ALL SELECT i, 4, t - interval '2 seconds', area, 'decision-recorded', kind FROM n
  UNION ALL SELECT i, 5, t - interval '5 seconds', area, 'incident-received', kind FROM n WHERE i % 2 = 0
)
INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, at, service, action, trace_id, receipt_id,
  recipient, notification_id, decision_rule, outcome, scopes, inherits_areas, entry, leaf_hash)
SELECT 0, i::bigint * 8 + k, 'aud_' || md5(i::text || action), at, 'bench', action, 'bench',
       'rcpt_' || md5((i / 2)::text), kind || CASE WHEN kind = 'gp:' THEN 'L85901' ELSE area END,
       'ntf_' || md5(i::text), CASE WHEN action = 'decision-recorded' THEN 'DA-VICTIM-GP' END,
       CASE WHEN action = 'decision-recorded' THEN (CASE WHEN i % 7 = 0 THEN 'withhold' ELSE 'share' END) END,
       ARRAY[area], false, '\\x7b7d'::bytea, decode(repeat('00', 32), 'hex')
  FROM (SELECT i, k, t AS at, area, action, kind FROM events) AS e`;

const SEED_CHUNK = 10_000;

async function timed(runs: number, work: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  await work(); // warm: plans cached, pages in memory
  for (let run = 0; run < runs; run++) {
    const started = now();
    await work();
    samples.push(now() - started);
  }
  return samples;
}

export async function consoleDashboard(options: DashboardBenchOptions): Promise<BenchRow[]> {
  return withBenchSchema(options.url, 'bench-dashboard', AUDIT_MIGRATIONS, async (postgres, schema) => {
    progress(`seeding ${options.notifications} notifications over ${options.days} days in ${schema}`);
    for (let first = 1; first <= options.notifications; first += SEED_CHUNK) {
      await postgres.query(SEED, [Math.min(SEED_CHUNK, options.notifications - first + 1), options.days, first]);
    }
    await postgres.query('ANALYZE audit_events');
    const { rows } = await postgres.query<{ n: string }>('SELECT count(*) AS n FROM audit_events');
    const events = Number(rows[0]?.n ?? 0);
    const day = (offset: number) =>
      new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(
        new Date(Date.now() + offset * 86_400_000),
      );
    const [from, to] = [day(-(options.days - 1)), day(0)];
    const national: Caller = { clientId: 'bench-national', role: 'ig-officer-national', organisation: 'X26' };
    const area: Caller = { clientId: 'bench-area', role: 'ig-officer', organisation: 'E06000066' };
    const rowsOf = async (caller: Caller, label: string): Promise<BenchRow> => {
      const samples = await timed(options.runs, () => readDashboard(postgres, caller, from, to, new Date()));
      const latency = summarize(samples);
      return {
        bench: 'dashboard',
        case: `${options.days} days, ${label}`,
        count: samples.length,
        perSecond: perSecond(
          samples.length,
          samples.reduce((sum, sample) => sum + sample, 0),
        ),
        latency,
        note: `${events.toLocaleString('en-GB')} audit rows, ${options.notifications.toLocaleString('en-GB')} notifications`,
      };
    };
    return [await rowsOf(national, 'national'), await rowsOf(area, 'one area (half)')];
  });
}

export async function runDashboardBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = dashboardOptions(argv);
  return withHardTimeout(options.timeoutMs, 'dashboard bench', () => consoleDashboard(options));
}

if (import.meta.main) await runStandalone(() => runDashboardBench(process.argv.slice(2)));
