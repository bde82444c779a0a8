/**
 * Test-only: raw kafkajs access for integration tests, to do what the typed client deliberately cannot (write bytes
 * that break a contract, read dead-letter topics with their headers, read uncommitted, inspect broker state).
 * Not exported from index.ts; only *.int.test.ts files import it.
 */
import { randomBytes } from 'node:crypto';
import kafkajs, { type Consumer, type IHeaders } from 'kafkajs';
import type { Logger } from '@hub/logger';
import { readHeaders } from '../headers.ts';
import { createLogCreator, kafkaLogLevel } from '../log-creator.ts';

const { Kafka, ConfigResourceTypes, Partitioners } = kafkajs;

export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Readonly<Record<string, string>>;
}

export interface RawMessage {
  readonly key?: string | Buffer | null;
  readonly value: string | Buffer | null;
  readonly headers?: IHeaders;
}

export interface RawReader {
  /** Every record read so far, in arrival order. */
  readonly records: RawRecord[];
}

/** Consumer settings that keep group joins and stops quick against a single test broker. */
export const FAST_CONSUMER = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 500,
  rebalanceTimeoutMs: 10_000,
  maxWaitTimeMs: 250,
} as const;

export interface RawKafka {
  produce(topic: string, messages: readonly RawMessage[]): Promise<void>;
  /** Reads `topics` from the beginning in a fresh group; read_committed unless asked otherwise. */
  read(topics: readonly string[], options?: { readonly readUncommitted?: boolean }): Promise<RawReader>;
  /** The group's committed offset per partition of `topic` ('-1' when none). */
  committedOffsets(groupId: string, topic: string): Promise<string[]>;
  /**
   * Commits `offset` for the group on partition 0 of `topic` in a transaction of its own (a transactional id no
   * processor uses), as a partition's previous owner does; the group may have live members.
   */
  commitOffsetInTransaction(groupId: string, topic: string, offset: string): Promise<void>;
  /** The group's state (`Stable`, `PreparingRebalance`, `Empty`, ...) and member count. */
  groupState(groupId: string): Promise<{ state: string; members: number }>;
  /** Creates a bare topic (no dead-letter twin), to test what happens when one is missing. */
  createTopic(topic: string): Promise<void>;
  topicConfig(topic: string): Promise<Record<string, string>>;
  partitionCount(topic: string): Promise<number>;
  /** The offset after the last record or marker of each partition of `topic` (its high watermark). */
  endOffsets(topic: string): Promise<string[]>;
  /** Legacy AlterConfigs: replaces the topic's whole config with `entries`. */
  replaceTopicConfig(topic: string, entries: Readonly<Record<string, string>>): Promise<void>;
  close(): Promise<void>;
}

export async function createRawKafka(brokers: readonly string[], logger: Logger): Promise<RawKafka> {
  const kafka = new Kafka({
    clientId: 'raw-test',
    brokers: [...brokers],
    logLevel: kafkaLogLevel('warn'),
    logCreator: createLogCreator(logger),
  });
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
  });
  const admin = kafka.admin();
  await Promise.all([producer.connect(), admin.connect()]);
  const consumers: Consumer[] = [];

  return {
    async produce(topic, messages) {
      await producer.send({ topic, acks: -1, messages: messages.map((message) => ({ ...message })) });
    },
    async read(topics, options = {}) {
      const consumer = kafka.consumer({
        groupId: `raw-reader-${randomBytes(5).toString('hex')}`,
        readUncommitted: options.readUncommitted ?? false,
        sessionTimeout: FAST_CONSUMER.sessionTimeoutMs,
        heartbeatInterval: FAST_CONSUMER.heartbeatIntervalMs,
        rebalanceTimeout: FAST_CONSUMER.rebalanceTimeoutMs,
        maxWaitTimeInMs: FAST_CONSUMER.maxWaitTimeMs,
      });
      consumers.push(consumer);
      const records: RawRecord[] = [];
      await consumer.connect();
      await consumer.subscribe({ topics: [...topics], fromBeginning: true });
      await consumer.run({
        eachMessage: ({ topic, partition, message }) => {
          records.push({
            topic,
            partition,
            offset: message.offset,
            key: message.key,
            value: message.value,
            headers: readHeaders(message.headers),
          });
          return Promise.resolve();
        },
      });
      return { records };
    },
    async committedOffsets(groupId, topic) {
      const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return (entry?.partitions ?? []).sort((a, b) => a.partition - b.partition).map((p) => p.offset);
    },
    async commitOffsetInTransaction(groupId, topic, offset) {
      const owner = kafka.producer({
        transactionalId: `raw-owner-${randomBytes(5).toString('hex')}`,
        idempotent: true,
        maxInFlightRequests: 1,
      });
      await owner.connect();
      try {
        const transaction = await owner.transaction();
        await transaction.sendOffsets({
          consumerGroupId: groupId,
          topics: [{ topic, partitions: [{ partition: 0, offset }] }],
        });
        await transaction.commit();
      } finally {
        await owner.disconnect();
      }
    },
    async groupState(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      return { state: groups[0]?.state ?? 'Dead', members: groups[0]?.members.length ?? 0 };
    },
    async createTopic(topic) {
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true });
    },
    async topicConfig(topic) {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
      });
      const entries = described.resources[0]?.configEntries ?? [];
      return Object.fromEntries(entries.map((entry) => [entry.configName, entry.configValue]));
    },
    async partitionCount(topic) {
      const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
      return metadata.topics[0]?.partitions.length ?? 0;
    },
    async endOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.sort((a, b) => a.partition - b.partition).map((p) => p.high);
    },
    async replaceTopicConfig(topic, entries) {
      await admin.alterConfigs({
        validateOnly: false,
        resources: [
          {
            type: ConfigResourceTypes.TOPIC,
            name: topic,
            configEntries: Object.entries(entries).map(([name, value]) => ({ name, value })),
          },
        ],
      });
    },
    async close() {
      await Promise.allSettled(consumers.map((consumer) => consumer.disconnect()));
      await Promise.allSettled([producer.disconnect(), admin.disconnect()]);
    },
  };
}
