import type { Caller, DaIncidentSubmission } from '@hub/contracts';

/**
 * Synthetic domain fixtures. NHS numbers are in the 999 test range with valid check digits; names are fictional.
 * Records that must match the directory come from infra/seed (see its README).
 */
export function policeCaller(overrides: Partial<Caller> = {}): Caller {
  return { clientId: 'asp-niche-rms', role: 'police', organisation: 'ASP', ...overrides };
}

export function sampleIncident(overrides: Partial<DaIncidentSubmission> = {}): DaIncidentSubmission {
  return {
    incidentId: 'ASP-2026-000123',
    occurredAt: '2026-11-21T22:40:00Z',
    reportedAt: '2026-11-21T23:05:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'medium', yesCount: 11 },
    repeatIncidentsLast12Months: 1,
    childrenPresent: true,
    victimConsent: 'not-sought',
    circumstances: 'Verbal argument escalated; neighbour called police. Children in the house.',
    subjects: [
      {
        ref: 'S1',
        role: 'victim',
        nhsNumber: '9990000018',
        name: { given: 'Alex', family: 'Tester' },
        birthDate: '1990-04-12',
        postcode: 'TA1 1AA',
      },
      { ref: 'S2', role: 'perpetrator', name: { given: 'Sam', family: 'Tester' }, birthDate: '1988-09-30' },
    ],
    officer: { name: 'PC Jordan Example', collarNumber: 'AS1234', phone: '01632 960000' },
    ...overrides,
  };
}
