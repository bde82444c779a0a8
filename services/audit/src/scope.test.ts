import { auditEvent } from '@hub/audit';
import { describe, expect, it } from 'vitest';
import { auditScopeOf, placementOf, practiceCodesOf, scopeReason } from './scope.ts';

const at = new Date(Date.UTC(2026, 10, 22, 10, 0));
/** L85901 is a Somerset practice, L81901 a Bristol one; ASP (a force) and RZ9 (a setting) are no practice. */
const AREAS: Record<string, string> = { L85901: 'E06000066', L81901: 'E06000023' };
const areaOfPractice = (ods: string) => AREAS[ods];
const somersetLa = { clientId: 'somerset-safeguarding', role: 'local-authority', organisation: 'E06000066' } as const;

describe('placementOf', () => {
  it("places a plan under its authority's area, and the practice told under its own code and area", () => {
    const routed = auditEvent('child-protection', 'notification-routed', at, {
      receiptId: 'cpv_1',
      incidentRef: 'E06000066:PLAN-1',
      recipient: 'gp:L81901',
    });
    expect(placementOf(routed, areaOfPractice)).toEqual({
      scopes: ['L81901', 'E06000066', 'E06000023'],
      areas: ['E06000023', 'E06000066'],
      record: 'cpv_1',
      recordAreas: ['E06000023', 'E06000066'],
    });
  });

  it('gives the record no area from who acted: a force or a setting names none', () => {
    const intake = auditEvent('police-gateway', 'incident-received', at, {
      actor: { clientId: 'asp-police', role: 'police', organisation: 'ASP' },
      receiptId: 'rcpt_1',
      incidentRef: 'ASP:INC-1',
    });
    expect(placementOf(intake, areaOfPractice)).toEqual({
      scopes: ['ASP'],
      areas: [],
      record: 'rcpt_1',
      recordAreas: [],
    });
    // A Somerset authority acting on another record concerns Somerset, but does not make the record Somerset's.
    const plan = auditEvent('child-protection', 'plan-unchanged', at, { actor: somersetLa, receiptId: 'cpv_2' });
    expect(placementOf(plan, areaOfPractice)).toMatchObject({ areas: ['E06000066'], recordAreas: [] });
  });

  it('places a search under its searcher only: what was searched for is not what it concerns', () => {
    const searched = auditEvent('audit', 'audit-searched', at, {
      actor: { clientId: 'somerset-ig', role: 'ig-officer', organisation: 'E06000066' },
      receiptId: 'rcpt_bristol',
      recipient: 'gp:L81901',
    });
    expect(placementOf(searched, areaOfPractice)).toEqual({
      scopes: ['E06000066'],
      areas: ['E06000066'],
      record: null,
      recordAreas: [],
    });
  });

  it('asks the directory only about codes that are not areas', () => {
    const event = auditEvent('inbox', 'notification-fetched', at, {
      actor: { clientId: 'gp-l85901', role: 'gp', organisation: 'L85901' },
      recipient: 'la:E06000066',
      incidentRef: 'RZ9:X',
    });
    expect(practiceCodesOf(event)).toEqual(['L85901', 'RZ9']);
  });
});

describe('auditScopeOf', () => {
  it('reads the whole trail only for the national role; an area officer reads their organisation', () => {
    const national = auditScopeOf({ clientId: 'n', role: 'ig-officer-national', organisation: 'X26' });
    const area = auditScopeOf({ clientId: 's', role: 'ig-officer', organisation: 'E06000066' });
    expect(national).toEqual({ kind: 'hub' });
    expect(area).toEqual({ kind: 'organisation', organisation: 'E06000066' });
    expect([scopeReason(national), scopeReason(area)]).toEqual(['scope:hub', 'scope:E06000066']);
  });
});
