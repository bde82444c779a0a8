/*
 * Issue 13: a broker of three killed under load, on the hub's transactional path. The test starts a three-broker
 * KRaft cluster of its own (infra/local, free ports, a temp dir), and a hub on it with the production durability
 * profile (every topic 3 replicas, 2 in sync). A police client posts a stream of high-risk Whitlock incidents, several
 * at a time; once a third are accepted, one broker is SIGKILLed while requests, stages and their transactions are in
 * flight. Posts refused meanwhile (503 while leaderships move) are retried, as a police system does. Then:
 *   - notifications.issued.v1, read back read_committed, holds each accepted incident's five notifications once each:
 *     0 lost, 0 doubled (counted by distinct record, partition and offset, so a redelivery to the reader is not
 *     mistaken for a doubled record);
 *   - every inbox holds exactly its notifications of the accepted incidents.
 * One run in 37 once lost a receipt here: a produce the killed broker had written was answered with an error, and
 * kafkajs's rewound sequence number made the broker take the next same-sized request for its duplicate. That is now
 * proven and closed deterministically in lost-answers.int.test.ts (here and in packages/kafka); this test stays the
 * whole-cluster check, whose failure report says where a missing receipt stopped.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  auditEventsTopic,
  daIncidentDecidedTopic,
  daIncidentIdentifiedTopic,
  daIncidentReceivedTopic,
  notificationsIssuedTopic,
  type DaIncidentSubmission,
  type IssuedNotification,
  type TopicSpec,
} from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import {
  clusterBrokers,
  clusterNodePid,
  readSettings,
  startPrivateKafkaCluster,
  stopKafkaCluster,
  type KafkaClusterSettings,
} from '@hub/infra-local';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { captureLogs, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readInbox } from './flow.ts';
import { whitlockIncident } from './whitlock.ts';

const INCIDENTS = 30;
const KILL_AFTER_ACCEPTED = 10;
const POSTS_IN_FLIGHT = 6;
const POST_DEADLINE_MS = 120_000;
const DRAIN_DEADLINE_MS = 120_000;
/** Each Whitlock incident's notifications, by inbox (infra/seed/README.md): Sarah and Mia, Leo, Daniel, the MARAC. */
const PER_INCIDENT = { 'gp:L85901': 2, 'gp:L85902': 1, 'gp:L85904': 1, 'marac:E06000066': 1 } as const;
const CLIENT_OF = {
  'gp:L85901': 'gpVictim',
  'gp:L85902': 'gpOther',
  'gp:L85904': 'gpPerpetrator',
  'marac:E06000066': 'marac',
} as const;
type Inbox = keyof typeof PER_INCIDENT;
const INBOXES = Object.keys(PER_INCIDENT) as Inbox[];

const dataDir = mkdtempSync(path.join(os.tmpdir(), 'hub-e2e-cluster-'));
let cluster: KafkaClusterSettings;
let hub: TestHub | undefined;
const clients: KafkaClient[] = [];
const quiet = captureLogs('cluster-test').logger;

beforeAll(async () => {
  const probes: KafkaClient[] = [];
  try {
    // Ready when each node answers on its own (a client bootstrapped from all three is answered by any one).
    cluster = await startPrivateKafkaCluster(dataDir, readSettings().cacheDir, (settings) => {
      const clients = settings.brokerPorts.map((port) =>
        createKafkaClient({ brokers: [`127.0.0.1:${port}`], clientId: 'cluster-probe', logger: quiet }),
      );
      probes.push(...clients);
      return async () => (await Promise.all(clients.map((probe) => probe.ping(2_000)))).every(Boolean);
    });
  } finally {
    await Promise.all(probes.map((probe) => probe.close()));
  }
  hub = await startTestHub({
    env: { KAFKA_BROKERS: clusterBrokers(cluster).join(','), KAFKA_DURABILITY: 'production' },
  });
}, 300_000);

afterAll(async () => {
  // Stopping a hub one of whose brokers is dead can be slow on a loaded machine; if it is very slow, say what the hub
  // last logged (message, component, step: no record content is logged), for the failure's report.
  const slow = setTimeout(() => {
    const text = (value: unknown) => (typeof value === 'string' ? value : '');
    const lines = (hub?.logs.lines() ?? []).filter((line) => !['trace', 'debug'].includes(text(line['level'])));
    for (const line of lines.slice(-60)) {
      process.stderr.write(
        `cluster-kill, hub still stopping: ${text(line['level'])} ${text(line['component'])} ${text(line['msg'])} ${text(line['worker'])} ${text(line['groupId'])}\n`,
      );
    }
  }, 120_000);
  await hub?.stop();
  clearTimeout(slow);
  await Promise.allSettled(clients.map((client) => client.close()));
  await stopKafkaCluster({ dataDir });
  rmSync(dataDir, { recursive: true, force: true });
}, 300_000);

