/**
 * A view rebuild (issue 9), timed against a history the real hub wrote itself: the hub as a child process
 * (test/e2e/hub-process.ts; fresh topic namespace and Redis key prefix) takes `--rebuild-incidents` high-risk
 * Whitlock incidents over HTTP while GP and MARAC systems pull their inboxes, until every notification is pulled and
 * every view's groups have caught up. The records in each view's topics are counted (read back, not estimated);
 * then every view is rebuilt twice, as `./hub rebuild` asks (services/hub/src/rebuild.ts): with `--discard` (the
 * views answer not-ready until served) and beside the served generation (readiness must stay 200). Each time from
 * the ask to every view served, per view and overall, and the inboxes read back whole afterwards.
 *
 *   node test/bench/rebuild.ts [--rebuild-incidents=2000] [--post-concurrency=20] [--timeout-s=1800]
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { HUB_VIEW_NAMES, VIEW_KEYS, viewSteps, type HubViewName, type TopicSpec } from '@hub/contracts';
import { askForRebuild, rebuildState } from '@hub/hub';
import { createKafkaClient, type GroupLag, type KafkaClient, type Subscription } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { createPostgres } from '@hub/postgres';
import { closeRedis, createRedis, deleteMatching, type RedisClient } from '@hub/redis';
import { postgresMarkers, type PostgresMarkers } from '@hub/runtime';
import { createHubProcess, localEndpoints, pullInboxPage, type HubProcess } from '../e2e/hub-process.ts';
import { whitlockIncident } from '../e2e/whitlock.ts';
import { runAgainstHub } from './hub-run.ts';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  sleep,
  timedConcurrently,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface RebuildBenchOptions {
  readonly incidents: number;
  readonly postConcurrency: number;
  readonly timeoutMs: number;
}

export function rebuildOptions(argv: readonly string[]): RebuildBenchOptions {
  return {
    // Not `--incidents`: that is e2e's paced count (200 at 10/s), and one flag sets every benchmark named.
    incidents: intOption(argv, 'rebuild-incidents', 'BENCH_REBUILD_INCIDENTS', 2_000),
    postConcurrency: intOption(argv, 'post-concurrency', 'BENCH_REBUILD_POST_CONCURRENCY', 20),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_REBUILD_TIMEOUT_S', 1_800) * 1000,
  };
}

/** Where each high-risk Whitlock incident's five notifications go (infra/seed/README.md), and who pulls them. */
const INBOXES = [
  { recipient: 'gp:L85901', client: 'gpVictim', perIncident: 2 }, // Sarah and Mia
  { recipient: 'gp:L85902', client: 'gpOther', perIncident: 1 }, // Leo
  { recipient: 'gp:L85904', client: 'gpPerpetrator', perIncident: 1 }, // Daniel
  { recipient: 'marac:E06000066', client: 'marac', perIncident: 1 }, // the referral
] as const;
const PAGE = 100;
const POLL_MS = 200;
/** How often the bench looks at build states and readiness while a rebuild runs (the hub checks every 2 s). */
const WATCH_MS = 100;
/**
 * A live group is caught up 1 short of a partition's end (the last transaction's marker), or up to MARKER_SLACK short
 * and still since the previous look. A consume group commits past markers (lag 0); a transactional stage's group
 * commits only with its transactions, so it stands behind its input partition's tail of commit markers: one per
 * producer whose transaction wrote there last, up to the writing stage's partition producers (the dispatcher's 6, a
 * tail of 6 markers seen on notifications.issued.v1) plus the deadline firer's.
 */
const CAUGHT_UP_SLACK = 1;
const MARKER_SLACK = 16;

/** Counts, per view, as the table shows them. */
interface ViewOutcome {
  readonly view: HubViewName;
  readonly records: number;
  readonly servedAfterMs: number;
  /** The hub's own last progress report for the build (`view:<view>:progress`): offsets read and its rate. */
  readonly hubRead: number | undefined;
  readonly hubPerSecond: number | undefined;
}

interface RebuildOutcome {
  readonly views: readonly ViewOutcome[];
  readonly elapsedMs: number;
  /** CPU time (user + system) the hub process used meanwhile, if /proc told. */
  readonly hubCpuMs: number | undefined;
  readonly probes: number;
  readonly notReady: number;
}

