import { CalendarOutOfRangeError, englandAndWalesBankHolidays } from '@hub/calendar';
import { CP_PAYLOAD_KINDS, DASH_LEVELS, DA_PAYLOAD_KINDS } from '@hub/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import cpDocument from '../policies/child-protection.v3.json' with { type: 'json' };
import { defaultChildProtectionPolicy, loadChildProtectionPolicy } from './child-protection.ts';
import { NoDeadlineRuleError, deadlinesFor, type DeadlineFacts } from './deadlines.ts';
import { defaultDomesticAbusePolicy } from './default.ts';
import { PolicyError, loadPolicy } from './policy.ts';
import { SOMERSET, policyJson } from './test-support.ts';

const da = defaultDomesticAbusePolicy();
const cp = defaultChildProtectionPolicy();

type Loose = Record<string, unknown>;

/** The deadline rules of a document, loosely typed, to edit in tests. */
function rulesOf(document: Loose): Loose[] {
  return (document['deadlines'] as { rules: Loose[] }).rules;
}

function problemsOf(load: (document: unknown) => unknown, document: Loose): string[] {
  try {
    load(document);
  } catch (error) {
    if (error instanceof PolicyError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  throw new Error('the policy loaded');
}

function daProblems(edit: (document: Loose) => void): string[] {
  const document = policyJson() as unknown as Loose;
  edit(document);
  return problemsOf(loadPolicy, document);
}

function cpProblems(edit: (document: Loose) => void): string[] {
  const document = structuredClone(cpDocument) as unknown as Loose;
  edit(document);
  return problemsOf(loadChildProtectionPolicy, document);
}

const gp = (risk: (typeof DASH_LEVELS)[number]): DeadlineFacts => ({
  kind: 'da-gp-notification',
  risk,
  area: SOMERSET,
  recipient: 'gp:A81001',
});

/** Friday 4 December 2026, 17:00 GMT. */
const FRIDAY_EVENING = new Date('2026-12-04T17:00:00.000Z');

describe('the shipped deadline rules', () => {
  it('take every domestic-abuse kind at every risk with the rule the README names', () => {
    const table = DA_PAYLOAD_KINDS.flatMap((kind) =>
      DASH_LEVELS.map((risk) => {
        const found = deadlinesFor(da, { kind, risk, area: SOMERSET, recipient: 'gp:A81001' }, FRIDAY_EVENING);
        return [kind, risk, found.rule, found.fetch.within, found.acknowledge.within, found.final.within].join(' ');
      }),
    );
    expect(table).toEqual([
      'da-gp-notification standard DL-DA-GP-STANDARD 21 31.5 31.5',
      'da-gp-notification medium DL-DA-GP-MEDIUM 10.5 21 31.5',
      'da-gp-notification high DL-DA-GP-HIGH 4 10.5 21',
      'da-marac-referral standard DL-DA-MARAC 4 10.5 21',
      'da-marac-referral medium DL-DA-MARAC 4 10.5 21',
      'da-marac-referral high DL-DA-MARAC 4 10.5 21',
      'da-exception standard DL-DA-EXCEPTION 4 10.5 21',
      'da-exception medium DL-DA-EXCEPTION 4 10.5 21',
      'da-exception high DL-DA-EXCEPTION 4 10.5 21',
      'da-withdrawal standard DL-DA-WITHDRAWAL 10.5 21 31.5',
      'da-withdrawal medium DL-DA-WITHDRAWAL 10.5 21 31.5',
      'da-withdrawal high DL-DA-WITHDRAWAL 10.5 21 31.5',
    ]);
  });

  it('take every child-protection kind with its rule and actions', () => {
    const table = CP_PAYLOAD_KINDS.map((kind) => {
      const found = deadlinesFor(cp, { kind, area: SOMERSET, recipient: `la:${SOMERSET}` }, FRIDAY_EVENING);
      return [kind, found.rule, found.fetch.then, found.acknowledge.then, found.final.then].join(' ');
    });
    expect(table).toEqual([
      'cp-gp-notification DL-CP-GP escalate escalate non-delivery-report',
      'cp-exception DL-CP-EXCEPTION record-only record-only record-only',
      'cp-access-notification DL-CP-ACCESS escalate escalate record-only',
      'cp-plan-refused DL-CP-REFUSED escalate escalate record-only',
    ]);
  });

  it('are all in working hours, 08:00-18:30 Monday to Friday on England’s clock', () => {
    for (const policy of [da, cp]) {
      expect(policy.deadlines.document.workingHours).toEqual({
        timeZone: 'Europe/London',
        days: ['mon', 'tue', 'wed', 'thu', 'fri'],
        opens: '08:00',
        closes: '18:30',
      });
      expect(new Set(policy.deadlines.document.rules.map((rule) => rule.unit))).toEqual(new Set(['working-hours']));
    }
  });
});

describe('deadlinesFor', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('gives a high-risk GP notification issued on a Friday evening its due times, rule, version and calendar', () => {
    // Friday 17:00: 1.5 working hours left. Fetch (4 h): Monday 10:30. Acknowledge (10.5 h): Monday 17:00.
    // Final (21 h): Friday 1.5 + Monday 10.5 + Tuesday 9 = Tuesday 17:00.
    expect(deadlinesFor(da, gp('high'), FRIDAY_EVENING)).toEqual({
      rule: 'DL-DA-GP-HIGH',
      policyVersion: 'da-2026.12.1',
      unit: 'working-hours',
      issuedAt: '2026-12-04T17:00:00.000Z',
      fetch: { due: '2026-12-07T10:30:00.000Z', within: 4, then: 'escalate', escalateTo: 'exceptions:E06000066' },
      acknowledge: {
        due: '2026-12-07T17:00:00.000Z',
        within: 10.5,
        then: 'escalate',
        escalateTo: 'exceptions:E06000066',
      },
      final: { due: '2026-12-08T17:00:00.000Z', within: 21, then: 'non-delivery-report' },
      bankHolidays: { source: 'https://www.gov.uk/bank-holidays.json', takenOn: '2026-12-06' },
    });
  });

  it('skips Christmas and the substitute Boxing Day', () => {
    // Thursday 24 December 2026 17:00: 1.5 h; 25, the weekend and Monday 28 (substitute) are off.
    const found = deadlinesFor(da, gp('medium'), new Date('2026-12-24T17:00:00.000Z'));
    expect([found.fetch.due, found.acknowledge.due, found.final.due]).toEqual([
      '2026-12-29T17:00:00.000Z',
      '2026-12-30T17:00:00.000Z',
      '2026-12-31T17:00:00.000Z',
    ]);
  });

  it('lands at the right UTC instant across the spring clock change', () => {
    // Friday 27 March 2026 16:00 GMT + 10.5 working hours: Monday 30 March 16:00 BST = 15:00Z.
    expect(deadlinesFor(da, gp('medium'), new Date('2026-03-27T16:00:00.000Z')).fetch.due).toBe(
      '2026-03-30T15:00:00.000Z',
    );
  });

  it('counts calendar hours, nights and weekends included, for a rule in calendar-hours', () => {
    const document = policyJson() as unknown as Loose;
    document['version'] = 'da-2026.12.2';
    (rulesOf(document)[0] as Loose)['unit'] = 'calendar-hours';
    const found = deadlinesFor(loadPolicy(document), gp('high'), FRIDAY_EVENING);
    expect(found).toMatchObject({
      rule: 'DL-DA-GP-HIGH',
      unit: 'calendar-hours',
      fetch: { due: '2026-12-04T21:00:00.000Z' },
      acknowledge: { due: '2026-12-05T03:30:00.000Z' },
      final: { due: '2026-12-05T14:00:00.000Z' },
    });
  });

  it('escalates to the area’s named escalation recipient when the policy names one', () => {
    const document = policyJson() as unknown as Loose;
    document['version'] = 'da-2026.12.2';
    (document['deadlines'] as Loose)['escalationRecipients'] = { [SOMERSET]: `la:${SOMERSET}` };
    const named = loadPolicy(document);
    const found = deadlinesFor(named, gp('high'), FRIDAY_EVENING);
    expect(found).toMatchObject({ policyVersion: 'da-2026.12.2', fetch: { escalateTo: `la:${SOMERSET}` } });
    // Another area still goes to its own exceptions inbox.
    expect(deadlinesFor(named, { ...gp('high'), area: 'E06000023' }, FRIDAY_EVENING).fetch.escalateTo).toBe(
      'exceptions:E06000023',
    );
  });

  it('records only, rather than escalating to the very inbox that is late', () => {
    const withdrawal = {
      kind: 'da-withdrawal',
      risk: 'high',
      area: SOMERSET,
      recipient: `exceptions:${SOMERSET}`,
    } as const;
    const found = deadlinesFor(da, withdrawal, FRIDAY_EVENING);
    expect(found.fetch).toMatchObject({ then: 'record-only', escalateTo: null });
    expect(found.final.then).toBe('non-delivery-report');
    const exception = deadlinesFor(da, { ...withdrawal, kind: 'da-exception' }, FRIDAY_EVENING);
    expect(exception).toMatchObject({
      rule: 'DL-DA-EXCEPTION',
      fetch: { then: 'record-only', escalateTo: null },
      acknowledge: { then: 'record-only', escalateTo: null },
      final: { then: 'non-delivery-report' },
    });
  });

  it('refuses a kind the policy has no rule for (a domestic-abuse kind under the child-protection policy)', () => {
    expect(() => deadlinesFor(cp, gp('high'), FRIDAY_EVENING)).toThrow(NoDeadlineRuleError);
    expect(() => deadlinesFor(cp, gp('high'), FRIDAY_EVENING)).toThrow(
      'policy cp-2026.12.2 has no deadline rule for da-gp-notification',
    );
  });

  it('refuses an area that is not an ONS code and an invalid issue time', () => {
    expect(() => deadlinesFor(da, { ...gp('high'), area: 'Somerset' }, FRIDAY_EVENING)).toThrow(
      'area must be an ONS code such as E06000066',
    );
    expect(() => deadlinesFor(da, gp('high'), new Date(Number.NaN))).toThrow('issuedAt must be a valid date');
  });

  it('refuses a deadline beyond the bank-holiday data', () => {
    // Friday 29 December 2028 18:00: the fetch deadline would fall in 2029.
    expect(() => deadlinesFor(da, gp('high'), new Date('2028-12-29T18:00:00.000Z'))).toThrow(CalendarOutOfRangeError);
  });

  it('is deterministic: the same answer whatever the clock says, and with the holidays passed explicitly', () => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-12-06T09:00:00.000Z'));
    const first = deadlinesFor(da, gp('standard'), FRIDAY_EVENING);
    vi.setSystemTime(new Date('2027-06-01T09:00:00.000Z'));
    expect(deadlinesFor(da, gp('standard'), FRIDAY_EVENING)).toEqual(first);
    expect(deadlinesFor(da, gp('standard'), FRIDAY_EVENING, englandAndWalesBankHolidays())).toEqual(first);
  });
});

