import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvent } from '@hub/audit';
import {
  auditCheckpointsTopic,
  auditEventsTopic,
  auditSequenceTopic,
  canonicalJson,
  type AuditEvent,
} from '@hub/contracts';
import { createKafkaClient, NotYetError, startStep, type KafkaClient } from '@hub/kafka';
import { createPostgres, migrate, type Postgres } from '@hub/postgres';
import { startWorkers } from '@hub/runtime';
import { captureLogs, isolatedPostgresSchema, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { MemoryTree, leafHash, noteVerifier, openCheckpoint, verifyConsistency, verifyInclusion } from '@hub/tlog';
import { applySequenceRecord, auditLogApplier } from './applier.ts';
import { auditLogCheckpoints, createCheckpointer, latestCheckpoint } from './checkpoints.ts';
import { loadLogKey, type LogKey } from './keys.ts';
import { auditLogLeader } from './leader.ts';
import { AUDIT_LOG_MIGRATIONS } from './migrations.ts';
import { EVENTS_FIXTURE, projectEvents as projectStore } from './test-fixture.ts';
import { readLogState } from './state.ts';
import { consistencyProofAt, inclusionProofAt, rootAt } from './tree.ts';

// The log's machinery on real Kafka and PostgreSQL: two instances (each its own PostgreSQL pool, Kafka client and
// leader loop) over one deployment's topics and schema, an events projector standing in for the store's, and a
// rebuild into a fresh schema from the topics alone.

const ORIGIN = 'hub.test/audit-log';
const { postgresUrl, kafkaBrokers } = testEndpoints();
const logs = captureLogs('audit-log-test');
const namespace = isolatedTopicNamespace();
const opened: { close(): Promise<unknown> }[] = [];
const schemas: string[] = [];
let keyDir: string;
let key: LogKey;

async function database(): Promise<Postgres> {
  const schema = isolatedPostgresSchema();
  schemas.push(schema);
  const postgres = pool(schema);
  await migrate(postgres, [EVENTS_FIXTURE, ...AUDIT_LOG_MIGRATIONS], { logger: logs.logger });
  return postgres;
}

function pool(schema: string, applicationName = 'audit-log-test'): Postgres {
  const postgres = createPostgres({ url: postgresUrl, applicationName, logger: logs.logger, schema });
  opened.push(postgres);
  return postgres;
}

function kafkaClient(instanceName: string): KafkaClient {
  const kafka = createKafkaClient({
    brokers: kafkaBrokers,
    clientId: uniqueId('audit-log-test'),
    logger: logs.logger,
    topicNamespace: namespace,
    instanceName,
  });
  opened.push(kafka);
  return kafka;
}

async function projectEvents(
  kafka: KafkaClient,
  postgres: Postgres,
  alter?: (event: AuditEvent) => AuditEvent,
): Promise<void> {
  const subscription = await projectStore(kafka, postgres, alter);
  opened.push({ close: () => subscription.stop() });
}

/**
 * One hub instance's part of the log: its own PostgreSQL pool (application name `audit-log-<name>`) and Kafka client,
 * its applier and checkpoint store, and its leader loop.
 */
async function instance(name: string, schema: string, options: { leaderLimit?: number } = {}) {
  const postgres = pool(schema, `audit-log-${name}`);
  const kafka = kafkaClient(name);
  const logger = logs.logger.child({ instance: name });
  const steps = await Promise.all([
    startStep(kafka, auditLogApplier(postgres, logger)),
    startStep(kafka, auditLogCheckpoints(postgres, logger)),
  ]);
  const leader = auditLogLeader({
    postgres,
    kafka,
    logger,
    lockName: `hub.audit.sequencer:${postgres.schema}`,
    origin: ORIGIN,
    ...(options.leaderLimit === undefined ? {} : { limit: options.leaderLimit }),
    checkpointer: () =>
      createCheckpointer({ postgres, kafka, key, origin: ORIGIN, witnesses: [], now: () => new Date(), logger }),
  });
  const workers = startWorkers([{ service: 'audit', worker: leader }], {
    logger,
    confirm: () => Promise.resolve(true),
    backoff: { initialMs: 100, maxMs: 500, resetAfterMs: 10_000 },
  });
  return {
    name,
    kafka,
    workers,
    async stop() {
      await workers.stop();
      await Promise.all(steps.map((step) => step.stop()));
    },
  };
}

/** The log's two projectors under fresh groups: a rebuild of its tables from the topics. */
async function replayLog(kafka: KafkaClient, postgres: Postgres): Promise<void> {
  for (const binding of [auditLogApplier(postgres, logs.logger), auditLogCheckpoints(postgres, logs.logger)]) {
    const subscription = await startStep(kafka, binding, { groupId: uniqueId('replay') });
    opened.push({ close: () => subscription.stop() });
  }
}

async function publishEvents(kafka: KafkaClient, count: number, label: string): Promise<AuditEvent[]> {
  const events = Array.from({ length: count }, (_, i) =>
    auditEvent('audit', 'audit-searched', new Date(), { reason: `scope:hub` }, [label, String(i)]),
  );
  // Keys spread the events over the topic's six partitions.
  await kafka.publish(
    auditEventsTopic,
    events.map((value, i) => ({ key: `${label}-${i}`, value })),
  );
  return events;
}

interface Leaf {
  readonly partition: number;
  readonly offset: number;
  readonly eventId: string;
  readonly leafHash: Buffer;
  readonly leafIndex: number | null;
}

async function leaves(postgres: Postgres): Promise<Leaf[]> {
  const { rows } = await postgres.query<{
    kafka_partition: number;
    kafka_offset: string;
    event_id: string;
    leaf_hash: Buffer;
    leaf_index: string | null;
  }>('SELECT kafka_partition, kafka_offset, event_id, leaf_hash, leaf_index FROM audit_events');
  return rows.map((row) => ({
    partition: row.kafka_partition,
    offset: Number(row.kafka_offset),
    eventId: row.event_id,
    leafHash: row.leaf_hash,
    leafIndex: row.leaf_index === null ? null : Number(row.leaf_index),
  }));
}

/** Waits until every stored event has a leaf index and there are `count` of them; returns them by leaf index. */
async function sequenced(postgres: Postgres, count: number): Promise<Leaf[]> {
  await expect
    .poll(async () => (await leaves(postgres)).filter((leaf) => leaf.leafIndex !== null).length, { timeout: 30_000 })
    .toBe(count);
  return (await leaves(postgres)).sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0));
}

