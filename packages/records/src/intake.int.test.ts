import { setTimeout as sleep } from 'node:timers/promises';
import {
  DAYS,
  auditEventsTopic,
  contentHash,
  defineTopic,
  type AuditEvent,
  type RequestStep,
  type TopicSpec,
} from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import {
  createKafkaClient,
  type KafkaClient,
  type OutboundMessage,
  type PublishedOffsets,
  type Subscription,
  type TransactionScope,
} from '@hub/kafka';
import { LockBusyError, closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import {
  captureLogs,
  isolatedRedisPrefix,
  isolatedTopicNamespace,
  testEndpoints,
  uniqueId,
  type CapturedLogs,
} from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  applyVersion,
  createVersionedIntake,
  readLatestVersion,
  versionIdOf,
  type Admission,
  type LatestVersion,
  type VersionView,
  type VersionWrite,
  type VersionedRecordKind,
} from './index.ts';

// A record kind of this test's own, with every part the hub's kinds have: a topic of versions, a latest-version
// view with an index set (each owner's open notes, at most OPEN_LIMIT, a place reserved before recording).

const notesTopic = defineTopic({
  name: 'test.records-notes.v1',
  description: 'test: versions of notes',
  key: 'owner:noteId',
  schema: z
    .object({
      versionId: z.string().regex(/^nv_[a-f0-9]{32}$/),
      owner: z.string(),
      noteId: z.string(),
      previousVersionId: z
        .string()
        .regex(/^nv_[a-f0-9]{32}$/)
        .nullable(),
      contentHash: z.string().regex(/^[a-f0-9]{64}$/),
      text: z.string(),
      open: z.boolean(),
      recordedAt: z.string(),
    })
    .strict(),
  partitions: 2,
  retentionMs: DAYS,
  cleanupPolicy: 'delete',
});
type NoteRecord = z.infer<typeof notesTopic.schema>;
interface NoteContent {
  readonly text: string;
  readonly open: boolean;
}
interface NoteVersion extends LatestVersion {
  readonly text: string;
  readonly open: boolean;
}

const OPEN_LIMIT = 3;
const AT = new Date('2026-11-23T10:00:00.000Z');
const STEP: RequestStep = {
  kind: 'request',
  service: 'hub',
  description: 'test: note versions',
  transactionalId: 'records-test',
  operations: [],
  outputs: [notesTopic, auditEventsTopic],
};

const keys = {
  latest: (owner: string, noteId: string) => `note:${owner}:${noteId}`,
  lock: (owner: string, noteId: string) => `note:${owner}:${noteId}:lock`,
  open: (owner: string) => `open-notes:${owner}`,
};

function noteView(redis: RedisClient): VersionView<NoteRecord, NoteVersion> {
  return {
    latest: (owner, noteId) => readLatestVersion<NoteVersion>(redis, keys.latest(owner, noteId)),
    apply: (record, offset) =>
      applyVersion(redis, {
        key: keys.latest(record.owner, record.noteId),
        latest: { versionId: record.versionId, contentHash: record.contentHash, text: record.text, open: record.open },
        previousVersionId: record.previousVersionId,
        offset,
        index: {
          key: keys.open(record.owner),
          member: record.noteId,
          limit: OPEN_LIMIT,
          fate: record.open ? 'add' : 'remove',
        },
      }),
  };
}

function noteKind(view: VersionView<NoteRecord, NoteVersion>): VersionedRecordKind<typeof notesTopic, NoteVersion> {
  return {
    step: STEP,
    idPrefix: 'nv',
    topic: notesTopic,
    keyOf: (record) => `${record.owner}:${record.noteId}`,
    lockKey: keys.lock,
    busyDetail: 'Another change of this note is being recorded; retry shortly.',
    view,
  };
}