/** Refusals the kill caused, by status (what a police system would have retried). */
const refused = new Map<string, number>();

/** Posts until the hub accepts it (202), retrying what a broker's death made it refuse; the receipt id. */
async function post(test: TestHub, incident: DaIncidentSubmission): Promise<string> {
  const deadline = Date.now() + POST_DEADLINE_MS;
  let last = '';
  while (Date.now() < deadline) {
    const response = await test
      .call('police', '/v1/domestic-abuse-incidents', { method: 'POST', body: JSON.stringify(incident) })
      .catch((error: unknown) => error);
    if (response instanceof Response) {
      if (response.status === 202) return ((await response.json()) as { receiptId: string }).receiptId;
      last = `${response.status} ${await response.text()}`;
      refused.set(String(response.status), (refused.get(String(response.status)) ?? 0) + 1);
      // Refused while Kafka could not take it (503) or the incident was busy (409): a police system retries.
      if (response.status !== 503 && response.status !== 409) throw new Error(`refused: ${last}`);
    } else {
      last = String(response);
      refused.set('no answer', (refused.get('no answer') ?? 0) + 1);
    }
    await sleep(250);
  }
  throw new Error(`not accepted within ${POST_DEADLINE_MS} ms: ${last}`);
}

/** Every record of notifications.issued.v1, read_committed, once per partition and offset. */
async function readIssued(
  namespace: string,
  expected: number,
  deadlineMs = DRAIN_DEADLINE_MS,
): Promise<IssuedNotification[]> {
  const reader = createKafkaClient({
    brokers: clusterBrokers(cluster),
    clientId: 'cluster-issued-reader',
    logger: quiet,
    topicNamespace: namespace,
  });
  clients.push(reader);
  const records = new Map<string, IssuedNotification>();
  const subscription = await reader.consume(notificationsIssuedTopic, {
    groupId: uniqueId('issued-reader'),
    handle: (message) => {
      records.set(`${message.partition}:${message.offset}`, message.value);
      return Promise.resolve();
    },
  });
  const until = Date.now() + deadlineMs;
  while (records.size < expected && Date.now() < until) await sleep(250);
  // A moment more, for a doubled record that would come after the last expected one.
  await sleep(2_000);
  await subscription.stop();
  return [...records.values()];
}

/**
 * For a failure's report: whether the notifications missing at the deadline come later (slow) or never (lost), and
 * what the hub logged at warn and above meanwhile (message and component only: no record content is logged).
 */
async function explainMissing(test: TestHub, lost: readonly string[], perIncident: number): Promise<string> {
  const later = await readIssued(test.namespace, Number.MAX_SAFE_INTEGER, 90_000);
  const arrived = lost.map(
    (receipt) => `${receipt}: ${later.filter((r) => r.receiptId === receipt).length}/${perIncident}`,
  );
  const warnings = new Map<string, number>();
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  for (const line of test.logs.lines()) {
    if (!['warn', 'error', 'fatal'].includes(text(line['level']))) continue;
    const key = `${text(line['component'])} ${text(line['msg'])}`;
    warnings.set(key, (warnings.get(key) ?? 0) + 1);
  }
  const stages = await whereStopped(test.namespace, lost).catch(
    (error: unknown) => `not read (${error instanceof Error ? error.name : 'error'})`,
  );
  return `90 s after the deadline, issued per missing receipt: ${arrived.join(', ')}; where each stopped: ${stages}; hub warnings: ${JSON.stringify(Object.fromEntries(warnings))}`;
}

/**
 * For a failure's report: how far each missing receipt got, as the record shows it (read_committed): its records on
 * each pipeline topic (by partition and offset) and its audit events by action. Ids and counts only.
 */
