import { randomBytes } from 'node:crypto';
import {
  CP_LIMITS,
  contentHash,
  contentId,
  cpFlagAccessedTopic,
  cpPlanRecordedTopic,
  fgmIndicatorRecordedTopic,
  type Caller,
  type CpFlagAccessed,
  type CpPlanChange,
  type CpPlanRecorded,
  type CpPlanSubmission,
  type FgmIndicatorRecorded,
  type FgmIndicatorSubmission,
} from '@hub/contracts';
import { startStep } from '@hub/kafka';
import { closeRedis, createRedis, scanKeys, type RedisClient } from '@hub/redis';
import { isolatedRedisPrefix, testEndpoints, uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFgmIntake, type FgmIntake } from './fgm.ts';
import { CP_KEYS, createFlagView, fgmRef, planRef, type FlagView, type VersionWrite } from './flag-view.ts';
import { createFlagLookup, type FlagLookup, type FlagQuery } from './lookup.ts';
import { createPlanIntake, type PlanIntake } from './plans.ts';
import { flagViewProjectors, storedFgmOf, storedPlanOf } from './projector.ts';
import {
  BRISTOL,
  SEED,
  SEED_PERSONAL_DATA,
  SOMERSET,
  TEST_NOW,
  edCaller,
  gpCaller,
  laCaller,
  samplePlan,
  settle,
  startHarness,
  type Harness,
} from './test-support.ts';

let h: Harness;
/** The handlers' Redis (h.redis) as the look-ups read it. */
let view: FlagView;
let plans: PlanIntake;
let fgm: FgmIntake;
let flags: FlagLookup;
/** The projector on h.redis, started by the crash test and left running for the tests after it. */
let main: Projected;
const extraRedis: RedisClient[] = [];

beforeAll(async () => {
  h = await startHarness('projector');
  view = createFlagView(h.redis);
  plans = createPlanIntake(h.intakeDeps('cp-plans', h.redis));
  fgm = createFgmIntake(h.intakeDeps('cp-fgm', h.redis));
  flags = createFlagLookup(h.intakeDeps('cp-lookup', h.redis));
});

afterAll(async () => {
  await h.close();
  await Promise.all(extraRedis.map((redis) => closeRedis(redis)));
});

/** A Redis of its own (a fresh, empty key prefix), closed after the file. */
function emptyRedis(label: string): RedisClient {
  const redis = createRedis({
    url: testEndpoints().redisUrl,
    keyPrefix: isolatedRedisPrefix(),
    connectionName: `cp-${label}-test`,
    logger: h.logs.logger,
  });
  extraRedis.push(redis);
  return redis;
}

type Applied = VersionWrite | 'recorded';

interface Projected {
  /** What the projector's writes answered, in order: version id (or look-up id) and outcome. */
  readonly applied: { readonly id: string; readonly write: Applied }[];
  stop(): Promise<void>;
}

/**
 * Starts a flag-view projector on `redis` under a new consumer group (so it replays every topic from its start),
 * recording what each of its writes answered. The writes themselves are the real ones.
 */
async function project(redis: RedisClient, label: string): Promise<Projected> {
  const real = createFlagView(redis);
  const applied: { id: string; write: Applied }[] = [];
  const observed: FlagView = {
    ...real,
    savePlan: async (stored, previous, offset) => {
      const write = await real.savePlan(stored, previous, offset);
      applied.push({ id: stored.versionId, write });
      return write;
    },
    saveFgm: async (stored, previous, offset) => {
      const write = await real.saveFgm(stored, previous, offset);
      applied.push({ id: stored.versionId, write });
      return write;
    },
    recordAccess: async (nhsNumber, lookupId, access) => {
      await real.recordAccess(nhsNumber, lookupId, access);
      applied.push({ id: lookupId, write: 'recorded' });
    },
  };
  // A fresh group per start replays each topic from its beginning, as a rebuild does.
  const prefix = uniqueId(label);
  const subscriptions = await Promise.all(
    flagViewProjectors(observed, { logger: h.logs.logger, tuning: { maxWaitTimeMs: 100 } }).map((binding) =>
      startStep(h.kafka, binding, { groupId: `${prefix}-${binding.step.groupId}` }),
    ),
  );
  return {
    applied,
    async stop() {
      await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    },
  };
}

