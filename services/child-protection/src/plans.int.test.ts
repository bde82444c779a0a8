import { CP_LIMITS, contentHash, contentId } from '@hub/contracts';
import type { DirectoryPatient } from '@hub/directory';
import { DependencyUnavailableError } from '@hub/errors';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CP_KEYS } from './flag-view.ts';
import { createPlanIntake, type PlanIntake } from './plans.ts';
import {
  BRISTOL,
  SEED,
  SEED_PERSONAL_DATA,
  SOMERSET,
  laCaller,
  samplePlan,
  settle,
  startHarness,
  type Harness,
} from './test-support.ts';

let h: Harness;
let plans: PlanIntake;

beforeAll(async () => {
  h = await startHarness('plans');
  plans = createPlanIntake(h.intakeDeps('cp-plans'));
});

afterAll(async () => {
  await h.close();
});

const recordedOf = (planId: string, ons = SOMERSET) =>
  h.published.recorded.filter((r) => r.value.planId === planId && r.value.localAuthority === ons);
const refusedOf = (planId: string) => h.published.refused.filter((r) => r.value.planId === planId);
const auditOf = (receiptId: string) => h.published.audit.filter((a) => a.value.receiptId === receiptId);

describe('plan intake', () => {
  it('records started, changed and ended versions, each once, and answers an identical resend unchanged', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const started = samplePlan({ nhsNumber: SEED.mia });
    const changed = { ...started, contact: { ...started.contact, team: 'Taunton Duty Team' } };
    const ended = { ...changed, endDate: '2026-11-20' };

    const first = await plans.put(la, planId, started);
    const second = await plans.put(la, planId, changed);
    const third = await plans.put(la, planId, ended);
    const resent = await plans.put(la, planId, structuredClone(ended));

    const v1 = contentId('cpv', SOMERSET, planId, contentHash(started), '');
    const v2 = contentId('cpv', SOMERSET, planId, contentHash(changed), v1);
    const v3 = contentId('cpv', SOMERSET, planId, contentHash(ended), v2);
    const recordedAt = h.clock.now.toISOString();
    expect(first).toEqual({ planId, versionId: v1, outcome: 'started', status: 'active', recordedAt });
    expect(second).toEqual({ planId, versionId: v2, outcome: 'changed', status: 'active', recordedAt });
    expect(third).toEqual({ planId, versionId: v3, outcome: 'ended', status: 'ended', recordedAt });
    expect(resent).toEqual({ planId, versionId: v3, outcome: 'unchanged', status: 'ended', recordedAt });
    expect(await plans.get(la, planId)).toEqual(third);

    await settle(() => recordedOf(planId).length, 3);
    const records = recordedOf(planId);
    expect(records.map((r) => r.key)).toEqual([
      `${SOMERSET}:${planId}`,
      `${SOMERSET}:${planId}`,
      `${SOMERSET}:${planId}`,
    ]);
    expect(records.map((r) => [r.value.versionId, r.value.change, r.value.previousVersionId])).toEqual([
      [v1, 'started', null],
      [v2, 'changed', v1],
      [v3, 'ended', v2],
    ]);
    expect(records[2]!.value).toEqual({
      versionId: v3,
      localAuthority: SOMERSET,
      planId,
      change: 'ended',
      previousVersionId: v2,
      contentHash: contentHash(ended),
      recordedAt,
      recordedBy: la,
      plan: ended,
    });

    await settle(() => auditOf(v3).length, 2);
    const audited = [v1, v2, v3].flatMap((id) => auditOf(id).map((a) => [a.value.action, a.value.reason, a.key]));
    expect(audited).toEqual([
      ['plan-recorded', 'started', v1],
      ['plan-recorded', 'changed', v2],
      ['plan-recorded', 'ended', v3],
      ['plan-unchanged', null, v3],
    ]);
    expect(auditOf(v1)[0]!.value).toMatchObject({
      service: 'child-protection',
      actor: la,
      incidentRef: `${SOMERSET}:${planId}`,
      nhsNumber: SEED.mia,
    });
    expect(refusedOf(planId)).toEqual([]);
  });

  it('calls a plan recorded already ended ended (never started), and a version that re-opens it changed', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const born = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.leo, endDate: '2026-10-01' }));
    expect(born).toMatchObject({ outcome: 'ended', status: 'ended' });
    await settle(() => recordedOf(planId).length, 1);
    expect(recordedOf(planId).map((r) => [r.value.change, r.value.previousVersionId])).toEqual([['ended', null]]);
    const reopened = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.leo }));
    expect(reopened).toMatchObject({ outcome: 'changed', status: 'active' });
  });

  it.each([
    ['nhs-number-not-found', SEED.unknown, 'child-protection-plan'],
    ['inactive-record', SEED.margaret, 'child-protection-plan'],
    ['not-a-child', SEED.sarah, 'looked-after-child'],
  ] as const)(
    'refuses %s with 422, one cp.plan-refused record, and nothing in the view',
    async (reason, nhsNumber, type) => {
      const la = laCaller();
      const planId = uniqueId('CPP');
      const plan = samplePlan({ nhsNumber, type });
      const refusalId = contentId('cpr', SOMERSET, planId, contentHash(plan));

      await expect(plans.put(la, planId, plan)).rejects.toMatchObject({
        code: 'unprocessable',
        status: 422,
        reason,
        errors: [{ pointer: '/body/nhsNumber', detail: expect.any(String) as string }],
      });

      await settle(() => refusedOf(planId).length, 1);
      expect(refusedOf(planId)).toEqual([
        {
          key: `${SOMERSET}:${planId}`,
          value: {
            refusalId,
            localAuthority: SOMERSET,
            planId,
            nhsNumber,
            reason,
            refusedAt: h.clock.now.toISOString(),
            recordedBy: la,
          },
        },
      ]);
      expect(auditOf(refusalId).map((a) => [a.value.action, a.value.reason, a.value.nhsNumber])).toEqual([
        ['plan-refused', reason, nhsNumber],
      ]);
      expect(recordedOf(planId)).toEqual([]);
      await expect(plans.get(la, planId)).rejects.toMatchObject({ code: 'not-found' });
      expect(await h.redis.exists(CP_KEYS.plansByChild(nhsNumber), CP_KEYS.plan(SOMERSET, planId))).toBe(0);
    },
  );

  it("checks the child's age on the plan's start date, not today", async () => {
    const la = laCaller();
    // Isaac turned 18 on 2026-05-17.
    const before = await plans.put(la, uniqueId('CPP'), samplePlan({ nhsNumber: SEED.isaac, startDate: '2026-05-16' }));
    expect(before.outcome).toBe('started');
    await expect(
      plans.put(la, uniqueId('CPP'), samplePlan({ nhsNumber: SEED.isaac, startDate: '2026-05-17' })),
    ).rejects.toMatchObject({ code: 'unprocessable', reason: 'not-a-child' });
  });

  it("takes an unborn child protection plan on the mother's (adult) NHS number, and a restricted child's plan", async () => {
    const la = laCaller();
    const unborn = await plans.put(
      la,
      uniqueId('UCPP'),
      samplePlan({ type: 'unborn-child-protection-plan', nhsNumber: SEED.chloe, expectedDeliveryDate: '2027-02-14' }),
    );
    expect(unborn.outcome).toBe('started');
    const restricted = await plans.put(la, uniqueId('CPP'), samplePlan({ nhsNumber: SEED.rosie }));
    expect(restricted.outcome).toBe('started');
  });

  it("keeps each authority's plans apart: the same plan id from another authority is another plan", async () => {
    const somerset = laCaller(SOMERSET);
    const bristol = laCaller(BRISTOL);
    const planId = uniqueId('CPP');
    const ours = await plans.put(somerset, planId, samplePlan({ nhsNumber: SEED.sophie }));
    // Bristol's only plan id: Somerset has none by this id.
    const bristolOnly = uniqueId('CPP');
    await plans.put(bristol, bristolOnly, samplePlan({ nhsNumber: SEED.ava }));
    await expect(plans.get(somerset, bristolOnly)).rejects.toMatchObject({ code: 'not-found', status: 404 });
    // The refusal is audited: who asked, for what, why; the 404 is the same as for an id nobody holds.
    const asked = `${SOMERSET}:${bristolOnly}`;
    const denials = () => h.published.audit.filter((a) => a.value.incidentRef === asked);
    await settle(() => denials().length, 1);
    expect(denials().map((a) => [a.key, a.value])).toEqual([
      [
        asked,
        {
          eventId: expect.stringMatching(/^aud_[a-f0-9]{32}$/) as string,
          at: h.clock.now.toISOString(),
          service: 'child-protection',
          action: 'access-denied',
          traceId: expect.any(String) as string,
          actor: somerset,
          receiptId: null,
          incidentRef: asked,
          subjectRef: null,
          nhsNumber: null,
          recipient: null,
          notificationId: null,
          decision: null,
          reason: 'plan-not-found',
        },
      ],
    ]);
    // Each attempt is its own event.
    await expect(plans.get(somerset, bristolOnly)).rejects.toMatchObject({ code: 'not-found' });
    await settle(() => denials().length, 2);
    expect(new Set(denials().map((a) => a.value.eventId)).size).toBe(2);

    // Bristol's plan with Somerset's id, on another child and of another type: no conflict, its own plan.
    const theirs = await plans.put(bristol, planId, samplePlan({ nhsNumber: SEED.isla, type: 'looked-after-child' }));
    expect(theirs.outcome).toBe('started');
    expect(theirs.versionId).not.toBe(ours.versionId);
    expect(await plans.get(somerset, planId)).toEqual(ours);

    await settle(() => recordedOf(planId, BRISTOL).length, 1);
    expect(recordedOf(planId, SOMERSET).map((r) => r.value.plan.nhsNumber)).toEqual([SEED.sophie]);
    expect(recordedOf(planId, BRISTOL).map((r) => [r.key, r.value.plan.nhsNumber])).toEqual([
      [`${BRISTOL}:${planId}`, SEED.isla],
    ]);
  });

  it('refuses to change the NHS number or type of a recorded plan (409), publishing nothing', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const original = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.noah }));
    await expect(plans.put(la, planId, samplePlan({ nhsNumber: SEED.alfie }))).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
    });
    await expect(
      plans.put(la, planId, samplePlan({ nhsNumber: SEED.noah, type: 'looked-after-child' })),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(await plans.get(la, planId)).toEqual(original);
    await settle(() => recordedOf(planId).length, 1);
    expect(recordedOf(planId)).toHaveLength(1);
    expect(await h.redis.smembers(CP_KEYS.plansByChild(SEED.alfie))).toEqual([]);
  });

  it('refuses start and end dates after today in England (400 with pointers), publishing nothing', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    // 23:30 UTC on 30 June is 00:30 on 1 July in England: 1 July is today, 2 July is not.
    const saved = h.clock.now;
    h.clock.now = new Date('2026-06-30T23:30:00.000Z');
    try {
      await expect(
        plans.put(la, planId, samplePlan({ nhsNumber: SEED.yusuf, startDate: '2026-07-02' })),
      ).rejects.toMatchObject({
        code: 'validation-failed',
        status: 400,
        errors: [{ pointer: '/body/startDate', detail: 'must not be in the future' }],
      });
      await expect(
        plans.put(la, planId, samplePlan({ nhsNumber: SEED.yusuf, startDate: '2026-06-01', endDate: '2026-07-02' })),
      ).rejects.toMatchObject({ errors: [{ pointer: '/body/endDate', detail: 'must not be in the future' }] });
      const today = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.yusuf, startDate: '2026-07-01' }));
      expect(today.outcome).toBe('started');
    } finally {
      h.clock.now = saved;
    }
    await settle(() => recordedOf(planId).length, 1);
    expect(recordedOf(planId).map((r) => r.value.plan.startDate)).toEqual(['2026-07-01']);
  });

  it('records concurrent identical PUTs of a new plan exactly once', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const plan = samplePlan({ nhsNumber: SEED.leo });
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => plans.put(la, planId, plan)));
    const started = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'started');
    expect(started).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'conflict', status: 409 });
    }
    await settle(() => recordedOf(planId).length, 1);
    expect(recordedOf(planId)).toHaveLength(1);
  });

  it('refuses a new plan for a child who already has the most plans kept, but still records versions of those', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const kept = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.evie }));
    // Fill the child's set up to the limit with other (authority, plan) members, as if recorded earlier.
    const others = Array.from({ length: CP_LIMITS.plansPerChild - 1 }, (_, i) => `${BRISTOL}:filler-${i}`);
    await h.redis.sadd(CP_KEYS.plansByChild(SEED.evie), ...others);

    const refusedId = uniqueId('CPP');
    await expect(plans.put(la, refusedId, samplePlan({ nhsNumber: SEED.evie }))).rejects.toMatchObject({
      code: 'conflict',
      status: 409,
    });
    await expect(plans.get(la, refusedId)).rejects.toMatchObject({ code: 'not-found' });
    const ended = await plans.put(la, planId, samplePlan({ nhsNumber: SEED.evie, endDate: '2026-11-23' }));
    expect(ended).toMatchObject({ outcome: 'ended', status: 'ended' });
    expect(ended.versionId).not.toBe(kept.versionId);
    expect(await h.redis.scard(CP_KEYS.plansByChild(SEED.evie))).toBe(CP_LIMITS.plansPerChild);
    await settle(() => recordedOf(planId).length, 2);
    expect(recordedOf(refusedId)).toEqual([]);
  });

  it('checks a new version against the directory only when its start date moves', async () => {
    const patient = (await h.directory.findByNhsNumber(SEED.lily))!;
    let state: DirectoryPatient | undefined = patient;
    const changing = createPlanIntake({
      ...h.intakeDeps('cp-plans-changing'),
      directory: { findByNhsNumber: () => Promise.resolve(state) },
    });
    const la = laCaller();
    const planId = uniqueId('CPP');
    await changing.put(la, planId, samplePlan({ nhsNumber: SEED.lily, startDate: '2026-01-05' }));
    state = { ...patient, active: false };
    // The record is now inactive: the authority can still end its plan...
    const ended = await changing.put(
      la,
      planId,
      samplePlan({ nhsNumber: SEED.lily, startDate: '2026-01-05', endDate: '2026-11-01' }),
    );
    expect(ended.outcome).toBe('ended');
    // ...but a version that moves the start date is checked again, and refused.
    await expect(
      changing.put(la, planId, samplePlan({ nhsNumber: SEED.lily, startDate: '2026-01-06', endDate: '2026-11-01' })),
    ).rejects.toMatchObject({ code: 'unprocessable', reason: 'inactive-record' });
    state = undefined;
    await expect(
      changing.put(la, planId, samplePlan({ nhsNumber: SEED.lily, startDate: '2026-01-06', endDate: '2026-11-01' })),
    ).rejects.toMatchObject({ code: 'unprocessable', reason: 'nhs-number-not-found' });
    expect(await plans.get(la, planId)).toEqual(ended);
  });

  it('answers 503 not-ready, never 404 or 500, when a refused read cannot be audited', async () => {
    const closed = createPlanIntake({ ...h.intakeDeps('cp-plans-closed'), kafka: await h.closedKafka() });
    // Kafka's typed unavailability, which @hub/http answers 503 `not-ready` (never the 404 of a plan not found).
    const refused = closed.get(laCaller(), uniqueId('CPP'));
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(refused).rejects.toMatchObject({ dependency: 'kafka' });
  });

  it('records a plan that ended before the 12-month window for the authority: on the topic, readable, audited', async () => {
    const la = laCaller();
    const planId = uniqueId('CPP');
    const old = samplePlan({ nhsNumber: SEED.noah, startDate: '2024-01-10', endDate: '2025-11-22' });
    const status = await plans.put(la, planId, old);
    expect(status).toMatchObject({ outcome: 'ended', status: 'ended' });
    expect(await plans.get(la, planId)).toEqual(status);
    await settle(() => recordedOf(planId).length, 1);
    expect(recordedOf(planId).map((r) => [r.value.versionId, r.value.change, r.value.plan])).toEqual([
      [status.versionId, 'ended', old],
    ]);
    expect(auditOf(status.versionId).map((a) => [a.value.action, a.value.reason])).toEqual([
      ['plan-recorded', 'ended'],
    ]);
  });

  it('writes no personal data to the logs', () => {
    const text = h.logs.text();
    for (const secret of [...Object.values(SEED), ...SEED_PERSONAL_DATA]) expect(text).not.toContain(secret);
  });
});
