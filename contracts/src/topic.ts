import type { z } from 'zod';

export const CLEANUP_POLICIES = ['delete', 'compact'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];

/**
 * Where the topics are provisioned: `production` (a cluster of at least three brokers) or `local` (the one broker of
 * infra/local and the tests). Chosen by configuration (`KAFKA_DURABILITY`), never guessed from the cluster.
 */
export const DURABILITY_PROFILES = ['local', 'production'] as const;
export type DurabilityProfile = (typeof DURABILITY_PROFILES)[number];

/** How many brokers keep each partition, and how many must have a write before it is acknowledged (acks=all). */
export interface TopicDurability {
  readonly replicationFactor: number;
  readonly minInsyncReplicas: number;
}

/**
 * Every topic's durability unless its declaration overrides a profile. Production: three copies, two in sync before
 * a write is acknowledged, so one broker may be lost (or restarted) without losing an acknowledged record or
 * refusing writes. Local: one broker, one copy.
 */
export const DEFAULT_DURABILITY: Readonly<Record<DurabilityProfile, TopicDurability>> = Object.freeze({
  production: Object.freeze({ replicationFactor: 3, minInsyncReplicas: 2 }),
  local: Object.freeze({ replicationFactor: 1, minInsyncReplicas: 1 }),
});

/**
 * One Kafka topic: its name, the contract every message on it must satisfy, and how the broker keeps it.
 * Declared here, in one place; provisioned by code (`@hub/kafka` provisionTopics), never by auto-creation.
 * Every topic also gets a dead-letter twin `<name>.dlq` with the same retention.
 */
export interface TopicSpec<Schema extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  /**
   * What the message key is, e.g. "the receipt id". The key picks the partition, so it decides what stays in
   * order. Documented in the generated AsyncAPI document (`contracts/generated/asyncapi.json`); `pnpm
   * contracts:generate` refuses a topic in `ALL_TOPICS` without it.
   */
  readonly key?: string;
  /** The message value's contract; validated on publish and on consume. */
  readonly schema: Schema;
  readonly partitions: number;
  /** How long the broker keeps messages; -1 keeps them for ever (Kafka is the record). */
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  /** Replication factor and `min.insync.replicas` per profile (`DEFAULT_DURABILITY` unless the declaration says). */
  readonly durability: Readonly<Record<DurabilityProfile, TopicDurability>>;
}

/** What a topic declares: its spec, with durability only where a profile differs from `DEFAULT_DURABILITY`. */
export type TopicDeclaration<Schema extends z.ZodType = z.ZodType> = Omit<TopicSpec<Schema>, 'durability'> & {
  readonly durability?: { readonly [P in DurabilityProfile]?: TopicDurability };
};

export type MessageOf<T extends TopicSpec> = z.infer<T['schema']>;

export const FOREVER = -1;
export const DAYS = 24 * 60 * 60 * 1000;

export function defineTopic<Schema extends z.ZodType>(declared: TopicDeclaration<Schema>): TopicSpec<Schema> {
  const spec: TopicSpec<Schema> = {
    ...declared,
    durability: Object.freeze({ ...DEFAULT_DURABILITY, ...declared.durability }),
  };
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.v\d+$/.test(spec.name)) {
    throw new Error(
      `topic name "${spec.name}" must be dotted lower-case ending in a version, e.g. "incidents.received.v1"`,
    );
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new Error(`topic "${spec.name}" needs a whole number of partitions >= 1`);
  }
  for (const profile of DURABILITY_PROFILES) checkDurability(spec.name, profile, spec.durability[profile]);
  return Object.freeze(spec);
}

/**
 * 1 <= min.insync.replicas <= replication factor everywhere. In production also: min.insync.replicas >= 2 (an
 * acknowledged record is on two brokers) and below the replication factor (one broker down still takes writes).
 */
function checkDurability(topic: string, profile: DurabilityProfile, durability: TopicDurability): void {
  const { replicationFactor: rf, minInsyncReplicas: isr } = durability;
  const where = `topic "${topic}", ${profile} durability`;
  if (!Number.isInteger(rf) || rf < 1 || !Number.isInteger(isr) || isr < 1) {
    throw new Error(`${where}: replication factor and min.insync.replicas must be whole numbers >= 1`);
  }
  if (isr > rf) {
    throw new Error(`${where}: min.insync.replicas ${isr} exceeds the replication factor ${rf}`);
  }
  if (profile === 'production' && (isr < 2 || isr >= rf)) {
    throw new Error(
      `${where}: needs min.insync.replicas >= 2 and below the replication factor (got ${isr} of ${rf}), ` +
        'so an acknowledged record is on two brokers and one broker may be down',
    );
  }
}

export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}