/** The intake of notes on `redis` and `kafka`: a new note reserves its place among its owner's open notes. */
function noteIntake(redis: RedisClient, client: KafkaClient = kafka) {
  const intake = createVersionedIntake(
    { kafka: client, redis, transactionalId: uniqueId('records-notes') },
    noteKind(noteView(redis)),
  );
  return (owner: string, noteId: string, content: NoteContent) =>
    intake.submit({
      owner,
      recordId: noteId,
      content,
      at: AT,
      inspect: (latest) => {
        if (latest !== undefined && !latest.open && content.open) throw new Error('a closed note stays closed');
      },
      unchanged: (latest) => ({
        action: 'plan-unchanged',
        fields: { receiptId: latest.versionId, incidentRef: `${owner}:${noteId}` },
      }),
      admit: async (latest): Promise<Admission | undefined> => {
        if (latest !== undefined || !content.open) return undefined;
        const added = await redis.sadd(keys.open(owner), noteId);
        if ((await redis.scard(keys.open(owner))) > OPEN_LIMIT) {
          await redis.srem(keys.open(owner), noteId);
          throw new Error('too many open notes');
        }
        return added === 1 ? { release: () => redis.srem(keys.open(owner), noteId).then(() => undefined) } : undefined;
      },
      version: (ids) => ({
        record: noteRecord(owner, noteId, content, ids),
        audit: {
          action: 'plan-recorded',
          fields: {
            receiptId: ids.versionId,
            incidentRef: `${owner}:${noteId}`,
            reason: ids.previousVersionId === null ? 'first' : 'changed',
          },
        },
      }),
    });
}

interface VersionIds {
  readonly versionId: string;
  readonly previousVersionId: string | null;
  readonly contentHash: string;
}

/** A note's version record, chained on `ids`. */
function noteRecord(owner: string, noteId: string, content: NoteContent, ids: VersionIds) {
  return {
    versionId: ids.versionId,
    owner,
    noteId,
    previousVersionId: ids.previousVersionId,
    contentHash: ids.contentHash,
    text: content.text,
    open: content.open,
    recordedAt: AT.toISOString(),
  };
}

/** `submit`'s `version` for a note: its record and a plain audit event. */
function plainVersion(owner: string, noteId: string, content: NoteContent) {
  return (ids: VersionIds) => ({
    record: noteRecord(owner, noteId, content, ids),
    audit: { action: 'plan-recorded' as const, fields: { receiptId: ids.versionId } },
  });
}

let logs: CapturedLogs;
let kafka: KafkaClient;
let redis: RedisClient;
let submit: ReturnType<typeof noteIntake>;
const extraRedis: RedisClient[] = [];
const subscriptions: Subscription[] = [];
/** Every committed record of the notes topic, with its offset (the readers are read_committed). */
const recorded: { value: NoteRecord; key: string | null; offset: string }[] = [];
const audited: { key: string | null; value: AuditEvent }[] = [];

function newRedis(): RedisClient {
  const client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'records-intake-test',
    logger: logs.logger,
  });
  extraRedis.push(client);
  return client;
}

beforeAll(async () => {
  logs = captureLogs('records');
  kafka = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'records-intake-test',
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  await kafka.provisionTopics([notesTopic, auditEventsTopic]);
  redis = newRedis();
  submit = noteIntake(redis);
  subscriptions.push(
    await kafka.consume(notesTopic, {
      groupId: uniqueId('records-notes-reader'),
      maxWaitTimeMs: 100,
      handle: ({ key, value, offset }) => {
        recorded.push({ key, value, offset });
        return Promise.resolve();
      },
    }),
    await kafka.consume(auditEventsTopic, {
      groupId: uniqueId('records-audit-reader'),
      maxWaitTimeMs: 100,
      handle: ({ key, value }) => {
        audited.push({ key, value });
        return Promise.resolve();
      },
    }),
  );
});

afterAll(async () => {
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  await kafka.close();
  await Promise.all(extraRedis.map((client) => closeRedis(client)));
});

const versionsOf = (owner: string, noteId: string) =>
  recorded.filter((r) => r.value.owner === owner && r.value.noteId === noteId);
const auditOf = (versionId: string) => audited.filter((a) => a.value.receiptId === versionId);

/** Waits until `count()` reaches `expected`, then a little longer, so a stray extra would be seen. */
async function settle(count: () => number, expected: number): Promise<void> {
  await expect.poll(count, { timeout: 15_000, interval: 25 }).toBeGreaterThanOrEqual(expected);
  await sleep(500);
}

