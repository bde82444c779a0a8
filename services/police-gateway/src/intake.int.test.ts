import { randomBytes } from 'node:crypto';
import { auditEventsTopic, daIncidentReceivedTopic, type AuditEvent, type DaIncidentReceived } from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import { createKafkaClient, type KafkaClient } from '@hub/kafka';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import {
  captureLogs,
  isolatedRedisPrefix,
  isolatedTopicNamespace,
  policeCaller,
  sampleIncident,
  testEndpoints,
  uniqueId,
} from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIncidentIntake, createIncidentView, type IncidentIntake } from './intake.ts';

let kafka: KafkaClient;
let redis: RedisClient;
let intake: IncidentIntake;
const received: DaIncidentReceived[] = [];
const audited: AuditEvent[] = [];
const logs = captureLogs('police-gateway');

beforeAll(async () => {
  const endpoints = testEndpoints();
  kafka = createKafkaClient({
    brokers: endpoints.kafkaBrokers,
    clientId: 'police-gateway-test',
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  await kafka.provisionTopics([daIncidentReceivedTopic, auditEventsTopic]);
  redis = createRedis({
    url: endpoints.redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'test',
    logger: logs.logger,
  });
  intake = createIncidentIntake({ kafka, redis, now: () => new Date(), transactionalId: uniqueId('gateway') });
  await kafka.consume(daIncidentReceivedTopic, {
    groupId: uniqueId('received-reader'),
    handle: (message) => {
      received.push(message.value);
      return Promise.resolve();
    },
  });
  await kafka.consume(auditEventsTopic, {
    groupId: uniqueId('audit-reader'),
    handle: (message) => {
      audited.push(message.value);
      return Promise.resolve();
    },
  });
});

// Only what beforeAll got to start: a failed start keeps its own cause, not a TypeError here.
afterAll(async () => {
  await (kafka as KafkaClient | undefined)?.close();
  if ((redis as RedisClient | undefined) !== undefined) await closeRedis(redis);
});

describe('incident intake', () => {
  it('records a new incident once, answers an unchanged resend with the same receipt, and records a change as an amendment', async () => {
    const caller = policeCaller();
    const incident = sampleIncident({ incidentId: uniqueId('INC') });

    const first = await intake.submit(caller, incident);
    expect(first).toMatchObject({ outcome: 'accepted', amendsReceiptId: null });
    expect(first.receiptId).toMatch(/^rcpt_[a-f0-9]{32}$/);

    const resent = await intake.submit(caller, structuredClone(incident));
    expect(resent).toEqual({ receiptId: first.receiptId, outcome: 'unchanged', amendsReceiptId: null });

    const amended = await intake.submit(caller, { ...incident, dash: { level: 'high' } });
    expect(amended.outcome).toBe('accepted');
    expect(amended.amendsReceiptId).toBe(first.receiptId);
    expect(amended.receiptId).not.toBe(first.receiptId);

    await expect
      .poll(() => received.filter((r) => r.incidentId === incident.incidentId).length, { timeout: 15_000 })
      .toBe(2);
    // Give a stray duplicate time to arrive before asserting there is none.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const versions = received.filter((r) => r.incidentId === incident.incidentId);
    expect(versions.map((v) => v.receiptId)).toEqual([first.receiptId, amended.receiptId]);
    expect(versions[0]).toMatchObject({ force: 'ASP', submittedBy: caller.clientId, amendsReceiptId: null });
    expect(versions[1]!.amendsReceiptId).toBe(first.receiptId);
    expect(versions[1]!.submission.dash.level).toBe('high');

    await expect
      .poll(
        () =>
          audited
            .filter((a) => a.receiptId === first.receiptId)
            .map((a) => a.action)
            .sort(),
        { timeout: 15_000 },
      )
      .toEqual(['incident-received', 'incident-unchanged']);
    const receivedAudit = audited.find((a) => a.receiptId === first.receiptId && a.action === 'incident-received')!;
    expect(receivedAudit).toMatchObject({ service: 'police-gateway', actor: caller, reason: 'first-version' });
  });

  it('takes the force from the caller: two forces with the same incident id get different receipts', async () => {
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    const a = await intake.submit(policeCaller({ organisation: 'ASP' }), incident);
    const b = await intake.submit(policeCaller({ organisation: 'WMP', clientId: 'wmp-rms' }), incident);
    expect(a.receiptId).not.toBe(b.receiptId);
    expect(b.amendsReceiptId).toBeNull();
  });

  it('shows a receipt only to the force that submitted it, auditing every refusal', async () => {
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    const { receiptId } = await intake.submit(policeCaller(), incident);
    const wmp = policeCaller({ organisation: 'WMP', clientId: 'wmp-rms' });
    const missing = `rcpt_${randomBytes(16).toString('hex')}`;
    expect(await intake.receipt(policeCaller(), receiptId)).toMatchObject({ receiptId, force: 'ASP' });
    expect(await intake.receipt(wmp, receiptId)).toBeUndefined();
    expect(await intake.receipt(wmp, receiptId)).toBeUndefined();
    expect(await intake.receipt(policeCaller(), missing)).toBeUndefined();

    // Who was refused, what they asked for, why; each attempt its own event. The owner's reading is not a denial.
    const denied = () =>
      audited.filter((a) => a.action === 'access-denied' && [receiptId, missing].includes(a.receiptId!));
    await expect.poll(() => denied().length, { timeout: 15_000 }).toBe(3);
    await new Promise((resolve) => setTimeout(resolve, 500));
    // In any order: the events are keyed by receipt, so the two receipts' events may sit on different partitions.
    const sorted = (rows: unknown[][]) => rows.map((row) => JSON.stringify(row)).sort();
    expect(sorted(denied().map((a) => [a.service, a.actor, a.receiptId, a.incidentRef, a.reason]))).toEqual(
      sorted([
        ['police-gateway', wmp, receiptId, `ASP:${incident.incidentId}`, 'receipt-of-another-force'],
        ['police-gateway', wmp, receiptId, `ASP:${incident.incidentId}`, 'receipt-of-another-force'],
        ['police-gateway', policeCaller(), missing, null, 'receipt-not-found'],
      ]),
    );
    expect(new Set(denied().map((a) => a.eventId)).size).toBe(3);
  });

  it('answers 503 not-ready, never 404 or 500, when a refused read cannot be audited', async () => {
    const { receiptId } = await intake.submit(policeCaller(), sampleIncident({ incidentId: uniqueId('INC') }));
    const closed = createKafkaClient({
      brokers: testEndpoints().kafkaBrokers,
      clientId: 'police-gateway-closed',
      topicNamespace: isolatedTopicNamespace(),
      logger: logs.logger,
    });
    await closed.close();
    const refusing = createIncidentIntake({
      kafka: closed,
      redis,
      now: () => new Date(),
      transactionalId: uniqueId('g'),
    });
    // Kafka's typed unavailability, which @hub/http answers 503 `not-ready` (never the 404 of a receipt not found).
    const refused = refusing.receipt(policeCaller({ organisation: 'WMP' }), receiptId);
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(refused).rejects.toMatchObject({ dependency: 'kafka' });
  });

  it('records concurrent resends of one new incident exactly once', async () => {
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => intake.submit(policeCaller(), incident)));
    const accepted = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'accepted');
    expect(accepted).toHaveLength(1);
    // The rest were either told "unchanged" or asked to retry (409) while the first held the incident's lock.
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'conflict', status: 409 });
    }
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(received.filter((r) => r.incidentId === incident.incidentId)).toHaveLength(1);
  });

  it('keeps its incident versions and receipts a view of da.incident-received.v1: a replay rebuilds them exactly', async () => {
    const caller = policeCaller();
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    const first = await intake.submit(caller, incident);
    const amended = await intake.submit(caller, { ...incident, dash: { level: 'high' } });
    await expect.poll(() => received.filter((r) => r.incidentId === incident.incidentId).length).toBe(2);

    // Every record of the topic, from its start (a new group), applied to an empty Redis with the view's `apply`.
    const rebuilt = createRedis({
      url: testEndpoints().redisUrl,
      keyPrefix: isolatedRedisPrefix(),
      connectionName: 'test-rebuilt',
      logger: logs.logger,
    });
    const view = createIncidentView(rebuilt);
    const applied: string[] = [];
    const replay = await kafka.consume(daIncidentReceivedTopic, {
      groupId: uniqueId('replay'),
      handle: async ({ value, offset }) => {
        applied.push(await view.apply(value, offset));
      },
    });
    try {
      await expect.poll(() => applied.length, { timeout: 30_000 }).toBe(received.length);
      expect(applied.every((write) => write === 'applied')).toBe(true);
      // The same latest versions and receipts as the intake wrote (neither locks nor the status view, not its own).
      const state = async (client: RedisClient) => {
        const found = (await scanKeys(client, 'da:*')).filter((key) => !/:(lock|status)$/.test(key)).sort();
        return Promise.all(
          found.map(async (key) => [
            key,
            (await client.type(key)) === 'hash' ? await client.hgetall(key) : await client.get(key),
          ]),
        );
      };
      const written = await state(redis);
      expect(written.length).toBeGreaterThan(received.length); // a receipt per version, a latest version per incident
      expect(await state(rebuilt)).toEqual(written);

      // An intake on the rebuilt view: the amended version resent is unchanged, the first one again amends it.
      const onRebuilt = createIncidentIntake({
        kafka,
        redis: rebuilt,
        now: () => new Date(),
        transactionalId: uniqueId('g'),
      });
      expect(await onRebuilt.submit(caller, { ...incident, dash: { level: 'high' } })).toEqual({
        receiptId: amended.receiptId,
        outcome: 'unchanged',
        amendsReceiptId: first.receiptId,
      });
      expect(await onRebuilt.receipt(caller, first.receiptId)).toMatchObject({
        receiptId: first.receiptId,
        amendsReceiptId: null,
      });
      const again = await onRebuilt.submit(caller, incident);
      expect(again).toMatchObject({ outcome: 'accepted', amendsReceiptId: amended.receiptId });
      expect(again.receiptId).not.toBe(first.receiptId);
    } finally {
      await replay.stop();
      await closeRedis(rebuilt);
    }
  });

  it('writes no personal data to the logs', () => {
    const text = logs.text();
    for (const secret of ['9990000018', 'Tester', '1990-04-12', 'TA1 1AA', 'Verbal argument']) {
      expect(text).not.toContain(secret);
    }
  });
});