async function checkpointAt(postgres: Postgres, size: number) {
  await expect.poll(async () => (await latestCheckpoint(postgres))?.size ?? -1, { timeout: 15_000 }).toBe(size);
  const stored = await latestCheckpoint(postgres);
  return openCheckpoint(stored?.note ?? '', ORIGIN, [noteVerifier(key.vkey)]).checkpoint;
}

const leaderOf = (names: readonly string[]): string | undefined => {
  const lines = logs.lines().filter((line) => line['msg'] === 'audit log leader: leading');
  const last = lines.at(-1)?.['instance'];
  return typeof last === 'string' && names.includes(last) ? last : undefined;
};

let live: Postgres;
let publisher: KafkaClient;
const published: AuditEvent[] = [];

beforeAll(async () => {
  keyDir = await mkdtemp(join(tmpdir(), 'audit-log-key-'));
  key = loadLogKey(join(keyDir, 'log.skey'), ORIGIN, true);
  publisher = kafkaClient('publisher');
  await publisher.provisionTopics([auditEventsTopic, auditSequenceTopic, auditCheckpointsTopic]);
  live = await database();
});

afterAll(async () => {
  for (const item of opened.reverse()) await item.close().catch(() => undefined);
  const observer = pool('public');
  for (const schema of schemas) await observer.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await observer.close();
  await rm(keyDir, { recursive: true, force: true });
});

