import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { incidentRef } from '@hub/audit';
import {
  auditEventsTopic,
  contentId,
  daIncidentDecidedTopic,
  notificationsIssuedTopic,
  type AuditEvent,
  type DaIncidentDecided,
  type DaIncidentSubmission,
  type IssuedNotification,
  type SubjectIdentity,
} from '@hub/contracts';
import {
  createKafkaClient,
  startStep,
  type InboundMessage,
  type KafkaClient,
  type Output,
  type StageBinding,
  type Subscription,
} from '@hub/kafka';
import { defaultDomesticAbusePolicy, evaluateIncident } from '@hub/policy';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { createKeyStore, type HubKeyStore } from '@hub/signing';
import { captureLogs, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lineageProjector } from './lineage-projector.ts';
import { createLineage, type Lineage, type LineageSlot } from './lineage.ts';
import { dispatch, dispatcherStage } from './stage.ts';

/*
 * The amendment lineage is a view of notifications.issued.v1: the dispatcher stage runs a sequence of decision
 * sets on Kafka (writing its lineage as it issues, beside its projector), then the projector alone replays the
 * issued topic into an empty key space, and that rebuilt lineage is the live one, key for key and answer for
 * answer; the dispatcher, continuing on it, issues the next version exactly as it would have on the live one.
 */

const policy = defaultDomesticAbusePolicy();
const now = () => new Date('2026-11-23T10:00:00Z');
const logs = captureLogs('dispatcher');
/** A consumer group's first join takes seconds. */
const WAIT = { timeout: 60_000, interval: 200 };

let dir: string;
let keys: HubKeyStore;
let kafka: KafkaClient;
const clients: RedisClient[] = [];
const subscriptions: Subscription[] = [];

/** A Redis client on an empty key space of its own. */
function emptyKeySpace(): RedisClient {
  const client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'dispatcher-lineage-projector-test',
    logger: logs.logger,
  });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dispatcher-lineage-'));
  keys = await createKeyStore({ file: join(dir, 'keys.json'), generateIfMissing: true });
  kafka = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'dispatcher-lineage-projector-test',
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  await kafka.provisionTopics([daIncidentDecidedTopic, notificationsIssuedTopic, auditEventsTopic]);
});
afterAll(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  await kafka.close();
  for (const client of clients) {
    const written = await scanKeys(client, '*');
    if (written.length > 0) await client.del(...written);
    await closeRedis(client);
  }
  await rm(dir, { recursive: true, force: true });
});

async function started(subscription: Promise<Subscription>): Promise<Subscription> {
  const running = await subscription;
  subscriptions.push(running);
  return running;
}

interface Version {
  readonly consent: 'given' | 'refused';
  /** The child's practice, or null when the child is not in this version. */
  readonly childAt: string | null;
}

/**
 * Version `version` of a standard-risk incident: the victim (V1, at L85901) is shared with consent only; the child
 * (C1), when present, is always shared, with their practice.
 */
function decided(incidentId: string, version: string, { consent, childAt }: Version): DaIncidentDecided {
  const receiptId = contentId('rcpt', 'ASP', incidentId, version);
  const victim = {
    ref: 'V1',
    role: 'victim',
    nhsNumber: '9991001018',
    name: { given: 'Sarah', family: 'Whitlock' },
    birthDate: '1991-04-12',
  } as const;
  const child = {
    ref: 'C1',
    role: 'child',
    nhsNumber: '9991001042',
    name: { given: 'Leo', family: 'Whitlock' },
    birthDate: '2020-02-14',
  } as const;
  const submission: DaIncidentSubmission = {
    incidentId,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'standard' },
    repeatIncidentsLast12Months: 0,
    childrenPresent: false,
    victimConsent: consent,
    circumstances: `Version ${version}.`,
    subjects: childAt === null ? [victim] : [victim, child],
    officer: { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' },
  };
  const identities: SubjectIdentity[] = [
    { ref: 'V1', outcome: 'matched', nhsNumber: '9991001018', practiceOds: 'L85901', matchedBy: 'nhs-number' },
  ];
  if (childAt !== null) {
    identities.push({
      ref: 'C1',
      outcome: 'matched',
      nhsNumber: '9991001042',
      practiceOds: childAt,
      matchedBy: 'nhs-number',
    });
  }
  return {
    identified: {
      received: {
        receiptId,
        force: 'ASP',
        incidentId,
        contentHash: 'a'.repeat(64),
        amendsReceiptId: null,
        receivedAt: '2026-11-22T00:00:00Z',
        submittedBy: 'police',
        submission,
      },
      identities,
      directoryVersion: 'b'.repeat(64),
    },
    decisions: evaluateIncident(policy, { receiptId, submission, identities }),
  };
}

