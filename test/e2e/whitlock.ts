import type { DaIncidentSubmission } from '@hub/contracts';

/**
 * The seed's DA family (infra/seed/README.md): Sarah (victim, L85901), Daniel (perpetrator, L85904), Mia (child,
 * L85901, traced by demographics), Leo (child, L85902, by NHS number). A high-risk incident by default.
 */
export function whitlockIncident(overrides: Partial<DaIncidentSubmission> = {}): DaIncidentSubmission {
  return {
    incidentId: `ASP-WHITLOCK-${Math.random().toString(36).slice(2, 10)}`,
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'high', yesCount: 15 },
    repeatIncidentsLast12Months: 1,
    childrenPresent: true,
    victimConsent: 'not-sought',
    circumstances: 'Physical assault in the kitchen; children upstairs; neighbour called 999.',
    subjects: [
      {
        ref: 'V1',
        role: 'victim',
        nhsNumber: '9991001018',
        name: { given: 'Sarah', family: 'Whitlock' },
        birthDate: '1991-04-12',
        postcode: 'TA1 3RE',
      },
      {
        ref: 'P1',
        role: 'perpetrator',
        nhsNumber: '9991001026',
        name: { given: 'Daniel', family: 'Whitlock' },
        birthDate: '1988-09-30',
        postcode: 'TA1 3RE',
      },
      {
        ref: 'C1',
        role: 'child',
        name: { given: 'Mia', family: 'Whitlock' },
        birthDate: '2016-06-03',
        postcode: 'TA1 3RE',
      },
      {
        ref: 'C2',
        role: 'child',
        nhsNumber: '9991001042',
        name: { given: 'Leo', family: 'Whitlock' },
        birthDate: '2020-02-14',
      },
    ],
    officer: { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' },
    ...overrides,
  };
}

/** Identifiers of each Whitlock, to prove a payload does not contain them. */
export const WHITLOCK_IDENTIFIERS = {
  V1: ['9991001018', 'Sarah', '1991-04-12'],
  P1: ['9991001026', 'Daniel', '1988-09-30'],
  C1: ['9991001034', 'Mia', '2016-06-03'],
  C2: ['9991001042', 'Leo', '2020-02-14'],
} as const;