describe('loading deadlines refuses', () => {
  it('bad values, naming each field', () => {
    expect(
      daProblems((document) => {
        const [high, medium, standard, marac] = rulesOf(document) as [Loose, Loose, Loose, Loose];
        high['fetch'] = { within: 0, then: 'escalate' };
        medium['acknowledge'] = { within: 10.001, then: 'email' };
        standard['unit'] = 'days';
        marac['final'] = { within: 400, then: 'non-delivery-report' };
        marac['risks'] = ['severe'];
      }),
    ).toEqual([
      'deadlines.rules[0].fetch.within: Too small: expected number to be >0',
      'deadlines.rules[1].acknowledge.within: must be whole minutes (e.g. 10.5 hours)',
      'deadlines.rules[1].acknowledge.then: unknown action "email" (known: escalate, record-only)',
      'deadlines.rules[2].unit: unknown deadline unit "days" (known: working-hours, calendar-hours)',
      'deadlines.rules[3].final.within: Too big: expected number to be <=336',
      'deadlines.rules[3].risks[0]: unknown risk level "severe" (known: standard, medium, high)',
    ]);
  });

  it('a kind of the other policy, a bad escalation recipient, bad working hours, an unknown key', () => {
    expect(
      daProblems((document) => {
        const deadlines = document['deadlines'] as Loose;
        (rulesOf(document)[0] as Loose)['kinds'] = ['cp-gp-notification'];
        deadlines['escalationRecipients'] = { [SOMERSET]: 'gp:A81001' };
        deadlines['workingHours'] = { timeZone: 'Europe/London', days: ['mon'], opens: '08:00', closes: '07:00' };
        deadlines['graceHours'] = 1;
      }),
    ).toEqual([
      'deadlines.workingHours.closes: must be after opens',
      'deadlines.escalationRecipients.E06000066: must be exceptions:<ONS code> or la:<ONS code>',
      'deadlines.rules[0].kinds[0]: unknown domestic-abuse notification kind "cp-gp-notification" (known: da-gp-notification, da-marac-referral, da-exception, da-withdrawal)',
      'deadlines.graceHours: unknown key',
    ]);
  });

  it('deadlines out of order, a repeated rule id, and escalation of an exceptions item', () => {
    expect(
      daProblems((document) => {
        const [high, medium, , , exception] = rulesOf(document) as [Loose, Loose, Loose, Loose, Loose];
        high['acknowledge'] = { within: 3, then: 'escalate' };
        medium['final'] = { within: 20, then: 'non-delivery-report' };
        medium['id'] = 'DL-DA-GP-HIGH';
        exception['fetch'] = { within: 4, then: 'escalate' };
      }),
    ).toEqual([
      'deadlines.rules[0].acknowledge.within: must not be before the fetch deadline (4 working-hours)',
      'deadlines.rules[1].id: rule DL-DA-GP-HIGH appears more than once (also rules[0])',
      'deadlines.rules[1].final.within: must not be before the acknowledgement deadline (21 working-hours)',
      "deadlines.rules[4].fetch.then: da-exception is addressed to the area's exceptions inbox, where escalations go: use record-only",
    ]);
  });

  it('a kind and risk no rule takes, and a rule earlier rules shadow', () => {
    expect(
      daProblems((document) => {
        const rules = rulesOf(document);
        rules.splice(2, 1); // DL-DA-GP-STANDARD
        rules.push({ ...rules[2], id: 'DL-DA-MARAC-AGAIN' });
      }),
    ).toEqual([
      'deadlines.rules: no rule sets the deadlines of da-gp-notification at standard risk',
      'deadlines.rules[5]: rule DL-DA-MARAC-AGAIN never applies: earlier rules take every notification it names',
    ]);
  });

  it('a risk level on a child-protection rule, and a child-protection kind no rule takes', () => {
    expect(
      cpProblems((document) => {
        const rules = rulesOf(document);
        (rules[0] as Loose)['risks'] = ['high'];
        rules.pop(); // DL-CP-REFUSED
      }),
    ).toEqual(['deadlines.rules[0].risks: unknown key']);
    expect(cpProblems((document) => rulesOf(document).pop())).toEqual([
      'deadlines.rules: no rule sets the deadlines of cp-plan-refused',
    ]);
  });
});
