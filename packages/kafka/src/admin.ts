import kafkajs, { type Admin, type ITopicConfig } from 'kafkajs';
import type { DurabilityProfile, TopicSpec } from '@hub/contracts';
import type { ClientCore } from './client.ts';
import { describeError } from './dead-letter.ts';
import { classifyKafkaError } from './kafka-errors.ts';
import { DEFAULTS } from './limits.ts';
import { sleep, withTimeout } from './retry.ts';
import type { ProvisionReport } from './types.ts';

const { ConfigResourceTypes, ConfigSource } = kafkajs;

/** The topic configs we own. Everything else on a topic is left as operators set it. */
export const MANAGED_CONFIGS = {
  retention: 'retention.ms',
  cleanup: 'cleanup.policy',
  minInsyncReplicas: 'min.insync.replicas',
} as const;

export interface DesiredTopic {
  readonly name: string;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly configs: Readonly<Record<string, string>>;
}

/**
 * Provisioning under a durability profile whose replication factor the cluster cannot hold: refused before anything
 * is created. Names the profile and the numbers only.
 */
export class InsufficientBrokersError extends Error {
  override readonly name = 'InsufficientBrokersError';
  readonly profile: DurabilityProfile;
  readonly replicationFactor: number;
  readonly brokers: number;
  constructor(profile: DurabilityProfile, replicationFactor: number, brokers: number) {
    super(
      `the ${profile} durability profile needs at least ${replicationFactor} brokers (replication factor ` +
        `${replicationFactor}); the cluster has ${brokers}. No topic was created or changed ` +
        '(KAFKA_DURABILITY=local for a single broker)',
    );
    this.profile = profile;
    this.replicationFactor = replicationFactor;
    this.brokers = brokers;
  }
}

/**
 * Each spec's topic and its `.dlq` twin (same partitions, retention, cleanup policy and durability), physical names,
 * with the replication factor and min.insync.replicas of `profile`.
 */
export function desiredTopics(
  core: Pick<ClientCore, 'names'>,
  specs: readonly TopicSpec[],
  profile: DurabilityProfile,
): DesiredTopic[] {
  const byName = new Map<string, DesiredTopic>();
  for (const spec of specs) {
    const durability = spec.durability[profile];
    const configs = {
      [MANAGED_CONFIGS.retention]: String(spec.retentionMs),
      [MANAGED_CONFIGS.cleanup]: spec.cleanupPolicy,
      [MANAGED_CONFIGS.minInsyncReplicas]: String(durability.minInsyncReplicas),
    };
    for (const name of [core.names.topic(spec.name), core.names.deadLetter(spec.name)]) {
      const wanted: DesiredTopic = {
        name,
        partitions: spec.partitions,
        replicationFactor: durability.replicationFactor,
        configs,
      };
      const seen = byName.get(name);
      if (seen !== undefined && JSON.stringify(seen) !== JSON.stringify(wanted)) {
        throw new Error(`topic ${name} is declared twice with different settings`);
      }
      byName.set(name, wanted);
    }
  }
  return [...byName.values()];
}

/**
 * Creates missing topics with the profile's replication factor, aligns the managed configs of existing ones
 * (retention, cleanup policy, min.insync.replicas), waits for every partition to have a leader. Refuses at once,
 * creating nothing, when the cluster has fewer brokers than the profile's replication factor. Never deletes and
 * never changes a partition count (that would move keys between partitions and break ordering) or a replication
 * factor (a reassignment is an operator's job): a difference is logged for an operator.
 */
export async function provisionTopics(
  core: ClientCore,
  specs: readonly TopicSpec[],
  profile: DurabilityProfile,
): Promise<ProvisionReport> {
  // Every step is idempotent (create what is missing, align what differs), so a transient answer in the middle
  // (KRaft answering "This server does not host this topic-partition" for a topic whose metadata arrived before its
  // log, a coordinator moving) is met by provisioning again from the start.
  return retryTransient(() => provisionOnce(core, specs, profile));
}

