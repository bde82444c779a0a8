import { auditEventsTopic, daIncidentReceivedTopic, HUB_VIEWS, type DaIncidentSubmission } from '@hub/contracts';
import { createKafkaClient, startStep, type KafkaClient, type Subscription } from '@hub/kafka';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import type { VersionWrite } from '@hub/records';
import {
  captureLogs,
  isolatedRedisPrefix,
  isolatedTopicNamespace,
  policeCaller,
  sampleIncident,
  testEndpoints,
  uniqueId,
} from '@hub/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { incidentVersionsProjector } from './incident-projector.ts';
import { createIncidentIntake, createIncidentView, type IncidentIntake, type IncidentView } from './intake.ts';

const logs = captureLogs('police-gateway');
const kafkas: KafkaClient[] = [];
const clients: RedisClient[] = [];
const subscriptions: Subscription[] = [];

function redisClient(): RedisClient {
  const client = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: 'incident-projector-test',
    logger: logs.logger,
  });
  clients.push(client);
  return client;
}

/** Each test its own topics and groups (a topic namespace), so each replays only its own records. */
async function kafkaClient(): Promise<KafkaClient> {
  const kafka = createKafkaClient({
    brokers: testEndpoints().kafkaBrokers,
    clientId: 'incident-projector-test',
    topicNamespace: isolatedTopicNamespace(),
    logger: logs.logger,
  });
  kafkas.push(kafka);
  await kafka.provisionTopics([daIncidentReceivedTopic, auditEventsTopic]);
  return kafka;
}

function intakeOn(kafka: KafkaClient, redis: RedisClient): IncidentIntake {
  return createIncidentIntake({ kafka, redis, now: () => new Date(), transactionalId: uniqueId('gateway') });
}

/** The incident view over `redis`, noting what each of the projector's applications did. */
function countedView(redis: RedisClient, writes: VersionWrite[]): IncidentView {
  const view = createIncidentView(redis);
  return {
    ...view,
    apply: async (record, offset) => {
      const write = await view.apply(record, offset);
      writes.push(write);
      return write;
    },
  };
}

/** The incident versions view's keys (its declared patterns, without other views' keys and the locks), with values. */
async function dump(redis: RedisClient): Promise<[string, unknown][]> {
  const keys = new Set<string>();
  for (const pattern of HUB_VIEWS['incident-versions'].keys) {
    for (const key of await scanKeys(redis, pattern)) if (!/:(lock|status)$/.test(key)) keys.add(key);
  }
  return Promise.all(
    [...keys]
      .sort()
      .map(async (key): Promise<[string, unknown]> => [
        key,
        (await redis.type(key)) === 'hash' ? await redis.hgetall(key) : await redis.get(key),
      ]),
  );
}

afterAll(async () => {
  for (const subscription of subscriptions) await subscription.stop();
  for (const kafka of kafkas) await kafka.close();
  for (const client of clients) await closeRedis(client);
});

