import type { CpPlanSubmission } from '@hub/contracts';
import { defaultChildProtectionPolicy } from '@hub/policy';
import { describe, expect, it } from 'vitest';
import type { StoredPlan } from './flag-view.ts';
import { plansInScope, settingOf } from './lookup.ts';
import { edCaller, gpCaller, laCaller, samplePlan } from './test-support.ts';

const policy = defaultChildProtectionPolicy();
const nhsNumber = '9991001034';

describe('settingOf', () => {
  it('needs both setting fields from unscheduled care, pointing at each missing one', () => {
    expect(settingOf(edCaller(), { nhsNumber, settingOds: 'RBA11', settingType: 'nhs-111' })).toEqual({
      odsCode: 'RBA11',
      type: 'nhs-111',
    });
    expect(() => settingOf(edCaller(), { nhsNumber, settingType: 'nhs-111' })).toThrow(
      expect.objectContaining({
        code: 'validation-failed',
        errors: [expect.objectContaining({ pointer: '/query/settingOds' })],
      }),
    );
    expect(() => settingOf(edCaller(), { nhsNumber, settingOds: 'RBA11' })).toThrow(
      expect.objectContaining({ errors: [expect.objectContaining({ pointer: '/query/settingType' })] }),
    );
  });

  it('refuses any setting field from a GP, and every other role', () => {
    expect(settingOf(gpCaller('L85901'), { nhsNumber })).toBeUndefined();
    expect(() => settingOf(gpCaller('L85901'), { nhsNumber, settingType: 'maternity' })).toThrow(
      expect.objectContaining({
        code: 'validation-failed',
        errors: [expect.objectContaining({ pointer: '/query/settingType' })],
      }),
    );
    expect(() => settingOf(laCaller(), { nhsNumber })).toThrow(expect.objectContaining({ code: 'forbidden' }));
  });
});

function stored(planId: string, ons: string, plan: Partial<CpPlanSubmission>): StoredPlan {
  return {
    localAuthority: ons,
    planId,
    versionId: `cpv_${'0'.repeat(32)}`,
    change: 'started',
    contentHash: '0'.repeat(64),
    recordedAt: '2026-11-23T10:00:00.000Z',
    plan: samplePlan({ nhsNumber, ...plan }),
  };
}

describe('plansInScope', () => {
  it('shows active plans first, then those ended within 12 months, latest start first; older ones not at all', () => {
    const plans = [
      stored('ended-recently', 'E06000066', { startDate: '2025-01-01', endDate: '2025-11-23' }),
      stored('ended-long-ago', 'E06000066', { startDate: '2024-01-01', endDate: '2025-11-22' }),
      stored('older-active', 'E06000023', { startDate: '2026-01-01' }),
      stored('newer-active', 'E06000066', { startDate: '2026-06-01' }),
      stored('same-day-b', 'E06000066', { startDate: '2026-01-01' }),
    ];
    expect(plansInScope(policy, plans, '2026-11-23').map((p) => [p.stored.planId, p.status])).toEqual([
      ['newer-active', 'active'],
      ['older-active', 'active'],
      ['same-day-b', 'active'],
      ['ended-recently', 'ended'],
    ]);
  });
});