async function provisionOnce(
  core: ClientCore,
  specs: readonly TopicSpec[],
  profile: DurabilityProfile,
): Promise<ProvisionReport> {
  const admin = await core.admin();
  const log = core.logger.child({ component: 'kafka-admin' });
  const desired = desiredTopics(core, specs, profile);
  const needed = Math.max(0, ...desired.map((topic) => topic.replicationFactor));
  const { brokers } = await admin.describeCluster();
  if (brokers.length < needed) throw new InsufficientBrokersError(profile, needed, brokers.length);
  const existing = new Set(await admin.listTopics());
  const missing = desired.filter((topic) => !existing.has(topic.name));
  const present = desired.filter((topic) => existing.has(topic.name));

  if (missing.length > 0) {
    const topics: ITopicConfig[] = missing.map((topic) => ({
      topic: topic.name,
      numPartitions: topic.partitions,
      replicationFactor: topic.replicationFactor,
      configEntries: Object.entries(topic.configs).map(([name, value]) => ({ name, value })),
    }));
    // Answers false (no throw) when another process created them first: fine, settings are checked next run.
    await admin.createTopics({ topics, waitForLeaders: true, timeout: DEFAULTS.leaderWaitTimeoutMs });
    log.info({ topics: missing.map((topic) => topic.name) }, 'topics created');
  }

  const altered: string[] = [];
  if (present.length > 0) {
    await warnOnLayoutDrift(admin, present, log);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((topic) => ({ type: ConfigResourceTypes.TOPIC, name: topic.name })),
    });
    for (const topic of present) {
      const resource = described.resources.find((r) => r.resourceName === topic.name);
      if (resource === undefined) throw new Error(`describeConfigs did not answer for ${topic.name}`);
      const current = new Map(resource.configEntries.map((entry) => [entry.configName, entry]));
      const drift = Object.entries(topic.configs).filter(([name, value]) => current.get(name)?.configValue !== value);
      if (drift.length === 0) continue;
      // kafkajs only has the legacy AlterConfigs, which REPLACES a topic's whole config: carry over every value set on
      // the topic itself, then ours on top, so an operator's other settings survive.
      const keep = resource.configEntries.filter((entry) => entry.configSource === ConfigSource.TOPIC_CONFIG);
      if (keep.some((entry) => entry.isSensitive)) {
        throw new Error(
          `topic ${topic.name} has a sensitive config; align ${drift.map(([n]) => n).join(', ')} by hand`,
        );
      }
      const merged = new Map<string, string>(keep.map((entry) => [entry.configName, entry.configValue]));
      for (const [name, value] of Object.entries(topic.configs)) merged.set(name, value);
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic.name,
            configEntries: [...merged].map(([name, value]) => ({ name, value })),
          },
        ],
      });
      altered.push(topic.name);
      log.warn(
        { topic: topic.name, changed: drift.map(([name]) => name) },
        'topic config differed from its spec; altered',
      );
    }
  }

  await waitForLeaders(admin, desired, DEFAULTS.leaderWaitTimeoutMs);
  const created = missing.map((topic) => topic.name);
  return {
    created,
    altered,
    unchanged: present.map((topic) => topic.name).filter((name) => !altered.includes(name)),
  };
}

async function warnOnLayoutDrift(
  admin: Admin,
  topics: readonly DesiredTopic[],
  log: ClientCore['logger'],
): Promise<void> {
  const metadata = await admin.fetchTopicMetadata({ topics: topics.map((topic) => topic.name) });
  for (const topic of topics) {
    const partitions = metadata.topics.find((t) => t.name === topic.name)?.partitions;
    if (partitions === undefined) continue;
    if (partitions.length !== topic.partitions) {
      log.warn(
        { topic: topic.name, actual: partitions.length, declared: topic.partitions },
        'partition count differs from spec; not changed',
      );
    }
    const replicas = Math.min(...partitions.map((p) => p.replicas.length));
    if (replicas !== topic.replicationFactor) {
      log.warn(
        { topic: topic.name, actual: replicas, declared: topic.replicationFactor },
        'replication factor differs from the durability profile; not changed (reassign partitions by hand)',
      );
    }
  }
}

