import {
  daIncidentSubmission,
  isValidNhsNumber,
  type DaIncidentSubmission,
  type IdentityExceptionReason,
  type IncidentSubject,
  type SubjectIdentity,
} from '@hub/contracts';
import document from '../policies/domestic-abuse.v3.json' with { type: 'json' };
import type { IncidentContext } from './payloads.ts';

/**
 * Test fixtures (synthetic people, test NHS numbers starting 999). Not exported from the package. Every person's
 * names, birth date and postcode differ from everyone else's, so a test can search a payload for another person.
 */

/** A valid test NHS number from a 9-digit stem (the check digit is computed; stems giving 10 are refused). */
export function nhs(stem: string): string {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += Number(stem[i]) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 10) throw new Error(`stem ${stem} has no valid check digit`);
  const value = `${stem}${check === 11 ? 0 : check}`;
  if (!isValidNhsNumber(value)) throw new Error(`bad test NHS number ${value}`);
  return value;
}

export const RECEIPT = `rcpt_${'0123456789abcdef'.repeat(2)}`;
export const FORCE = 'ASP';
export const SOMERSET = 'E06000066';
/** The area the default policy overrides (MARAC repeat threshold 5). */
export const OVERRIDE_AREA = 'E06000023';
export const CIRCUMSTANCES = 'Neighbour heard shouting and called police; a bruise on the forearm was seen.';

export const PEOPLE = {
  victim: { ref: 'V1', nhsNumber: nhs('999000001'), practice: 'A81001', given: 'Alice', family: 'Ashdown' },
  perpetrator: { ref: 'P1', nhsNumber: nhs('999000002'), practice: 'B82002', given: 'Brian', family: 'Barwick' },
  child: { ref: 'C1', nhsNumber: nhs('999000003'), practice: 'A81001', given: 'Cara', family: 'Brightwell' },
  other: { ref: 'O1', nhsNumber: nhs('999000004'), practice: 'C83003', given: 'Olive', family: 'Ormerod' },
} as const;

export const BIRTH_DATES = {
  victim: '1990-04-02',
  perpetrator: '1987-09-15',
  child: '2016-05-10',
  other: '1961-01-30',
};
export const POSTCODES = { victim: 'TA1 1AA', perpetrator: 'TA2 7QD', child: 'TA3 5XY', other: 'BS1 5TR' };

type Who = keyof typeof PEOPLE;

export function subjectOf(who: Who, extra: Partial<IncidentSubject> = {}): IncidentSubject {
  const person = PEOPLE[who];
  return {
    ref: person.ref,
    role: who === 'other' ? 'other-adult' : who,
    nhsNumber: person.nhsNumber,
    name: { given: person.given, family: person.family },
    birthDate: BIRTH_DATES[who],
    postcode: POSTCODES[who],
    ...extra,
  };
}

/** A medium-risk incident with a victim, a perpetrator and a child, in Somerset. */
export function submissionOf(overrides: Partial<DaIncidentSubmission> = {}): DaIncidentSubmission {
  return daIncidentSubmission.parse({
    incidentId: 'ASP/2026/112233',
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:30:00Z',
    localAuthority: SOMERSET,
    dash: { level: 'medium', yesCount: 11 },
    repeatIncidentsLast12Months: 1,
    childrenPresent: false,
    victimConsent: 'not-sought',
    circumstances: CIRCUMSTANCES,
    subjects: [subjectOf('victim'), subjectOf('perpetrator'), subjectOf('child')],
    officer: {
      name: 'PC Dana Drew',
      collarNumber: '4521',
      phone: '01823 000000',
      email: 'dana.drew@example.police.uk',
    },
    ...overrides,
  });
}

export function matched(who: Who): SubjectIdentity {
  const person = PEOPLE[who];
  return {
    ref: person.ref,
    outcome: 'matched',
    nhsNumber: person.nhsNumber,
    practiceOds: person.practice,
    matchedBy: 'nhs-number',
  };
}

export function unmatched(who: Who, reason: IdentityExceptionReason = 'no-match'): SubjectIdentity {
  return { ref: PEOPLE[who].ref, outcome: 'exception', reason };
}

/** Everyone in the submission matched, unless `identities` says otherwise. */
export function incidentOf(
  submission: DaIncidentSubmission,
  identities: Partial<Record<string, SubjectIdentity>> = {},
): IncidentContext {
  const byRef = new Map<string, Who>(
    Object.values(PEOPLE).map((person, index) => [person.ref, Object.keys(PEOPLE)[index] as Who]),
  );
  return {
    receiptId: RECEIPT,
    force: FORCE,
    submission,
    identities: submission.subjects.map((subject) => {
      const who = byRef.get(subject.ref);
      if (who === undefined) throw new Error(`unknown fixture subject ${subject.ref}`);
      return identities[subject.ref] ?? matched(who);
    }),
  };
}

/** A deep copy of the shipped policy document, to change in a test. */
export function policyJson(): typeof document {
  return structuredClone(document);
}
