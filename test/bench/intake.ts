/**
 * Burst intake (issue 10, item 3: group commit), two ways, `--intake-concurrency` in flight (closed loop):
 *
 * 1. The request side of `@hub/kafka` alone, in this process: `--intake-posts` request transactions shaped like an
 *    incident's (its record, then its audit event, under one transactional id), once with one Kafka transaction per
 *    request (`groupCommit.maxMembers: 1`, what `transaction()` did before group commit) and once with the defaults.
 * 2. The real hub over HTTP: high-risk Whitlock incidents POSTed, counted as 202s per second. Nothing waits for the
 *    pipeline to drain (that is `e2e`), but the hub's stages run meanwhile, as they would. `--hub-root` runs another
 *    checkout's hub (its services/hub/src/main.ts from its root), so two commits are compared by one script.
 *    `--instances=N` runs it as N processes of one deployment (hub-instances.ts), the POSTs spread round-robin.
 *
 * `BENCH_CPU_PROF_DIR=<dir>` makes the hub write its CPU profile there (test/e2e/hub-process.ts).
 *
 *   node test/bench/intake.ts [--intake-posts=2000] [--intake-concurrency=50] [--hub-root=<checkout>]
 *     [--instances=1] [--timeout-s=300]
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { z } from 'zod';
import { defineTopic } from '@hub/contracts';
import { createKafkaClient, type KafkaClientOptions } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { localEndpoints } from '../e2e/hub-process.ts';
import { whitlockIncident } from '../e2e/whitlock.ts';
import { createHubInstances, instancesNote, instancesOption } from './hub-instances.ts';
import { runAgainstHub } from './hub-run.ts';
import {
  intOption,
  now,
  perSecond,
  progress,
  runStandalone,
  summarize,
  timedConcurrently,
  withDeadline,
  withHardTimeout,
  type BenchRow,
} from './stats.ts';

interface IntakeBenchOptions {
  readonly posts: number;
  readonly concurrency: number;
  /** Another checkout whose hub is measured; undefined: this one. */
  readonly hubRoot: string | undefined;
  /** Hub processes of one deployment (hub-instances.ts). */
  readonly instances: number;
  readonly timeoutMs: number;
}

/** Posts before the measured burst: connections, producers and JIT warm. */
const WARM_UP = 50;

/** A text option: `--name=value`, else the environment variable; undefined when neither is set or empty. */
function textOption(argv: readonly string[], name: string, envName: string): string | undefined {
  const flag = `--${name}=`;
  const value = argv.findLast((arg) => arg.startsWith(flag))?.slice(flag.length) ?? process.env[envName];
  return value === '' ? undefined : value;
}

export function intakeOptions(argv: readonly string[]): IntakeBenchOptions {
  return {
    posts: intOption(argv, 'intake-posts', 'BENCH_INTAKE_POSTS', 2_000),
    concurrency: intOption(argv, 'intake-concurrency', 'BENCH_INTAKE_CONCURRENCY', 50),
    hubRoot: textOption(argv, 'hub-root', 'BENCH_HUB_ROOT'),
    instances: instancesOption(argv),
    timeoutMs: intOption(argv, 'timeout-s', 'BENCH_INTAKE_TIMEOUT_S', 300) * 1000,
  };
}

const Note = z.object({ request: z.number().int(), part: z.enum(['record', 'audit']), body: z.string() }).strict();
const noteTopic = (name: string) =>
  defineTopic({
    name,
    description: 'bench',
    schema: Note,
    partitions: 3,
    retentionMs: 60 * 60 * 1000,
    cleanupPolicy: 'delete',
  });
const records = noteTopic('bench.intake-records.v1');
const audits = noteTopic('bench.intake-audit.v1');
/** About an incident record's size. */
const BODY = 'x'.repeat(2_000);

