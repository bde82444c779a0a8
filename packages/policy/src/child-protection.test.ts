import { contentHash, contentId, type CpFlagAccessed, type CpPlanRecorded, type CpPlanRefused } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import previous from '../policies/child-protection.v1.json' with { type: 'json' };
import v2 from '../policies/child-protection.v2.json' with { type: 'json' };
import document from '../policies/child-protection.v3.json' with { type: 'json' };
import {
  defaultChildProtectionPolicy,
  isUnderChildAgeLimit,
  loadChildProtectionPolicy,
  monthsBefore,
  planScope,
} from './child-protection.ts';
import {
  decideAccessNotifications,
  decidePlanNotification,
  decidePlanOutOfScope,
  decideRefusalNotice,
  decideScheduledLookup,
} from './child-protection-decisions.ts';
import { PolicyError } from './policy.ts';

const policy = defaultChildProtectionPolicy();
const caller = { clientId: 'somerset-la', role: 'local-authority', organisation: 'E06000066' } as const;
const somerset = { ons: 'E06000066', name: 'Somerset Council' };

function recorded(
  overrides: Partial<CpPlanRecorded['plan']> = {},
  change: CpPlanRecorded['change'] = 'started',
  previousVersionId: string | null = change === 'started' ? null : `cpv_${'9'.repeat(32)}`,
) {
  return {
    versionId: contentId('cpv', 'E06000066', 'CP-1', JSON.stringify(overrides), change, previousVersionId ?? ''),
    localAuthority: 'E06000066',
    planId: 'CP-1',
    change,
    previousVersionId,
    contentHash: 'a'.repeat(64),
    recordedAt: '2026-11-23T09:00:00.000Z',
    recordedBy: caller,
    plan: {
      type: 'child-protection-plan',
      nhsNumber: '9991001034',
      startDate: '2026-11-20',
      contact: { team: 'Taunton CP team', officeHoursPhone: '01632 960101', outOfHoursPhone: '01632 960199' },
      ...overrides,
    },
  } satisfies CpPlanRecorded;
}

const mia = {
  outcome: 'matched',
  practiceOds: 'L85901',
  patient: { nhsNumber: '9991001034', name: { given: 'Mia', family: 'Whitlock' }, birthDate: '2016-06-03' },
} as const;

function withDocument(change: (doc: Record<string, unknown>) => void): unknown {
  const copy = structuredClone(document) as unknown as Record<string, unknown>;
  change(copy);
  return copy;
}

function problemsOf(input: unknown): string[] {
  try {
    loadChildProtectionPolicy(input);
  } catch (error) {
    if (error instanceof PolicyError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}

describe('loading the child-protection policy', () => {
  it('loads the shipped document, frozen, with its version', () => {
    expect(policy.version).toBe('cp-2026.12.2');
    expect(Object.isFrozen(policy.rules['CP-GP-PLAN'])).toBe(true);
    // Pinned: editing a shipped version in place (rather than adding the next one) fails here.
    expect(policy.fingerprint).toBe('5f83eb237fca4cbf1c97574871b10fb39b03251449dca887e01e7d4759afd284');
  });

  it('keeps cp-2026.12.1 unchanged but no longer loads it (no deadlines); v3 is v2 plus the deadlines', () => {
    expect(contentHash(v2)).toBe('363007f3c9b25ed65b413e0831378b58386ced6f3191fff0057bca540eac3124');
    expect(problemsOf(v2)).toEqual(['deadlines: Invalid input: expected object, received undefined']);
    const { version: _version, title: _title, deadlines, ...rest } = document;
    const { version: _v2Version, title: _v2Title, ...v2Rest } = v2;
    expect(rest).toEqual(v2Rest);
    expect(deadlines.rules.map((rule) => rule.id)).toEqual([
      'DL-CP-GP',
      'DL-CP-EXCEPTION',
      'DL-CP-ACCESS',
      'DL-CP-REFUSED',
    ]);
  });

  it('no longer loads cp-2026.11.1, which cannot word a plan shared after it ended nor keep one out of scope, nor has deadlines', () => {
    expect(problemsOf(previous)).toEqual([
      'rules.CP-GP-PLAN.practiceRequest.child-protection-plan.recorded-after-end: Invalid input: expected string, received undefined',
      'rules.CP-GP-PLAN.practiceRequest.looked-after-child.recorded-after-end: Invalid input: expected string, received undefined',
      'rules.CP-GP-PLAN.practiceRequest.unborn-child-protection-plan.recorded-after-end: Invalid input: expected string, received undefined',
      'rules.CP-PLAN-OUT-OF-SCOPE: Invalid input: expected object, received undefined',
      'deadlines: Invalid input: expected object, received undefined',
    ]);
  });

  it('names only the SNOMED CT concepts verified in the domain notes', () => {
    expect(policy.recordConcepts['child-protection-plan']?.code).toBe('342191000000101');
    expect(policy.recordConcepts['unborn-child-protection-plan']?.code).toBe('878111000000109');
    expect(policy.recordConcepts['looked-after-child']).toBeNull();
  });

  it('refuses an unknown placeholder, a rule deciding the wrong outcome and an unknown key, all at once', () => {
    const problems = problemsOf(
      withDocument((doc) => {
        const rules = doc['rules'] as Record<string, Record<string, unknown>>;
        (rules['CP-REFUSED'] as Record<string, unknown>)['reason'] = 'refused for {name}';
        (rules['CP-ACCESS-SCHEDULED'] as Record<string, unknown>)['then'] = 'share';
        doc['colour'] = 'blue';
      }),
    );
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('rules.CP-ACCESS-SCHEDULED.then'),
        expect.stringContaining('colour'),
      ]),
    );
    // Placeholders are checked once the shape is right.
    const placeholder = problemsOf(
      withDocument((doc) => {
        const rules = doc['rules'] as Record<string, Record<string, unknown>>;
        (rules['CP-REFUSED'] as Record<string, unknown>)['reason'] = 'refused for {name}';
      }),
    );
    expect(placeholder).toEqual([
      'rules.CP-REFUSED.reason: unknown placeholder {name}; this rule may use {refusalReason}',
    ]);
  });

  it('refuses a document that is not JSON', () => {
    expect(problemsOf('{')).toEqual(['(document): is not valid JSON']);
  });
});

