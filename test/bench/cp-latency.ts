/**
 * Child protection, end to end, as a local authority's social care system, GP systems and an emergency department
 * see it: the real hub as a child process (test/e2e/hub-process.ts; fresh topic namespace, Redis prefix, keys and
 * clients), over HTTP only. Somerset changes four seed children's plans at a steady rate and each child's practice
 * pulls the signed cp-gp-notification; an emergency department then looks the children up at a steady rate and
 * Somerset pulls each access notification; the children's own practices look them up at the same rate (no
 * notification). Measures PUT latency, PUT → GP inbox, look-up latency, look-up → LA inbox, and the GP look-up.
 * Every notification is counted, matched to its plan version or look-up, and its signature verified.
 *
 *   node test/bench/cp-latency.ts [--plan-puts=200] [--put-rate=10] [--lookups=400] [--lookup-rate=20]
 *     [--poll-ms=20] [--timeout-s=300]
 */
import { randomBytes } from 'node:crypto';
import type { CpFlags, CpPlanStatus, CpPlanSubmission } from '@hub/contracts';
import { decodeUnverified, verify } from '@hub/signing';
import { createHubProcess, localEndpoints, type ClientSpec, type PulledItem } from '../e2e/hub-process.ts';
import { runAgainstHub } from './hub-run.ts';
import {
  intOption,
  now,
  paced,
  perSecond,
  progress,
  runStandalone,
  sleep,
  summarize,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface CpBenchOptions {
  readonly planPuts: number;
  readonly putRate: number;
  readonly lookups: number;
  readonly lookupRate: number;
  readonly pollMs: number;
  readonly timeoutMs: number;
}

export function cpOptions(argv: readonly string[]): CpBenchOptions {
  return {
    planPuts: intOption(argv, 'plan-puts', 'BENCH_CP_PUTS', 200),
    putRate: intOption(argv, 'put-rate', 'BENCH_CP_PUT_RATE', 10),
    lookups: intOption(argv, 'lookups', 'BENCH_CP_LOOKUPS', 400),
    lookupRate: intOption(argv, 'lookup-rate', 'BENCH_CP_LOOKUP_RATE', 20),
    pollMs: intOption(argv, 'poll-ms', 'BENCH_CP_POLL_MS', 20),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_CP_TIMEOUT_S', 300) * 1000,
  };
}

/** Somerset's children's social care, the two practices, and an emergency department of trust RZ9. */
const CP_CLIENTS = {
  somersetLa: { role: 'local-authority', organisation: 'E06000066' },
  gpL85901: { role: 'gp', organisation: 'L85901' },
  gpL85902: { role: 'gp', organisation: 'L85902' },
  edTaunton: { role: 'unscheduled-care', organisation: 'RZ9' },
} as const satisfies ClientSpec;
type ClientName = keyof typeof CP_CLIENTS;

const LA_ONS = 'E06000066';
const LA_INBOX = { recipient: `la:${LA_ONS}`, client: 'somersetLa' } as const;
const GP_INBOXES = [
  { recipient: 'gp:L85901', client: 'gpL85901' },
  { recipient: 'gp:L85902', client: 'gpL85902' },
] as const;
const ED_SETTING = { settingOds: 'RZ901', settingType: 'emergency-department' } as const;

/** Seed children registered in Somerset (infra/seed/README.md), each looked up by its own practice. */
const CHILDREN = [
  { name: 'MIA', nhsNumber: '9991001034', gp: 'gpL85901', inbox: 'gp:L85901' },
  { name: 'LEO', nhsNumber: '9991001042', gp: 'gpL85902', inbox: 'gp:L85902' },
  { name: 'ALFIE', nhsNumber: '9991003037', gp: 'gpL85901', inbox: 'gp:L85901' },
  { name: 'LILY', nhsNumber: '9991003053', gp: 'gpL85902', inbox: 'gp:L85902' },
] as const satisfies readonly { name: string; nhsNumber: string; gp: ClientName; inbox: string }[];
type Child = (typeof CHILDREN)[number];

/** Untimed rounds of plan changes after the plans start, and untimed look-ups of each kind. */
const WARM_UP_ROUNDS = 2;
const WARM_UP_LOOKUPS = 12;
/** Look-ups due together are sent together (open loop); PUTs at most one per plan at a time (the plan's lock). */
const LOOKUP_MAX_BATCH = 20;

interface Arrival {
  readonly recipient: string;
  readonly kind: string;
  /** The plan version (cp-gp-notification) or look-up (cp-access-notification) the notification was made from. */
  readonly sourceId: string;
  readonly payload: Record<string, unknown>;
  readonly pulledAt: number;
  readonly jws: string;
}

function arrivalOf(recipient: string, item: PulledItem, pulledAt: number): Arrival {
  const { payload } = decodeUnverified(item.jws);
  const plan = payload['plan'] as { versionId?: unknown } | undefined;
  const source = item.kind === 'cp-gp-notification' ? plan?.versionId : payload['lookupId'];
  return {
    recipient,
    kind: item.kind,
    sourceId: typeof source === 'string' ? source : `(${item.kind} without a source id)`,
    payload,
    pulledAt,
    jws: item.jws,
  };
}

/** A plan start date a week ago: never in the future on the hub's clock, and every seed child is under 18 on it. */
function weekAgo(): string {
  return new Date(Date.now() - 7 * 86_400_000).toISOString().slice(0, 10);
}

/** Version `version` of a child's plan: the team alternates, so every version differs from the one before it. */
function planVersion(child: Child, startDate: string, version: number): CpPlanSubmission {
  return {
    type: 'child-protection-plan',
    nhsNumber: child.nhsNumber,
    startDate,
    contact: {
      team: `Taunton children and families, team ${version % 2 === 0 ? '2' : '3'}`,
      officeHoursPhone: '01632 960100',
      outOfHoursPhone: '01632 960199',
    },
  };
}

export async function cpLatency(options: CpBenchOptions): Promise<BenchRow[]> {
  const run = randomBytes(4).toString('hex');
  const hub = await createHubProcess({ ...localEndpoints(), clients: CP_CLIENTS });
  const startDate = weekAgo();
  const planIdOf = (child: Child): string => `CP-BENCH-${run}-${child.name}`;

  const arrivals: Arrival[] = [];
  /** First arrival per source id; a second one is a duplicate and fails the run. */
  const firstSeen = new Map<string, number>();
  let duplicates = 0;
  const record = (arrival: Arrival): void => {
    arrivals.push(arrival);
    if (firstSeen.has(arrival.sourceId)) duplicates += 1;
    else firstSeen.set(arrival.sourceId, arrival.pulledAt);
  };
  const deadline = now() + options.timeoutMs;
  const left = (): number => deadline - now();

  /** What each recorded version must produce: one cp-gp-notification to the child's practice. */
  const versions = new Map<string, { child: Child; change: 'started' | 'changed' }>();
  const versionAcceptedAt = new Map<string, number>();
  /** Unscheduled look-ups: one access notification each to la:E06000066. GP look-ups: none. */
  const edLookups = new Map<string, Child>();
  const lookupAnsweredAt = new Map<string, number>();
  const gpLookups = new Set<string>();

  /** One PUT of a new version; must be recorded as `change`. Answers its latency. */
  async function putPlan(child: Child, version: number, change: 'started' | 'changed'): Promise<number> {
    const planId = planIdOf(child);
    const started = now();
    const response = await hub.call('somersetLa', `/v1/child-protection-plans/${planId}`, {
      method: 'PUT',
      body: JSON.stringify(planVersion(child, startDate, version)),
    });
    const text = await response.text();
    const answered = now();
    if (response.status !== 200) throw new Error(`cp: PUT ${planId} answered ${response.status}: ${text}`);
    const status = JSON.parse(text) as CpPlanStatus;
    if (status.outcome !== change || status.status !== 'active' || status.planId !== planId) {
      throw new Error(
        `cp: PUT ${planId} v${version}: expected ${change}/active, got ${status.outcome}/${status.status}`,
      );
    }
    if (versions.has(status.versionId)) throw new Error(`cp: PUT ${planId} v${version} repeated a version id`);
    versions.set(status.versionId, { child, change });
    versionAcceptedAt.set(status.versionId, answered);
    return answered - started;
  }

  /** One look-up; must find the child's plan, notified to Somerset for the ED, to nobody for the GP. */
  async function lookUp(child: Child, by: 'ed' | 'gp'): Promise<number> {
    const query = new URLSearchParams({ nhsNumber: child.nhsNumber, ...(by === 'ed' ? ED_SETTING : {}) });
    const started = now();
    const response = await hub.call(
      by === 'ed' ? 'edTaunton' : child.gp,
      `/v1/child-protection-flags?${query.toString()}`,
    );
    const text = await response.text();
    const answered = now();
    if (response.status !== 200) throw new Error(`cp: ${by} look-up answered ${response.status}: ${text}`);
    const flags = JSON.parse(text) as CpFlags;
    const expectedNotified = by === 'ed' ? [LA_ONS] : [];
    if (
      flags.plans.length !== 1 ||
      flags.plans[0]?.planId !== planIdOf(child) ||
      flags.plans[0].status !== 'active' ||
      JSON.stringify(flags.notified) !== JSON.stringify(expectedNotified)
    ) {
      throw new Error(
        `cp: ${by} look-up of ${child.name} found ${flags.plans.length} plans, notified [${flags.notified.join(', ')}]`,
      );
    }
    if (by === 'ed') {
      edLookups.set(flags.lookupId, child);
      lookupAnsweredAt.set(flags.lookupId, answered);
    } else {
      gpLookups.add(flags.lookupId);
    }
    return answered - started;
  }

  /** Waits until every id in `ids` has its notification in an inbox. Answers when the last one was pulled. */
  async function allArrived(ids: readonly string[], what: string, deadlineMs: number): Promise<number> {
    await withDeadline(
      (async () => {
        while (!ids.every((id) => firstSeen.has(id))) await sleep(10);
      })(),
      deadlineMs,
      `cp ${what}: notifications`,
    );
    return Math.max(...ids.map((id) => firstSeen.get(id)!));
  }

  /** The open-loop offer of `count` operations at `rate`; answers their latencies and the time the last was sent. */
  async function offer(
    count: number,
    rate: number,
    maxBatch: number,
    what: string,
    op: (index: number) => Promise<number>,
  ): Promise<{ latencies: number[]; started: number; sent: number }> {
    const latencies: number[] = [];
    const started = now();
    await withDeadline(
      paced(count, rate, maxBatch, async (first, n) => {
        latencies.push(...(await Promise.all(Array.from({ length: n }, (_, k) => op(first + k)))));
      }),
      left(),
      `cp ${what}`,
    );
    return { latencies, started, sent: now() };
  }

  const rows: BenchRow[] = [];
  const completionNote = (rate: number, completed: number, p95: number): string =>
    `inbox polled every ${options.pollMs} ms; p95 ${p95 <= 1_000 ? 'within' : 'NOT within'} 1 s` +
    (completed >= 0.9 * rate ? '' : `; NOT sustained (${completed.toFixed(1)}/s completed)`);
  return runAgainstHub('cp', hub, async (run) => {
    for (const inbox of [...GP_INBOXES, LA_INBOX]) {
      run.poll([inbox], options.pollMs, (recipient, item, pulledAt) => {
        record(arrivalOf(recipient, item, pulledAt));
      });
    }

    // Warm-up, untimed: tokens, connections, JIT, each stage's first transaction; the plans start here.
    const warmVersionsFrom = versions.size;
    for (const child of CHILDREN) await putPlan(child, 0, 'started');
    for (let round = 1; round <= WARM_UP_ROUNDS; round += 1) {
      for (const child of CHILDREN) await putPlan(child, round, 'changed');
    }
    await allArrived([...versions.keys()].slice(warmVersionsFrom), 'warm-up plans', Math.min(60_000, left()));
    for (let i = 0; i < WARM_UP_LOOKUPS; i += 1) {
      await lookUp(CHILDREN[i % CHILDREN.length]!, 'ed');
      await lookUp(CHILDREN[i % CHILDREN.length]!, 'gp');
    }
    await allArrived([...edLookups.keys()], 'warm-up look-ups', Math.min(60_000, left()));

    // 1 and 2: plan changes, open loop; child i % 4, so a plan is never PUT twice at once (its lock would say 409).
    progress(`cp: ${options.planPuts} plan changes at ${options.putRate}/s`);
    const steadyVersionsFrom = versions.size;
    const puts = await offer(options.planPuts, options.putRate, CHILDREN.length, 'plan PUTs', (i) =>
      putPlan(CHILDREN[i % CHILDREN.length]!, WARM_UP_ROUNDS + 1 + Math.floor(i / CHILDREN.length), 'changed'),
    );
    const steadyVersions = [...versions.keys()].slice(steadyVersionsFrom);
    const putsDone = await allArrived(steadyVersions, 'plan changes', left());
    const putToGp = summarize(steadyVersions.map((id) => firstSeen.get(id)! - versionAcceptedAt.get(id)!));
    const putCompletion = perSecond(steadyVersions.length, putsDone - puts.started);
    rows.push(
      {
        bench: 'cp',
        case: `PUT plan (new version), paced ${options.putRate}/s`,
        count: steadyVersions.length,
        perSecond: perSecond(steadyVersions.length, puts.sent - puts.started),
        latency: summarize(puts.latencies),
        note: `${CHILDREN.length} plans, contact team alternating`,
      },
      {
        bench: 'cp',
        case: `PUT 200 → child's GP notification pullable, paced ${options.putRate}/s`,
        count: steadyVersions.length,
        perSecond: putCompletion,
        latency: putToGp,
        note: completionNote(options.putRate, putCompletion, putToGp.p95),
      },
    );

    // 3: unscheduled-care look-ups that find the plan, open loop; each one notifies Somerset.
    progress(`cp: ${options.lookups} ED look-ups at ${options.lookupRate}/s`);
    const edFrom = edLookups.size;
    const ed = await offer(options.lookups, options.lookupRate, LOOKUP_MAX_BATCH, 'ED look-ups', (i) =>
      lookUp(CHILDREN[i % CHILDREN.length]!, 'ed'),
    );
    const steadyLookups = [...edLookups.keys()].slice(edFrom);
    const edDone = await allArrived(steadyLookups, 'ED look-ups', left());
    const lookupToLa = summarize(steadyLookups.map((id) => firstSeen.get(id)! - lookupAnsweredAt.get(id)!));
    const edCompletion = perSecond(steadyLookups.length, edDone - ed.started);
    rows.push(
      {
        bench: 'cp',
        case: `ED look-up, plan found, paced ${options.lookupRate}/s`,
        count: steadyLookups.length,
        perSecond: perSecond(steadyLookups.length, ed.sent - ed.started),
        latency: summarize(ed.latencies),
      },
      {
        bench: 'cp',
        case: `ED look-up 200 → access notification pullable in la:${LA_ONS}, paced ${options.lookupRate}/s`,
        count: steadyLookups.length,
        perSecond: edCompletion,
        latency: lookupToLa,
        note: completionNote(options.lookupRate, edCompletion, lookupToLa.p95),
      },
    );

    // 4: the children's own practices look them up at the same rate: audited, no notification.
    progress(`cp: ${options.lookups} GP look-ups at ${options.lookupRate}/s`);
    const gpFrom = gpLookups.size;
    const gp = await offer(options.lookups, options.lookupRate, LOOKUP_MAX_BATCH, 'GP look-ups', (i) =>
      lookUp(CHILDREN[i % CHILDREN.length]!, 'gp'),
    );
    rows.push({
      bench: 'cp',
      case: `GP look-up (own patient), plan found, paced ${options.lookupRate}/s`,
      count: gpLookups.size - gpFrom,
      perSecond: perSecond(gpLookups.size - gpFrom, gp.sent - gp.started),
      latency: summarize(gp.latencies),
      note: 'no notification (checked)',
    });

    // Every notification pulled is signed by the hub and belongs to what was sent: one per plan version to the
    // child's practice, one per ED look-up to Somerset, none for a GP look-up (a late one would have had 2 s).
    await sleep(2_000);
    const jwks = await hub.jwks();
    for (const arrival of arrivals) await verify(arrival.jws, jwks);
    if (duplicates > 0) throw new Error(`cp: ${duplicates} notifications pulled twice`);
    for (const arrival of arrivals) {
      const version = versions.get(arrival.sourceId);
      const lookup = edLookups.get(arrival.sourceId);
      const patient = arrival.payload['patient'] as { nhsNumber?: unknown } | undefined;
      const plan = arrival.payload['plan'] as { change?: unknown } | undefined;
      const expected =
        version !== undefined
          ? arrival.kind === 'cp-gp-notification' &&
            arrival.recipient === version.child.inbox &&
            patient?.nhsNumber === version.child.nhsNumber &&
            plan?.change === version.change
          : lookup !== undefined &&
            arrival.kind === 'cp-access-notification' &&
            arrival.recipient === LA_INBOX.recipient &&
            arrival.payload['nhsNumber'] === lookup.nhsNumber;
      if (!expected) {
        const why = gpLookups.has(arrival.sourceId) ? ' (for a GP look-up)' : '';
        throw new Error(`cp: unexpected ${arrival.kind} in ${arrival.recipient}${why}`);
      }
    }
    if (arrivals.length !== versions.size + edLookups.size) {
      throw new Error(`cp: ${arrivals.length} notifications, expected ${versions.size + edLookups.size}`);
    }
    return rows;
  });
}

export async function runCpBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = cpOptions(argv);
  return withHardTimeout(options.timeoutMs + 90_000, 'cp', () => cpLatency(options));
}

if (import.meta.main) await runStandalone(() => runCpBench(process.argv.slice(2)));
