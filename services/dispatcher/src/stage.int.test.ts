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
import { createKafkaClient, type KafkaClient, type Output } from '@hub/kafka';
import { defaultDomesticAbusePolicy, evaluateIncident, loadPolicy } from '@hub/policy';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { createKeyStore, type HubKeyStore } from '@hub/signing';
import { captureLogs, isolatedRedisPrefix, isolatedTopicNamespace, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLineage, type Lineage } from './lineage.ts';
import { dispatch, dispatcherStage } from './stage.ts';

let dir: string;
let keys: HubKeyStore;
let lineage: Lineage;
const policy = defaultDomesticAbusePolicy();
const now = () => new Date('2026-11-23T10:00:00Z');
const logs = captureLogs('dispatcher');
const redisClients: RedisClient[] = [];

/** A Redis client under a key space of its own (an empty one, for a replay). */
function isolatedRedis(): RedisClient {
  const client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'dispatcher-test',
    logger: logs.logger,
  });
  redisClients.push(client);
  return client;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dispatcher-'));
  keys = await createKeyStore({ file: join(dir, 'keys.json'), generateIfMissing: true });
  lineage = createLineage(isolatedRedis());
});
afterAll(async () => {
  for (const client of redisClients) {
    const written = await scanKeys(client, '*');
    if (written.length > 0) await client.del(...written);
    await closeRedis(client);
  }
  await rm(dir, { recursive: true, force: true });
});

const INCIDENT = `ASP-DISPATCH-${Math.random().toString(36).slice(2, 10)}`;