/** Published as the IG engine publishes: keyed by incident, so each incident's versions are in order in one partition. */
async function publish(values: readonly DaIncidentDecided[]): Promise<void> {
  await kafka.publish(
    daIncidentDecidedTopic,
    values.map((value) => ({
      key: incidentRef(value.identified.received.force, value.identified.received.incidentId),
      value,
    })),
  );
}

/** The dispatcher stage on `lineage`, noting each input it handled with its outputs. */
function notingStage(
  lineage: Lineage,
  handled: { input: InboundMessage<typeof daIncidentDecidedTopic>; outputs: readonly Output[] }[],
): StageBinding {
  const stage = dispatcherStage({ keys, policy, lineage, now });
  const noting =
    (handle: StageBinding['handle']): StageBinding['handle'] =>
    async (input) => {
      const outputs = await handle(input);
      handled.push({ input, outputs });
      return outputs;
    };
  // Live, each round's inputs go through the handler its preparation answers (issue 10); alone, through `handle`.
  return {
    ...stage,
    handle: noting((input) => stage.handle(input)),
    prepareRound: async (messages) => noting(await stage.prepareRound!(messages)),
  };
}

/** The lineage projector on `lineage`, noting each record it applied (a fetched batch at a time, or one alone). */
function notingProjector(lineage: Lineage, seen: IssuedNotification[]) {
  const projector = lineageProjector(lineage);
  return {
    ...projector,
    handle: async (message: InboundMessage<typeof notificationsIssuedTopic>) => {
      await projector.handle(message);
      seen.push(message.value);
    },
    handleBatch: async (messages: readonly InboundMessage<typeof notificationsIssuedTopic>[]) => {
      await projector.handleBatch?.(messages);
      seen.push(...messages.map((message) => message.value));
    },
  };
}

/** Every key of the view in a key space, with its sorted set as Redis holds it (members and scores). */
async function dump(client: RedisClient): Promise<[string, string[]][]> {
  const found = (await Promise.all(['da:lineage:*', 'da:issued:*'].map((pattern) => scanKeys(client, pattern)))).flat();
  return Promise.all(
    found.sort().map(async (key): Promise<[string, string[]]> => [key, await client.zrange(key, 0, -1, 'WITHSCORES')]),
  );
}

const slotOf = (record: IssuedNotification): LineageSlot => {
  const [force, incidentId] = record.lineage!.incidentRef.split(':') as [string, string];
  return {
    force,
    incidentId,
    kind: record.lineage!.slotKind,
    recipient: record.recipient,
    subjectRef: record.subjectRef,
  };
};

/** Records in an order that does not depend on how partitions were read. */
const inOneOrder = (records: readonly IssuedNotification[]) =>
  records
    .map((record) => [JSON.stringify([record.lineage, record.notificationId]), record] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, record]) => record);

/**
 * Every answer the lineage gives about the records: for each slot, what a notification (each one issued there, and
 * a new one) amends at every offset up to past the last; for each incident, what the decision set (each receipt,
 * and a new one) at every such offset finds issued before it.
 */
async function answers(lineage: Lineage, records: readonly IssuedNotification[], lastOffset: number) {
  const offsets = Array.from({ length: lastOffset + 3 }, (_, offset) => String(offset));
  const slots = new Map<string, { slot: LineageSlot; ids: Set<string> }>();
  const incidents = new Map<string, { force: string; incidentId: string; receipts: Set<string> }>();
  for (const record of inOneOrder(records)) {
    const slot = slotOf(record);
    const slotName = JSON.stringify(slot);
    const entry = slots.get(slotName) ?? { slot, ids: new Set(['ntf_new']) };
    entry.ids.add(record.notificationId);
    slots.set(slotName, entry);
    const incident = incidents.get(record.lineage!.incidentRef) ?? { ...slot, receipts: new Set(['rcpt_new']) };
    incident.receipts.add(record.receiptId);
    incidents.set(record.lineage!.incidentRef, incident);
  }
  const found: [string, unknown, string, string, unknown][] = [];
  for (const { slot, ids } of slots.values()) {
    for (const offset of offsets) {
      for (const id of ids) found.push(['amends', slot, offset, id, await lineage.amends(slot, offset, id)]);
    }
  }
  for (const { force, incidentId, receipts } of incidents.values()) {
    for (const offset of offsets) {
      for (const receipt of receipts) {
        found.push([
          'issuedBefore',
          incidentId,
          offset,
          receipt,
          await lineage.issuedBefore(force, incidentId, offset, receipt),
        ]);
      }
    }
  }
  return found;
}

