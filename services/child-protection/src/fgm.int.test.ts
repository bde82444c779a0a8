import { CP_LIMITS, contentHash, contentId } from '@hub/contracts';
import { DependencyUnavailableError } from '@hub/errors';
import { uniqueId } from '@hub/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFgmIntake, type FgmIntake } from './fgm.ts';
import { CP_KEYS, fgmRef } from './flag-view.ts';
import { SEED, SEED_PERSONAL_DATA, edCaller, gpCaller, settle, startHarness, type Harness } from './test-support.ts';

let h: Harness;
let fgm: FgmIntake;

beforeAll(async () => {
  h = await startHarness('fgm');
  fgm = createFgmIntake(h.intakeDeps('cp-fgm'));
});

afterAll(async () => {
  await h.close();
});

const recordsOf = (indicatorId: string, organisation: string) =>
  h.published.fgm.filter((r) => r.value.indicatorId === indicatorId && r.value.organisation === organisation);
const auditOf = (receiptId: string) => h.published.audit.filter((a) => a.value.receiptId === receiptId);

describe('FGM indicators', () => {
  it('adds, answers an identical resend unchanged, and removes, recording and auditing each change once', async () => {
    const gp = gpCaller('L85902');
    const indicatorId = uniqueId('FGM');
    const active = { nhsNumber: SEED.lily, status: 'active' } as const;
    const removed = { nhsNumber: SEED.lily, status: 'removed' } as const;
    const v1 = contentId('fgv', 'L85902', indicatorId, contentHash(active), '');
    const v2 = contentId('fgv', 'L85902', indicatorId, contentHash(removed), v1);
    const recordedAt = h.clock.now.toISOString();

    expect(await fgm.put(gp, indicatorId, active)).toEqual({
      indicatorId,
      versionId: v1,
      status: 'active',
      outcome: 'added',
      recordedAt,
    });
    expect(await h.redis.smembers(CP_KEYS.fgmByChild(SEED.lily))).toEqual([fgmRef('L85902', indicatorId)]);
    expect(await fgm.put(gp, indicatorId, { ...active })).toEqual({
      indicatorId,
      versionId: v1,
      status: 'active',
      outcome: 'unchanged',
      recordedAt,
    });
    expect(await fgm.put(gp, indicatorId, removed)).toEqual({
      indicatorId,
      versionId: v2,
      status: 'removed',
      outcome: 'removed',
      recordedAt,
    });
    expect(await h.redis.smembers(CP_KEYS.fgmByChild(SEED.lily))).toEqual([]);
    expect((await fgm.put(gp, indicatorId, removed)).outcome).toBe('unchanged');

    await settle(() => recordsOf(indicatorId, 'L85902').length, 2);
    expect(recordsOf(indicatorId, 'L85902')).toEqual([
      {
        key: SEED.lily,
        value: {
          versionId: v1,
          indicatorId,
          organisation: 'L85902',
          nhsNumber: SEED.lily,
          status: 'active',
          previousVersionId: null,
          recordedAt,
          recordedBy: gp,
        },
      },
      {
        key: SEED.lily,
        value: {
          versionId: v2,
          indicatorId,
          organisation: 'L85902',
          nhsNumber: SEED.lily,
          status: 'removed',
          previousVersionId: v1,
          recordedAt,
          recordedBy: gp,
        },
      },
    ]);
    await settle(() => auditOf(v2).length, 2);
    expect([...auditOf(v1), ...auditOf(v2)].map((a) => [a.value.action, a.value.reason, a.value.incidentRef])).toEqual([
      ['fgm-indicator-recorded', 'added', `L85902:${indicatorId}`],
      ['fgm-indicator-unchanged', null, `L85902:${indicatorId}`],
      ['fgm-indicator-recorded', 'removed', `L85902:${indicatorId}`],
      ['fgm-indicator-unchanged', null, `L85902:${indicatorId}`],
    ]);
  });

  it('answers 404 to removing an indicator the organisation never added, even one another organisation did', async () => {
    const indicatorId = uniqueId('FGM');
    await fgm.put(gpCaller('L85904'), indicatorId, { nhsNumber: SEED.sophie, status: 'active' });
    await expect(fgm.put(edCaller(), indicatorId, { nhsNumber: SEED.sophie, status: 'removed' })).rejects.toMatchObject(
      { code: 'not-found', status: 404 },
    );
    await expect(
      fgm.put(gpCaller('L85904'), uniqueId('FGM'), { nhsNumber: SEED.sophie, status: 'removed' }),
    ).rejects.toMatchObject({ code: 'not-found', status: 404 });
    // The first organisation's indicator is untouched.
    expect(await h.redis.smembers(CP_KEYS.fgmByChild(SEED.sophie))).toEqual([fgmRef('L85904', indicatorId)]);
    await settle(() => h.published.fgm.filter((r) => r.value.indicatorId === indicatorId).length, 1);
    const [owned] = h.published.fgm.filter((r) => r.value.indicatorId === indicatorId);
    expect(h.published.fgm.filter((r) => r.value.indicatorId === indicatorId)).toHaveLength(1);

    // Both refusals are audited: who was refused, which indicator (the owner's, when there is one), why.
    const denials = () =>
      h.published.audit.filter((a) => a.value.action === 'access-denied' && a.value.nhsNumber === SEED.sophie);
    await settle(() => denials().length, 2);
    expect(
      denials().map((a) => [a.key, a.value.actor, a.value.receiptId, a.value.incidentRef, a.value.reason]),
    ).toEqual([
      [
        owned!.value.versionId,
        edCaller(),
        owned!.value.versionId,
        `L85904:${indicatorId}`,
        'fgm-indicator-of-another-organisation',
      ],
      [
        expect.stringMatching(/^L85904:FGM-/) as string,
        gpCaller('L85904'),
        null,
        expect.stringMatching(/^L85904:FGM-/) as string,
        'fgm-indicator-not-found',
      ],
    ]);
    expect(denials().every((a) => a.value.service === 'child-protection')).toBe(true);
  });

  it('answers 503 not-ready, never 404 or 500, when a refused removal cannot be audited', async () => {
    const closed = createFgmIntake({ ...h.intakeDeps('cp-fgm-closed'), kafka: await h.closedKafka() });
    // Kafka's typed unavailability, which @hub/http answers 503 `not-ready` (never the 404 of the denial).
    const refused = closed.put(edCaller(), uniqueId('FGM'), { nhsNumber: SEED.sophie, status: 'removed' });
    await expect(refused).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(refused).rejects.toMatchObject({ dependency: 'kafka' });
  });

  it("treats another organisation's same indicator id as its own indicator", async () => {
    const indicatorId = uniqueId('FGM');
    const a = await fgm.put(gpCaller('L81901'), indicatorId, { nhsNumber: SEED.ava, status: 'active' });
    const b = await fgm.put(edCaller('RA701'), indicatorId, { nhsNumber: SEED.isla, status: 'active' });
    expect(b.outcome).toBe('added');
    expect(b.versionId).not.toBe(a.versionId);
    await fgm.put(edCaller('RA701'), indicatorId, { nhsNumber: SEED.isla, status: 'removed' });
    expect(await h.redis.smembers(CP_KEYS.fgmByChild(SEED.ava))).toEqual([fgmRef('L81901', indicatorId)]);
    expect(await h.redis.smembers(CP_KEYS.fgmByChild(SEED.isla))).toEqual([]);
  });

  it('refuses to change the NHS number of a recorded indicator (409)', async () => {
    const indicatorId = uniqueId('FGM');
    await fgm.put(gpCaller('L85901'), indicatorId, { nhsNumber: SEED.mia, status: 'active' });
    await expect(
      fgm.put(gpCaller('L85901'), indicatorId, { nhsNumber: SEED.alfie, status: 'active' }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
    await expect(
      fgm.put(gpCaller('L85901'), indicatorId, { nhsNumber: SEED.alfie, status: 'removed' }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(await h.redis.exists(CP_KEYS.fgmByChild(SEED.alfie))).toBe(0);
  });

  it.each([
    ['not-a-child', SEED.sarah],
    ['not-female', SEED.noah], // a boy: FGM-IS is for girls
    ['nhs-number-not-found', SEED.unknown],
    ['inactive-record', SEED.margaret],
  ] as const)('refuses %s with 422, audited as request-rejected, recording nothing', async (reason, nhsNumber) => {
    const gp = gpCaller('L85901');
    const indicatorId = uniqueId('FGM');
    await expect(fgm.put(gp, indicatorId, { nhsNumber, status: 'active' })).rejects.toMatchObject({
      code: 'unprocessable',
      status: 422,
      reason,
      errors: [{ pointer: '/body/nhsNumber', detail: expect.any(String) as string }],
    });
    const rejected = () =>
      h.published.audit.filter(
        (a) => a.value.action === 'request-rejected' && a.value.incidentRef === `L85901:${indicatorId}`,
      );
    await settle(() => rejected().length, 1);
    expect(rejected().map((a) => [a.key, a.value.reason, a.value.nhsNumber, a.value.actor])).toEqual([
      ['L85901', reason, nhsNumber, gp],
    ]);
    expect(h.published.fgm.filter((r) => r.value.indicatorId === indicatorId)).toEqual([]);
    expect(await h.redis.exists(CP_KEYS.fgm('L85901', indicatorId))).toBe(0);
  });

  it('checks the age on adding only: an indicator added before 18 can be removed after', async () => {
    const gp = gpCaller('L85902');
    const indicatorId = uniqueId('FGM');
    const saved = h.clock.now;
    try {
      // Lily turns 18 on 2028-08-08.
      h.clock.now = new Date('2028-08-07T12:00:00.000Z');
      expect((await fgm.put(gp, indicatorId, { nhsNumber: SEED.lily, status: 'active' })).outcome).toBe('added');
      h.clock.now = new Date('2028-08-08T12:00:00.000Z');
      expect((await fgm.put(gp, indicatorId, { nhsNumber: SEED.lily, status: 'removed' })).outcome).toBe('removed');
      await expect(fgm.put(gp, indicatorId, { nhsNumber: SEED.lily, status: 'active' })).rejects.toMatchObject({
        code: 'unprocessable',
        reason: 'not-a-child',
      });
    } finally {
      h.clock.now = saved;
    }
  });

  it('refuses a new active indicator for a child who already has the most kept (409), publishing nothing', async () => {
    const fillers = Array.from({ length: CP_LIMITS.fgmIndicatorsPerChild }, (_, i) => `RA701:filler-${i}`);
    await h.redis.sadd(CP_KEYS.fgmByChild(SEED.evie), ...fillers);
    const indicatorId = uniqueId('FGM');
    await expect(
      fgm.put(gpCaller('L81902'), indicatorId, { nhsNumber: SEED.evie, status: 'active' }),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
    expect(await h.redis.scard(CP_KEYS.fgmByChild(SEED.evie))).toBe(CP_LIMITS.fgmIndicatorsPerChild);
    expect(await h.redis.exists(CP_KEYS.fgm('L85904', indicatorId))).toBe(0);
    await h.redis.srem(CP_KEYS.fgmByChild(SEED.evie), fillers[0]!);
    expect((await fgm.put(gpCaller('L81902'), indicatorId, { nhsNumber: SEED.evie, status: 'active' })).outcome).toBe(
      'added',
    );
  });

  it('writes no personal data to the logs', () => {
    const text = h.logs.text();
    for (const secret of [...Object.values(SEED), ...SEED_PERSONAL_DATA]) expect(text).not.toContain(secret);
  });
});