describe('dates', () => {
  it('counts whole months back, clamping to the end of a shorter month', () => {
    expect(monthsBefore('2026-11-23', 12)).toBe('2025-11-23');
    expect(monthsBefore('2026-05-31', 3)).toBe('2026-02-28');
    expect(monthsBefore('2024-03-31', 1)).toBe('2024-02-29');
    expect(monthsBefore('2026-01-15', 1)).toBe('2025-12-15');
  });

  it('keeps an ended plan visible for 12 months and drops it after', () => {
    const today = '2026-11-23';
    expect(planScope(policy, {}, today)).toBe('active');
    expect(planScope(policy, { endDate: '2026-11-23' }, today)).toBe('ended');
    expect(planScope(policy, { endDate: '2025-12-23' }, today)).toBe('ended');
    expect(planScope(policy, { endDate: '2025-11-23' }, today)).toBe('ended');
    expect(planScope(policy, { endDate: '2025-11-22' }, today)).toBeUndefined();
    expect(planScope(policy, { endDate: '2025-10-23' }, today)).toBeUndefined();
  });

  it('is a child up to the day before the 18th birthday', () => {
    expect(isUnderChildAgeLimit(policy, '2008-11-24', '2026-11-23')).toBe(true);
    expect(isUnderChildAgeLimit(policy, '2008-11-23', '2026-11-23')).toBe(false);
  });
});