/** A standard-risk incident, consent given: the victim (L85901) and the child (at `childPractice`) are shared. */
function decided(version: string, childPractice: string, incidentId = INCIDENT): DaIncidentDecided {
  const receiptId = contentId('rcpt', 'ASP', incidentId, version);
  const submission: DaIncidentSubmission = {
    incidentId,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'standard' },
    repeatIncidentsLast12Months: 0,
    childrenPresent: false,
    victimConsent: 'given',
    circumstances: `Version ${version}.`,
    subjects: [
      {
        ref: 'V1',
        role: 'victim',
        nhsNumber: '9991001018',
        name: { given: 'Sarah', family: 'Whitlock' },
        birthDate: '1991-04-12',
      },
      {
        ref: 'C1',
        role: 'child',
        nhsNumber: '9991001042',
        name: { given: 'Leo', family: 'Whitlock' },
        birthDate: '2020-02-14',
      },
    ],
    officer: { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' },
  };
  const identities: SubjectIdentity[] = [
    { ref: 'V1', outcome: 'matched', nhsNumber: '9991001018', practiceOds: 'L85901', matchedBy: 'nhs-number' },
    { ref: 'C1', outcome: 'matched', nhsNumber: '9991001042', practiceOds: childPractice, matchedBy: 'nhs-number' },
  ];
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

const deps = () => ({ keys, policy, lineage, now });

/** The shipped policy without its withdrawal wording (like da-2026.11.1, which predates withdrawals). */
function withoutWording() {
  const { withdrawal: _withdrawal, ...document } = policy.document;
  return loadPolicy({ ...document, version: 'da-2026.11.0' });
}

function issued(outputs: readonly Output[]): Omit<IssuedNotification, 'jws'>[] {
  return outputs
    .filter((o) => o.topic === notificationsIssuedTopic)
    .map((o) => {
      const { jws: _jws, ...rest } = o.value as IssuedNotification;
      return rest;
    });
}
const audited = (outputs: readonly Output[]) =>
  outputs.filter((o) => o.topic === auditEventsTopic).map((o) => o.value as AuditEvent);

describe('dispatching amendments that withdraw', () => {
  let firstChildId: string;
  let withdrawalId: string;

  it('the first receipt issues to both practices and withdraws nothing', async () => {
    const outputs = issued(await dispatch(deps(), decided('1', 'L85902'), '1'));
    expect(outputs.map((n) => [n.kind, n.recipient, n.subjectRef, n.amends])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1', null],
      ['da-gp-notification', 'gp:L85902', 'C1', null],
    ]);
    firstChildId = outputs[1]!.notificationId;
  });

  it('re-identified at another practice: one withdrawal to the first; a retry gives the same ids and events', async () => {
    const input = decided('2', 'L85903');
    const once = await dispatch(deps(), input, '2');
    const retried = await dispatch(deps(), input, '2');
    expect(issued(retried)).toEqual(issued(once));
    expect(audited(retried).map((e) => e.eventId)).toEqual(audited(once).map((e) => e.eventId));

    const notifications = issued(once);
    expect(notifications.map((n) => [n.kind, n.recipient, n.subjectRef])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1'],
      ['da-gp-notification', 'gp:L85903', 'C1'],
      ['da-withdrawal', 'gp:L85902', 'C1'],
    ]);
    const withdrawal = notifications[2]!;
    expect(withdrawal.amends).toBe(firstChildId);
    expect(notifications[1]!.amends).toBeNull();
    withdrawalId = withdrawal.notificationId;

    const events = audited(once).filter((e) => e.recipient === 'gp:L85902');
    expect(
      events.map((e) => [
        e.action,
        e.notificationId,
        e.subjectRef,
        e.nhsNumber,
        e.action === 'notification-signed' ? '-' : e.reason,
      ]),
    ).toEqual([
      ['notification-routed', withdrawalId, 'C1', null, 'identity-changed'],
      ['notification-signed', withdrawalId, 'C1', null, '-'],
      ['notification-withdrawn', firstChildId, 'C1', null, 'identity-changed'],
    ]);
  });

  it('a further amendment that still does not send to the first practice withdraws nothing more', async () => {
    const notifications = issued(await dispatch(deps(), decided('3', 'L85903'), '3'));
    expect(notifications.map((n) => [n.kind, n.recipient])).toEqual([
      ['da-gp-notification', 'gp:L85901'],
      ['da-gp-notification', 'gp:L85903'],
    ]);
  });

  it('back at the first practice: the new notification amends the withdrawal, and the other practice is told', async () => {
    const notifications = issued(await dispatch(deps(), decided('4', 'L85902'), '4'));
    expect(notifications.map((n) => [n.kind, n.recipient, n.subjectRef])).toEqual([
      ['da-gp-notification', 'gp:L85901', 'V1'],
      ['da-gp-notification', 'gp:L85902', 'C1'],
      ['da-withdrawal', 'gp:L85903', 'C1'],
    ]);
    expect(notifications[1]!.amends).toBe(withdrawalId);
  });

  it('refuses to start with a policy that has no withdrawal wording', () => {
    expect(() => dispatcherStage({ keys, policy: withoutWording(), lineage, now })).toThrow(
      'policy da-2026.11.0 has no withdrawal wording; the dispatcher needs it',
    );
  });
});

/**
 * Outputs as text to compare byte for byte: each JWS as its signing input (header and payload), since an ES256
 * signature takes a fresh random nonce each time. Called outside a Kafka handler, `dispatch` stamps each audit
 * event with a fresh trace id (a handler's comes from its input's header): `withoutTraceIds` leaves them out.
 */
function comparable(outputs: readonly Output[], { withoutTraceIds = false } = {}): string {
  return JSON.stringify(
    outputs.map(({ topic, key, value }) => {
      if (topic === notificationsIssuedTopic) {
        const { jws, ...rest } = value as IssuedNotification;
        return { topic: topic.name, key, value: { ...rest, signed: jws.split('.').slice(0, 2).join('.') } };
      }
      const { traceId, ...rest } = value as AuditEvent;
      return { topic: topic.name, key, value: withoutTraceIds ? rest : { ...rest, traceId } };
    }),
  );
}
const comparableHere = (outputs: readonly Output[]) => comparable(outputs, { withoutTraceIds: true });

