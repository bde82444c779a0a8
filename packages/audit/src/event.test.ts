import { withContext } from '@hub/logger';
import { describe, expect, it } from 'vitest';
import { auditEvent } from './event.ts';

const at = new Date('2026-11-21T23:00:00Z');

describe('audit events', () => {
  it('derive their id from what they record, so a retried step audits once', () => {
    const first = auditEvent('police-gateway', 'incident-received', at, { receiptId: 'rcpt_1' });
    const retried = auditEvent('police-gateway', 'incident-received', new Date(), { receiptId: 'rcpt_1' });
    const other = auditEvent('police-gateway', 'incident-received', at, { receiptId: 'rcpt_2' });
    expect(retried.eventId).toBe(first.eventId);
    expect(other.eventId).not.toBe(first.eventId);
  });

  it('carry the trace id of the step and null for everything not given', () => {
    const event = withContext({ traceId: 'trace-1' }, () =>
      auditEvent('identity', 'subject-unmatched', at, { subjectRef: 's1', reason: 'no-match' }),
    );
    expect(event).toMatchObject({
      traceId: 'trace-1',
      service: 'identity',
      subjectRef: 's1',
      reason: 'no-match',
      nhsNumber: null,
      recipient: null,
      decision: null,
      at: '2026-11-21T23:00:00.000Z',
    });
  });
});
