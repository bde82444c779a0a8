import { contentHash, contentId, type CpPlanRecorded, type FgmIndicatorRecorded } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { accessMember } from './flag-view.ts';
import { storedFgmOf, storedPlanOf } from './projector.ts';

const plan = {
  type: 'child-protection-plan',
  nhsNumber: '9991001034',
  startDate: '2026-09-01',
  contact: { team: 'Taunton', officeHoursPhone: '01632 960100', outOfHoursPhone: '01632 960199' },
} as const;

describe('the projector reads records as the handlers store them', () => {
  it('keeps exactly the stored fields of a plan version (not who recorded it, nor its predecessor)', () => {
    const versionId = contentId('cpv', 'E06000066', 'CP-1', contentHash(plan), '');
    const record: CpPlanRecorded = {
      versionId,
      localAuthority: 'E06000066',
      planId: 'CP-1',
      change: 'started',
      previousVersionId: null,
      contentHash: contentHash(plan),
      recordedAt: '2026-11-23T10:00:00.000Z',
      recordedBy: { clientId: 'la-somerset', role: 'local-authority', organisation: 'E06000066' },
      plan,
    };
    expect(storedPlanOf(record)).toStrictEqual({
      localAuthority: 'E06000066',
      planId: 'CP-1',
      versionId,
      change: 'started',
      contentHash: contentHash(plan),
      recordedAt: '2026-11-23T10:00:00.000Z',
      plan,
    });
  });

  it("derives an FGM version's content hash as the intake does, so its version id checks out", () => {
    const submission = { status: 'removed', nhsNumber: '9991003053' } as const;
    const previous = contentId(
      'fgv',
      'L85902',
      'FGM-1',
      contentHash({ nhsNumber: '9991003053', status: 'active' }),
      '',
    );
    const record: FgmIndicatorRecorded = {
      versionId: contentId('fgv', 'L85902', 'FGM-1', contentHash(submission), previous),
      indicatorId: 'FGM-1',
      organisation: 'L85902',
      nhsNumber: '9991003053',
      status: 'removed',
      previousVersionId: previous,
      recordedAt: '2026-11-23T10:00:00.000Z',
      recordedBy: { clientId: 'gp-l85902', role: 'gp', organisation: 'L85902' },
    };
    const stored = storedFgmOf(record);
    expect(stored).toStrictEqual({
      organisation: 'L85902',
      indicatorId: 'FGM-1',
      versionId: record.versionId,
      nhsNumber: '9991003053',
      status: 'removed',
      contentHash: contentHash(submission),
      recordedAt: '2026-11-23T10:00:00.000Z',
    });
    expect(contentId('fgv', 'L85902', 'FGM-1', stored.contentHash, previous)).toBe(record.versionId);
  });

  it('names an access by its look-up id, whatever the key order of the setting it was given', () => {
    const at = '2026-11-23T10:00:00.000Z';
    const a = accessMember('lkp_1', { accessedAt: at, setting: { odsCode: 'RBA11', type: 'emergency-department' } });
    const b = accessMember('lkp_1', { setting: { type: 'emergency-department', odsCode: 'RBA11' }, accessedAt: at });
    expect(a).toBe(b);
    expect(a).toBe(
      '{"lookupId":"lkp_1","accessedAt":"2026-11-23T10:00:00.000Z","setting":{"odsCode":"RBA11","type":"emergency-department"}}',
    );
    expect(
      accessMember('lkp_2', { accessedAt: at, setting: { odsCode: 'RBA11', type: 'emergency-department' } }),
    ).not.toBe(a);
  });
});
