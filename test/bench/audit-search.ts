/**
 * The audit store's search (services/audit/src/store.ts) over a large trail in a real PostgreSQL (issue 11 item 5:
 * p95 under 200 ms over a million stored events). A synthetic trail of `--events` audit events is projected into a
 * fresh schema by the store's own batch projection (multi-row INSERT, one transaction per `--batch`): incidents of a
 * year, each received by a force, matched to a person, decided (some withheld), routed, signed, stored, fetched and
 * acknowledged by a GP practice in one of 150 areas. Then a mix of searches, each with fresh parameters, national and
 * area-scoped, both orders and a second page: each search is the store's query plus reading every entry of the page
 * (hash checked, parsed, schema checked), i.e. all the route does after its audit publish. The schema is dropped at
 * the end.
 *
 *   node test/bench/audit-search.ts [--events=1000000] [--batch=1000] [--runs=40] [--timeout-s=3600]
 */
import { loadavg } from 'node:os';
import { auditEvent } from '@hub/audit';
import {
  AUDIT_MIGRATIONS,
  auditSearchPageOf,
  createAuditStore,
  decodeAuditCursor,
  type AuditQuery,
} from '@hub/audit-service';
import { contentId, type AuditEvent } from '@hub/contracts';
import type { Postgres } from '@hub/postgres';
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

interface AuditSearchBenchOptions {
  readonly url: string;
  readonly events: number;
  readonly batch: number;
  readonly runs: number;
  readonly timeoutMs: number;
}

export function auditSearchOptions(argv: readonly string[]): AuditSearchBenchOptions {
  return {
    url: benchPostgresUrl(),
    events: intOption(argv, 'events', 'BENCH_AUDIT_EVENTS', 1_000_000),
    batch: intOption(argv, 'batch', 'BENCH_AUDIT_BATCH', 1_000),
    runs: intOption(argv, 'runs', 'BENCH_AUDIT_RUNS', 40),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_AUDIT_TIMEOUT_S', 3_600) * 1000,
  };
}

const AREAS = 150;
const PRACTICES = 1_500;
const PEOPLE = 200_000;
const PARTITIONS = 6;
/** Events per incident (events of the trail below). */
const PER_INCIDENT = 10;
const YEAR_MS = 365 * 86_400_000;
const START = Date.UTC(2025, 11, 1);

const area = (n: number) => `E06${String(n % AREAS).padStart(6, '0')}`;
const practice = (n: number) => `P${String(n % PRACTICES).padStart(5, '0')}`;
/** Practice n is in area n mod AREAS. */
const practiceAreas = {
  practice: (ods: string) => {
    const n = /^P(\d{5})$/.exec(ods)?.[1];
    return Promise.resolve(n === undefined ? undefined : { localAuthority: area(Number(n)) });
  },
};

/** The n-th valid NHS number (modulus 11 check digit; numbers whose check would be 10 skipped). */
function nhsNumber(n: number): string {
  for (let base = 900_000_000 + n * 2; ; base++) {
    const digits = String(base).padStart(9, '0');
    let sum = 0;
    for (let i = 0; i < 9; i++) sum += (digits.charCodeAt(i) - 48) * (10 - i);
    const check = 11 - (sum % 11);
    if (check === 10) continue;
    return `${digits}${check === 11 ? 0 : check}`;
  }
}