describe('what an input amends and withdraws depends only on the inputs before it', () => {
  it('an original handled again after its amendment amends what it amended the first time', async () => {
    const incidentId = `${INCIDENT}-RETRY`;
    const first = await dispatch(deps(), decided('1', 'L85902', incidentId), '10');
    const amendment = issued(await dispatch(deps(), decided('2', 'L85902', incidentId), '11'));
    expect(amendment.map((n) => n.amends)).toEqual(issued(first).map((n) => n.notificationId));

    const again = await dispatch(deps(), decided('1', 'L85902', incidentId), '10');
    expect(issued(again).map((n) => n.amends)).toEqual([null, null]);
    expect(comparableHere(again)).toBe(comparableHere(first));
  });

  it('a batch handled again after an abort gives the same notifications, amends and withdrawals', async () => {
    const incidentId = `${INCIDENT}-BATCH`;
    const batch: [DaIncidentDecided, string][] = [
      [decided('1', 'L85902', incidentId), '20'],
      [decided('2', 'L85903', incidentId), '21'],
    ];
    const handle = async () => {
      const outputs: Output[][] = [];
      for (const [input, offset] of batch) outputs.push(await dispatch(deps(), input, offset));
      return outputs;
    };
    const aborted = await handle(); // its lineage entries stay in Redis, as after an aborted transaction
    const retried = await handle();
    expect(retried.map(comparableHere)).toEqual(aborted.map(comparableHere));

    const [original, amendment] = retried.map(issued);
    expect(amendment!.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
      ['da-gp-notification', 'gp:L85901', original![0]!.notificationId],
      ['da-gp-notification', 'gp:L85903', null],
      ['da-withdrawal', 'gp:L85902', original![1]!.notificationId],
    ]);
  });

  it('a copy of a decision set (its receipt recorded twice) issues nothing again, withdrawals included', async () => {
    const incidentId = `${INCIDENT}-COPY`;
    const original = issued(await dispatch(deps(), decided('1', 'L85902', incidentId), '30'));
    expect(original).toHaveLength(2);
    // The intake's commit outlived its request's deadline and the police system's retry recorded the receipt again.
    expect(await dispatch(deps(), decided('1', 'L85902', incidentId), '31')).toEqual([]);
    // An amendment after the copy amends the original's notifications and withdraws the child's one.
    const amendment = issued(await dispatch(deps(), decided('2', 'L85903', incidentId), '32'));
    expect(amendment.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
      ['da-gp-notification', 'gp:L85901', original[0]?.notificationId],
      ['da-gp-notification', 'gp:L85903', null],
      ['da-withdrawal', 'gp:L85902', original[1]?.notificationId],
    ]);
    // A copy of the amendment issues neither its notifications nor its withdrawal again.
    expect(await dispatch(deps(), decided('2', 'L85903', incidentId), '33')).toEqual([]);
    // The original handled again (a retry) still issues what it issued: only later offsets are copies.
    expect(issued(await dispatch(deps(), decided('1', 'L85902', incidentId), '30'))).toEqual(original);
  });

  describe('a round of decision sets prepared at once (prepareRound, issue 10)', () => {
    /** The stage's inputs as `processTransactionally` hands them over: one partition, the given offsets. */
    const messagesOf = (inputs: readonly (readonly [DaIncidentDecided, string])[]) =>
      inputs.map(([value, offset]) => ({
        key: incidentRef(value.identified.received.force, value.identified.received.incidentId),
        value,
        headers: {},
        topic: daIncidentDecidedTopic.name,
        partition: 0,
        offset,
      }));

    /** A Redis client that counts its round trips: each command sent alone, and each pipeline. */
    function counted(client: RedisClient) {
      const trips = { alone: 0, pipelines: 0 };
      const proxy = new Proxy(client, {
        get(target, property, receiver) {
          const value: unknown = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          return (...args: unknown[]) => {
            if (property === 'pipeline') trips.pipelines++;
            else if (['zrange', 'eval', 'evalsha', 'zrevrangebyscore'].includes(String(property))) trips.alone++;
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
      return { redis: proxy, trips };
    }

    it('an amendment after its original in the same round reads what the original wrote; the round handled again after an abort gives the same outputs, as input by input', async () => {
      const incidentId = `${INCIDENT}-ROUND`;
      const other = `${INCIDENT}-ROUND-OTHER`;
      const messages = messagesOf([
        [decided('1', 'L85902', incidentId), '40'],
        [decided('1', 'L85902', other), '41'],
        [decided('2', 'L85903', incidentId), '42'],
        [decided('3', 'L85902', incidentId), '43'],
      ]);
      const stage = dispatcherStage(deps());
      const round = async () => {
        const handle = await stage.prepareRound!(messages);
        const outputs: (readonly Output[])[] = [];
        for (const message of messages) outputs.push(await handle(message));
        return outputs;
      };
      const aborted = await round(); // its lineage entries stay in Redis, as after an aborted transaction
      const retried = await round();
      expect(retried.map(comparableHere)).toEqual(aborted.map(comparableHere));

      // Input by input through `dispatch`, on a lineage of its own: the same outputs.
      const alone = { ...deps(), lineage: createLineage(isolatedRedis()) };
      const oneByOne: Output[][] = [];
      for (const { value, offset } of messages) oneByOne.push(await dispatch(alone, value, offset));
      expect(oneByOne.map(comparableHere)).toEqual(aborted.map(comparableHere));

      const [v1, , v2, v3] = aborted.map(issued);
      expect(v2!.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
        ['da-gp-notification', 'gp:L85901', v1![0]!.notificationId],
        ['da-gp-notification', 'gp:L85903', null],
        ['da-withdrawal', 'gp:L85902', v1![1]!.notificationId],
      ]);
      expect(v3!.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
        ['da-gp-notification', 'gp:L85901', v2![0]!.notificationId],
        ['da-gp-notification', 'gp:L85902', v2![2]!.notificationId],
        ['da-withdrawal', 'gp:L85903', v2![1]!.notificationId],
      ]);
    });

    it('reads a round in one round trip (two with history), then only writes: one pipeline per input', async () => {
      const { redis, trips } = counted(isolatedRedis());
      const stage = dispatcherStage({ ...deps(), lineage: createLineage(redis) });
      const fresh = (n: number) => `${INCIDENT}-TRIPS-${n}`;
      // Four incidents new to the lineage.
      const first = messagesOf([1, 2, 3, 4].map((n) => [decided('1', 'L85902', fresh(n)), String(50 + n)] as const));
      const handleFirst = await stage.prepareRound!(first);
      expect(trips).toEqual({ alone: 0, pipelines: 1 });
      for (const message of first) await handleFirst(message);
      expect(trips).toEqual({ alone: 0, pipelines: 1 + first.length });

      // Their amendments, each withdrawing a notification of a slot the round read from the incidents' entries.
      const second = messagesOf([1, 2, 3, 4].map((n) => [decided('2', 'L85903', fresh(n)), String(60 + n)] as const));
      const handleSecond = await stage.prepareRound!(second);
      expect(trips).toEqual({ alone: 0, pipelines: 1 + first.length + 2 });
      const outputs: (readonly Output[])[] = [];
      for (const message of second) outputs.push(await handleSecond(message));
      expect(trips).toEqual({ alone: 0, pipelines: 1 + first.length + 2 + second.length });
      expect(outputs.map((o) => issued(o).map((n) => n.kind))).toEqual(
        second.map(() => ['da-gp-notification', 'da-gp-notification', 'da-withdrawal']),
      );
    });
  });

  describe('replaying da.incident-decided.v1 from its start into an empty key space', () => {
    const kafkas: KafkaClient[] = [];
    afterAll(async () => {
      for (const kafka of kafkas) await kafka.close();
    });

    /** Each input's incident, partition, offset and outputs, in the topic's order (partition, then offset). */
    interface Handled {
      readonly incidentId: string;
      readonly partition: number;
      readonly offset: string;
      readonly outputs: readonly Output[];
    }

    /** Handles every record of the topic in a fresh group, through the stage's own handler, with its own lineage. */
    async function handleAll(kafka: KafkaClient, count: number, lineageRedis: RedisClient): Promise<Handled[]> {
      const stage = dispatcherStage({ keys, policy, lineage: createLineage(lineageRedis), now });
      const handled: Handled[] = [];
      let done: () => void = () => undefined;
      const all = new Promise<void>((resolve) => (done = resolve));
      const subscription = await kafka.consume(daIncidentDecidedTopic, {
        groupId: uniqueId('dispatcher-replay'),
        handle: async (message) => {
          const outputs = await stage.handle(message);
          const { incidentId } = message.value.identified.received;
          handled.push({ incidentId, partition: message.partition, offset: message.offset, outputs });
          if (handled.length === count) done();
        },
      });
      await all;
      await subscription.stop();
      return handled.sort((a, b) => a.partition - b.partition || Number(a.offset) - Number(b.offset));
    }

    it('gives the same outputs, byte for byte, as the first run', async () => {
      const kafka = createKafkaClient({
        brokers: testEndpoints().kafkaBrokers,
        clientId: 'dispatcher-replay-test',
        topicNamespace: isolatedTopicNamespace(),
        logger: logs.logger,
      });
      kafkas.push(kafka);
      await kafka.provisionTopics([daIncidentDecidedTopic]);
      const a = `${INCIDENT}-A`;
      const b = `${INCIDENT}-B`;
      // Two incidents interleaved; A's second receipt twice (an intake that died after its commit, then the retry).
      const sequence = [
        decided('1', 'L85902', a),
        decided('1', 'L85902', b),
        decided('2', 'L85903', a),
        decided('2', 'L85903', a),
        decided('2', 'L85902', b),
        decided('3', 'L85902', a),
      ];
      // Keyed as the IG engine keys them, so each incident's versions are in one partition, in order.
      await kafka.publish(
        daIncidentDecidedTopic,
        sequence.map((value) => ({
          key: incidentRef(value.identified.received.force, value.identified.received.incidentId),
          value,
        })),
      );

      const first = await handleAll(kafka, sequence.length, isolatedRedis());
      const replayed = await handleAll(kafka, sequence.length, isolatedRedis());
      expect(replayed.map(({ partition, offset }) => [partition, offset])).toEqual(
        first.map(({ partition, offset }) => [partition, offset]),
      );
      expect(replayed.map(({ outputs }) => comparable(outputs))).toEqual(
        first.map(({ outputs }) => comparable(outputs)),
      );

      // The run itself amended and withdrew as the sequence says (so the comparison compares something).
      const ofIncident = (incidentId: string) =>
        first.filter((input) => input.incidentId === incidentId).map(({ outputs }) => issued(outputs));
      const [a1, a2, a2again, a3] = ofIncident(a);
      expect(a2!.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
        ['da-gp-notification', 'gp:L85901', a1![0]!.notificationId],
        ['da-gp-notification', 'gp:L85903', null],
        ['da-withdrawal', 'gp:L85902', a1![1]!.notificationId],
      ]);
      // The copy issues nothing (each notification is in the topic once); the original's records name its offset.
      const [, a2At] = first.filter((input) => input.incidentId === a).map(({ offset }) => offset);
      expect(a2again).toEqual([]);
      expect(a2!.map(({ lineage }) => lineage?.decisionOffset)).toEqual([a2At, a2At, a2At]);
      expect(a3!.map((n) => [n.kind, n.recipient, n.amends])).toEqual([
        ['da-gp-notification', 'gp:L85901', a2![0]!.notificationId],
        ['da-gp-notification', 'gp:L85902', a2![2]!.notificationId],
        ['da-withdrawal', 'gp:L85903', a2![1]!.notificationId],
      ]);
      const [b1, b2] = ofIncident(b);
      expect(b2!.map((n) => n.amends)).toEqual(b1!.map((n) => n.notificationId));
    });
  });
});
