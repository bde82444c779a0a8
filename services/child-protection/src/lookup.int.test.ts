import { CP_LIMITS, type Caller, type CpFlags } from '@hub/contracts';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFgmIntake, type FgmIntake } from './fgm.ts';
import { CP_KEYS } from './flag-view.ts';
import { createFlagLookup, type FlagLookup, type FlagQuery } from './lookup.ts';
import { createPlanIntake, type PlanIntake } from './plans.ts';
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
let plans: PlanIntake;
let fgm: FgmIntake;
let flags: FlagLookup;

beforeAll(async () => {
  h = await startHarness('lookup');
  plans = createPlanIntake(h.intakeDeps('cp-plans'));
  fgm = createFgmIntake(h.intakeDeps('cp-fgm'));
  flags = createFlagLookup(h.intakeDeps('cp-lookup'));
});

afterAll(async () => {
  await h.close();
});

const accessedOf = (lookupId: string) => h.published.accessed.filter((r) => r.value.lookupId === lookupId);
const auditOf = (lookupId: string) => h.published.audit.filter((a) => a.value.receiptId === lookupId);

/** Moves the clock on by `minutes` and looks up. */
async function lookUpLater(caller: Caller, query: FlagQuery, minutes = 1): Promise<CpFlags> {
  h.clock.now = new Date(h.clock.now.getTime() + minutes * 60_000);
  return flags.lookup(caller, query);
}

function ed(nhsNumber: string, settingOds = 'RBA11', settingType: FlagQuery['settingType'] = 'emergency-department') {
  return { nhsNumber, settingOds, settingType };
}