describe('plan notifications', () => {
  it("sends a started child protection plan to the child's practice with the concept, contact and markers", () => {
    const { decision, payload } = decidePlanNotification(policy, {
      recorded: recorded(),
      route: mia,
      localAuthority: somerset,
    });
    expect(decision).toMatchObject({
      rule: 'CP-GP-PLAN',
      outcome: 'share',
      recipient: 'gp:L85901',
      policyVersion: 'cp-2026.12.2',
      reason: 'child-protection-plan started: notified to the registered practice of the child',
    });
    expect(decision.lawfulBasis).toEqual(['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18']);
    expect(payload).toMatchObject({
      kind: 'cp-gp-notification',
      recipient: 'gp:L85901',
      decisionId: decision.decisionId,
      patientIs: 'child',
      patient: { nhsNumber: '9991001034' },
      recordConcept: { system: 'http://snomed.info/sct', code: '342191000000101' },
      localAuthority: { ons: 'E06000066', name: 'Somerset Council', outOfHoursPhone: '01632 960199' },
      markers: { confidential: true, containsThirdPartyInformation: true, withholdFromPatientOnlineAccess: true },
    });
    expect(payload.kind === 'cp-gp-notification' && payload.practiceRequest).toContain('child protection plan');
  });

  it("words an unborn child protection plan for the mother's record, with nothing about the unborn child but the date", () => {
    const chloe = {
      outcome: 'matched',
      practiceOds: 'L85902',
      patient: { nhsNumber: '9991002065', name: { given: 'Chloe', family: 'Parsons' }, birthDate: '1999-12-01' },
    } as const;
    const { payload } = decidePlanNotification(policy, {
      recorded: recorded({
        type: 'unborn-child-protection-plan',
        nhsNumber: '9991002065',
        expectedDeliveryDate: '2027-02-14',
      }),
      route: chloe,
      localAuthority: somerset,
    });
    expect(payload).toMatchObject({
      recipient: 'gp:L85902',
      patientIs: 'expectant-mother',
      recordConcept: { code: '878111000000109' },
      plan: { expectedDeliveryDate: '2027-02-14' },
    });
  });

  it('names no concept for looked-after status, and words each change differently', () => {
    const texts = (['started', 'changed', 'ended'] as const).map((change) => {
      const { payload } = decidePlanNotification(policy, {
        recorded: recorded({ type: 'looked-after-child' }, change),
        route: mia,
        localAuthority: somerset,
      });
      expect(payload.kind === 'cp-gp-notification' && payload.recordConcept).toBeNull();
      return payload.kind === 'cp-gp-notification' ? payload.practiceRequest : '';
    });
    expect(new Set(texts).size).toBe(3);
  });

  it('tells the practice of a plan shared after it ended that it ended, with its dates, never to record it as current', () => {
    const { decision, payload } = decidePlanNotification(policy, {
      recorded: recorded({ startDate: '2026-03-01', endDate: '2026-10-31' }, 'ended', null),
      route: mia,
      localAuthority: somerset,
    });
    expect(decision).toMatchObject({
      rule: 'CP-GP-PLAN',
      outcome: 'share',
      policyVersion: 'cp-2026.12.2',
      reason: 'child-protection-plan recorded-after-end: notified to the registered practice of the child',
    });
    expect(payload).toMatchObject({
      plan: { change: 'ended', startDate: '2026-03-01', endDate: '2026-10-31' },
      recordConcept: { code: '342191000000101' },
    });
    const request = payload.kind === 'cp-gp-notification' ? payload.practiceRequest : '';
    expect(request).toBe(policy.practiceRequests['child-protection-plan']['recorded-after-end']);
    expect(request).toContain('Do not record it as current');
    expect(request).not.toContain('Record that this child is subject to a child protection plan');
    // The end of a plan the practice was told of is the other wording: record the end against the entry it holds.
    const ending = decidePlanNotification(policy, {
      recorded: recorded({ startDate: '2026-03-01', endDate: '2026-10-31' }, 'ended'),
      route: mia,
      localAuthority: somerset,
    }).payload;
    expect(ending.kind === 'cp-gp-notification' && ending.practiceRequest).toBe(
      policy.practiceRequests['child-protection-plan'].ended,
    );
  });

  it("sends a child with no practice to the authority's exceptions inbox with the reason", () => {
    const { decision, payload } = decidePlanNotification(policy, {
      recorded: recorded({ nhsNumber: '9991002073' }),
      route: { outcome: 'exception', reason: 'no-registered-practice' },
      localAuthority: somerset,
    });
    expect(decision).toMatchObject({ rule: 'CP-EXCEPTION', outcome: 'exception', recipient: 'exceptions:E06000066' });
    expect(decision.reason).toContain('no-registered-practice');
    expect(payload).toMatchObject({ kind: 'cp-exception', nhsNumber: '9991002073', pendingRule: 'CP-GP-PLAN' });
  });

  it('refuses to word a notification for a patient who is not the plan subject', () => {
    expect(() =>
      decidePlanNotification(policy, {
        recorded: recorded({ nhsNumber: '9991001042' }),
        route: mia,
        localAuthority: somerset,
      }),
    ).toThrow(/not the plan subject/);
  });

  it('derives the same ids from the same version, and new ones under a new policy version', () => {
    const input = { recorded: recorded(), route: mia, localAuthority: somerset };
    const first = decidePlanNotification(policy, input);
    expect(decidePlanNotification(policy, input).payload.notificationId).toBe(first.payload.notificationId);
    const next = loadChildProtectionPolicy(withDocument((doc) => (doc['version'] = 'cp-2027.1.1')));
    const again = decidePlanNotification(next, input);
    expect(again.payload.notificationId).not.toBe(first.payload.notificationId);
    expect(again.decision.decisionId).not.toBe(first.decision.decisionId);
  });
});