/** The view's keys under the client's prefix (not the locks), with their content. */
async function snapshot(client: RedisClient): Promise<Record<string, unknown>> {
  const found = (await scanKeys(client, '*')).filter((key) => !key.endsWith(':lock')).sort();
  const entries = await Promise.all(
    found.map(async (key): Promise<[string, unknown]> => {
      const type = await client.type(key);
      if (type === 'string') return [key, JSON.parse((await client.get(key)) ?? 'null') as unknown];
      if (type === 'set') return [key, (await client.smembers(key)).sort()];
      if (type === 'hash') return [key, await client.hgetall(key)];
      return [key, `unexpected ${type}`];
    }),
  );
  return Object.fromEntries(entries);
}

/**
 * `client` whose transactions fail after the record is sent and before the commit: the audit event's publish
 * throws, so the broker aborts a transaction that already holds the record.
 */
function failingBeforeCommit(client: KafkaClient): KafkaClient {
  return {
    ...client,
    transaction: <R>(transactionalId: string, work: (tx: TransactionScope) => Promise<R>) =>
      client.transaction(transactionalId, (tx) =>
        work({
          publish: <T extends TopicSpec>(
            topic: T,
            messages: readonly OutboundMessage<T>[],
          ): Promise<readonly PublishedOffsets[]> =>
            topic.name === auditEventsTopic.name
              ? Promise.reject(new Error('audit write refused'))
              : tx.publish(topic, messages),
        }),
      ),
  };
}

/**
 * `client` counting its waits on Redis: a command sent while none of its earlier ones is unanswered starts a new
 * round trip; one sent while another is still on the wire shares it.
 */
function counted(client: RedisClient): { client: RedisClient; trips: { sequential: number } } {
  const trips = { sequential: 0 };
  let unanswered = 0;
  const proxy = new Proxy(client, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || !['get', 'set', 'eval', 'evalsha'].includes(String(property))) return value;
      return (...args: unknown[]) => {
        if (unanswered === 0) trips.sequential += 1;
        unanswered += 1;
        const reply = (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        // Attached before the caller's own handlers, so it runs first.
        reply.then(
          () => (unanswered -= 1),
          () => (unanswered -= 1),
        );
        return reply;
      };
    },
  });
  return { client: proxy, trips };
}

async function closedKafka(): Promise<KafkaClient> {
  const closed = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'records-closed',
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  await closed.close();
  return closed;
}

/** Applies every record of the notes topic, from its start (a new group), to `client` with the view's `apply`. */
async function replayInto(client: RedisClient): Promise<{ versionId: string; write: VersionWrite }[]> {
  const view = noteView(client);
  const applied: { versionId: string; write: VersionWrite }[] = [];
  const replay = await kafka.consume(notesTopic, {
    groupId: uniqueId('records-replay'),
    maxWaitTimeMs: 100,
    handle: async ({ value, offset }) => {
      applied.push({ versionId: value.versionId, write: await view.apply(value, offset) });
    },
  });
  try {
    await expect.poll(() => applied.length, { timeout: 30_000, interval: 50 }).toBe(recorded.length);
  } finally {
    await replay.stop();
  }
  return applied;
}