const writesOf = (projected: Projected, id: string): Applied[] =>
  projected.applied.filter((entry) => entry.id === id).map((entry) => entry.write);

/** Waits until the projector has handled each of `ids` at least `times` times. */
async function handled(projected: Projected, ids: readonly string[], times = 1): Promise<void> {
  await expect
    .poll(() => ids.filter((id) => writesOf(projected, id).length < times), { timeout: 30_000, interval: 50 })
    .toEqual([]);
}

/** Every flag-view key under the client's prefix (not the short-lived locks), with its parsed content. */
async function snapshot(redis: RedisClient): Promise<Record<string, unknown>> {
  const keys = (await scanKeys(redis, 'cp:*')).filter((key) => !key.startsWith('cp:lock:')).sort();
  const entries = await Promise.all(
    keys.map(async (key): Promise<[string, unknown]> => {
      const type = await redis.type(key);
      if (type === 'string') return [key, JSON.parse((await redis.get(key)) ?? 'null') as unknown];
      if (type === 'set') return [key, (await redis.smembers(key)).sort()];
      if (type === 'zset') return [key, await redis.zrange(key, 0, -1, 'WITHSCORES')];
      if (type === 'hash') return [key, await redis.hgetall(key)];
      return [key, `unexpected ${type}`];
    }),
  );
  return Object.fromEntries(entries);
}

/** A handler's version writes (the three-key compare-and-set) as Redis answered them. */
interface HandlerWrite {
  readonly versionId: string;
  readonly answer: unknown;
}

/**
 * `redis` as an intake uses it, every command going to the real Redis; the version writes (APPLY_VERSION, the only
 * three-key script) are recorded with their answers and, when `holdUntil` is given, held until it resolves: so the
 * projector can be made to write first.
 */
function handlerRedis(
  redis: RedisClient,
  holdUntil?: (versionId: string) => Promise<void>,
): { redis: RedisClient; writes: HandlerWrite[] } {
  const writes: HandlerWrite[] = [];
  const proxied = new Proxy(redis, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property !== 'eval') return method.bind(target);
      return async (...args: unknown[]) => {
        const versionId = args[1] === 3 && typeof args[5] === 'string' ? args[5] : undefined;
        if (versionId !== undefined && holdUntil !== undefined) await holdUntil(versionId);
        const answer = await (method.apply(target, args) as Promise<unknown>);
        if (versionId !== undefined) writes.push({ versionId, answer });
        return answer;
      };
    },
  });
  return { redis: proxied, writes };
}

// Records as the intakes publish them, for publishing straight to the topics (a handler that died after its commit).
function planRecord(
  ons: string,
  planId: string,
  plan: CpPlanSubmission,
  previous: CpPlanRecorded | null,
  change: CpPlanChange,
  recordedAt: Date,
): CpPlanRecorded {
  const hash = contentHash(plan);
  return {
    versionId: contentId('cpv', ons, planId, hash, previous?.versionId ?? ''),
    localAuthority: ons,
    planId,
    change,
    previousVersionId: previous?.versionId ?? null,
    contentHash: hash,
    recordedAt: recordedAt.toISOString(),
    recordedBy: laCaller(ons),
    plan,
  };
}

function fgmRecord(
  caller: Caller,
  indicatorId: string,
  submission: FgmIndicatorSubmission,
  previous: FgmIndicatorRecorded | null,
  recordedAt: Date,
): FgmIndicatorRecorded {
  return {
    versionId: contentId('fgv', caller.organisation, indicatorId, contentHash(submission), previous?.versionId ?? ''),
    indicatorId,
    organisation: caller.organisation,
    nhsNumber: submission.nhsNumber,
    status: submission.status,
    previousVersionId: previous?.versionId ?? null,
    recordedAt: recordedAt.toISOString(),
    recordedBy: caller,
  };
}

function accessRecord(nhsNumber: string, accessedAt: Date, odsCode: string, found: CpPlanRecorded[]): CpFlagAccessed {
  return {
    lookupId: `lkp_${randomBytes(16).toString('hex')}`,
    nhsNumber,
    accessedAt: accessedAt.toISOString(),
    accessedBy: edCaller(odsCode),
    setting: { odsCode, type: 'emergency-department' },
    plans: found.map((r) => ({
      localAuthority: r.localAuthority,
      planId: r.planId,
      versionId: r.versionId,
      type: r.plan.type,
    })),
  };
}