describe('plans shared after they ended (CP-PLAN-OUT-OF-SCOPE)', () => {
  const recordedOn = '2026-11-23';

  it('withholds, from everyone, a plan that ended more than 12 months before it was recorded; audited like any decision', () => {
    const old = recorded({ startDate: '2024-01-10', endDate: '2025-11-22' }, 'ended', null);
    expect(decidePlanOutOfScope(policy, old, recordedOn)).toEqual({
      decisionId: contentId('dec', old.versionId, 'CP-PLAN-OUT-OF-SCOPE', '', 'cp-2026.12.2'),
      rule: 'CP-PLAN-OUT-OF-SCOPE',
      policyVersion: 'cp-2026.12.2',
      outcome: 'withhold',
      recipient: null,
      lawfulBasis: ['uk-gdpr-6-1-e', 'uk-gdpr-9-2-g-dpa-sch1-para18'],
      reason:
        'child-protection-plan shared after it had ended more than 12 months before: recorded for the authority, ' +
        'not flagged, no practice notified',
    });
    // A later correction that keeps it out of scope is withheld too.
    const corrected = recorded({ startDate: '2024-01-09', endDate: '2025-11-22' }, 'changed');
    expect(decidePlanOutOfScope(policy, corrected, recordedOn)?.rule).toBe('CP-PLAN-OUT-OF-SCOPE');
  });

  it('notifies a plan that ended within the window, and always the end of a plan the practice was told is current', () => {
    const recent = recorded({ startDate: '2024-01-10', endDate: '2025-11-23' }, 'ended', null);
    expect(decidePlanOutOfScope(policy, recent, recordedOn)).toBeUndefined();
    expect(decidePlanOutOfScope(policy, recorded(), recordedOn)).toBeUndefined();
    const endsCurrent = recorded({ startDate: '2024-01-10', endDate: '2024-06-30' }, 'ended');
    expect(decidePlanOutOfScope(policy, endsCurrent, recordedOn)).toBeUndefined();
  });
});

describe('access notifications, scheduled look-ups and refusals', () => {
  const accessed: CpFlagAccessed = {
    lookupId: `lkp_${'1'.repeat(32)}`,
    nhsNumber: '9991001034',
    accessedAt: '2026-11-23T10:00:00.000Z',
    accessedBy: { clientId: 'ed', role: 'unscheduled-care', organisation: 'RZ9' },
    setting: { odsCode: 'RZ901', type: 'emergency-department' },
    plans: [
      {
        localAuthority: 'E06000066',
        planId: 'CP-1',
        versionId: `cpv_${'2'.repeat(32)}`,
        type: 'child-protection-plan',
      },
      { localAuthority: 'E06000023', planId: 'LAC-9', versionId: `cpv_${'3'.repeat(32)}`, type: 'looked-after-child' },
      { localAuthority: 'E06000066', planId: 'CP-2', versionId: `cpv_${'4'.repeat(32)}`, type: 'looked-after-child' },
    ],
  };

  it('tells each owning authority once, naming only its own plans', () => {
    const notices = decideAccessNotifications(policy, accessed);
    expect(notices.map((n) => n.payload.recipient)).toEqual(['la:E06000023', 'la:E06000066']);
    expect(notices[1]?.payload.plans).toEqual([
      { planId: 'CP-1', type: 'child-protection-plan' },
      { planId: 'CP-2', type: 'looked-after-child' },
    ]);
    expect(notices[1]?.payload).toMatchObject({ accessedBy: 'RZ9', setting: { type: 'emergency-department' } });
    expect(notices[1]?.decision.reason).toBe(
      'unscheduled-care look-up (emergency-department) of a child with 2 plan(s) of this authority: access notification',
    );
  });

  it('withholds the access notification for a scheduled look-up', () => {
    expect(decideScheduledLookup(policy, accessed.lookupId)).toMatchObject({
      rule: 'CP-ACCESS-SCHEDULED',
      outcome: 'withhold',
      recipient: null,
    });
  });

  it("sends a refusal notice to the submitting authority's inbox", () => {
    const refused: CpPlanRefused = {
      refusalId: `cpr_${'5'.repeat(32)}`,
      localAuthority: 'E06000066',
      planId: 'CP-7',
      nhsNumber: '9991002057',
      reason: 'inactive-record',
      refusedAt: '2026-11-23T10:00:00.000Z',
      recordedBy: caller,
    };
    const { decision, payload } = decideRefusalNotice(policy, refused);
    expect(decision).toMatchObject({ rule: 'CP-REFUSED', recipient: 'la:E06000066' });
    expect(payload).toMatchObject({ kind: 'cp-plan-refused', reason: 'inactive-record', planId: 'CP-7' });
  });
});