async function whereStopped(namespace: string, receipts: readonly string[]): Promise<string> {
  const reader = createKafkaClient({
    brokers: clusterBrokers(cluster),
    clientId: 'cluster-stage-reader',
    logger: quiet,
    topicNamespace: namespace,
  });
  clients.push(reader);
  const seen = new Map<string, Map<string, number>>(receipts.map((receipt) => [receipt, new Map()]));
  const count = (receipt: string, what: string) => {
    const counts = seen.get(receipt);
    counts?.set(what, (counts.get(what) ?? 0) + 1);
  };
  const topics: readonly TopicSpec[] = [
    daIncidentReceivedTopic,
    daIncidentIdentifiedTopic,
    daIncidentDecidedTopic,
    notificationsIssuedTopic,
    auditEventsTopic,
  ];
  const subscriptions = await Promise.all(
    topics.map((topic) =>
      reader.consume(topic, {
        groupId: uniqueId('stage-reader'),
        handle: (message) => {
          const text = JSON.stringify(message.value);
          for (const receipt of receipts) {
            if (!text.includes(receipt)) continue;
            const action = topic === auditEventsTopic ? (message.value as { action?: string }).action : undefined;
            count(receipt, action === undefined ? topic.name : `audit:${action}`);
          }
          return Promise.resolve();
        },
      }),
    ),
  );
  await sleep(20_000);
  await Promise.all(subscriptions.map((subscription) => subscription.stop()));
  // Dead letters of any receipt (the record holds no receipt id readable here): their group and reason.
  const letters = await Promise.all(
    topics.map(async (topic) =>
      (await reader.deadLetters(topic)).entries.map((entry) => `${entry.consumerGroup}:${entry.reason}`),
    ),
  );
  const stopped = receipts.map(
    (receipt) => `${receipt} ${JSON.stringify(Object.fromEntries(seen.get(receipt) ?? []))}`,
  );
  return `${stopped.join('; ')}; dead letters: ${JSON.stringify(letters.flat())}`;
}

describe('a broker of three killed under load, on the transactional path', () => {
  it('every accepted incident is issued once per recipient: 0 lost, 0 doubled in notifications.issued.v1 and the inboxes', async ({
    annotate,
  }) => {
    const test = hub as TestHub;
    const incidents = Array.from({ length: INCIDENTS }, () => whitlockIncident());
    const receipts: string[] = [];
    let killed: number | undefined;
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < incidents.length; i = next++) {
        const incident = incidents[i];
        if (incident === undefined) return;
        receipts.push(await post(test, incident));
        if (receipts.length === KILL_AFTER_ACCEPTED && killed === undefined) {
          killed = clusterNodePid(cluster, 2);
          expect(killed).toBeDefined();
          process.kill(killed ?? 0, 'SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: POSTS_IN_FLIGHT }, worker));
    expect(killed).toBeDefined();
    expect(clusterNodePid(cluster, 2)).toBeUndefined();
    expect(new Set(receipts).size).toBe(INCIDENTS);
    await annotate(`posts refused and retried: ${JSON.stringify(Object.fromEntries(refused))}`);

    const perIncident = Object.values(PER_INCIDENT).reduce((sum, n) => sum + n, 0);
    const issued = await readIssued(test.namespace, INCIDENTS * perIncident);
    const byId = new Map<string, number>();
    for (const record of issued) byId.set(record.notificationId, (byId.get(record.notificationId) ?? 0) + 1);
    const doubled = [...byId].filter(([, count]) => count > 1).map(([id]) => id);
    const issuedFor = (receipt: string) => issued.filter((record) => record.receiptId === receipt).length;
    const lost = receipts.filter((receipt) => issuedFor(receipt) < perIncident);
    const unknown = [...new Set(issued.map((record) => record.receiptId))].filter((r) => !receipts.includes(r));
    if (lost.length > 0) await annotate(await explainMissing(test, lost, perIncident));
    expect({ doubled, lost, unknown }).toEqual({
      doubled: [],
      lost: [],
      unknown: [],
    });
    expect(issued).toHaveLength(INCIDENTS * perIncident);

    // Every inbox holds exactly its notifications of the accepted incidents, each once.
    for (const inbox of INBOXES) {
      const wanted = INCIDENTS * PER_INCIDENT[inbox];
      let items = await readInbox(test, CLIENT_OF[inbox], inbox);
      const until = Date.now() + DRAIN_DEADLINE_MS;
      while (items.length < wanted && Date.now() < until) {
        await sleep(500);
        items = await readInbox(test, CLIENT_OF[inbox], inbox);
      }
      const ids = items.map((item) => item.id);
      expect({ inbox, count: ids.length, distinct: new Set(ids).size }).toEqual({
        inbox,
        count: wanted,
        distinct: wanted,
      });
      const expectedIds = issued.filter((record) => record.recipient === inbox).map((record) => record.notificationId);
      expect(ids.sort()).toEqual(expectedIds.sort());
    }
  }, 600_000);
});
