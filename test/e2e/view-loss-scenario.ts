/*
 * Issue 9's "Done when", for one hub instance or two of one deployment: traffic flows (incidents with amendments,
 * child-protection plans, FGM indicators, an emergency department's look-ups, GP, MARAC and local-authority
 * systems fetching and acknowledging by cursor) while Redis loses everything twice: (a) every key under the
 * deployment's prefix deleted (FLUSHALL as this deployment sees it; the Redis is the test's own, and even so only
 * the prefix is touched), (b) Redis killed and started again on an empty data dir. Each time: not ready (naming
 * the views) until rebuilt, then ready; every read as before the loss plus what arrived since; resends answered
 * `unchanged` with the same receipt; amendments still amending. Throughout, every reader that kept its cursor
 * receives every notification issued to it exactly once, checked against `notifications.issued.v1` itself.
 * VIEW_LOSS_DEBUG=1 prints each instance's view-generations lines and errors at the end.
 */
import { HUB_VIEW_NAMES, VIEW_KEYS, viewStore, type DaIncidentSubmission, type HubViewName } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { closeRedis, createRedis, deleteMatching, type RedisClient } from '@hub/redis';
import { captureLogs } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectExtends, dumpHub, stableDump, type Dump, type DumpSpec } from './hub-dump.ts';
import { startInboxReader, type InboxReader } from './inbox-reader.ts';
import { readIssued, type IssuedRecord } from './issued-record.ts';
import { patientClients, type PatientClients } from './patient-client.ts';
import { startPrivateRedis, type PrivateRedis } from './private-redis.ts';
import { startReadinessSampler, type ReadinessSampler } from './readiness-sampler.ts';
import { whitlockIncident } from './whitlock.ts';

const CHILD = {
  mia: '9991001034', // L85901
  leo: '9991001042', // L85902
  lily: '9991003053', // girl, L85902
  alfie: '9991003037', // L85901
  sophie: '9991003096', // girl, L85904
  noah: '9991004017', // L85904
  ava: '9992001097', // girl, L81901 (Bristol)
} as const;
const ED_SETTING = 'settingOds=RZ901&settingType=emergency-department';
/** The gap between two operations of a traffic phase. */
const TRAFFIC_GAP_MS = 150;
const PHASE_MS = 150_000;
/** How long a loss may take to be noticed and rebuilt, on a loaded machine (it takes 5 to 15 s). */
const REBUILD_MS = 90_000;
/** The views Redis keeps, the ones a Redis loss takes (the audit view lives in PostgreSQL and stays served). */
const REDIS_VIEWS = HUB_VIEW_NAMES.filter((view) => viewStore(view) === 'redis');
const VIEW_CHECKS = REDIS_VIEWS.map((view) => `view:${view}`).sort();

interface Receipt {
  readonly receiptId: string;
  readonly status: 'accepted' | 'unchanged';
  readonly amendsReceiptId: string | null;
}

/** Operations run one after another in the background; a failure is kept for whoever awaits `done`. */
interface Traffic {
  /** Operations done so far; throws the failure of one that failed. */
  readonly completed: () => number;
  readonly done: Promise<void>;
}

function runTraffic(operations: readonly (() => Promise<unknown>)[]): Traffic {
  let completed = 0;
  let failure: unknown;
  const done = (async () => {
    for (const operation of operations) {
      await operation();
      completed++;
      await new Promise((resolve) => setTimeout(resolve, TRAFFIC_GAP_MS));
    }
  })();
  done.catch((error: unknown) => {
    failure = error ?? new Error('traffic failed');
  });
  return {
    completed: () => {
      if (failure !== undefined) throw failure as Error;
      return completed;
    },
    done,
  };
}

