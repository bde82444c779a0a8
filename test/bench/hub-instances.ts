/**
 * The hub as N processes of one deployment on this machine (`--instances`, issue 10): as the Kubernetes StatefulSet's
 * replicas share the work through Kafka consumer groups (infra/k8s). The first process owns the deployment (topic
 * namespace, Redis prefix, PostgreSQL schema, clients, signing keys); the others join it
 * (test/e2e/hub-process.ts `joining`), each with its own `KAFKA_INSTANCE_NAME` (`hub-2`, `hub-3`, ...; the first keeps
 * the default `hub-1`). Requests are spread round-robin over the processes, as a load balancer would.
 */
import { ALL_STEPS } from '@hub/contracts';
import { createKafkaClient, DEFAULTS } from '@hub/kafka';
import { createLogger } from '@hub/logger';
import { createHubProcess, type HubProcess, type HubProcessOptions } from '../e2e/hub-process.ts';
import { intOption, now, progress, sleep } from './stats.ts';

/** `--instances` (`BENCH_INSTANCES`): how many hub processes of one deployment; 1 is the hub as one process. */
export function instancesOption(argv: readonly string[]): number {
  return intOption(argv, 'instances', 'BENCH_INSTANCES', 1);
}

/** What a result row's note says about the hub measured. */
export function instancesNote(count: number): string {
  return count === 1 ? '1 hub process' : `${count} hub processes of one deployment`;
}

/** The consumer groups every process runs live (runtime.ts `liveSteps`: all but the rebuild-only projectors). */
const LIVE_GROUPS: readonly string[] = ALL_STEPS.flatMap((step) =>
  (step.kind === 'stage' || step.kind === 'projector') && !(step.kind === 'projector' && step.rebuildOnly === true)
    ? [step.groupId]
    : [],
);

/**
 * How long every group must keep its N members before the processes count as settled. A process that joins a
 * group starts a rebalance; the members already in it learn of it at their next heartbeat (every
 * `heartbeatIntervalMs`, sent between fetches, which wait at most `fetch.maxWaitTimeMs`), rejoin, and the
 * assignment follows at once. Once every group has held N members for longer than that, every rebalance the joins
 * began has ended, and no further member is coming.
 */
const SETTLE_MS = DEFAULTS.heartbeatIntervalMs + DEFAULTS.fetch.maxWaitTimeMs + 1_000;
const SETTLE_POLL_MS = 500;

export interface HubInstances {
  readonly count: number;
  /** The first process, then the joiners in their order. */
  readonly processes: readonly HubProcess[];
  /**
   * Starts the first process, then each joiner once the one before is ready (as the StatefulSet's `OrderedReady`),
   * then waits until every live consumer group has all N members and has kept them for the settle time. The default
   * deadline is a minute per process and one more for the groups.
   */
  start(timeoutMs?: number): Promise<void>;
  /** Stops the joiners, then the first (whose stop removes the deployment's temp dir and schema). Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
  /** `HubProcess.call` on the next process in turn (round-robin, as a load balancer). */
  call: HubProcess['call'];
  /** The hub's published JWKS (any process: they share the signing keys). */
  jwks: HubProcess['jwks'];
  /** Every process's last output lines, each headed by its instance name. */
  output(): string;
  /** One line for progress: each process's URL and pid, the namespace. */
  describe(): string;
}

const instanceName = (index: number): string => `hub-${index + 1}`;

/** Creates (does not start) `count` hub processes of one deployment. */
export async function createHubInstances(count: number, options: HubProcessOptions): Promise<HubInstances> {
  const first = await createHubProcess(options);
  const processes: HubProcess[] = [first];
  try {
    for (let index = 1; index < count; index += 1) {
      processes.push(
        await createHubProcess({
          ...options,
          joining: first,
          env: { ...options.env, KAFKA_INSTANCE_NAME: instanceName(index) },
        }),
      );
    }
  } catch (error) {
    await Promise.allSettled(processes.map((hub) => hub.stop()));
    throw error;
  }
  let turn = 0;
  return {
    count,
    processes,
    async start(timeoutMs = 60_000 * (count + 1)) {
      const deadline = now() + timeoutMs;
      for (const hub of processes) await hub.start(Math.max(1, deadline - now()));
      await settled(first.namespace, count, options.kafkaBrokers, deadline);
    },
    async stop(graceMs = 15_000) {
      await Promise.allSettled(processes.slice(1).map((hub) => hub.stop(graceMs)));
      await first.stop(graceMs);
    },
    call(client, path, init) {
      const hub = processes[turn % count]!;
      turn += 1;
      return hub.call(client, path, init);
    },
    jwks: () => first.jwks(),
    output: () => processes.map((hub, index) => `--- ${instanceName(index)}:\n${hub.output()}`).join('\n'),
    describe: () =>
      `${instancesNote(count)} (namespace ${first.namespace}): ` +
      processes.map((hub, index) => `${instanceName(index)} ${hub.url} pid ${String(hub.pid)}`).join(', '),
  };
}

/** Waits until every live group of the deployment in `namespace` has had exactly `count` members for `SETTLE_MS`. */
async function settled(namespace: string, count: number, brokers: readonly string[], deadline: number): Promise<void> {
  const kafka = createKafkaClient({
    brokers: [...brokers],
    clientId: 'bench-instances',
    logger: createLogger({ service: 'bench', level: 'silent' }),
    topicNamespace: namespace,
  });
  const started = now();
  try {
    let since: number | undefined;
    let short: string[] = [];
    while (now() < deadline) {
      const members = await Promise.all(LIVE_GROUPS.map((group) => kafka.groupMembers(group)));
      short = LIVE_GROUPS.flatMap((group, index) => (members[index] === count ? [] : [`${group} ${members[index]}`]));
      if (short.length > 0) since = undefined;
      else since ??= now();
      if (since !== undefined && now() - since >= SETTLE_MS) {
        progress(
          `hub: ${LIVE_GROUPS.length} consumer groups with ${count} member(s) each, settled after ` +
            `${((now() - started) / 1000).toFixed(1)} s`,
        );
        return;
      }
      await sleep(SETTLE_POLL_MS);
    }
    throw new Error(
      `hub: consumer groups not at ${count} member(s) in time: ${short.join(', ') || 'not held long enough'}`,
    );
  } finally {
    await kafka.close();
  }
}
