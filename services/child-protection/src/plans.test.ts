import { describe, expect, it } from 'vitest';
import type { StoredPlan } from './flag-view.ts';
import { futureDateErrors, needsDirectoryCheck, planChange } from './plans.ts';
import { samplePlan } from './test-support.ts';

describe('planChange', () => {
  it('is started without a previous version, ended when the end date first appears, else changed', () => {
    const open = samplePlan();
    const closed = samplePlan({ endDate: '2026-10-01' });
    expect(planChange(undefined, open)).toBe('started');
    // A plan first shared after it ended was never current: it is never `started`.
    expect(planChange(undefined, closed)).toBe('ended');
    expect(planChange(open, closed)).toBe('ended');
    expect(planChange(closed, samplePlan({ endDate: '2026-10-02' }))).toBe('changed');
    expect(planChange(closed, open)).toBe('changed');
    expect(planChange(open, samplePlan({ startDate: '2026-08-01' }))).toBe('changed');
  });
});

describe('futureDateErrors', () => {
  it('points at each date after today, and allows today and an expected delivery date to come', () => {
    expect(futureDateErrors(samplePlan({ startDate: '2026-11-23', endDate: '2026-11-23' }), '2026-11-23')).toEqual([]);
    expect(futureDateErrors(samplePlan({ startDate: '2026-11-24', endDate: '2026-11-24' }), '2026-11-23')).toEqual([
      { pointer: '/body/startDate', detail: 'must not be in the future' },
      { pointer: '/body/endDate', detail: 'must not be in the future' },
    ]);
    const unborn = samplePlan({ type: 'unborn-child-protection-plan', expectedDeliveryDate: '2027-03-01' });
    expect(futureDateErrors(unborn, '2026-11-23')).toEqual([]);
  });
});

describe('needsDirectoryCheck', () => {
  const stored: StoredPlan = {
    localAuthority: 'E06000066',
    planId: 'CPP-1',
    versionId: `cpv_${'0'.repeat(32)}`,
    change: 'started',
    contentHash: '0'.repeat(64),
    recordedAt: '2026-11-23T10:00:00.000Z',
    plan: samplePlan({ startDate: '2026-09-01' }),
  };

  it('checks a new plan and a moved start date, not a version that keeps the start date', () => {
    expect(needsDirectoryCheck(undefined, samplePlan())).toBe(true);
    expect(needsDirectoryCheck(stored, samplePlan({ startDate: '2026-09-02' }))).toBe(true);
    expect(needsDirectoryCheck(stored, samplePlan({ startDate: '2026-09-01', endDate: '2026-11-01' }))).toBe(false);
  });
});