/** A seeded generator, so a run's trail and searches are the same every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Incident {
  readonly index: number;
  readonly receiptId: string;
  readonly incidentRef: string;
  readonly nhsNumber: string;
  readonly practice: string;
  readonly at: number;
}

function incidentOf(index: number, next: () => number): Incident {
  return {
    index,
    receiptId: contentId('rcpt', 'bench', String(index)),
    incidentRef: `F${index % 43}:INC-${index}`,
    nhsNumber: nhsNumber(Math.floor(next() * PEOPLE)),
    practice: practice(Math.floor(next() * PRACTICES)),
    at: START + Math.floor(next() * YEAR_MS),
  };
}

/** The ten events of one incident, as the hub's services audit it. */
function eventsOf(incident: Incident): AuditEvent[] {
  const { receiptId, incidentRef, nhsNumber: person, at } = incident;
  const force = incidentRef.split(':')[0] ?? 'F0';
  const gp = {
    clientId: `gp-${incident.practice.toLowerCase()}`,
    role: 'gp',
    organisation: incident.practice,
  } as const;
  const recipient = `gp:${incident.practice}`;
  const withheld = incident.index % 7 === 0;
  const notificationId = contentId('ntf', receiptId);
  const t = (seconds: number) => new Date(at + seconds * 1000);
  const decision = (rule: string, outcome: 'share' | 'withhold') => ({
    rule,
    policyVersion: 'da-2026.11.1',
    outcome,
    lawfulBasis: ['uk-gdpr-6-1-e' as const],
    reason: outcome === 'share' ? 'risk-to-victim' : 'no-relevant-risk',
  });
  return [
    auditEvent('police-gateway', 'incident-received', t(0), {
      actor: { clientId: `force-${force.toLowerCase()}`, role: 'police', organisation: force },
      receiptId,
      incidentRef,
    }),
    auditEvent('identity', 'subject-matched', t(1), { receiptId, incidentRef, subjectRef: 'S1', nhsNumber: person }),
    auditEvent('ig-engine', 'decision-recorded', t(2), {
      receiptId,
      incidentRef,
      subjectRef: 'S1',
      nhsNumber: person,
      recipient,
      decision: decision('DA-GP-VICTIM', withheld ? 'withhold' : 'share'),
    }),
    auditEvent('ig-engine', 'decision-recorded', t(2), {
      receiptId,
      incidentRef,
      recipient: `marac:${area(Number(incident.practice.slice(1)))}`,
      decision: decision('DA-MARAC', 'share'),
    }),
    auditEvent('dispatcher', 'notification-routed', t(3), {
      receiptId,
      incidentRef,
      nhsNumber: person,
      recipient,
      notificationId,
    }),
    auditEvent('dispatcher', 'notification-signed', t(3), { receiptId, recipient, notificationId }),
    auditEvent('inbox', 'notification-stored', t(4), { receiptId, recipient, notificationId }),
    auditEvent('inbox', 'notification-fetched', t(600 + (incident.index % 3_600)), {
      actor: gp,
      receiptId,
      recipient,
      notificationId,
    }),
    auditEvent('inbox', 'notification-acknowledged', t(3_600 + (incident.index % 36_000)), {
      actor: gp,
      receiptId,
      recipient,
      notificationId,
    }),
    auditEvent('audit', 'audit-searched', t(7_200), {
      actor: { clientId: 'ig-bench', role: 'ig-officer', organisation: area(incident.index) },
      nhsNumber: person,
      reason: `scope:${area(incident.index)}`,
    }),
  ];
}

/** Projects the trail with the store's own batch writes, partition by partition as the projector would. */
async function load(
  postgres: Postgres,
  options: AuditSearchBenchOptions,
): Promise<{ readonly incidents: Incident[]; readonly elapsedMs: number }> {
  const store = createAuditStore(postgres, practiceAreas);
  const next = random(11);
  const incidents: Incident[] = [];
  const offsets = new Array<number>(PARTITIONS).fill(0);
  const count = Math.ceil(options.events / PER_INCIDENT);
  const started = now();
  let pending: { partition: number; offset: string; event: AuditEvent }[] = [];
  for (let index = 0; index < count; index++) {
    const incident = incidentOf(index, next);
    incidents.push(incident);
    const partition = index % PARTITIONS;
    for (const event of eventsOf(incident)) {
      const offset = offsets[partition] ?? 0;
      offsets[partition] = offset + 1;
      pending.push({ partition, offset: String(offset), event });
    }
    if (pending.length >= options.batch || index === count - 1) {
      await store.project(pending);
      pending = [];
    }
    if (index > 0 && index % 10_000 === 0) {
      const done = index * PER_INCIDENT;
      progress(`${done.toLocaleString('en-GB')} events stored, ${Math.round(perSecond(done, now() - started))}/s`);
    }
  }
  return { incidents, elapsedMs: now() - started };
}

