import { auditEvent } from '@hub/audit';
import { describe, expect, it } from 'vitest';
import { statusFromAudit } from './receipt-status.ts';

const at = new Date('2026-11-22T00:00:00Z');
const decision = (outcome: 'share' | 'withhold' | 'exception') => ({
  rule: 'DA-VICTIM-MARAC',
  policyVersion: 'da-2026.11.1',
  outcome,
  lawfulBasis: [],
  reason: 'test',
});

describe('receipt status from audit events', () => {
  it('maps each delivery step to a status and ignores the rest', () => {
    expect(statusFromAudit(auditEvent('ig', 'decision-recorded', at, { decision: decision('share') }))).toBe('decided');
    expect(statusFromAudit(auditEvent('ig', 'decision-recorded', at, { decision: decision('exception') }))).toBe(
      'exception',
    );
    expect(
      statusFromAudit(auditEvent('ig', 'decision-recorded', at, { decision: decision('withhold') })),
    ).toBeUndefined();
    expect(statusFromAudit(auditEvent('inbox', 'notification-stored', at, {}))).toBe('delivered');
    expect(statusFromAudit(auditEvent('inbox', 'notification-fetched', at, {}))).toBe('fetched');
    expect(statusFromAudit(auditEvent('inbox', 'notification-acknowledged', at, {}))).toBe('acknowledged');
    expect(statusFromAudit(auditEvent('gw', 'incident-received', at, {}))).toBeUndefined();
  });

  it("maps the deadline stage's decisions to their deadline's mark", () => {
    const deadline = (
      action: 'notification-overdue' | 'notification-escalated' | 'escalation-closed',
      reason: string,
    ) => statusFromAudit(auditEvent('deadlines', action, at, { reason }));
    expect(deadline('notification-overdue', 'fetch')).toBe('overdue:fetch');
    expect(deadline('notification-escalated', 'acknowledge')).toBe('escalated:acknowledge');
    expect(deadline('escalation-closed', 'fetch')).toBe('closed:fetch');
    expect(deadline('notification-overdue', 'final')).toBeUndefined();
    expect(statusFromAudit(auditEvent('deadlines', 'notification-not-delivered', at, { reason: 'final' }))).toBe(
      'not-delivered',
    );
  });
});
