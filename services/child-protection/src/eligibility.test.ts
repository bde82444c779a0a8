import type { DirectoryPatient } from '@hub/directory';
import { defaultChildProtectionPolicy } from '@hub/policy';
import { describe, expect, it } from 'vitest';
import { checkEligibility, checkFgmEligibility } from './eligibility.ts';

const policy = defaultChildProtectionPolicy();

const child: DirectoryPatient = {
  nhsNumber: '9991001034',
  name: { given: 'Test', family: 'Child' },
  birthDate: '2008-05-17',
  gender: 'female',
  practices: [{ ods: 'L85901', from: '2008-06-01' }],
  restricted: false,
  active: true,
};

function directoryOf(patient: DirectoryPatient | undefined) {
  return { findByNhsNumber: () => Promise.resolve(patient) };
}

describe('checkEligibility', () => {
  it('refuses, in order: unknown, inactive, not under 18 on the date', async () => {
    expect(await checkEligibility(directoryOf(undefined), policy, child.nhsNumber, '2026-01-01')).toEqual({
      eligible: false,
      reason: 'nhs-number-not-found',
    });
    // Inactive wins over age: an inactive adult is reported inactive.
    const inactiveAdult = { ...child, active: false, birthDate: '1950-01-01' };
    expect(await checkEligibility(directoryOf(inactiveAdult), policy, child.nhsNumber, '2026-01-01')).toEqual({
      eligible: false,
      reason: 'inactive-record',
    });
    expect(await checkEligibility(directoryOf(child), policy, child.nhsNumber, '2026-05-17')).toEqual({
      eligible: false,
      reason: 'not-a-child',
    });
  });

  it('accepts a child the day before their 18th birthday, a restricted child, and anyone when no age is checked', async () => {
    expect(await checkEligibility(directoryOf(child), policy, child.nhsNumber, '2026-05-16')).toMatchObject({
      eligible: true,
    });
    const restricted = { ...child, restricted: true, practices: [] };
    expect(await checkEligibility(directoryOf(restricted), policy, child.nhsNumber, '2026-05-16')).toMatchObject({
      eligible: true,
    });
    const adult = { ...child, birthDate: '1990-01-01' };
    expect(await checkEligibility(directoryOf(adult), policy, child.nhsNumber, undefined)).toMatchObject({
      eligible: true,
    });
  });

  it('refuses to trust a directory that answers for another NHS number', async () => {
    await expect(checkEligibility(directoryOf(child), policy, '9991001042', '2026-01-01')).rejects.toThrow(
      /different NHS number/,
    );
  });
});

describe('checkFgmEligibility', () => {
  it('refuses a person the directory records as male, after the checks every flag has', async () => {
    const boy = { ...child, gender: 'male' } as const;
    expect(await checkFgmEligibility(directoryOf(boy), policy, child.nhsNumber, '2026-01-01')).toEqual({
      eligible: false,
      reason: 'not-female',
    });
    expect(await checkFgmEligibility(directoryOf(boy), policy, child.nhsNumber, '2026-05-17')).toEqual({
      eligible: false,
      reason: 'not-a-child',
    });
  });

  it('leaves other and unknown to the clinician', async () => {
    for (const gender of ['female', 'other', 'unknown'] as const) {
      expect(
        await checkFgmEligibility(directoryOf({ ...child, gender }), policy, child.nhsNumber, '2026-01-01'),
      ).toMatchObject({ eligible: true });
    }
  });
});