const minutesAfter = (at: Date, minutes: number) => new Date(at.getTime() + minutes * 60_000);

function ed(nhsNumber: string, settingOds = 'RBA11'): FlagQuery {
  return { nhsNumber, settingOds, settingType: 'emergency-department' };
}

/** Every record id on the three projected topics so far (after the harness's readers have caught up). */
function publishedIds(): string[] {
  return [
    ...h.published.recorded.map((r) => r.value.versionId),
    ...h.published.fgm.map((r) => r.value.versionId),
    ...h.published.accessed.map((r) => r.value.lookupId),
  ];
}

describe('flag-view projector', () => {
  it('rebuilds, into an empty Redis, exactly the view the handlers wrote', async () => {
    h.clock.now = TEST_NOW;
    const somerset = laCaller(SOMERSET);
    const cpA = uniqueId('CPP');
    const cpB = uniqueId('CPP');
    const unborn = uniqueId('UCPP');
    const started = samplePlan({ nhsNumber: SEED.mia, startDate: '2026-03-01' });
    const changed = { ...started, contact: { ...started.contact, team: 'Taunton Duty Team' } };
    await plans.put(somerset, cpA, started);
    await plans.put(somerset, cpA, changed);
    h.clock.now = minutesAfter(TEST_NOW, 5);
    await plans.put(somerset, cpA, { ...changed, endDate: '2026-11-20' });
    await plans.put(
      laCaller(BRISTOL),
      cpB,
      samplePlan({ nhsNumber: SEED.mia, type: 'looked-after-child', startDate: '2026-05-01' }),
    );
    await plans.put(
      somerset,
      unborn,
      samplePlan({ type: 'unborn-child-protection-plan', nhsNumber: SEED.chloe, expectedDeliveryDate: '2027-02-14' }),
    );
    // An indicator added, removed and added again (a new version with the same content), and another removed.
    const gp = gpCaller('L85902');
    const again = uniqueId('FGM');
    const gone = uniqueId('FGM');
    await fgm.put(gp, again, { nhsNumber: SEED.lily, status: 'active' });
    await fgm.put(edCaller(), gone, { nhsNumber: SEED.lily, status: 'active' });
    await fgm.put(gp, again, { nhsNumber: SEED.lily, status: 'removed' });
    await fgm.put(gp, again, { nhsNumber: SEED.lily, status: 'active' });
    await fgm.put(edCaller(), gone, { nhsNumber: SEED.lily, status: 'removed' });
    // Three unscheduled look-ups that found plans, and a GP's, which is no access.
    for (let i = 1; i <= 3; i += 1) {
      h.clock.now = minutesAfter(TEST_NOW, 10 + i);
      await flags.lookup(edCaller(), ed(SEED.mia));
    }
    await flags.lookup(gpCaller('L85901'), { nhsNumber: SEED.mia });

    const written = await snapshot(h.redis);
    expect(Object.keys(written)).toEqual(
      [
        ...[
          CP_KEYS.plan(SOMERSET, cpA),
          CP_KEYS.plan(BRISTOL, cpB),
          CP_KEYS.plan(SOMERSET, unborn),
          CP_KEYS.fgm('L85902', again),
          CP_KEYS.fgm('RBA11', gone),
        ].flatMap((record) => [record, CP_KEYS.position(record)]),
        CP_KEYS.plansByChild(SEED.mia),
        CP_KEYS.plansByChild(SEED.chloe),
        CP_KEYS.fgmByChild(SEED.lily),
        CP_KEYS.accesses(SEED.mia),
      ].sort(),
    );
    expect(written[CP_KEYS.fgmByChild(SEED.lily)]).toEqual([fgmRef('L85902', again)]);
    expect(written[CP_KEYS.plansByChild(SEED.mia)]).toEqual([planRef(BRISTOL, cpB), planRef(SOMERSET, cpA)].sort());
    expect(written[CP_KEYS.accesses(SEED.mia)]).toHaveLength(6); // three members, each with its score

    const rebuilt = emptyRedis('rebuilt');
    const rebuild = await project(rebuilt, 'cp-flag-view-rebuild');
    try {
      await expect.poll(() => snapshot(rebuilt), { timeout: 30_000, interval: 200 }).toEqual(written);
    } finally {
      await rebuild.stop();
    }

    // And a look-up answers the same from either.
    const fromRebuilt = await createFlagLookup(h.intakeDeps('cp-lookup-rebuilt', rebuilt)).lookup(gpCaller('L85901'), {
      nhsNumber: SEED.mia,
    });
    const fromWritten = await flags.lookup(gpCaller('L85901'), { nhsNumber: SEED.mia });
    expect(fromWritten.plans.map((p) => [p.planId, p.status])).toEqual([
      [cpB, 'active'],
      [cpA, 'ended'],
    ]);
    expect(fromWritten.unscheduledAccesses).toHaveLength(3);
    expect({ ...fromRebuilt, lookupId: 'x' }).toEqual({ ...fromWritten, lookupId: 'x' });
  });

  it('shows records whose handler died after the commit, once the projector runs, and the intake carries on from them', async () => {
    const planId = uniqueId('CPP');
    const indicatorId = uniqueId('FGM');
    const v1 = planRecord(
      SOMERSET,
      planId,
      samplePlan({ nhsNumber: SEED.noah, startDate: '2026-10-01' }),
      null,
      'started',
      minutesAfter(TEST_NOW, -180),
    );
    const v2Plan = { ...v1.plan, contact: { ...v1.plan.contact, outOfHoursPhone: '01632 960155' } };
    const v2 = planRecord(SOMERSET, planId, v2Plan, v1, 'changed', minutesAfter(TEST_NOW, -150));
    const indicator = fgmRecord(
      gpCaller('L85904'),
      indicatorId,
      { nhsNumber: SEED.sophie, status: 'active' },
      null,
      minutesAfter(TEST_NOW, -120),
    );
    const earlier = accessRecord(SEED.noah, minutesAfter(TEST_NOW, -170), 'RA701', [v1]);
    const later = accessRecord(SEED.noah, minutesAfter(TEST_NOW, -60), 'RBA11', [v2]);
    const key = `${SOMERSET}:${planId}`;
    await h.kafka.publish(cpPlanRecordedTopic, [
      { key, value: v1 },
      { key, value: v2 },
    ]);
    await h.kafka.publish(fgmIndicatorRecordedTopic, [{ key: SEED.sophie, value: indicator }]);
    await h.kafka.publish(cpFlagAccessedTopic, [
      { key: SEED.noah, value: earlier },
      { key: SEED.noah, value: later },
    ]);
    // What a crash between the commit and the view write leaves: the record, and nothing for a look-up to find.
    expect(await view.plan(SOMERSET, planId)).toBeUndefined();
    expect(await view.plansOfChild(SEED.noah)).toEqual([]);

    main = await project(h.redis, 'cp-flag-view');
    await handled(main, [v1.versionId, v2.versionId, indicator.versionId, earlier.lookupId, later.lookupId]);
    expect([v1, v2, indicator].map((r) => writesOf(main, r.versionId))).toEqual([
      ['applied'],
      ['applied'],
      ['applied'],
    ]);
    expect(await view.plan(SOMERSET, planId)).toEqual(storedPlanOf(v2));
    expect(await view.fgm('L85904', indicatorId)).toEqual(storedFgmOf(indicator));

    h.clock.now = TEST_NOW;
    const answer = await flags.lookup(edCaller('RBA11'), ed(SEED.noah));
    expect(answer).toMatchObject({
      plans: [{ planId, status: 'active', startDate: '2026-10-01', contact: v2Plan.contact }],
      notified: [SOMERSET],
      unscheduledAccesses: [
        { accessedAt: later.accessedAt, setting: later.setting },
        { accessedAt: earlier.accessedAt, setting: earlier.setting },
      ],
    });
    const girl = await flags.lookup(gpCaller('L85904'), { nhsNumber: SEED.sophie });
    expect(girl.fgmIndicators).toEqual([{ indicatorId, recordedBy: 'L85904', recordedAt: indicator.recordedAt }]);

    // The look-up's own access is written by the handler and by the projector, and shown once.
    await handled(main, [answer.lookupId]);
    h.clock.now = minutesAfter(TEST_NOW, 1);
    const next = await flags.lookup(edCaller('RA701'), ed(SEED.noah, 'RA701'));
    expect(next.unscheduledAccesses.map((a) => a.accessedAt)).toEqual([
      answer.asOf,
      later.accessedAt,
      earlier.accessedAt,
    ]);

    // The intake now sees the projected version: a resend is unchanged, a change follows it (no second chain).
    expect(await plans.put(laCaller(SOMERSET), planId, v2Plan)).toMatchObject({
      versionId: v2.versionId,
      outcome: 'unchanged',
    });
    const ended = await plans.put(laCaller(SOMERSET), planId, { ...v2Plan, endDate: '2026-11-23' });
    expect(ended.versionId).toBe(
      contentId('cpv', SOMERSET, planId, contentHash({ ...v2Plan, endDate: '2026-11-23' }), v2.versionId),
    );
    await settle(() => h.published.recorded.filter((r) => r.value.versionId === ended.versionId).length, 1);
    expect(h.published.recorded.find((r) => r.value.versionId === ended.versionId)?.value).toMatchObject({
      change: 'ended',
      previousVersionId: v2.versionId,
    });
  });

  it('keeps the later of two changes that both followed one version (a handler died before its view write)', async () => {
    h.clock.now = TEST_NOW;
    const forked = emptyRedis('fork');
    const intake = createPlanIntake(h.intakeDeps('cp-plans-fork', forked));
    const forkView = createFlagView(forked);
    const somerset = laCaller(SOMERSET);
    const planId = uniqueId('CPP');
    const first = samplePlan({ nhsNumber: SEED.ava, startDate: '2026-09-01' }); // in no other test here
    const v1 = await intake.put(somerset, planId, first);
    await settle(() => h.published.recorded.filter((r) => r.value.versionId === v1.versionId).length, 1);
    const v1Record = h.published.recorded.find((r) => r.value.versionId === v1.versionId)!.value;

    // B is committed by a handler that dies before writing the view; C is accepted while the view still shows v1.
    const bPlan = { ...first, contact: { ...first.contact, team: 'Version B team' } };
    const b = planRecord(SOMERSET, planId, bPlan, v1Record, 'changed', minutesAfter(TEST_NOW, 1));
    await h.kafka.publish(cpPlanRecordedTopic, [{ key: `${SOMERSET}:${planId}`, value: b }]);
    const cPlan = { ...first, endDate: '2026-11-22' };
    const c = await intake.put(somerset, planId, cPlan);
    await settle(() => h.published.recorded.filter((r) => r.value.versionId === c.versionId).length, 1);
    expect(h.published.recorded.find((r) => r.value.versionId === c.versionId)?.value.previousVersionId).toBe(
      v1.versionId, // the fork: B and C both follow v1
    );
    expect((await forkView.plan(SOMERSET, planId))?.versionId).toBe(c.versionId);

    // The projector then applies B: earlier in the topic than C, so it does not displace it.
    const late = await project(forked, 'cp-flag-view-fork');
    try {
      await handled(late, [v1.versionId, b.versionId, c.versionId]);
      expect(writesOf(late, b.versionId)).toEqual(['superseded']);
      expect((await forkView.plan(SOMERSET, planId))?.versionId).toBe(c.versionId);
    } finally {
      await late.stop();
    }
    // A rebuild applies B first, then C in its place: the same view.
    const rebuilt = emptyRedis('fork-rebuilt');
    const rebuild = await project(rebuilt, 'cp-flag-view-fork-rebuild');
    try {
      await handled(rebuild, [v1.versionId, b.versionId, c.versionId]);
      expect([b, c].map((r) => writesOf(rebuild, r.versionId))).toEqual([['applied'], ['applied']]);
      expect(await createFlagView(rebuilt).plan(SOMERSET, planId)).toEqual(await forkView.plan(SOMERSET, planId));
    } finally {
      await rebuild.stop();
    }
    // The authority's resend of C is unchanged: C is what it last sent.
    expect(await intake.put(somerset, planId, cPlan)).toMatchObject({ versionId: c.versionId, outcome: 'unchanged' });
  });

  it('applies a version once and only on top of its predecessor, whatever the order or repetition', async () => {
    const own = createFlagView(emptyRedis('cas'));
    const child = SEED.alfie;
    const planId = 'CP-CAS';
    const first = samplePlan({ nhsNumber: child });
    const v1 = planRecord(SOMERSET, planId, first, null, 'started', TEST_NOW);
    const v2 = planRecord(SOMERSET, planId, { ...first, endDate: '2026-11-20' }, v1, 'ended', TEST_NOW);
    const v3 = planRecord(SOMERSET, planId, first, v2, 'changed', TEST_NOW);
    // Offsets as in the topic, where each version follows its predecessor.
    const offsets = new Map([v1, v2, v3].map((r, offset) => [r.versionId, String(offset)]));
    const save = (r: CpPlanRecorded) => own.savePlan(storedPlanOf(r), r.previousVersionId, offsets.get(r.versionId));

    expect(await save(v2)).toBe('gap'); // its predecessor was never applied: nothing is written
    expect(await own.plan(SOMERSET, planId)).toBeUndefined();
    expect(await own.plansOfChild(child)).toEqual([]);
    expect(await save(v1)).toBe('applied');
    expect(await save(v1)).toBe('held');
    expect(await save(v3)).toBe('superseded'); // not on top of v1: left for when v2 comes
    expect(await save(v2)).toBe('applied');
    expect(await save(v1)).toBe('superseded');
    expect(await save(v3)).toBe('applied');
    expect(await save(v2)).toBe('superseded');
    expect(await save(v3)).toBe('held');
    expect(await own.plan(SOMERSET, planId)).toEqual(storedPlanOf(v3));
    expect((await own.plansOfChild(child)).map((p) => p.versionId)).toEqual([v3.versionId]);

    // FGM: a late or repeated older version never brings a removed indicator back, nor drops a re-added one.
    const girl = SEED.lily;
    const gp = gpCaller('L85902');
    const f1 = fgmRecord(gp, 'FGM-CAS', { nhsNumber: girl, status: 'active' }, null, TEST_NOW);
    const f2 = fgmRecord(gp, 'FGM-CAS', { nhsNumber: girl, status: 'removed' }, f1, TEST_NOW);
    const f3 = fgmRecord(gp, 'FGM-CAS', { nhsNumber: girl, status: 'active' }, f2, TEST_NOW);
    const fgmOffsets = new Map([f1, f2, f3].map((r, offset) => [r.versionId, String(offset)]));
    const saveFgm = (r: FgmIndicatorRecorded) =>
      own.saveFgm(storedFgmOf(r), r.previousVersionId, fgmOffsets.get(r.versionId));
    const members = () => own.activeFgmOfChild(girl).then((all) => all.map((i) => i.versionId));
    expect(await saveFgm(f1)).toBe('applied');
    expect(await members()).toEqual([f1.versionId]);
    expect(await saveFgm(f2)).toBe('applied');
    expect(await members()).toEqual([]);
    expect(await saveFgm(f1)).toBe('superseded');
    expect(await members()).toEqual([]);
    expect(await saveFgm(f2)).toBe('held');
    expect(await saveFgm(f3)).toBe('applied');
    expect(await saveFgm(f2)).toBe('superseded');
    expect(await members()).toEqual([f3.versionId]);
    expect(await own.fgm('L85902', 'FGM-CAS')).toEqual(storedFgmOf(f3));
  });

  it("keeps the per-child limits: a handler's reservation is not counted twice, and a full set is not overfilled", async () => {
    const redis = emptyRedis('limits');
    const own = createFlagView(redis);
    const child = SEED.isla;
    const reserved = planRecord(BRISTOL, 'CP-RESERVED', samplePlan({ nhsNumber: child }), null, 'started', TEST_NOW);
    expect(await own.reservePlanSlot(child, BRISTOL, 'CP-RESERVED')).toBe('reserved');
    expect(await own.savePlan(storedPlanOf(reserved), null, '0')).toBe('applied');
    expect(await redis.scard(CP_KEYS.plansByChild(child))).toBe(1);

    // Full (e.g. reservations of plans never recorded): the record is kept, so its chain goes on, but not indexed.
    const fillers = Array.from({ length: CP_LIMITS.plansPerChild - 1 }, (_, i) => `${SOMERSET}:filler-${i}`);
    await redis.sadd(CP_KEYS.plansByChild(child), ...fillers);
    const extra = planRecord(SOMERSET, 'CP-EXTRA', samplePlan({ nhsNumber: child }), null, 'started', TEST_NOW);
    expect(await own.savePlan(storedPlanOf(extra), null, '1')).toBe('unindexed');
    expect(await own.plan(SOMERSET, 'CP-EXTRA')).toEqual(storedPlanOf(extra));
    expect(await redis.scard(CP_KEYS.plansByChild(child))).toBe(CP_LIMITS.plansPerChild);
    expect(await redis.sismember(CP_KEYS.plansByChild(child), planRef(SOMERSET, 'CP-EXTRA'))).toBe(0);
    // Once a place is free, the plan's next version takes it.
    await redis.srem(CP_KEYS.plansByChild(child), fillers[0]!);
    const extra2 = planRecord(
      SOMERSET,
      'CP-EXTRA',
      samplePlan({ nhsNumber: child, endDate: '2026-11-20' }),
      extra,
      'ended',
      TEST_NOW,
    );
    expect(await own.savePlan(storedPlanOf(extra2), extra.versionId, '2')).toBe('applied');
    expect(await redis.sismember(CP_KEYS.plansByChild(child), planRef(SOMERSET, 'CP-EXTRA'))).toBe(1);
    expect(await redis.scard(CP_KEYS.plansByChild(child))).toBe(CP_LIMITS.plansPerChild);

    const gp = gpCaller('L81901');
    const fillersFgm = Array.from({ length: CP_LIMITS.fgmIndicatorsPerChild }, (_, i) => `RA701:filler-${i}`);
    await redis.sadd(CP_KEYS.fgmByChild(child), ...fillersFgm);
    const added = fgmRecord(gp, 'FGM-FULL', { nhsNumber: child, status: 'active' }, null, TEST_NOW);
    expect(await own.saveFgm(storedFgmOf(added), null, '0')).toBe('unindexed');
    expect(await redis.scard(CP_KEYS.fgmByChild(child))).toBe(CP_LIMITS.fgmIndicatorsPerChild);
    const removed = fgmRecord(gp, 'FGM-FULL', { nhsNumber: child, status: 'removed' }, added, TEST_NOW);
    expect(await own.saveFgm(storedFgmOf(removed), added.versionId, '1')).toBe('applied');
    expect(await redis.scard(CP_KEYS.fgmByChild(child))).toBe(CP_LIMITS.fgmIndicatorsPerChild);
  });

  it('leaves the latest version whether the handler or the projector writes first', async () => {
    h.clock.now = TEST_NOW;
    const redis = emptyRedis('order');
    const la = laCaller(SOMERSET);
    const planId = uniqueId('CPP');
    const base = samplePlan({ nhsNumber: SEED.evie, startDate: '2026-08-01' });
    const contents = [
      base,
      { ...base, contact: { ...base.contact, team: 'Duty team' } },
      { ...base, endDate: '2026-11-01' },
    ];

    // Handler first: the handlers write every version, then a projector replays them onto that view.
    const first = handlerRedis(redis);
    const handlerFirst = createPlanIntake(h.intakeDeps('cp-plans-first', first.redis));
    const versions: string[] = [];
    for (const content of contents) versions.push((await handlerFirst.put(la, planId, content)).versionId);
    expect(first.writes).toEqual(versions.map((versionId) => ({ versionId, answer: 1 })));
    const projector = await project(redis, 'cp-flag-view-order');
    try {
      await handled(projector, versions);
      expect(versions.map((id) => writesOf(projector, id))).toEqual([['superseded'], ['superseded'], ['held']]);
      expect((await createFlagView(redis).plan(SOMERSET, planId))?.versionId).toBe(versions[2]);

      // Projector first: each handler write is held until the projector has applied that version.
      const second = handlerRedis(redis, (versionId) => handled(projector, [versionId]));
      const projectorFirst = createPlanIntake(h.intakeDeps('cp-plans-second', second.redis));
      const reopened = await projectorFirst.put(la, planId, contents[1]!);
      expect(reopened.outcome).toBe('changed');
      expect(writesOf(projector, reopened.versionId)).toEqual(['applied']);
      expect(second.writes).toEqual([{ versionId: reopened.versionId, answer: 0 }]); // held: already there
      const own = createFlagView(redis);
      expect((await own.plan(SOMERSET, planId))?.versionId).toBe(reopened.versionId);
      expect(await redis.smembers(CP_KEYS.plansByChild(SEED.evie))).toEqual([planRef(SOMERSET, planId)]);

      // The same for an FGM indicator added then removed: the projector's removal is not undone by the handler.
      const fgmFirst = createFgmIntake(h.intakeDeps('cp-fgm-second', second.redis));
      const gp = gpCaller('L81902');
      const indicatorId = uniqueId('FGM');
      const added = await fgmFirst.put(gp, indicatorId, { nhsNumber: SEED.evie, status: 'active' });
      const removed = await fgmFirst.put(gp, indicatorId, { nhsNumber: SEED.evie, status: 'removed' });
      expect([added, removed].map((s) => writesOf(projector, s.versionId))).toEqual([['applied'], ['applied']]);
      expect(second.writes.slice(1)).toEqual([
        { versionId: added.versionId, answer: 0 },
        { versionId: removed.versionId, answer: 0 },
      ]);
      expect((await own.fgm('L81902', indicatorId))?.versionId).toBe(removed.versionId);
      expect(await redis.smembers(CP_KEYS.fgmByChild(SEED.evie))).toEqual([]);
    } finally {
      await projector.stop();
    }
  });

  it('records each look-up once however often its access is delivered, and a full replay changes nothing', async () => {
    h.clock.now = TEST_NOW;
    const started = await plans.put(laCaller(SOMERSET), uniqueId('CPP'), samplePlan({ nhsNumber: SEED.leo }));
    const answer = await flags.lookup(edCaller(), ed(SEED.leo));
    await settle(() => h.published.accessed.filter((r) => r.value.lookupId === answer.lookupId).length, 1);
    const record = h.published.accessed.find((r) => r.value.lookupId === answer.lookupId)!.value;
    // Delivered twice more (a producer retry, a redelivery): the handler and the projector have written it already.
    await h.kafka.publish(cpFlagAccessedTopic, [
      { key: SEED.leo, value: record },
      { key: SEED.leo, value: record },
    ]);
    await handled(main, [answer.lookupId], 3);
    expect(await h.redis.zcard(CP_KEYS.accesses(SEED.leo))).toBe(1);
    h.clock.now = minutesAfter(TEST_NOW, 1);
    const next = await flags.lookup(gpCaller('L85902'), { nhsNumber: SEED.leo });
    expect(next.unscheduledAccesses).toEqual([{ accessedAt: answer.asOf, setting: record.setting }]);

    // Replaying every topic from its start onto the live view (a new group) leaves it exactly as it was.
    await settle(
      () =>
        h.published.accessed.filter((r) => r.value.lookupId === answer.lookupId).length +
        h.published.recorded.filter((r) => r.value.versionId === started.versionId).length,
      4,
    );
    const ids = publishedIds();
    await handled(main, ids);
    const before = await snapshot(h.redis);
    const replay = await project(h.redis, 'cp-flag-view-replay');
    try {
      await handled(replay, ids);
      expect(replay.applied.filter((entry) => !['held', 'superseded', 'recorded'].includes(entry.write))).toEqual([]);
      expect(await snapshot(h.redis)).toEqual(before);
    } finally {
      await replay.stop();
    }
  });

  it('leaves a version whose predecessor the view never held (a wiped view) for a rebuild, and says so by ids', async () => {
    const planId = uniqueId('CPP');
    const missing = planRecord(SOMERSET, planId, samplePlan({ nhsNumber: SEED.yusuf }), null, 'started', TEST_NOW);
    const orphan = planRecord(
      SOMERSET,
      planId,
      samplePlan({ nhsNumber: SEED.yusuf, endDate: '2026-11-20' }),
      missing,
      'ended',
      TEST_NOW,
    );
    await h.kafka.publish(cpPlanRecordedTopic, [{ key: `${SOMERSET}:${planId}`, value: orphan }]);
    await handled(main, [orphan.versionId]);
    expect(writesOf(main, orphan.versionId)).toEqual(['gap']);
    expect(await view.plan(SOMERSET, planId)).toBeUndefined();
    expect(await view.plansOfChild(SEED.yusuf)).toEqual([]);
    const warned = h.logs.lines().filter((line) => line['versionId'] === orphan.versionId);
    expect(warned).toEqual([
      expect.objectContaining({
        component: 'cp-flag-view-projector',
        outcome: 'gap',
        previousVersionId: missing.versionId,
        localAuthority: SOMERSET,
        planId,
      }),
    ]);
  });

  it('writes no personal data to the logs', () => {
    const text = h.logs.text();
    for (const secret of [...Object.values(SEED), ...SEED_PERSONAL_DATA]) expect(text).not.toContain(secret);
  });
});