/** Whether every partition of every lag is caught up; `previous` remembers positions between calls (as view-build.ts). */
function caughtUp(
  lags: readonly { readonly key: string; readonly partitions: GroupLag['partitions'] }[],
  previous: Map<string, string>,
): boolean {
  let all = true;
  for (const { key, partitions } of lags) {
    for (const partition of partitions) {
      const at = `${key}/${partition.partition}`;
      const seen = `${partition.committed ?? '-'}/${partition.end}`;
      const still = previous.get(at) === seen;
      previous.set(at, seen);
      if (partition.lag > CAUGHT_UP_SLACK && !(still && partition.lag <= MARKER_SLACK)) all = false;
    }
  }
  return all;
}

/** Polls `groups` (logical ids, each on its topic) every 500 ms until all have caught up. */
async function untilCaughtUp(
  kafka: KafkaClient,
  groups: readonly { readonly groupId: string; readonly topic: TopicSpec }[],
  what: string,
  deadlineMs: number,
): Promise<void> {
  const previous = new Map<string, string>();
  await withDeadline(
    (async () => {
      for (;;) {
        const lags = await Promise.all(
          groups.map(async ({ groupId, topic }) => ({
            key: `${groupId}@${topic.name}`,
            partitions: (await kafka.lag(groupId, topic)).partitions,
          })),
        );
        if (caughtUp(lags, previous)) return;
        await sleep(500);
      }
    })(),
    deadlineMs,
    what,
  );
}

/** The topics the views are rebuilt from, each once, and the views' steps (group and topic). */
const SOURCE_TOPICS: readonly TopicSpec[] = [
  ...new Map(HUB_VIEW_NAMES.flatMap((view) => viewSteps(view).map((step) => [step.input.name, step.input]))).values(),
];

/**
 * Counts the records of every source topic by reading them (read_committed, through @hub/kafka as a service reads:
 * each one's contract checked), under groups of the bench's own, kept running so later records are counted too.
 * Distinct (partition, offset) pairs, so a redelivery is not counted twice.
 */
function startCounters(kafka: KafkaClient, run: string) {
  const seen = new Map<string, Set<string>>(SOURCE_TOPICS.map((topic) => [topic.name, new Set<string>()]));
  const groups = SOURCE_TOPICS.map((topic) => ({ groupId: `bench-count-${run}-${topic.name}`, topic }));
  const subscriptions: Subscription[] = [];
  return {
    groups,
    async start() {
      for (const { groupId, topic } of groups) {
        subscriptions.push(
          await kafka.consume(topic, {
            groupId,
            handle: (message) => {
              seen.get(topic.name)?.add(`${message.partition}:${message.offset}`);
              return Promise.resolve();
            },
          }),
        );
      }
    },
    /** Records per topic once every counter has caught up. */
    async counts(deadlineMs: number): Promise<Map<string, number>> {
      await untilCaughtUp(kafka, groups, 'rebuild: counting the topics', deadlineMs);
      return new Map([...seen].map(([name, offsets]) => [name, offsets.size]));
    },
    async stop() {
      await Promise.allSettled(subscriptions.map((subscription) => subscription.stop()));
      await Promise.allSettled(groups.map(({ groupId }) => kafka.deleteGroup(groupId)));
    },
  };
}

/** Offsets (records and transaction markers) in each source topic now: what a build's progress counts. */
async function offsetsPerTopic(kafka: KafkaClient, run: string): Promise<Map<string, number>> {
  const entries = await Promise.all(
    SOURCE_TOPICS.map(async (topic) => [topic.name, (await kafka.lag(`bench-offsets-${run}`, topic)).lag] as const),
  );
  return new Map(entries);
}

const recordsOf = (view: HubViewName, counts: ReadonlyMap<string, number>): number =>
  viewSteps(view).reduce((sum, step) => sum + (counts.get(step.input.name) ?? 0), 0);

/** A number field of the hub's progress report (counts only), if it has one. */
function progressField(progressReport: unknown, field: 'read' | 'perSecond'): number | undefined {
  if (typeof progressReport !== 'object' || progressReport === null) return undefined;
  const value = (progressReport as Record<string, unknown>)[field];
  return typeof value === 'number' ? value : undefined;
}