/** `posts` request transactions (record, then audit event) with `concurrency` in flight, under `groupCommit`. */
async function requestTransactions(
  options: IntakeBenchOptions,
  label: string,
  groupCommit: NonNullable<KafkaClientOptions['groupCommit']>,
): Promise<BenchRow> {
  const kafka = createKafkaClient({
    brokers: localEndpoints().kafkaBrokers,
    clientId: 'bench-intake',
    logger: createLogger({ service: 'bench', level: 'silent' }),
    topicNamespace: `bench${randomBytes(4).toString('hex')}.`,
    groupCommit,
  });
  try {
    await kafka.provisionTopics([records, audits]);
    const one = (request: number) =>
      kafka.transaction('bench-intake', async (tx) => {
        await tx.publish(records, [{ key: `r${request}`, value: { request, part: 'record', body: BODY } }]);
        await tx.publish(audits, [{ key: `r${request}`, value: { request, part: 'audit', body: '' } }]);
      });
    await timedConcurrently(WARM_UP, options.concurrency, (n) => one(-1 - n));
    progress(`intake: ${options.posts} request transactions, ${label}`);
    const done = await withDeadline(
      timedConcurrently(options.posts, options.concurrency, one),
      options.timeoutMs,
      `intake ${label}`,
    );
    return {
      bench: 'intake',
      case: `transaction(), record + audit, ${options.concurrency} in flight: ${label}`,
      count: options.posts,
      perSecond: perSecond(options.posts, done.elapsedMs),
      latency: summarize(done.latencies),
    };
  } finally {
    await kafka.close();
  }
}

export async function intake(options: IntakeBenchOptions): Promise<BenchRow[]> {
  // Alternated, so a change in the machine's load shows as disagreement between the two runs of one setting.
  const inProcess = [
    await requestTransactions(options, 'one transaction per request', { maxMembers: 1 }),
    await requestTransactions(options, 'group commit (defaults)', {}),
    await requestTransactions(options, 'one transaction per request', { maxMembers: 1 }),
    await requestTransactions(options, 'group commit (defaults)', {}),
  ];
  return [...inProcess, ...(await overHttp(options))];
}

async function overHttp(options: IntakeBenchOptions): Promise<BenchRow[]> {
  const run = randomBytes(4).toString('hex');
  const hub = await createHubInstances(options.instances, {
    ...localEndpoints(),
    ...(options.hubRoot === undefined
      ? {}
      : { main: { file: join(options.hubRoot, 'services/hub/src/main.ts'), cwd: options.hubRoot } }),
  });
  const started = now();
  const left = (): number => options.timeoutMs - (now() - started);

  /** One POST of a new incident; anything but its 202 stops the bench. */
  async function post(incidentId: string): Promise<void> {
    const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(whitlockIncident({ incidentId })),
    });
    const text = await response.text();
    if (response.status !== 202) throw new Error(`intake: POST answered ${response.status}: ${text}`);
  }
  const ids = (phase: string, count: number): string[] =>
    Array.from({ length: count }, (_, i) => `ASP-INTAKE-${run}-${phase}-${String(i + 1).padStart(5, '0')}`);

  return runAgainstHub('intake', hub, async () => {
    const warm = ids('W', WARM_UP);
    await withDeadline(
      timedConcurrently(warm.length, options.concurrency, (index) => post(warm[index]!)),
      left(),
      'intake warm-up',
    );
    const burst = ids('B', options.posts);
    progress(`intake: ${burst.length} POSTs, ${options.concurrency} in flight`);
    const posts = await withDeadline(
      timedConcurrently(burst.length, options.concurrency, (index) => post(burst[index]!)),
      left(),
      'intake burst',
    );
    return [
      {
        bench: 'intake',
        case: `POST incident, burst, ${options.concurrency} in flight`,
        count: burst.length,
        perSecond: perSecond(burst.length, posts.elapsedMs),
        latency: summarize(posts.latencies),
        note: `${options.hubRoot === undefined ? 'this checkout' : `hub of ${options.hubRoot}`}; ${instancesNote(options.instances)}`,
      },
    ];
  });
}

export async function runIntakeBench(argv: readonly string[]): Promise<BenchRow[]> {
  const options = intakeOptions(argv);
  return withHardTimeout(options.timeoutMs + 90_000, 'intake', () => intake(options));
}

if (import.meta.main) await runStandalone(() => runIntakeBench(process.argv.slice(2)));
