import type { DaIncidentSubmission, IncidentSubject } from '@hub/contracts';
import { startTestHub, type TestHub } from '@hub/hub/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decisionsOf, openNotification, outcomes, postIncident, readInbox } from './flow.ts';

// Every rule of the default domestic-abuse policy, driven through the whole pipeline over HTTP, and read back
// from the audit trail (what IG officers see). Seed people: infra/seed/README.md.
let hub: TestHub;
beforeAll(async () => {
  hub = await startTestHub();
});
afterAll(async () => {
  await hub.stop();
});

const priya: IncidentSubject = {
  ref: 'V1',
  role: 'victim',
  nhsNumber: '9991002014',
  name: { given: 'Priya', family: 'Sharma' },
  birthDate: '1985-11-02',
  postcode: 'TA1 4DY',
};
const partner: IncidentSubject = {
  ref: 'P1',
  role: 'perpetrator',
  nhsNumber: '9991002049',
  name: { given: 'Amelia', family: 'Fox-Hartley' },
  birthDate: '1977-06-25',
  postcode: 'TA1 1XX',
};

let counter = 0;
function incident(overrides: Partial<DaIncidentSubmission>): DaIncidentSubmission {
  counter += 1;
  return {
    incidentId: `ASP-RULES-${Date.now()}-${counter}`,
    occurredAt: '2026-11-20T21:00:00Z',
    reportedAt: '2026-11-20T21:30:00Z',
    localAuthority: 'E06000066',
    dash: { level: 'standard' },
    repeatIncidentsLast12Months: 0,
    childrenPresent: false,
    victimConsent: 'not-sought',
    circumstances: 'Argument reported by a neighbour.',
    subjects: [priya, partner],
    officer: { name: 'PC Sam Officer', collarNumber: 'AS2002', phone: '01632 960001' },
    ...overrides,
  };
}

async function decide(submission: DaIncidentSubmission): Promise<Record<string, string>> {
  const { receiptId } = await postIncident(hub, submission);
  return outcomes(await decisionsOf(hub, receiptId, submission.subjects.length + 1));
}

describe('domestic-abuse policy rules, through the pipeline', () => {
  it.each([
    ['standard risk, consent given', { victimConsent: 'given' as const }, 'DA-VICTIM-STANDARD:share:gp:L85901'],
    ['standard risk, no consent', {}, 'DA-VICTIM-STANDARD:withhold'],
    [
      'medium risk, consent given',
      { dash: { level: 'medium' as const }, victimConsent: 'given' as const },
      'DA-VICTIM-MEDIUM:share:gp:L85901',
    ],
    ['medium risk, no consent, no child', { dash: { level: 'medium' as const } }, 'DA-VICTIM-MEDIUM:withhold'],
    [
      'medium risk, no consent, children present',
      { dash: { level: 'medium' as const }, childrenPresent: true },
      'DA-VICTIM-MEDIUM:share:gp:L85901',
    ],
    [
      'yes count 10 makes it medium',
      { dash: { level: 'standard' as const, yesCount: 10 }, victimConsent: 'given' as const },
      'DA-VICTIM-MEDIUM:share:gp:L85901',
    ],
    ['high risk', { dash: { level: 'high' as const } }, 'DA-VICTIM-MARAC:share:gp:L85901'],
    [
      'professional judgement raises to high',
      { dash: { level: 'standard' as const, professionalJudgement: true } },
      'DA-VICTIM-MARAC:share:gp:L85901',
    ],
    ['three incidents in 12 months', { repeatIncidentsLast12Months: 3 }, 'DA-VICTIM-MARAC:share:gp:L85901'],
  ])('adult victim: %s', async (_case, overrides, expected) => {
    const decided = await decide(incident(overrides));
    expect(decided['V1']).toBe(expected);
  });

  it('perpetrator: withheld below the MARAC criteria, shared with their practice when met', async () => {
    expect((await decide(incident({ dash: { level: 'medium' } })))['P1']).toBe('DA-PERPETRATOR:withhold');
    expect((await decide(incident({ dash: { level: 'high' } })))['P1']).toBe('DA-PERPETRATOR:share:gp:L85901');
  });

  it('a child is notified at any risk level, by role or by age; another adult never', async () => {
    const child: IncidentSubject = {
      ref: 'C1',
      role: 'other-adult', // by age: 8 on the incident date, whatever the role says
      nhsNumber: '9991001034',
      name: { given: 'Mia', family: 'Whitlock' },
      birthDate: '2016-06-03',
    };
    const lodger: IncidentSubject = {
      ref: 'O1',
      role: 'other-adult',
      nhsNumber: '9992001038',
      name: { given: 'James', family: 'Smith' },
      birthDate: '1990-01-01',
    };
    const decided = await decide(incident({ subjects: [priya, partner, child, lodger] }));
    expect(decided['C1']).toBe('DA-CHILD:share:gp:L85901');
    expect(decided['O1']).toBe('DA-OTHER:withhold');
  });

  it('MARAC: referral at the default threshold of 3; a local authority with threshold 5 refers at 5, not 4', async () => {
    expect((await decide(incident({ repeatIncidentsLast12Months: 2 })))['-']).toBe('DA-MARAC:withhold');
    expect((await decide(incident({ repeatIncidentsLast12Months: 3 })))['-']).toBe('DA-MARAC:share:marac:E06000066');
    const bristol = { localAuthority: 'E06000023' };
    expect((await decide(incident({ ...bristol, repeatIncidentsLast12Months: 4 })))['-']).toBe('DA-MARAC:withhold');
    expect((await decide(incident({ ...bristol, repeatIncidentsLast12Months: 5 })))['-']).toBe(
      'DA-MARAC:share:marac:E06000023',
    );
  });
});