/**
 * CPU time (user + system) a process has used, from /proc/<pid>/stat (Linux; clock ticks of 10 ms, the x86-64
 * USER_HZ), or undefined. Tells a hub busy computing from one waiting for round trips.
 */
function cpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // from field 3 (state) on
    return (Number(fields[11]) + Number(fields[12])) * 10; // fields 14 and 15: utime, stime
  } catch {
    return undefined;
  }
}

/** GET /health/ready every WATCH_MS until stopped: how many answers, and how many were not 200. */
function watchReadiness(hub: HubProcess) {
  let probes = 0;
  let notReady = 0;
  const stopping = new AbortController();
  const loop = (async () => {
    while (!stopping.signal.aborted) {
      try {
        const response = await fetch(`${hub.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status !== 200) notReady += 1;
      } catch {
        notReady += 1;
      }
      probes += 1;
      await sleep(WATCH_MS);
    }
  })();
  return {
    async stop(): Promise<{ probes: number; notReady: number }> {
      stopping.abort();
      await loop;
      return { probes, notReady };
    },
  };
}

/** Asks for a new generation of every view and waits until each is served; readiness watched throughout. */
async function rebuildAll(
  hub: HubProcess,
  redis: RedisClient,
  markers: PostgresMarkers,
  counts: ReadonlyMap<string, number>,
  discard: boolean,
  deadlineMs: number,
): Promise<RebuildOutcome> {
  const readiness = watchReadiness(hub);
  const cpuBefore = cpuMs(hub.pid);
  const started = now();
  try {
    const asked = await askForRebuild(redis, HUB_VIEW_NAMES, { discard, postgres: markers });
    const underWay = asked.filter((entry) => !entry.asked).map((entry) => entry.view);
    if (underWay.length > 0) throw new Error(`rebuild: a build was already under way for ${underWay.join(', ')}`);
    const pending = new Map(asked.map(({ view, generation }) => [view, generation]));
    const lastProgress = new Map<HubViewName, unknown>();
    const served = new Map<HubViewName, number>();
    let lastLine = now();
    await withDeadline(
      (async () => {
        while (pending.size > 0) {
          for (const [view, generation] of pending) {
            const state = await rebuildState(redis, view, generation, markers);
            if (state.state === 'served') {
              served.set(view, now() - started);
              pending.delete(view);
            } else if (state.state === 'building') {
              lastProgress.set(view, state.progress);
            }
          }
          if (now() - lastLine > 10_000) {
            lastLine = now();
            const going = [...pending.keys()].map(
              (view) => `${view} ${progressField(lastProgress.get(view), 'read') ?? 0}`,
            );
            progress(`rebuild: ${Math.round((now() - started) / 1000)} s, offsets read: ${going.join(', ')}`);
          }
          if (pending.size > 0) await sleep(WATCH_MS);
        }
      })(),
      deadlineMs,
      `rebuild ${discard ? '--discard' : 'beside'}`,
    );
    const elapsedMs = now() - started;
    const cpuAfter = cpuMs(hub.pid);
    const { probes, notReady } = await readiness.stop();
    return {
      views: HUB_VIEW_NAMES.map((view) => ({
        view,
        records: recordsOf(view, counts),
        servedAfterMs: served.get(view) ?? elapsedMs,
        hubRead: progressField(lastProgress.get(view), 'read'),
        hubPerSecond: progressField(lastProgress.get(view), 'perSecond'),
      })),
      elapsedMs,
      hubCpuMs: cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore,
      probes,
      notReady,
    };
  } finally {
    await readiness.stop();
  }
}

/** Waits until no instance holds a builder lease (a switched build replays on for a grace period, then ends). */
async function untilBuildsEnded(redis: RedisClient, deadlineMs: number): Promise<void> {
  await withDeadline(
    (async () => {
      while ((await redis.exists(...HUB_VIEW_NAMES.map((view) => VIEW_KEYS.builder(view)))) > 0) await sleep(250);
    })(),
    deadlineMs,
    'rebuild: builds ending after their switch',
  );
}

/** Every inbox read back from its start, as a GP or MARAC system would: each must hold exactly its share. */
async function checkInboxes(hub: HubProcess, incidents: number, what: string): Promise<void> {
  for (const { recipient, client, perIncident } of INBOXES) {
    let count = 0;
    let cursor: string | undefined;
    for (;;) {
      const page = await pullInboxPage(hub, client, recipient, cursor);
      count += page.items.length;
      if (page.items.length < PAGE) break;
      cursor = page.nextCursor;
    }
    if (count !== incidents * perIncident) {
      throw new Error(
        `rebuild ${what}: ${recipient} holds ${count} notifications, expected ${incidents * perIncident}`,
      );
    }
  }
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const rate = (value: number | undefined): string =>
  value === undefined ? '–' : Math.round(value).toLocaleString('en-GB');

function rebuildRows(label: string, outcome: RebuildOutcome, readinessExpected: string): BenchRow[] {
  const total = outcome.views.reduce((sum, view) => sum + view.records, 0);
  const readiness =
    outcome.notReady === 0
      ? `readiness 200 throughout (${outcome.probes} probes)`
      : `readiness NOT 200 in ${outcome.notReady} of ${outcome.probes} probes`;
  return [
    ...outcome.views.map((view) => ({
      bench: 'rebuild',
      case: `${label}: view ${view.view}`,
      count: view.records,
      perSecond: perSecond(view.records, view.servedAfterMs),
      note:
        `served after ${seconds(view.servedAfterMs)}; hub's last report ${rate(view.hubRead)} offsets read at ` +
        `${rate(view.hubPerSecond)}/s`,
    })),
    {
      bench: 'rebuild',
      case: `${label}: every view, ask → all served`,
      count: total,
      perSecond: perSecond(total, outcome.elapsedMs),
      note:
        `${seconds(outcome.elapsedMs)}; ${readiness} (${readinessExpected}); hub CPU ` +
        (outcome.hubCpuMs === undefined
          ? '–'
          : `${seconds(outcome.hubCpuMs)} (${Math.round((100 * outcome.hubCpuMs) / outcome.elapsedMs)}% of one core)`) +
        '; ops/s = records replayed/s',
    },
  ];
}

export async function rebuildBench(options: RebuildBenchOptions): Promise<BenchRow[]> {
  const run = randomBytes(4).toString('hex');
  const endpoints = localEndpoints();
  const hub = await createHubProcess(endpoints);
  const logger = createLogger({ service: 'bench', level: 'silent' });
  const kafka = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: 'bench-rebuild',
    logger,
    topicNamespace: hub.namespace,
  });
  const redis = createRedis({ url: endpoints.redisUrl, keyPrefix: hub.redisPrefix, connectionName: 'bench', logger });
  // The audit view's generation marker is kept in PostgreSQL, in the hub's own schema.
  const postgres = createPostgres({
    url: endpoints.postgresUrl,
    schema: hub.deployment.postgresSchema,
    applicationName: 'bench-rebuild',
    logger,
  });
  const markers = postgresMarkers(postgres);
  const counters = startCounters(kafka, run);
  const deadline = now() + options.timeoutMs;
  const left = (): number => deadline - now();
  try {
    return await runAgainstHub('rebuild', hub, async () => {
      // 1. The history: incidents posted, their notifications pulled as the GP and MARAC systems pull them.
      const ids = Array.from(
        { length: options.incidents },
        (_, i) => `ASP-BENCH-${run}-H-${String(i + 1).padStart(5, '0')}`,
      );
      const pulled = new Map<string, number>(INBOXES.map(({ recipient }) => [recipient, 0]));
      const cursors = new Map<string, string>();
      const pulling = new AbortController();
      const puller = (async () => {
        while (!pulling.signal.aborted) {
          let full = false;
          for (const { recipient, client } of INBOXES) {
            const page = await pullInboxPage(hub, client, recipient, cursors.get(recipient));
            if (page.items.length > 0) cursors.set(recipient, page.nextCursor);
            if (page.items.length === PAGE) full = true;
            pulled.set(recipient, (pulled.get(recipient) ?? 0) + page.items.length);
          }
          if (!full) await sleep(POLL_MS);
        }
      })();
      const allPulled = (): boolean =>
        INBOXES.every(({ recipient, perIncident }) => (pulled.get(recipient) ?? 0) >= perIncident * ids.length);
      progress(`rebuild: history, ${ids.length} incidents, ${options.postConcurrency} in flight`);
      const historyStarted = now();
      try {
        await withDeadline(
          timedConcurrently(ids.length, options.postConcurrency, async (index) => {
            const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
              method: 'POST',
              body: JSON.stringify(whitlockIncident({ incidentId: ids[index]! })),
            });
            await response.arrayBuffer();
            if (response.status !== 202) throw new Error(`rebuild: POST answered ${response.status}`);
          }),
          left(),
          'rebuild: posting the history',
        );
        progress(`rebuild: posted in ${seconds(now() - historyStarted)}; waiting for the inboxes`);
        await withDeadline(
          Promise.race([
            puller.then(() => {
              throw new Error('rebuild: the puller stopped');
            }),
            (async () => {
              while (!allPulled()) await sleep(50);
            })(),
          ]),
          left(),
          'rebuild: every notification pulled',
        );
      } finally {
        pulling.abort();
        await puller.catch((error: unknown) => {
          if (!allPulled()) throw error;
        });
      }
      const pulledAfterMs = now() - historyStarted;
      for (const { recipient, perIncident } of INBOXES) {
        if (pulled.get(recipient) !== perIncident * ids.length) {
          throw new Error(`rebuild: ${recipient} gave ${pulled.get(recipient)}, expected ${perIncident * ids.length}`);
        }
      }
      // Every view's live groups caught up (the audit store, receipt status and inbox states last). A projector that
      // runs only in a rebuild (`rebuildOnly`) has no live group: waiting for it would never end.
      const liveGroups = HUB_VIEW_NAMES.flatMap((view) =>
        viewSteps(view)
          .filter((step) => !(step.kind === 'projector' && step.rebuildOnly === true))
          .map((step) => ({ groupId: step.groupId, topic: step.input })),
      );
      await untilCaughtUp(kafka, liveGroups, 'rebuild: the views catching up with the history', left());
      const drainedAfterMs = now() - historyStarted;
      progress(`rebuild: drained after ${seconds(drainedAfterMs)}; counting the records`);

      // 2. What the views are rebuilt from, counted.
      const countStarted = now();
      await counters.start();
      const counts = await counters.counts(left());
      const offsets = await offsetsPerTopic(kafka, run);
      const history = SOURCE_TOPICS.map(
        (topic) => `${topic.name} ${counts.get(topic.name) ?? 0} (${offsets.get(topic.name) ?? 0} offsets)`,
      ).join(', ');
      progress(`rebuild: counted in ${seconds(now() - countStarted)}: ${history}`);

      // 3. Rebuilds: discarding the served generation, then beside it.
      progress('rebuild: every view, --discard');
      const discarded = await rebuildAll(hub, redis, markers, counts, true, left());
      await untilBuildsEnded(redis, Math.min(60_000, left()));
      await checkInboxes(hub, ids.length, '--discard');

      const countsBeside = await counters.counts(left());
      progress('rebuild: every view, beside the served generation');
      const beside = await rebuildAll(hub, redis, markers, countsBeside, false, left());
      await untilBuildsEnded(redis, Math.min(60_000, left()));
      await checkInboxes(hub, ids.length, 'beside');

      const notifications = counts.get('notifications.issued.v1') ?? 0;
      const auditEvents = counts.get('audit.events.v1') ?? 0;
      return [
        {
          bench: 'rebuild',
          case: `history: ${ids.length} incidents posted (${options.postConcurrency} in flight) → pulled, views caught up`,
          count: ids.length,
          perSecond: perSecond(ids.length, drainedAfterMs),
          note:
            `${seconds(drainedAfterMs)} (all pulled after ${seconds(pulledAfterMs)}); ${notifications} notifications, ` +
            `${auditEvents} audit events; records (offsets) per topic: ${history}`,
        },
        ...rebuildRows('--discard', discarded, 'not-ready expected while the views build'),
        ...rebuildRows('beside', beside, 'must stay 200'),
      ];
    });
  } finally {
    await counters.stop();
    await kafka.close();
    // The hub has stopped (runAgainstHub): its keys go, under its own prefix only.
    const deleted = await deleteMatching(redis, '*').catch(() => 0);
    progress(`rebuild: ${deleted} keys deleted under the run's prefix`);
    await closeRedis(redis);
    await postgres.close();
  }
}

export async function runRebuildBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = rebuildOptions(argv);
  return withHardTimeout(options.timeoutMs + 120_000, 'rebuild', () => rebuildBench(options));
}

if (import.meta.main) await runStandalone(() => runRebuildBench(process.argv.slice(2)));