describe('flag look-up', () => {
  it('answers an unscheduled look-up with the plans and the authorities notified, one cp.flag-accessed each, and shows earlier accesses newest first', async () => {
    h.clock.now = TEST_NOW;
    const somersetPlan = uniqueId('CPP');
    const bristolPlan = uniqueId('CPP');
    await plans.put(laCaller(SOMERSET), somersetPlan, samplePlan({ nhsNumber: SEED.mia, startDate: '2026-03-01' }));
    const bristolVersion = await plans.put(
      laCaller(BRISTOL),
      bristolPlan,
      samplePlan({ nhsNumber: SEED.mia, type: 'looked-after-child', startDate: '2026-05-01' }),
    );
    const caller = edCaller('RBA11');

    const first = await lookUpLater(caller, ed(SEED.mia));
    expect(first.lookupId).toMatch(/^lkp_[a-f0-9]{32}$/);
    expect(first).toEqual({
      lookupId: first.lookupId,
      nhsNumber: SEED.mia,
      asOf: h.clock.now.toISOString(),
      plans: [
        {
          planId: bristolPlan,
          type: 'looked-after-child',
          status: 'active',
          startDate: '2026-05-01',
          endDate: null,
          expectedDeliveryDate: null,
          localAuthority: { ons: BRISTOL, name: 'Bristol City Council' },
          contact: samplePlan().contact,
        },
        {
          planId: somersetPlan,
          type: 'child-protection-plan',
          status: 'active',
          startDate: '2026-03-01',
          endDate: null,
          expectedDeliveryDate: null,
          localAuthority: { ons: SOMERSET, name: 'Somerset Council' },
          contact: samplePlan().contact,
        },
      ],
      fgmIndicators: [],
      unscheduledAccesses: [],
      notified: [BRISTOL, SOMERSET],
    });
    const firstAt = first.asOf;

    const second = await lookUpLater(edCaller('RA701'), ed(SEED.mia, 'RA701', 'urgent-treatment-centre'));
    expect(second.unscheduledAccesses).toEqual([
      { accessedAt: firstAt, setting: { odsCode: 'RBA11', type: 'emergency-department' } },
    ]);
    const third = await lookUpLater(caller, ed(SEED.mia));
    expect(third.unscheduledAccesses).toEqual([
      { accessedAt: second.asOf, setting: { odsCode: 'RA701', type: 'urgent-treatment-centre' } },
      { accessedAt: firstAt, setting: { odsCode: 'RBA11', type: 'emergency-department' } },
    ]);

    const ids = [first.lookupId, second.lookupId, third.lookupId];
    await settle(() => ids.filter((id) => accessedOf(id).length > 0).length, 3);
    for (const id of ids) expect(accessedOf(id)).toHaveLength(1);
    expect(accessedOf(first.lookupId)[0]).toEqual({
      key: SEED.mia,
      value: {
        lookupId: first.lookupId,
        nhsNumber: SEED.mia,
        accessedAt: firstAt,
        accessedBy: caller,
        setting: { odsCode: 'RBA11', type: 'emergency-department' },
        plans: [
          {
            localAuthority: BRISTOL,
            planId: bristolPlan,
            versionId: bristolVersion.versionId,
            type: 'looked-after-child',
          },
          {
            localAuthority: SOMERSET,
            planId: somersetPlan,
            versionId: expect.stringMatching(/^cpv_/) as string,
            type: 'child-protection-plan',
          },
        ],
      },
    });
    await settle(() => auditOf(third.lookupId).length, 1);
    expect(auditOf(first.lookupId).map((a) => [a.key, a.value.action, a.value.reason, a.value.nhsNumber])).toEqual([
      [first.lookupId, 'flags-looked-up', 'flags-found', SEED.mia],
    ]);
    expect(auditOf(first.lookupId)[0]!.value.actor).toEqual(caller);
  });

  it('keeps the most recent accesses only, newest first', async () => {
    h.clock.now = TEST_NOW;
    await plans.put(laCaller(BRISTOL), uniqueId('CPP'), samplePlan({ nhsNumber: SEED.yusuf }));
    const asOf: string[] = [];
    for (let i = 0; i <= CP_LIMITS.accessesShown; i += 1)
      asOf.push((await lookUpLater(edCaller(), ed(SEED.yusuf))).asOf);
    const latest = await lookUpLater(edCaller(), ed(SEED.yusuf));
    expect(latest.unscheduledAccesses.map((a) => a.accessedAt)).toEqual(asOf.slice(-CP_LIMITS.accessesShown).reverse());
    // The list itself is trimmed, not just the answer.
    expect(await h.redis.zcard(CP_KEYS.accesses(SEED.yusuf))).toBe(CP_LIMITS.accessesShown);
  });

  it('answers a GP about its own patient without notifying anyone, and audits the withhold', async () => {
    h.clock.now = TEST_NOW;
    await plans.put(laCaller(), uniqueId('CPP'), samplePlan({ nhsNumber: SEED.leo }));
    const gp = gpCaller('L85902');
    const before = await lookUpLater(edCaller(), ed(SEED.leo));
    const found = await lookUpLater(gp, { nhsNumber: SEED.leo });
    expect(found.plans).toHaveLength(1);
    expect(found.notified).toEqual([]);
    expect(found.unscheduledAccesses).toEqual([
      { accessedAt: before.asOf, setting: { odsCode: 'RBA11', type: 'emergency-department' } },
    ]);
    // The GP's look-up is not an unscheduled access: the next look-up still shows only the ED's.
    const after = await lookUpLater(edCaller(), ed(SEED.leo));
    expect(after.unscheduledAccesses.map((a) => a.accessedAt)).toEqual([before.asOf]);

    await settle(() => auditOf(found.lookupId).length, 2);
    const audited = auditOf(found.lookupId).map((a) => a.value);
    expect(audited.map((a) => [a.action, a.reason])).toEqual([
      ['flags-looked-up', 'flags-found'],
      ['decision-recorded', null],
    ]);
    expect(audited[1]!.decision).toMatchObject({
      rule: 'CP-ACCESS-SCHEDULED',
      policyVersion: h.policy.version,
      outcome: 'withhold',
    });
    await settle(() => accessedOf(after.lookupId).length, 1);
    expect(accessedOf(found.lookupId)).toEqual([]);
  });

  it('audits a look-up that finds nothing as no-flags, and publishes no access', async () => {
    h.clock.now = TEST_NOW;
    const byEd = await lookUpLater(edCaller(), ed(SEED.alfie));
    const byGp = await lookUpLater(gpCaller('L85901'), { nhsNumber: SEED.alfie });
    for (const answer of [byEd, byGp]) {
      expect(answer).toMatchObject({ plans: [], fgmIndicators: [], unscheduledAccesses: [], notified: [] });
    }
    await settle(() => auditOf(byGp.lookupId).length, 1);
    expect(auditOf(byEd.lookupId).map((a) => [a.value.action, a.value.reason])).toEqual([
      ['flags-looked-up', 'no-flags'],
    ]);
    expect(auditOf(byGp.lookupId).map((a) => [a.value.action, a.value.reason])).toEqual([
      ['flags-looked-up', 'no-flags'],
    ]);
    expect(accessedOf(byEd.lookupId)).toEqual([]);
  });

  it('shows a plan ended 11 months ago as ended, and not one ended 13 months ago', async () => {
    h.clock.now = TEST_NOW;
    const recent = uniqueId('CPP');
    const old = uniqueId('CPP');
    await plans.put(
      laCaller(),
      recent,
      samplePlan({ nhsNumber: SEED.noah, startDate: '2024-01-01', endDate: '2025-12-23' }),
    );
    await plans.put(
      laCaller(),
      old,
      samplePlan({ nhsNumber: SEED.noah, startDate: '2024-01-01', endDate: '2025-10-23' }),
    );

    const answer = await lookUpLater(edCaller(), ed(SEED.noah));
    expect(answer.plans.map((p) => [p.planId, p.status, p.endDate])).toEqual([[recent, 'ended', '2025-12-23']]);
    expect(answer.notified).toEqual([SOMERSET]);
    await settle(() => accessedOf(answer.lookupId).length, 1);
    expect(accessedOf(answer.lookupId)[0]!.value.plans.map((p) => p.planId)).toEqual([recent]);

    // A month on, the recent one has gone out of scope too: nothing to show, nobody to notify.
    h.clock.now = new Date('2026-12-24T10:00:00.000Z');
    const later = await flags.lookup(edCaller(), ed(SEED.noah));
    expect(later.plans).toEqual([]);
    expect(later.notified).toEqual([]);
  });

  it('shows active FGM indicators only, and an FGM indicator alone notifies nobody', async () => {
    h.clock.now = TEST_NOW;
    const kept = uniqueId('FGM');
    const gone = uniqueId('FGM');
    const gp = gpCaller('L85904');
    await fgm.put(gp, kept, { nhsNumber: SEED.sophie, status: 'active' });
    await fgm.put(edCaller(), gone, { nhsNumber: SEED.sophie, status: 'active' });
    await fgm.put(edCaller(), gone, { nhsNumber: SEED.sophie, status: 'removed' });

    const answer = await lookUpLater(gp, { nhsNumber: SEED.sophie });
    expect(answer.fgmIndicators).toEqual([
      { indicatorId: kept, recordedBy: 'L85904', recordedAt: TEST_NOW.toISOString() },
    ]);
    expect(answer.plans).toEqual([]);
    const byEd = await lookUpLater(edCaller(), ed(SEED.sophie));
    expect(byEd.notified).toEqual([]);
    await settle(() => auditOf(byEd.lookupId).length, 1);
    expect(auditOf(answer.lookupId).map((a) => [a.value.action, a.value.reason])).toEqual([
      ['flags-looked-up', 'flags-found'],
    ]);
    expect(accessedOf(byEd.lookupId)).toEqual([]);
  });

  it.each([
    ['a child registered at another practice', SEED.mia],
    ['a restricted record', SEED.rosie],
    ['a child whose registration ended', SEED.poppy],
    ['an NHS number the directory does not know', SEED.unknown],
  ])("refuses a GP's look-up of %s (403), audited as access-denied", async (_what, nhsNumber) => {
    const gp = gpCaller('L85902');
    const denied = () =>
      h.published.audit.filter(
        (a) =>
          a.value.action === 'access-denied' &&
          a.value.nhsNumber === nhsNumber &&
          a.value.actor?.clientId === gp.clientId,
      );
    const before = denied().length;
    await expect(flags.lookup(gp, { nhsNumber })).rejects.toMatchObject({ code: 'forbidden', status: 403 });
    await settle(() => denied().length, before + 1);
    expect(denied()).toHaveLength(before + 1);
    const event = denied().at(-1)!.value;
    expect(event).toMatchObject({ reason: 'not-registered-with-caller', actor: gp });
    expect(h.published.audit.filter((a) => a.value.receiptId === event.receiptId).map((a) => a.value.action)).toEqual([
      'access-denied',
    ]);
  });

  it('refuses an unscheduled look-up without its setting, and a GP look-up with one (400 with pointers)', async () => {
    await expect(flags.lookup(edCaller(), { nhsNumber: SEED.mia })).rejects.toMatchObject({
      code: 'validation-failed',
      status: 400,
      errors: [
        { pointer: '/query/settingOds', detail: expect.any(String) as string },
        { pointer: '/query/settingType', detail: expect.any(String) as string },
      ],
    });
    await expect(flags.lookup(edCaller(), { nhsNumber: SEED.mia, settingType: 'ambulance' })).rejects.toMatchObject({
      errors: [{ pointer: '/query/settingOds', detail: expect.any(String) as string }],
    });
    await expect(flags.lookup(gpCaller('L85901'), { nhsNumber: SEED.mia, settingOds: 'L85901' })).rejects.toMatchObject(
      {
        code: 'validation-failed',
        errors: [{ pointer: '/query/settingOds', detail: expect.any(String) as string }],
      },
    );
  });

  it('writes no personal data to the logs', () => {
    const text = h.logs.text();
    for (const secret of [...Object.values(SEED), ...SEED_PERSONAL_DATA]) expect(text).not.toContain(secret);
  });
});