describe('incident versions projector (da.incident-received.v1 -> the incident versions view)', () => {
  it('writes what the intake committed by itself, and the intake and the projector agree whichever writes first', async () => {
    const caller = policeCaller();
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    // The intake writes its own Redis; the projector (its step's group) writes another, where nothing else writes:
    // as for an intake that died between its commit and its Redis write.
    const kafka = await kafkaClient();
    const intakeRedis = redisClient();
    const projected = redisClient();
    const writes: VersionWrite[] = [];
    subscriptions.push(await startStep(kafka, incidentVersionsProjector(countedView(projected, writes))));
    const intake = intakeOn(kafka, intakeRedis);
    const first = await intake.submit(caller, incident);
    const amended = await intake.submit(caller, { ...incident, dash: { level: 'high' } });
    expect(amended.amendsReceiptId).toBe(first.receiptId);

    await expect.poll(() => writes.length, { timeout: 30_000 }).toBe(2);
    expect(writes).toEqual(['applied', 'applied']);
    const written = await dump(intakeRedis);
    expect(written.map(([key]) => key)).toEqual(
      [
        `da:incident:ASP:${incident.incidentId}`,
        `da:incident:ASP:${incident.incidentId}:position`,
        `da:receipt:${first.receiptId}`,
        `da:receipt:${amended.receiptId}`,
      ].sort(),
    );
    expect(await dump(projected)).toEqual(written);

    // The same projector over the intake's own writes (a fresh group replays them) changes nothing: the first
    // version is older than the latest, the amendment is held already.
    const again: VersionWrite[] = [];
    subscriptions.push(
      await startStep(kafka, incidentVersionsProjector(countedView(intakeRedis, again)), {
        groupId: uniqueId('incident-versions-again'),
      }),
    );
    await expect.poll(() => again.length, { timeout: 30_000 }).toBe(2);
    expect(again).toEqual(['superseded', 'held']);
    expect(await dump(intakeRedis)).toEqual(written);
  });

  it('after its keys are wiped, a replay under a fresh group gives back unchanged, amendments and earlier receipts', async () => {
    const caller = policeCaller();
    const incident = sampleIncident({ incidentId: uniqueId('INC') });
    const changed: DaIncidentSubmission = { ...incident, dash: { level: 'high' } };
    const kafka = await kafkaClient();
    const redis = redisClient();
    const intake = intakeOn(kafka, redis);
    const running: VersionWrite[] = [];
    subscriptions.push(await startStep(kafka, incidentVersionsProjector(countedView(redis, running))));

    const first = await intake.submit(caller, incident);
    const amended = await intake.submit(caller, changed);
    await expect.poll(() => running.length, { timeout: 30_000 }).toBe(2);
    const before = await dump(redis);
    expect(before).toHaveLength(4);

    // Only this test's own keys of the view (its prefix; the shared Redis is never flushed).
    const keys = before.map(([key]) => key);
    expect(await redis.del(...keys)).toBe(keys.length);
    expect(await dump(redis)).toEqual([]);
    const view = createIncidentView(redis);
    expect(await view.latest('ASP', incident.incidentId)).toBeUndefined();
    expect(await view.receipt(first.receiptId)).toBeUndefined();

    const replayed: VersionWrite[] = [];
    subscriptions.push(
      await startStep(kafka, incidentVersionsProjector(countedView(redis, replayed)), {
        groupId: uniqueId('incident-versions-rebuild'),
      }),
    );
    await expect.poll(() => replayed.length, { timeout: 30_000 }).toBe(2);
    expect(replayed).toEqual(['applied', 'applied']);
    expect(await dump(redis)).toEqual(before);

    // The intake on the rebuilt view: the latest version resent is unchanged, with the same receipt.
    expect(await intake.submit(caller, structuredClone(changed))).toEqual({
      receiptId: amended.receiptId,
      outcome: 'unchanged',
      amendsReceiptId: first.receiptId,
    });
    // The earlier receipt answers (what GET /v1/domestic-abuse-incidents/{receiptId} reads).
    expect(await intake.receipt(caller, first.receiptId)).toEqual({
      receiptId: first.receiptId,
      force: 'ASP',
      incidentId: incident.incidentId,
      amendsReceiptId: null,
      receivedAt: expect.any(String) as string,
    });
    // A change amends the latest version.
    const third = await intake.submit(caller, { ...changed, repeatIncidentsLast12Months: 3 });
    expect(third).toMatchObject({ outcome: 'accepted', amendsReceiptId: amended.receiptId });
    expect([first.receiptId, amended.receiptId]).not.toContain(third.receiptId);

    // Both projectors take the third version too, and the view holds it (whichever of the three wrote it first).
    await expect.poll(() => [running.length, replayed.length], { timeout: 30_000 }).toEqual([3, 3]);
    expect(await view.receipt(third.receiptId)).toMatchObject({ amendsReceiptId: amended.receiptId });
    expect(await view.latest('ASP', incident.incidentId)).toMatchObject({
      versionId: third.receiptId,
      amendsReceiptId: amended.receiptId,
    });
  });

  it('writes no personal data to the logs', () => {
    const text = logs.text();
    for (const secret of ['9990000018', 'Tester', '1990-04-12', 'TA1 1AA', 'Verbal argument']) {
      expect(text).not.toContain(secret);
    }
  });
});