describe('the audit log on two instances', () => {
  let first: Awaited<ReturnType<typeof instance>>;
  let second: Awaited<ReturnType<typeof instance>>;

  beforeAll(async () => {
    await projectEvents(publisher, live);
    // A small record limit, so a burst is sequenced in several records and cut inside partitions.
    first = await instance('first', live.schema, { leaderLimit: 37 });
    second = await instance('second', live.schema, { leaderLimit: 37 });
  });

  it('gives every event one leaf, with consecutive indexes, whichever instance leads', async () => {
    for (let burst = 0; burst < 4; burst += 1) published.push(...(await publishEvents(publisher, 60, `a${burst}`)));
    const all = await sequenced(live, published.length);
    expect(all.map((leaf) => leaf.leafIndex)).toEqual(all.map((_, i) => i));
    // Each event once; the leaves of one partition in offset order.
    expect(new Set(all.map((leaf) => leaf.eventId)).size).toBe(published.length);
    for (let p = 0; p < auditEventsTopic.partitions; p += 1) {
      const offsets = all.filter((leaf) => leaf.partition === p).map((leaf) => leaf.offset);
      expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    }
    // One leader at a time.
    expect(leaderOf([first.name, second.name])).toBeDefined();
    // The tree's root is the RFC 9162 root of the leaf hashes in index order.
    const reference = new MemoryTree();
    for (const leaf of all) reference.appendLeafHash(leaf.leafHash);
    const state = await readLogState(live);
    expect(state.size).toBe(all.length);
    // Sequenced in several records (each a record and its transaction marker: the state is at 2n - 1 after n).
    expect(state.sequenceOffset).toBeGreaterThanOrEqual(2 * Math.ceil(all.length / 37) - 1);
    expect(Buffer.from(state.root).equals(reference.root())).toBe(true);
  });

  it('hands over when the leader dies: its lock goes with its connection, indexes continue without gap or double', async () => {
    const leading = leaderOf([first.name, second.name]);
    const [dying, surviving] = leading === first.name ? [first, second] : [second, first];
    // Killed: the server drops every connection of its pool (its lock with them), and its loops stop.
    const { rowCount } = await live.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
      [`audit-log-${dying.name}`],
    );
    expect(rowCount).toBeGreaterThan(0);
    await dying.stop();
    published.push(...(await publishEvents(publisher, 90, 'b')));
    const all = await sequenced(live, published.length);
    expect(all.map((leaf) => leaf.leafIndex)).toEqual(all.map((_, i) => i));
    expect(leaderOf([first.name, second.name])).toBe(surviving.name);
  });

  it('signs checkpoints that verify with the log key, and proves every event included', async () => {
    const all = await sequenced(live, published.length);
    const checkpoint = await checkpointAt(live, all.length);
    expect(checkpoint.size).toBe(all.length);
    const byId = new Map(published.map((event) => [event.eventId, event]));
    for (const leaf of all) {
      const event = byId.get(leaf.eventId);
      const proof = await inclusionProofAt(live, leaf.leafIndex ?? -1, checkpoint.size);
      verifyInclusion({
        index: leaf.leafIndex ?? -1,
        size: checkpoint.size,
        // The leaf is the event's canonical bytes: anyone holding the event can check it.
        leafHash: leafHash(Buffer.from(canonicalJson(event), 'utf8')),
        proof,
        root: checkpoint.rootHash,
      });
    }
    // A proof for another event's hash fails.
    const proof = await inclusionProofAt(live, 0, checkpoint.size);
    expect(() => {
      verifyInclusion({
        index: 0,
        size: checkpoint.size,
        leafHash: all[1]!.leafHash,
        proof,
        root: checkpoint.rootHash,
      });
    }).toThrow(/root/);
  });

  it('proves each stored checkpoint consistent with the latest', async () => {
    const { rows } = await live.query<{ note: string }>('SELECT note FROM audit_log_checkpoints ORDER BY size');
    const checkpoints = rows.map((row) => openCheckpoint(row.note, ORIGIN, [noteVerifier(key.vkey)]).checkpoint);
    expect(checkpoints.length).toBeGreaterThan(1);
    const latest = checkpoints.at(-1)!;
    for (const older of checkpoints.filter((c) => c.size > 0 && c.size < latest.size)) {
      const proof = await consistencyProofAt(live, older.size, latest.size);
      verifyConsistency({
        size1: older.size,
        size2: latest.size,
        root1: older.rootHash,
        root2: latest.rootHash,
        proof,
      });
    }
    // Every stored checkpoint matches the tree at its size.
    const { rows: flags } = await live.query<{ tree_root_matches: boolean }>(
      'SELECT tree_root_matches FROM audit_log_checkpoints',
    );
    expect(flags.every((flag) => flag.tree_root_matches)).toBe(true);
  });

  it('is rebuilt from Kafka alone into the same tree, every checkpoint checked against it', async () => {
    const rebuilt = await database();
    const kafka = kafkaClient('rebuild');
    await projectEvents(kafka, rebuilt);
    await replayLog(kafka, rebuilt);
    const state = await readLogState(live);
    await expect.poll(async () => (await readLogState(rebuilt)).size, { timeout: 30_000 }).toBe(state.size);
    expect((await readLogState(rebuilt)).root.equals(state.root)).toBe(true);
    // The same leaf for every event, and every checkpoint stored again and matching.
    const key = (leaf: Leaf) => `${leaf.partition}:${leaf.offset}:${leaf.leafIndex}`;
    expect((await leaves(rebuilt)).map(key).sort()).toEqual((await leaves(live)).map(key).sort());
    const count = async (postgres: Postgres) =>
      (await postgres.query('SELECT size FROM audit_log_checkpoints WHERE tree_root_matches')).rowCount;
    await expect.poll(() => count(rebuilt), { timeout: 15_000 }).toBe(await count(live));
    for (const size of [1, Math.floor(state.size / 2), state.size]) {
      expect(Buffer.from(await rootAt(rebuilt, size)).equals(Buffer.from(await rootAt(live, size)))).toBe(true);
    }
  });

  it('reports loudly when a rebuilt store does not give the signed roots', async () => {
    const rewritten = await database();
    const kafka = kafkaClient('rewritten');
    const victim = published[5]!.eventId;
    // A store whose copy of one event differs from what was logged (as if edited before the rebuild).
    await projectEvents(kafka, rewritten, (event) =>
      event.eventId === victim ? { ...event, reason: 'edited' } : event,
    );
    await replayLog(kafka, rewritten);
    const mismatches = async () =>
      (await rewritten.query('SELECT size FROM audit_log_checkpoints WHERE tree_root_matches = false')).rowCount;
    await expect.poll(mismatches, { timeout: 30_000 }).toBeGreaterThan(0);
    expect(logs.lines().some((line) => line['msg'] === 'audit log checkpoint does not match the tree')).toBe(true);
  });

  afterAll(async () => {
    await first.stop().catch(() => undefined);
    await second.stop();
  });
});