/** Outputs as text to compare byte for byte: each JWS as its signing input; audit events without trace ids. */
function comparable(outputs: readonly Output[]): string {
  return JSON.stringify(
    outputs.map(({ topic, key, value }) => {
      if (topic === notificationsIssuedTopic) {
        const { jws, ...rest } = value as IssuedNotification;
        return { topic: topic.name, key, value: { ...rest, signed: jws.split('.').slice(0, 2).join('.') } };
      }
      const { traceId: _traceId, ...rest } = value as AuditEvent;
      return { topic: topic.name, key, value: rest };
    }),
  );
}

const shape = (records: readonly IssuedNotification[]) =>
  records.map((n) => [n.kind, n.recipient, n.subjectRef, n.amends]);

describe('the amendment lineage rebuilt from notifications.issued.v1', () => {
  it('is the live lineage, and the dispatcher continues on it as on the live one', { timeout: 180_000 }, async () => {
    const x = uniqueId('ASP-LINEAGE-X');
    const y = uniqueId('ASP-LINEAGE-Y');
    const X = {
      v1: decided(x, '1', { consent: 'given', childAt: 'L85902' }), // shares A (victim) and B (child)
      v2: decided(x, '2', { consent: 'given', childAt: null }), // amends A, withdraws B
      v3: decided(x, '3', { consent: 'refused', childAt: null }), // shares nothing, withdraws A
      v3b: decided(x, '3b', { consent: 'refused', childAt: null }), // shares nothing, withdraws nothing
      v4: decided(x, '4', { consent: 'refused', childAt: 'L85902' }), // shares B again
      v5: decided(x, '5', { consent: 'given', childAt: null }), // after the rebuild: shares A again, withdraws B
    };
    const Y = {
      y1: decided(y, '1', { consent: 'given', childAt: 'L85902' }),
      y2: decided(y, '2', { consent: 'given', childAt: 'L85903' }), // the child at another practice; recorded twice
    };

    // The live run: the stage writes its lineage as it issues, its projector writes the same after each commit.
    const liveRedis = emptyKeySpace();
    const live = createLineage(liveRedis);
    const handled: { input: InboundMessage<typeof daIncidentDecidedTopic>; outputs: readonly Output[] }[] = [];
    const issued: IssuedNotification[] = [];
    const stage = await started(startStep(kafka, notingStage(live, handled)));
    await started(startStep(kafka, notingProjector(live, issued), { groupId: uniqueId('lineage-live') }));
    await publish([X.v1, Y.y1, X.v2, Y.y2, X.v3, Y.y2, X.v3b, X.v4]);
    await expect.poll(() => handled.length, WAIT).toBe(8);
    const issuedCount = handled.flatMap(({ outputs }) =>
      outputs.filter((o) => o.topic === notificationsIssuedTopic),
    ).length;
    await expect.poll(() => issued.length, WAIT).toBe(issuedCount);

    // The sequence did what it says (so the comparisons below compare something).
    const handledOf = (decision: DaIncidentDecided) =>
      handled.filter(
        ({ input }) => input.value.identified.received.receiptId === decision.identified.received.receiptId,
      );
    const issuedOf = (outputs: readonly Output[]) =>
      outputs.filter((o) => o.topic === notificationsIssuedTopic).map((o) => o.value as IssuedNotification);
    const of = (decision: DaIncidentDecided) => handledOf(decision).map(({ outputs }) => issuedOf(outputs));
    /** What the one input of `decision` issued. */
    const onlyOf = (decision: DaIncidentDecided) => {
      const [only, ...more] = of(decision);
      if (only === undefined || more.length > 0) throw new Error('expected one input of the decision set');
      return only;
    };
    const [v1, v2, v3, v3b, v4] = [X.v1, X.v2, X.v3, X.v3b, X.v4].map(onlyOf) as [
      IssuedNotification[],
      IssuedNotification[],
      IssuedNotification[],
      IssuedNotification[],
      IssuedNotification[],
    ];
    expect(shape(v1)).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', null],
      ['da-gp-notification', 'gp:L85902', 'C1', null],
    ]);
    expect(shape(v2)).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', v1[0]?.notificationId],
      ['da-withdrawal', 'gp:L85902', 'C1', v1[1]?.notificationId],
    ]);
    expect(shape(v3)).toEqual([['da-withdrawal', 'gp:L85901', 'V1', v2[0]?.notificationId]]);
    expect(v3b).toEqual([]);
    expect(shape(v4)).toEqual([['da-gp-notification', 'gp:L85902', 'C1', v2[1]?.notificationId]]);
    const [y1, y2, y2again] = of(Y.y1).concat(of(Y.y2)) as [
      IssuedNotification[],
      IssuedNotification[],
      IssuedNotification[],
    ];
    expect(shape(y2)).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', y1[0]?.notificationId],
      ['da-gp-notification', 'gp:L85903', 'C1', null],
      ['da-withdrawal', 'gp:L85902', 'C1', y1[1]?.notificationId],
    ]);
    // The copy (its receipt recorded twice) issues nothing: each notification is in the topic once.
    expect(y2again).toEqual([]);
    expect(v4[0]?.lineage).toEqual({
      incidentRef: `ASP:${x}`,
      decisionOffset: handledOf(X.v4)[0]!.input.offset,
      slotKind: 'da-gp-notification',
    });
    expect(v2[1]?.lineage?.slotKind).toBe('da-gp-notification'); // a withdrawal, in the slot it withdraws

    // The rebuild: the projector alone replays the issued topic from its start into an empty key space.
    const rebuiltRedis = emptyKeySpace();
    const rebuilt = createLineage(rebuiltRedis);
    const replayed: IssuedNotification[] = [];
    await started(startStep(kafka, notingProjector(rebuilt, replayed), { groupId: uniqueId('lineage-rebuild') }));
    await expect.poll(() => replayed.length, WAIT).toBe(issuedCount);
    expect(inOneOrder(replayed)).toEqual(inOneOrder(issued));

    const liveKeys = await dump(liveRedis);
    expect(liveKeys.length).toBe(2 + 5); // two incidents; X's slots A and B, Y's A, B and B at L85903
    expect(await dump(rebuiltRedis)).toEqual(liveKeys);
    const lastOffset = Math.max(...handled.map(({ input }) => Number(input.offset)));
    const liveAnswers = await answers(live, issued, lastOffset);
    expect(await answers(rebuilt, replayed, lastOffset)).toEqual(liveAnswers);
    const informative = liveAnswers.filter(([, , , , answer]) => answer !== null && JSON.stringify(answer) !== '[]');
    expect(informative.length).toBeGreaterThan(20);

    // The dispatcher continues on the rebuilt lineage (its own group, from where it was): version 5 is issued as
    // it would have been on the live lineage.
    await stage.stop();
    const continued: typeof handled = [];
    await started(startStep(kafka, notingStage(rebuilt, continued)));
    await publish([X.v5]);
    await expect.poll(() => continued.length, WAIT).toBe(1);
    const [{ input, outputs }] = continued as [(typeof continued)[number]];
    const onLive = await dispatch({ keys, policy, lineage: live, now }, input.value, input.offset);
    expect(comparable(outputs)).toBe(comparable(onLive));
    expect(shape(issuedOf(outputs))).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', v3[0]?.notificationId], // amends A's withdrawal
      ['da-withdrawal', 'gp:L85902', 'C1', v4[0]?.notificationId],
    ]);
    // And both lineages took it the same way (the projectors apply the committed records on top, changing nothing).
    await expect.poll(() => replayed.length, WAIT).toBe(issuedCount + 2);
    await expect.poll(() => issued.length, WAIT).toBe(issuedCount + 2);
    expect(await dump(rebuiltRedis)).toEqual(await dump(liveRedis));
  });
});