type Case = (next: () => number, incidents: readonly Incident[]) => Omit<AuditQuery, 'limit'>;

const NATIONAL = { kind: 'hub' } as const;
const inArea = (n: number) => ({ kind: 'organisation', organisation: area(n) }) as const;
const pick = (next: () => number, incidents: readonly Incident[]) =>
  incidents[Math.floor(next() * incidents.length)] ?? incidents[0]!;
const dayOf = (at: number, days: number) => ({ from: new Date(at), to: new Date(at + days * 86_400_000) });

/** The mix: what an IG officer asks, each with parameters drawn afresh every run. */
const CASES: Record<string, Case> = {
  'NHS number, national, newest first': (next, all) => ({
    nhsNumber: pick(next, all).nhsNumber,
    order: 'newest',
    scope: NATIONAL,
  }),
  'receipt id, national': (next, all) => ({ receiptId: pick(next, all).receiptId, order: 'oldest', scope: NATIONAL }),
  'incident reference, national': (next, all) => ({
    incidentRef: pick(next, all).incidentRef,
    order: 'oldest',
    scope: NATIONAL,
  }),
  'GP inbox, newest first': (next, all) => ({
    recipient: `gp:${pick(next, all).practice}`,
    order: 'newest',
    scope: NATIONAL,
  }),
  'actor (a practice client), 30 days': (next, all) => {
    const incident = pick(next, all);
    return {
      actorClientId: `gp-${incident.practice.toLowerCase()}`,
      ...dayOf(incident.at - 15 * 86_400_000, 30),
      order: 'newest',
      scope: NATIONAL,
    };
  },
  'actor organisation (a force), one day': (next, all) => {
    const incident = pick(next, all);
    return {
      actorOrganisation: incident.incidentRef.split(':')[0],
      ...dayOf(incident.at, 1),
      order: 'oldest',
      scope: NATIONAL,
    };
  },
  'action, one day, national': (next, all) => ({
    action: 'notification-fetched',
    ...dayOf(pick(next, all).at, 1),
    order: 'oldest',
    scope: NATIONAL,
  }),
  'rule + withheld, newest, national': () => ({
    rule: 'DA-GP-VICTIM',
    outcome: 'withhold',
    order: 'newest',
    scope: NATIONAL,
  }),
  'browse newest, national': () => ({ order: 'newest', scope: NATIONAL }),
  'browse newest, one area': (next) => ({ order: 'newest', scope: inArea(Math.floor(next() * AREAS)) }),
  'browse a week, one area': (next, all) => ({
    ...dayOf(pick(next, all).at, 7),
    order: 'oldest',
    scope: inArea(Math.floor(next() * AREAS)),
  }),
  'NHS number, area officer': (next, all) => {
    const incident = pick(next, all);
    return { nhsNumber: incident.nhsNumber, order: 'newest', scope: inArea(Number(incident.practice.slice(1))) };
  },
  'withheld decisions, 30 days, one area': (next, all) => ({
    action: 'decision-recorded',
    outcome: 'withhold',
    ...dayOf(pick(next, all).at - 30 * 86_400_000, 30),
    order: 'newest',
    scope: inArea(Math.floor(next() * AREAS)),
  }),
  'searches for an NHS number (who looked), national': (next, all) => ({
    action: 'audit-searched',
    nhsNumber: pick(next, all).nhsNumber,
    order: 'newest',
    scope: NATIONAL,
  }),
};

const PAGE = 50;

