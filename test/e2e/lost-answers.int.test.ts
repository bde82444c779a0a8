/*
 * Issue 13: a produce the broker wrote but whose answer the hub saw as an error (its broker killed before it
 * answered). kafkajs rewinds the partition's sequence number all the same, and the broker took the hub's next request
 * of the same size to that partition for a duplicate: answered, committed, never written. One receipt was lost so in a
 * broker kill (cluster-kill.int.test.ts). Here the answer is lost on purpose (@hub/kafka/testing/lost-answers: the
 * real request goes to the real broker, only its answer becomes an error), once at the intake and once at the
 * dispatcher, and every incident must still be issued once per recipient: 0 lost, 0 doubled in the record.
 */
import { daIncidentReceivedTopic, notificationsIssuedTopic, type IssuedNotification } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { loseProduceAnswers } from '@hub/kafka/testing/lost-answers';
import { captureLogs, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { whitlockIncident } from './whitlock.ts';

/** Each Whitlock incident's notifications (infra/seed/README.md): Sarah and Mia, Leo, Daniel, the MARAC. */
const PER_INCIDENT = 5;

let hub: TestHub;
let kafka: KafkaClient;

beforeAll(async () => {
  hub = await startTestHub();
  kafka = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'lost-answers-test',
    logger: captureLogs().logger,
    topicNamespace: hub.namespace,
  });
}, 60_000);

afterAll(async () => {
  await kafka.close();
  await hub.stop();
});

/** Posts as a police system does: a 503 is retried (after 250 ms) until accepted; the receipt id and the 503s. */
async function postUntilAccepted(incident: ReturnType<typeof whitlockIncident>) {
  const refused: number[] = [];
  for (let attempt = 0; attempt < 40; attempt++) {
    const response = await hub.call('police', '/v1/domestic-abuse-incidents', {
      method: 'POST',
      body: JSON.stringify(incident),
    });
    if (response.status === 202)
      return { receiptId: ((await response.json()) as { receiptId: string }).receiptId, refused };
    expect(response.status).toBe(503);
    refused.push(response.status);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error('never accepted');
}

/** notifications.issued.v1 (read_committed) for `receipts`: how many records each notification id has. */
async function issuedFor(receipts: readonly string[], expected: number): Promise<Map<string, number>> {
  const records = new Map<string, IssuedNotification>();
  const subscription = await kafka.consume(notificationsIssuedTopic, {
    groupId: uniqueId('lost-answers-issued'),
    handle: (message) => {
      if (receipts.includes(message.value.receiptId))
        records.set(`${message.partition}:${message.offset}`, message.value);
      return Promise.resolve();
    },
  });
  try {
    await expect.poll(() => records.size, { timeout: 30_000, interval: 250 }).toBeGreaterThanOrEqual(expected);
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // a doubled record would show by now
  } finally {
    await subscription.stop();
  }
  const byId = new Map<string, number>();
  for (const record of records.values()) byId.set(record.notificationId, (byId.get(record.notificationId) ?? 0) + 1);
  return byId;
}

describe('a produce written by the broker, its answer lost', () => {
  it('at the intake: the police system hears 503 and retries; the next incidents are recorded too, each issued once', async () => {
    const lost = loseProduceAnswers(kafka.physicalTopic(daIncidentReceivedTopic));
    let first: { receiptId: string; refused: number[] };
    try {
      first = await postUntilAccepted(whitlockIncident());
      expect(lost.lost()).toBe(1);
    } finally {
      lost.restore();
    }
    expect(first.refused).toEqual([503]);
    // Requests of the same size after it, on the same partitions: the ones the broker took for duplicates before.
    const next = [await postUntilAccepted(whitlockIncident()), await postUntilAccepted(whitlockIncident())];
    const receipts = [first.receiptId, ...next.map((post) => post.receiptId)];

    const issued = await issuedFor(receipts, receipts.length * PER_INCIDENT);
    expect(issued.size).toBe(receipts.length * PER_INCIDENT);
    expect([...issued.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);

  it("at the dispatcher: its transaction is handled again; every incident's notifications are issued once", async () => {
    const lost = loseProduceAnswers(kafka.physicalTopic(notificationsIssuedTopic));
    const receipts: string[] = [];
    try {
      for (let i = 0; i < 3; i++) receipts.push((await postUntilAccepted(whitlockIncident())).receiptId);
      await expect.poll(() => lost.lost(), { timeout: 30_000 }).toBe(1);
    } finally {
      lost.restore();
    }
    const issued = await issuedFor(receipts, receipts.length * PER_INCIDENT);
    expect(issued.size).toBe(receipts.length * PER_INCIDENT);
    expect([...issued.values()].every((count) => count === 1)).toBe(true);
  }, 120_000);
});
