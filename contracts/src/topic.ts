import type { z } from 'zod';

export const CLEANUP_POLICIES = ['delete', 'compact'] as const;
export type CleanupPolicy = (typeof CLEANUP_POLICIES)[number];

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
}

export type MessageOf<T extends TopicSpec> = z.infer<T['schema']>;

export const FOREVER = -1;
export const DAYS = 24 * 60 * 60 * 1000;

export function defineTopic<Schema extends z.ZodType>(spec: TopicSpec<Schema>): TopicSpec<Schema> {
  if (!/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*\.v\d+$/.test(spec.name)) {
    throw new Error(
      `topic name "${spec.name}" must be dotted lower-case ending in a version, e.g. "incidents.received.v1"`,
    );
  }
  if (!Number.isInteger(spec.partitions) || spec.partitions < 1) {
    throw new Error(`topic "${spec.name}" needs a whole number of partitions >= 1`);
  }
  return Object.freeze(spec);
}

export function deadLetterTopicName(topic: string): string {
  return `${topic}.dlq`;
}