export async function auditSearch(options: AuditSearchBenchOptions): Promise<BenchRow[]> {
  const loadBefore = loadavg()[0] ?? 0;
  return withBenchSchema(options.url, 'bench-audit-search', AUDIT_MIGRATIONS, async (postgres, schema) => {
    progress(`projecting ${options.events.toLocaleString('en-GB')} audit events into ${schema}`);
    const { incidents, elapsedMs } = await load(postgres, options);
    await postgres.query('ANALYZE');
    const stored = Number((await postgres.query<{ n: string }>('SELECT count(*) AS n FROM audit_events')).rows[0]?.n);
    const size = (
      await postgres.query<{ size: string }>(
        `SELECT pg_size_pretty(sum(pg_total_relation_size(c.oid))) AS size
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relkind = 'r'`,
        [schema],
      )
    ).rows[0]?.size;
    const loaded = `load ${loadBefore.toFixed(1)} before, ${(loadavg()[0] ?? 0).toFixed(1)} after loading`;
    const rows: BenchRow[] = [
      {
        bench: 'audit-search',
        case: `project ${stored.toLocaleString('en-GB')} events, ${options.batch} per transaction`,
        count: stored,
        perSecond: perSecond(stored, elapsedMs),
        note: `${size ?? '?'} with indexes; ${loaded}`,
      },
    ];
    const store = createAuditStore(postgres, practiceAreas);
    const next = random(29);
    const search = async (query: Omit<AuditQuery, 'limit'>) => {
      const found = await store.search({ ...query, limit: PAGE + 1 });
      return auditSearchPageOf(found, PAGE, query.order);
    };
    const all: number[] = [];
    for (const [name, make] of Object.entries(CASES)) {
      await search(make(next, incidents)); // warm: the plan and the index pages
      const samples: number[] = [];
      let items = 0;
      for (let run = 0; run < options.runs; run++) {
        const query = make(next, incidents);
        const started = now();
        const page = await search(query);
        samples.push(now() - started);
        items += page.items.length;
        if (page.integrity.unreadable > 0) throw new Error(`${name}: ${page.integrity.unreadable} unreadable rows`);
      }
      all.push(...samples);
      rows.push({
        bench: 'audit-search',
        case: name,
        count: samples.length,
        perSecond: perSecond(
          samples.length,
          samples.reduce((sum, sample) => sum + sample, 0),
        ),
        latency: summarize(samples),
        note: `${(items / samples.length).toFixed(0)} items a page on average`,
      });
    }
    // The second page of a national browse: the cursor continues the index range.
    const pages: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const range = dayOf(pick(next, incidents).at, 3);
      const first = await search({ ...range, order: 'newest', scope: NATIONAL });
      const after = first.nextCursor === null ? undefined : decodeAuditCursor(first.nextCursor);
      const started = now();
      await search({ ...range, order: 'newest', after, scope: NATIONAL });
      pages.push(now() - started);
    }
    all.push(...pages);
    rows.push({
      bench: 'audit-search',
      case: 'next page (cursor), national, newest',
      count: pages.length,
      perSecond: perSecond(
        pages.length,
        pages.reduce((sum, sample) => sum + sample, 0),
      ),
      latency: summarize(pages),
    });
    rows.push({
      bench: 'audit-search',
      case: `the whole mix (${Object.keys(CASES).length + 1} cases)`,
      count: all.length,
      perSecond: perSecond(
        all.length,
        all.reduce((sum, sample) => sum + sample, 0),
      ),
      latency: summarize(all),
      note: `${stored.toLocaleString('en-GB')} events; load ${(loadavg()[0] ?? 0).toFixed(1)} at the end`,
    });
    return rows;
  });
}

export async function runAuditSearchBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = auditSearchOptions(argv);
  return withHardTimeout(options.timeoutMs, 'audit-search bench', () => auditSearch(options));
}

if (import.meta.main) await runStandalone(() => runAuditSearchBench(process.argv.slice(2)));