/** Until every partition of every topic has a leader (producing before that fails). */
async function waitForLeaders(admin: Admin, topics: readonly DesiredTopic[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const names = topics.map((topic) => topic.name);
  for (;;) {
    const { topics: metadata } = await admin.fetchTopicMetadata({ topics: names });
    const ready = names.every((name) => {
      const partitions = metadata.find((t) => t.name === name)?.partitions ?? [];
      return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
    });
    // A leader in the metadata is not yet a partition the leader serves: KRaft publishes the metadata before the
    // broker has created the partition's log, and a produce or offset fetch in between is answered "This server
    // does not host this topic-partition". Asking each leader for its offsets (ListOffsets) proves it serves them.
    if (ready && (await leadersServe(admin, names))) return;
    if (Date.now() > deadline) throw new Error(`topics had no serving leaders after ${timeoutMs} ms`);
    await sleep(100);
  }
}

async function leadersServe(admin: Admin, names: readonly string[]): Promise<boolean> {
  try {
    await Promise.all(names.map((name) => admin.fetchTopicOffsets(name)));
    return true;
  } catch (error) {
    if (classifyKafkaError(error) === 'transient') return false;
    throw error;
  }
}

export async function ping(core: ClientCore, timeoutMs: number = DEFAULTS.pingTimeoutMs): Promise<boolean> {
  try {
    await withTimeout(
      (async () => {
        const admin = await core.admin();
        await admin.describeCluster();
      })(),
      timeoutMs,
      'Kafka ping',
    );
    return true;
  } catch (error) {
    const { name, code } = describeError(error);
    core.logger.debug({ errorName: name, errorCode: code }, 'Kafka ping failed');
    return false;
  }
}

export async function waitUntilReady(core: ClientCore, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    if (await ping(core, Math.min(left, DEFAULTS.pingTimeoutMs))) return;
    await sleep(Math.min(250, Math.max(deadline - Date.now(), 0)));
  }
  throw new Error(`Kafka was not ready within ${timeoutMs} ms`);
}

/** How far a consumer group is behind on one topic. */
export interface GroupLag {
  /** True when the group has consumed something: a committed offset past the start of some partition's log. */
  readonly progressed: boolean;
  /** Records (and transaction markers) between the group's committed offsets and the ends, over every partition. */
  readonly lag: number;
  readonly partitions: readonly {
    readonly partition: number;
    /** The group's committed offset, or null when it has none. */
    readonly committed: string | null;
    /** The last stable offset (read committed): where a consumer that has read everything stands. */
    readonly end: string;
    readonly lag: number;
  }[];
}

/**
 * The group's lag on `topic`: per partition, its end (last stable offset) less its committed offset (the start of
 * the log when it has none). A transaction leaves a marker after its records. A `consume` group commits past markers
 * and aborted records, so one that has read everything stands at the end; a `processTransactionally` group commits
 * only in its transactions, never past its input's markers: one that has read everything of a partition whose last
 * write was a transaction stands 1 behind (more after an aborted one). Callers decide what caught up means.
 */
export async function groupLag(core: ClientCore, groupId: string, topic: TopicSpec | string): Promise<GroupLag> {
  const admin = await core.admin();
  const physical = core.names.topic(typeof topic === 'string' ? topic : topic.name);
  const [committed, ends] = await retryTransient(() =>
    Promise.all([
      admin.fetchOffsets({ groupId: core.names.group(groupId), topics: [physical] }),
      admin.fetchTopicOffsets(physical),
    ]),
  );
  const byPartition = new Map(
    (committed.find((entry) => entry.topic === physical)?.partitions ?? []).map((p) => [p.partition, p.offset]),
  );
  let progressed = false;
  const partitions = ends
    .map(({ partition, offset, low }) => {
      const at = byPartition.get(partition);
      const has = at !== undefined && Number(at) >= 0;
      if (has && Number(at) > Number(low)) progressed = true;
      const from = has ? Math.max(Number(at), Number(low)) : Number(low);
      return { partition, committed: has ? at : null, end: offset, lag: Math.max(0, Number(offset) - from) };
    })
    .sort((a, b) => a.partition - b.partition);
  return { progressed, lag: partitions.reduce((sum, p) => sum + p.lag, 0), partitions };
}

/**
 * How many offsets `<topic>.dlq` holds (end minus start, over its partitions): 0 exactly when it holds no dead letter.
 * Dead letters a stage writes in its transaction carry a commit marker each, so this is an upper bound of the records
 * (at most twice as many); `deadLetters` lists them.
 */
export async function deadLetterDepth(core: ClientCore, topic: TopicSpec): Promise<number> {
  const admin = await core.admin();
  const offsets = await retryTransient(() => admin.fetchTopicOffsets(core.names.deadLetter(topic.name)));
  return offsets.reduce((sum, { offset, low }) => sum + Math.max(0, Number(offset) - Number(low)), 0);
}

const TRANSIENT_ATTEMPTS = 5;

/** A transient answer (a new group's coordinator moving, a new partition not yet served): ask again. */
async function retryTransient<R>(work: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= TRANSIENT_ATTEMPTS || classifyKafkaError(error) !== 'transient') throw error;
      await sleep(100 * attempt);
    }
  }
}