export function describeViewLoss(instances: 1 | 2): void {
  let privateRedis: PrivateRedis;
  const hubs: TestHub[] = [];
  let clients: PatientClients;
  let issued: IssuedRecord;
  /** The deployment's own keys (its prefix), on the test's own Redis. */
  let admin: RedisClient;
  /** What afterAll stops, last started first. */
  const started: (() => Promise<unknown>)[] = [];
  let readers: InboxReader[] = [];
  let gpReader: InboxReader;
  let sent = 0;

  beforeAll(async () => {
    privateRedis = await startPrivateRedis();
    started.push(() => privateRedis.stop());
    const env = { REDIS_URL: privateRedis.url };
    const first = await startTestHub({ env });
    hubs.push(first);
    started.push(() => Promise.all(hubs.map((hub) => hub.stop())));
    if (instances === 2) {
      hubs.push(await startTestHub({ joining: first, env: { ...env, KAFKA_INSTANCE_NAME: 'hub-2' } }));
    }
    admin = createRedis({
      url: privateRedis.url,
      keyPrefix: first.redisPrefix,
      connectionName: 'view-loss-test',
      logger: captureLogs().logger,
    });
    started.push(() => closeRedis(admin));
    clients = patientClients(hubs);
    issued = await readIssued(first.namespace);
    started.push(() => issued.stop());
    gpReader = startInboxReader(clients, 'gpVictim', 'gp:L85901', { instances });
    readers = [
      gpReader,
      startInboxReader(clients, 'gpPerpetrator', 'gp:L85904', { instances, acknowledge: true }),
      startInboxReader(clients, 'marac', 'marac:E06000066', { instances, acknowledge: true }),
      startInboxReader(clients, 'somersetLa', 'la:E06000066', { instances }),
    ];
    started.push(() => Promise.all(readers.map((reader) => reader.stop())));
  });

  afterAll(async () => {
    if (process.env['VIEW_LOSS_DEBUG'] === '1') {
      for (const [index, hub] of hubs.entries()) {
        for (const line of hub.logs.lines()) {
          if (line['component'] === 'view-generations' || ['error', 'fatal'].includes(String(line['level'])))
            process.stderr.write(`hub${index + 1} ${JSON.stringify(line).slice(0, 400)}\n`);
        }
      }
    }
    for (const stop of started.reverse()) await stop().catch(() => undefined);
  });

  /** Each request through the instances in turn, as behind a load balancer. */
  const nextVia = () => sent++ % instances;

  async function postIncident(incident: DaIncidentSubmission): Promise<Receipt> {
    const response = await clients.send(
      'police',
      '/v1/domestic-abuse-incidents',
      { method: 'POST', body: JSON.stringify(incident) },
      { via: nextVia() },
    );
    expect(response.status, await response.clone().text()).toBe(202);
    return (await response.json()) as Receipt;
  }

  async function put(client: string, path: string, body: object): Promise<void> {
    const response = await clients.send(
      client,
      path,
      { method: 'PUT', body: JSON.stringify(body) },
      { via: nextVia() },
    );
    expect(response.status, await response.clone().text()).toBe(200);
    await response.body?.cancel();
  }

  const plan = (nhsNumber: string, team = 'Taunton children and families') => ({
    type: 'child-protection-plan',
    nhsNumber,
    startDate: '2026-11-20',
    contact: { team, officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
  });
  const putPlan = (planId: string, body: object) => put('somersetLa', `/v1/child-protection-plans/${planId}`, body);
  const putFgm = (client: string, indicatorId: string, nhsNumber: string) =>
    put(client, `/v1/fgm-indicators/${indicatorId}`, { nhsNumber, status: 'active' });
  async function edLookUp(nhsNumber: string): Promise<void> {
    const response = await clients.send(
      'edTaunton',
      `/v1/child-protection-flags?nhsNumber=${nhsNumber}&${ED_SETTING}`,
      {},
      {
        via: nextVia(),
      },
    );
    expect(response.status, await response.clone().text()).toBe(200);
    expect(((await response.json()) as { plans: unknown[] }).plans).toHaveLength(1);
  }

  /** Receipts posted so far (the dump reads each), and the incidents kept for resends. */
  const receipts: string[] = [];
  const posted = new Map<string, { incident: DaIncidentSubmission; receipt: Receipt }>();
  function incident(name: string, overrides: Partial<DaIncidentSubmission> = {}) {
    return async () => {
      const submitted = whitlockIncident(overrides);
      const receipt = await postIncident(submitted);
      expect(receipt).toMatchObject({ status: 'accepted', amendsReceiptId: null });
      receipts.push(receipt.receiptId);
      posted.set(name, { incident: submitted, receipt });
    };
  }

  const inboxes: [string, string][] = [
    ['gpVictim', 'gp:L85901'],
    ['gpOther', 'gp:L85902'],
    ['gpPerpetrator', 'gp:L85904'],
    ['marac', 'marac:E06000066'],
    ['somersetLa', 'la:E06000066'],
  ];
  const plans: [string, string][] = [];
  const flags: [string, string][] = [];
  /** The spec as it stands now (a copy: later phases add to it). */
  const specNow = (): DumpSpec => ({
    inboxes: [...inboxes],
    receipts: [...receipts],
    plans: [...plans],
    flags: [...flags],
  });

  /**
   * Every reader has received all that was issued to it, acknowledged what it acknowledges, and nothing new has been
   * issued for a while; then a stable dump up to now.
   */
  async function settle(): Promise<{ dump: Dump; spec: DumpSpec }> {
    let count = -1;
    let quietSince = Date.now();
    await expect
      .poll(
        () => {
          if (issued.notifications.size !== count) {
            count = issued.notifications.size;
            quietSince = Date.now();
          }
          const caughtUp = readers.every(
            (reader) =>
              reader.acknowledging === 0 &&
              [...new Set(reader.received.map((item) => item.id))].sort().join() ===
                issued.idsFor(reader.recipient).sort().join(),
          );
          return caughtUp && Date.now() - quietSince > 2_500;
        },
        { timeout: 90_000, interval: 250 },
      )
      .toBe(true);
    const to = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const now = specNow();
    const dump = await stableDump(clients, now, to);
    // Every inbox holds what was issued to it, each once, in order of issue.
    for (const [recipient, items] of Object.entries(dump.inboxes)) {
      const ids = items.map((item) => item.id);
      expect(new Set(ids).size, `${recipient} holds no item twice`).toBe(ids.length);
      expect([...ids].sort(), `${recipient} holds what was issued to it`).toEqual(issued.idsFor(recipient).sort());
      expect(items.map((item) => BigInt(item.sequence))).toEqual(
        items.map((item) => BigInt(item.sequence)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
      );
    }
    // The other instance answers the same.
    for (let via = 1; via < hubs.length; via++) {
      expect(JSON.stringify(await dumpHub(clients, now, to, via)), `instance ${via + 1}'s dump`).toBe(
        JSON.stringify(dump),
      );
    }
    return { dump, spec: now };
  }

  async function markers(): Promise<(string | null)[]> {
    return Promise.all(REDIS_VIEWS.map((view) => admin.get(VIEW_KEYS.generation(view))));
  }

  /**
   * The loss, mid-stream: `lose` runs once `traffic` has done `after` operations. Then every instance is not ready,
   * naming every view, until rebuilt, and ready after; the markers are new; each view switched on one instance.
   */
  async function loseMidStream(traffic: Traffic, after: number, lose: () => Promise<void>): Promise<void> {
    const before = await markers();
    expect(before.every((marker) => marker !== null)).toBe(true);
    const refusedBefore = gpReader.notReady;
    await expect.poll(() => traffic.completed(), { timeout: REBUILD_MS, interval: 50 }).toBeGreaterThanOrEqual(after);
    const sampler: ReadinessSampler = startReadinessSampler(hubs);
    try {
      await lose();
      await expect
        .poll(() => sampler.samples.filter((sample) => sample.status === 503).length > 0, { timeout: 15_000 })
        .toBe(true);
      await expect
        .poll(() => hubs.every((_, index) => sampler.last(index)?.status === 200), {
          timeout: REBUILD_MS,
          interval: 250,
        })
        .toBe(true)
        .catch((error: unknown) => {
          const last = hubs.map((_, index) => sampler.last(index));
          throw new Error(`not every instance was ready again; last readiness: ${JSON.stringify(last)}`, {
            cause: error,
          });
        });
    } finally {
      await sampler.stop();
    }
    for (const [index] of hubs.entries()) {
      const seen = sampler.samples.filter((sample) => sample.hub === index);
      const firstNotReady = seen.findIndex((sample) => sample.status !== 200);
      const firstReadyAgain = seen.findIndex((sample, at) => at > firstNotReady && sample.status === 200);
      expect(firstNotReady, `instance ${index + 1} was not ready after the loss`).toBeGreaterThanOrEqual(0);
      // Not ready until rebuilt, then ready: never ready in between, never not ready again.
      expect(seen.slice(firstNotReady, firstReadyAgain).every((sample) => sample.status === 503)).toBe(true);
      expect(seen.slice(firstReadyAgain).every((sample) => sample.status === 200)).toBe(true);
      // While rebuilding, its readiness named every view (a lost view is never served as if complete).
      expect(
        seen.some((sample) => VIEW_CHECKS.every((check) => sample.failedChecks.includes(check))),
        `instance ${index + 1} named every view not ready`,
      ).toBe(true);
    }
    const after_ = await markers();
    after_.forEach((marker, index) => {
      expect(marker).toMatch(/^[0-9a-f]{12}$/);
      expect(marker).not.toBe(before[index]);
      const view = REDIS_VIEWS[index] as HubViewName;
      const switched = hubs.filter((hub) => hub.logs.text().includes(`view ${view}: switched to generation ${marker}`));
      expect(switched.length, `view ${view} switched to its new generation on exactly one instance`).toBe(1);
    });
    // The GP system's polls met the rebuild (503 not-ready, waited out): the loss was in its stream.
    expect(gpReader.notReady).toBeGreaterThan(refusedBefore);
  }

  /** A resend after the rebuild: unchanged answers the same receipt; changed amends, and the GP's notes amend theirs. */
  async function resendsAfterRebuild(unchangedName: string, amendedName: string): Promise<void> {
    const earlier = posted.get(unchangedName);
    expect(earlier).toBeDefined();
    const unchanged = await postIncident(structuredClone(earlier!.incident));
    expect(unchanged).toEqual({ receiptId: earlier!.receipt.receiptId, status: 'unchanged', amendsReceiptId: null });

    const first = posted.get(amendedName);
    expect(first).toBeDefined();
    const amendment = await postIncident({ ...first!.incident, dash: { level: 'high', yesCount: 15 } });
    expect(amendment).toMatchObject({ status: 'accepted', amendsReceiptId: first!.receipt.receiptId });
    receipts.push(amendment.receiptId);

    // Sarah's and Mia's notifications at L85901: each new one amends the one of the first version, to the same person.
    const atGp = (receiptId: string) =>
      [...issued.notifications.values()].filter((n) => n.recipient === 'gp:L85901' && n.receiptId === receiptId);
    await expect.poll(() => atGp(amendment.receiptId).length, { timeout: 60_000 }).toBe(2);
    const old = atGp(first!.receipt.receiptId);
    expect(old).toHaveLength(2);
    for (const fresh of atGp(amendment.receiptId)) {
      const predecessor = old.find((n) => n.subjectRef === fresh.subjectRef);
      expect(fresh.amends, `${fresh.subjectRef ?? '-'}'s notification amends the first one`).toBe(
        predecessor?.notificationId,
      );
      await expect
        .poll(() => gpReader.received.find((item) => item.id === fresh.notificationId)?.amends, { timeout: 60_000 })
        .toBe(predecessor?.notificationId);
    }
  }

  let beforeLoss: { dump: Dump; spec: DumpSpec };

  describe(`${instances === 1 ? 'one hub instance' : 'two hub instances'}: views lost mid-stream are rebuilt from Kafka`, () => {
    it(
      'before any loss: incidents, plans, FGM indicators, look-ups, fetches and acknowledgements settle',
      async () => {
        const traffic = runTraffic([
          incident('A1'),
          incident('A2'),
          () => putPlan('CP-LEO', plan(CHILD.leo)),
          incident('A3'),
          incident('A-medium', { dash: { level: 'medium' } }),
          () => putPlan('CP-MIA', plan(CHILD.mia)),
          () => edLookUp(CHILD.leo),
          incident('A4'),
          () => putFgm('gpOther', 'FGM-LILY', CHILD.lily),
          () => putPlan('CP-MIA', plan(CHILD.mia, 'Taunton east team')),
          incident('A5'),
        ]);
        await traffic.done;
        plans.push(['somersetLa', 'CP-LEO'], ['somersetLa', 'CP-MIA']);
        flags.push(['gpOther', CHILD.leo], ['gpOther', CHILD.lily], ['gpVictim', CHILD.mia]);
        beforeLoss = await settle();
        expect(beforeLoss.dump.inboxes['gp:L85901']?.length).toBeGreaterThanOrEqual(14);
      },
      PHASE_MS,
    );

    it(
      '(a) every key under the prefix deleted mid-stream: not ready until rebuilt, then every read as before plus what arrived since',
      async () => {
        const traffic = runTraffic([
          incident('B1'),
          incident('B2'),
          () => putPlan('CP-ALFIE', plan(CHILD.alfie)),
          incident('B3'),
          () => edLookUp(CHILD.alfie),
          incident('B-medium', { dash: { level: 'medium' } }),
          () => putFgm('gpPerpetrator', 'FGM-SOPHIE', CHILD.sophie),
          incident('B4'),
          incident('B5'),
          incident('B6'),
        ]);
        await loseMidStream(traffic, 3, async () => {
          expect(await deleteMatching(admin, '*')).toBeGreaterThan(REDIS_VIEWS.length);
        });
        await traffic.done;
        await resendsAfterRebuild('A2', 'A-medium');
        plans.push(['somersetLa', 'CP-ALFIE']);
        flags.push(['gpVictim', CHILD.alfie], ['gpPerpetrator', CHILD.sophie]);
        const now = await settle();
        expectExtends(beforeLoss.dump, await dumpHub(clients, beforeLoss.spec, beforeLoss.dump.to));
        beforeLoss = now;
      },
      PHASE_MS,
    );

    it(
      '(b) Redis restarted on an empty data directory mid-stream: the same',
      async () => {
        const traffic = runTraffic([
          incident('C1'),
          incident('C2'),
          () => putPlan('CP-NOAH', plan(CHILD.noah)),
          incident('C3'),
          () => edLookUp(CHILD.noah),
          () => putFgm('gpBristol', 'FGM-AVA', CHILD.ava),
          incident('C4'),
          incident('C5'),
        ]);
        await loseMidStream(traffic, 3, () => privateRedis.restartEmpty());
        await traffic.done;
        await resendsAfterRebuild('B2', 'B-medium');
        plans.push(['somersetLa', 'CP-NOAH']);
        flags.push(['gpPerpetrator', CHILD.noah], ['gpBristol', CHILD.ava]);
        await settle();
        expectExtends(beforeLoss.dump, await dumpHub(clients, beforeLoss.spec, beforeLoss.dump.to));
      },
      PHASE_MS,
    );

    it('every reader that kept its cursor throughout received every notification issued to it exactly once', async () => {
      await Promise.all(readers.map((reader) => reader.stop()));
      for (const reader of readers) {
        const ids = reader.received.map((item) => item.id);
        expect(new Set(ids).size, `${reader.recipient}: nothing twice`).toBe(ids.length);
        expect([...ids].sort(), `${reader.recipient}: nothing missed`).toEqual(issued.idsFor(reader.recipient).sort());
        expect(reader.unexpected, `${reader.recipient}: no answer but 200, 409 or 503`).toEqual([]);
      }
      // The GP system's inbox took notifications throughout: before, between and after both losses.
      expect(gpReader.received.length).toBeGreaterThanOrEqual(40);
    });
  });
}