describe('the applier', () => {
  it('applies a record only at the tree size, over exactly the events it names, once', async () => {
    const postgres = await database();
    // Three events stored in partition 0 (offsets 0, 1, 3: 2 is a transaction marker) and one in partition 2.
    const rows: [number, number][] = [
      [0, 0],
      [0, 1],
      [0, 3],
      [2, 0],
    ];
    for (const [partition, offset] of rows) {
      const entry = Buffer.from(`{"p":${partition},"o":${offset}}`);
      await postgres.query(
        'INSERT INTO audit_events (kafka_partition, kafka_offset, event_id, entry, leaf_hash) VALUES ($1, $2, $3, $4, $5)',
        [partition, offset, `aud_${partition}${offset}`, entry, leafHash(entry)],
      );
    }
    await postgres.query('INSERT INTO audit_projection VALUES (0, 4), (2, 1)');
    const upTo = [
      { partition: 0, offset: 4 },
      { partition: 2, offset: 1 },
    ];
    // Beyond what is stored: waits.
    await expect(
      applySequenceRecord(postgres, { fromIndex: 0, toIndex: 5, upTo: [{ partition: 0, offset: 9 }] }, 0),
    ).rejects.toBeInstanceOf(NotYetError);
    // A count that is not the stored events': refused, nothing indexed.
    expect(await applySequenceRecord(postgres, { fromIndex: 0, toIndex: 5, upTo }, 0)).toMatchObject({
      kind: 'refused',
    });
    expect((await readLogState(postgres)).size).toBe(0);
    // Not at the tree's size: stale.
    expect(await applySequenceRecord(postgres, { fromIndex: 3, toIndex: 7, upTo }, 2)).toMatchObject({
      kind: 'stale',
    });
    // The right one: partition 0 in offset order, then partition 2.
    expect(await applySequenceRecord(postgres, { fromIndex: 0, toIndex: 4, upTo }, 4)).toEqual({
      kind: 'applied',
      size: 4,
    });
    const indexed = await leaves(postgres);
    expect(indexed.sort((a, b) => (a.leafIndex ?? 0) - (b.leafIndex ?? 0)).map((l) => [l.partition, l.offset])).toEqual(
      rows,
    );
    // Redelivered: a duplicate, nothing changes; a later record whose upTo goes back: refused.
    expect(await applySequenceRecord(postgres, { fromIndex: 0, toIndex: 4, upTo }, 4)).toEqual({ kind: 'duplicate' });
    expect(
      await applySequenceRecord(postgres, { fromIndex: 4, toIndex: 5, upTo: [{ partition: 0, offset: 3 }] }, 6),
    ).toMatchObject({ kind: 'refused' });
    const state = await readLogState(postgres);
    expect(state.size).toBe(4);
    expect(state.sequenceOffset).toBe(7);
  });
});