describe('people who cannot be matched go to the area exceptions inbox, never to a guessed practice', () => {
  // Each would be notified (role child: DA-CHILD at any risk), and each fails matching in a different way.
  const unmatched: [string, IncidentSubject][] = [
    [
      'nhs-number-not-found',
      {
        ref: 'X1',
        role: 'child',
        nhsNumber: '9999000010',
        name: { given: 'Nobody', family: 'Known' },
        birthDate: '2015-01-01',
      },
    ],
    [
      'nhs-number-mismatch',
      {
        ref: 'X2',
        role: 'child',
        nhsNumber: '9991001034',
        name: { given: 'Mia', family: 'Whitlock' },
        birthDate: '2016-06-04',
      },
    ],
    [
      'no-match',
      {
        ref: 'X3',
        role: 'child',
        name: { given: 'Unknown', family: 'Person' },
        birthDate: '2014-02-02',
        postcode: 'TA1 9ZZ',
      },
    ],
    [
      'multiple-matches',
      {
        ref: 'X4',
        role: 'child',
        name: { given: 'James', family: 'Smith' },
        birthDate: '1990-01-01',
        postcode: 'BS5 6NQ',
      },
    ],
    [
      'restricted-record',
      {
        ref: 'X5',
        role: 'child',
        nhsNumber: '9991002022',
        name: { given: 'Hannah', family: 'Reeve' },
        birthDate: '1994-08-19',
      },
    ],
    [
      'no-registered-practice',
      {
        ref: 'X6',
        role: 'child',
        nhsNumber: '9991002030',
        name: { given: 'Tom', family: 'Ashdown' },
        birthDate: '1979-03-05',
      },
    ],
    [
      'inactive-record',
      {
        ref: 'X7',
        role: 'child',
        nhsNumber: '9991002057',
        name: { given: 'Margaret', family: 'Ellis' },
        birthDate: '1942-05-09',
      },
    ],
    [
      'insufficient-demographics',
      { ref: 'X8', role: 'child', name: { given: 'Ruby', family: 'Nopostcode' }, birthDate: '2017-03-03' },
    ],
  ];

  it('records an exception decision and one exceptions-inbox item per unmatched person, with the reason', async () => {
    const submission = incident({ subjects: [priya, ...unmatched.map(([, subject]) => subject)] });
    const { receiptId } = await postIncident(hub, submission);
    const decided = outcomes(await decisionsOf(hub, receiptId, unmatched.length + 2));
    for (const [, subject] of unmatched)
      expect(decided[subject.ref]).toBe('DA-EXCEPTION:exception:exceptions:E06000066');

    let items: Record<string, unknown>[] = [];
    await expect
      .poll(
        async () => {
          const inbox = await readInbox(hub, 'somersetLa', 'exceptions:E06000066');
          const payloads = await Promise.all(inbox.map((item) => openNotification(hub, item)));
          items = payloads.filter((payload) => payload['receiptId'] === receiptId);
          return items.length;
        },
        { timeout: 20_000, interval: 250 },
      )
      .toBe(unmatched.length);
    const reasons = Object.fromEntries(items.map((item) => [(item['subject'] as { ref: string }).ref, item['reason']]));
    expect(reasons).toEqual(Object.fromEntries(unmatched.map(([reason, subject]) => [subject.ref, reason])));
    for (const item of items) {
      expect(item).toMatchObject({ kind: 'da-exception', pendingRule: 'DA-CHILD', incident: { force: 'ASP' } });
      expect(JSON.stringify(item)).not.toContain('Argument reported'); // the team needs to trace, not the story
    }
    // No GP practice got anything for them: the only GP notification of this receipt is Priya's (none: standard, no consent).
    expect(decided['V1']).toBe('DA-VICTIM-STANDARD:withhold');
  });
});