describe('the versioned-record intake', () => {
  it('records a first version, answers the same content unchanged, and chains every change on the latest', async () => {
    const owner = 'ORG-A';
    const noteId = uniqueId('note');
    const first = { text: 'first', open: true };
    const second = { text: 'second', open: true };

    const v1 = await submit(owner, noteId, first);
    const again = await submit(owner, noteId, structuredClone(first));
    const v2 = await submit(owner, noteId, second);
    const back = await submit(owner, noteId, first); // the first content again: a new version, on v2

    const id1 = versionIdOf('nv', owner, noteId, contentHash(first), null);
    const id2 = versionIdOf('nv', owner, noteId, contentHash(second), id1);
    const id3 = versionIdOf('nv', owner, noteId, contentHash(first), id2);
    expect(id1).toMatch(/^nv_[a-f0-9]{32}$/);
    expect(new Set([id1, id2, id3]).size).toBe(3);
    expect(v1).toMatchObject({
      outcome: 'recorded',
      ids: { versionId: id1, previousVersionId: null, contentHash: contentHash(first) },
      write: 'applied',
    });
    expect(again).toEqual({
      outcome: 'unchanged',
      latest: { versionId: id1, contentHash: contentHash(first), text: 'first', open: true },
    });
    expect(v2).toMatchObject({
      outcome: 'recorded',
      ids: { versionId: id2, previousVersionId: id1 },
      write: 'applied',
    });
    expect(back).toMatchObject({ outcome: 'recorded', ids: { versionId: id3, previousVersionId: id2 } });
    expect(await readLatestVersion(redis, keys.latest(owner, noteId))).toEqual({
      versionId: id3,
      contentHash: contentHash(first),
      text: 'first',
      open: true,
    });
    expect(await redis.smembers(keys.open(owner))).toEqual([noteId]);

    await settle(() => versionsOf(owner, noteId).length, 3);
    expect(versionsOf(owner, noteId).map((r) => [r.key, r.value.versionId, r.value.previousVersionId])).toEqual([
      [`${owner}:${noteId}`, id1, null],
      [`${owner}:${noteId}`, id2, id1],
      [`${owner}:${noteId}`, id3, id2],
    ]);
    await settle(() => auditOf(id1).length, 2);
    // The unchanged resend is its audit event alone, keyed by the version it matched; the service is the step's.
    expect([id1, id2, id3].flatMap((id) => auditOf(id).map((a) => [a.key, a.value.action, a.value.reason]))).toEqual([
      [id1, 'plan-recorded', 'first'],
      [id1, 'plan-unchanged', null],
      [id2, 'plan-recorded', 'changed'],
      [id3, 'plan-recorded', 'changed'],
    ]);
    expect(auditOf(id1).map((a) => [a.value.service, a.value.at, a.value.incidentRef])).toEqual([
      ['hub', AT.toISOString(), `${owner}:${noteId}`],
      ['hub', AT.toISOString(), `${owner}:${noteId}`],
    ]);
  });

  it('records concurrent identical submissions of a new record exactly once', async () => {
    const owner = 'ORG-B';
    const noteId = uniqueId('note');
    const content = { text: 'once', open: true };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => submit(owner, noteId, content)));
    const fulfilled = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    expect(fulfilled.filter((r) => r.outcome === 'recorded')).toHaveLength(1);
    // The others were told `unchanged`, or 409 while the first held the record's lock.
    for (const result of results) {
      if (result.status === 'rejected') {
        expect(result.reason).toBeInstanceOf(LockBusyError);
        expect(result.reason).toMatchObject({ code: 'conflict', detail: noteKind(noteView(redis)).busyDetail });
      }
    }
    await settle(() => versionsOf(owner, noteId).length, 1);
    expect(versionsOf(owner, noteId)).toHaveLength(1);
    // The lock is free again: the next submission is answered at once.
    expect((await submit(owner, noteId, content)).outcome).toBe('unchanged');
  });

  it('writes nothing when a rule refuses, and frees the lock', async () => {
    const owner = 'ORG-C';
    const noteId = uniqueId('note');
    await submit(owner, noteId, { text: 'done', open: false });
    await expect(submit(owner, noteId, { text: 'reopened', open: true })).rejects.toThrow('a closed note stays closed');
    for (let n = 0; n < OPEN_LIMIT; n += 1) await submit(owner, uniqueId('filler'), { text: 'open', open: true });
    const refusedId = uniqueId('note');
    await expect(submit(owner, refusedId, { text: 'one too many', open: true })).rejects.toThrow('too many open notes');
    await settle(() => versionsOf(owner, noteId).length, 1);
    expect(versionsOf(owner, noteId)).toHaveLength(1);
    expect(versionsOf(owner, refusedId)).toEqual([]);
    expect(await redis.exists(keys.latest(owner, refusedId), keys.lock(owner, noteId))).toBe(0);
    expect(await redis.scard(keys.open(owner))).toBe(OPEN_LIMIT);
  });

  it('leaves nothing half-written when Kafka fails before the commit, and a retry records the version once', async () => {
    const owner = 'ORG-D';
    const noteId = uniqueId('note');
    const content = { text: 'draft', open: true };
    const failing = noteIntake(redis, failingBeforeCommit(kafka));

    // The record was sent inside the transaction, then the audit write failed: the transaction is aborted.
    await expect(failing(owner, noteId, content)).rejects.toThrow('audit write refused');
    expect(await readLatestVersion(redis, keys.latest(owner, noteId))).toBeUndefined();
    expect(await redis.sismember(keys.open(owner), noteId)).toBe(0); // the reserved place is given back
    // Kafka unreachable: the typed unavailability (503 `not-ready` at the HTTP layer), and nothing either.
    const unavailable = noteIntake(redis, await closedKafka());
    await expect(unavailable(owner, noteId, content)).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await redis.sismember(keys.open(owner), noteId)).toBe(0);

    const retried = await submit(owner, noteId, content);
    const versionId = versionIdOf('nv', owner, noteId, contentHash(content), null);
    expect(retried).toMatchObject({ outcome: 'recorded', ids: { versionId, previousVersionId: null } });
    await settle(() => versionsOf(owner, noteId).length, 1);
    // Only the committed version reached the topic's readers; the aborted one never did.
    expect(versionsOf(owner, noteId).map((r) => r.value.versionId)).toEqual([versionId]);
    await settle(() => auditOf(versionId).length, 1);
    expect(auditOf(versionId).map((a) => a.value.action)).toEqual(['plan-recorded']);

    // An unchanged resend that cannot be audited is not answered either.
    await expect(unavailable(owner, noteId, content)).rejects.toBeInstanceOf(DependencyUnavailableError);
  });

  it('keeps its latest versions a view of the topic: a replay into an empty Redis rebuilds them, and the intake carries on', async () => {
    const owner = 'ORG-E';
    const noteId = uniqueId('note');
    const closing = uniqueId('note');
    await submit(owner, noteId, { text: 'one', open: true });
    await submit(owner, noteId, { text: 'two', open: true });
    await submit(owner, closing, { text: 'open', open: true });
    await submit(owner, closing, { text: 'closed', open: false });
    // An intake that committed and died before its view write: its record is on the topic, the view misses it.
    const crashing = createVersionedIntake(
      { kafka, redis, transactionalId: uniqueId('records-crash') },
      {
        ...noteKind(noteView(redis)),
        view: {
          latest: (owner, noteId) => noteView(redis).latest(owner, noteId),
          apply: () => Promise.reject(new Error('died before the view write')),
        },
      },
    );
    const lost = uniqueId('note');
    const lostContent = { text: 'lost', open: true };
    const lostVersion = versionIdOf('nv', owner, lost, contentHash(lostContent), null);
    await expect(
      crashing.submit({
        owner,
        recordId: lost,
        content: lostContent,
        at: AT,
        unchanged: () => ({ action: 'plan-unchanged', fields: {} }),
        version: (ids) => ({
          record: {
            versionId: ids.versionId,
            owner,
            noteId: lost,
            previousVersionId: null,
            contentHash: ids.contentHash,
            text: lostContent.text,
            open: true,
            recordedAt: AT.toISOString(),
          },
          audit: { action: 'plan-recorded', fields: { receiptId: ids.versionId } },
        }),
      }),
    ).rejects.toThrow('died before the view write');
    // Until a projector applies it, a retry derives the same version (downstream ids derive from it).
    expect(await submit(owner, lost, lostContent)).toMatchObject({
      outcome: 'recorded',
      ids: { versionId: lostVersion },
    });
    await settle(() => recorded.filter((r) => r.value.owner === owner).length, 6);
    expect(versionsOf(owner, lost).map((r) => r.value.versionId)).toEqual([lostVersion, lostVersion]);

    // The topic replayed from its start (a new group) with the view's own `apply`: into an empty Redis (a rebuild),
    // and onto the intake's (a projector catching up), which it changes in nothing but the duplicate's position.
    const beforeProjector = await snapshot(redis);
    const rebuilt = newRedis();
    const [rebuild, caughtUp] = await Promise.all([replayInto(rebuilt), replayInto(redis)]);
    const ownOf = (snap: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(snap).filter(([key]) => key.includes(owner)));
    const afterProjector = await snapshot(redis);
    expect(ownOf(await snapshot(rebuilt))).toEqual(ownOf(afterProjector));
    expect(rebuild.filter((a) => a.versionId === lostVersion).map((a) => a.write)).toEqual(['applied', 'held']);
    expect(rebuild.filter((a) => !['applied', 'held'].includes(a.write))).toEqual([]);
    expect(caughtUp.filter((a) => !['held', 'superseded'].includes(a.write))).toEqual([]);
    // What the projector changed: the lost version's position is its first copy in the topic, not the retry's.
    const [firstCopy, retryCopy] = versionsOf(owner, lost).map((r) => r.offset);
    const position = `note:${owner}:${lost}:position`;
    expect(beforeProjector[position]).toEqual({ previous: '', offset: retryCopy });
    expect(afterProjector[position]).toEqual({ previous: '', offset: firstCopy });
    expect({ ...ownOf(beforeProjector), [position]: null }).toEqual({ ...ownOf(afterProjector), [position]: null });

    // An intake on the rebuilt view answers as the first would: unchanged for the latest content, changes chained.
    const onRebuilt = noteIntake(rebuilt);
    const unchanged = await onRebuilt(owner, noteId, { text: 'two', open: true });
    expect(unchanged).toMatchObject({ outcome: 'unchanged' });
    const next = await onRebuilt(owner, noteId, { text: 'three', open: true });
    expect(next).toMatchObject({
      outcome: 'recorded',
      ids: { previousVersionId: unchanged.outcome === 'unchanged' ? unchanged.latest.versionId : 'none' },
    });
  });

  it('reads the latest version with the lock in one round trip, only once the lock is held', async () => {
    const owner = 'ORG-F';
    const noteId = uniqueId('note');
    await submit(owner, noteId, { text: 'v1', open: false });
    const { client, trips } = counted(redis);
    // A view whose read also answers, in the same atomic step, whether the record's lock was taken when it ran.
    const lockAtRead: (string | null)[] = [];
    const view = noteView(client);
    const watching = createVersionedIntake(
      { kafka, redis: client, transactionalId: uniqueId('records-watch') },
      noteKind({
        ...view,
        latest: async (owner, noteId) => {
          const [lock, raw] = (await client.eval(
            "return {redis.call('get', KEYS[1]) or '', redis.call('get', KEYS[2]) or ''}",
            2,
            keys.lock(owner, noteId),
            keys.latest(owner, noteId),
          )) as [string, string];
          lockAtRead.push(lock === '' ? null : lock);
          return raw === '' ? undefined : (JSON.parse(raw) as NoteVersion);
        },
      }),
    );
    const result = await watching.submit({
      owner,
      recordId: noteId,
      content: { text: 'v2', open: false },
      at: AT,
      unchanged: () => ({ action: 'plan-unchanged', fields: {} }),
      version: plainVersion(owner, noteId, { text: 'v2', open: false }),
    });
    expect(result).toMatchObject({ outcome: 'recorded', write: 'applied' });
    // The version read was the one before (chained on it), read while this request held the lock.
    expect(result.outcome === 'recorded' ? result.ids.previousVersionId : 'none').toBe(
      versionIdOf('nv', owner, noteId, contentHash({ text: 'v1', open: false }), null),
    );
    expect(lockAtRead).toHaveLength(1);
    expect(lockAtRead[0]).not.toBeNull();
    // Lock and read, then the view write, then the release: three waits on Redis (four before the lock and the
    // read were sent together).
    expect(trips.sequential).toBe(3);
    expect(await redis.exists(keys.lock(owner, noteId))).toBe(0);
  });

  it('still refuses a second request while the first holds the lock, and never releases a lock it did not take', async () => {
    const owner = 'ORG-G';
    const noteId = uniqueId('note');
    let admitted!: () => void;
    const holding = new Promise<void>((resolve) => {
      admitted = resolve;
    });
    let proceed!: () => void;
    const blocked = new Promise<void>((resolve) => {
      proceed = resolve;
    });
    const intake = createVersionedIntake(
      { kafka, redis, transactionalId: uniqueId('records-hold') },
      noteKind(noteView(redis)),
    );
    const submission = (text: string) => ({
      owner,
      recordId: noteId,
      content: { text, open: false },
      at: AT,
      unchanged: () => ({ action: 'plan-unchanged' as const, fields: {} }),
      version: plainVersion(owner, noteId, { text, open: false }),
    });
    // The first request stops inside the lock (in its admission) until told to go on.
    const first = intake.submit({
      ...submission('first'),
      admit: async () => {
        admitted();
        await blocked;
        return undefined;
      },
    });
    await holding;
    await expect(intake.submit(submission('second'))).rejects.toBeInstanceOf(LockBusyError);
    proceed();
    expect(await first).toMatchObject({ outcome: 'recorded', ids: { previousVersionId: null } });
    // The refused request released nothing: the first kept its lock to the end, and freed it.
    expect(await redis.exists(keys.lock(owner, noteId))).toBe(0);
    const second = await intake.submit(submission('second'));
    expect(second).toMatchObject({ outcome: 'recorded' });
    // Someone else's lock: refused, and their lock left as it was.
    await redis.set(keys.lock(owner, noteId), 'someone-else', 'PX', 10_000);
    await expect(intake.submit(submission('third'))).rejects.toMatchObject({ code: 'conflict' });
    expect(await redis.get(keys.lock(owner, noteId))).toBe('someone-else');
    await redis.del(keys.lock(owner, noteId));
    await settle(() => versionsOf(owner, noteId).length, 2);
    expect(versionsOf(owner, noteId).map((r) => r.value.text)).toEqual(['first', 'second']);
  });

  it('publishes the record and its audit event at once, so they share one produce request', async () => {
    const owner = 'ORG-H';
    const noteId = uniqueId('note');
    const calls: { topic: string; pendingBefore: number }[] = [];
    let pending = 0;
    const watched: KafkaClient = {
      ...kafka,
      transaction: <R>(transactionalId: string, work: (tx: TransactionScope) => Promise<R>) =>
        kafka.transaction(transactionalId, (tx) =>
          work({
            publish: <T extends TopicSpec>(topic: T, messages: readonly OutboundMessage<T>[]) => {
              calls.push({ topic: topic.name, pendingBefore: pending });
              pending += 1;
              return tx.publish(topic, messages).finally(() => {
                pending -= 1;
              });
            },
          }),
        ),
    };
    const result = await noteIntake(redis, watched)(owner, noteId, { text: 'together', open: false });
    expect(result).toMatchObject({ outcome: 'recorded' });
    // The audit event was published while the record's publish was still unanswered (the same produce request).
    expect(calls).toEqual([
      { topic: notesTopic.name, pendingBefore: 0 },
      { topic: auditEventsTopic.name, pendingBefore: 1 },
    ]);
    await settle(() => versionsOf(owner, noteId).length, 1);
    const [committed] = versionsOf(owner, noteId);
    // The offset the intake kept (the view's position) is the record's own in the topic.
    expect(await redis.hget(`note:${owner}:${noteId}:position`, 'offset')).toBe(committed?.offset);
    await settle(() => auditOf(committed?.value.versionId ?? '').length, 1);
  });

  it('refuses a kind whose step does not declare the record topic', () => {
    const undeclared = { ...noteKind(noteView(redis)), step: { ...STEP, outputs: [auditEventsTopic] } };
    expect(() => createVersionedIntake({ kafka, redis, transactionalId: 'unused' }, undeclared)).toThrow(
      'does not declare test.records-notes.v1',
    );
  });

  it('writes no content to the logs', () => {
    for (const text of ['first', 'second', 'draft', 'lost', 'one too many']) {
      expect(logs.text).not.toContain(`"${text}"`);
    }
  });
});
