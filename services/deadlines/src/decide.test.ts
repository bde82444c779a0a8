import { deliveryViewOf, issuedDeadlines, type DeliveryMarks } from '@hub/contracts';
import { describe, expect, it } from 'vitest';
import { dueActions, nextDue, type DeliveryRecord, type Schedule } from './decide.ts';

const schedule: Schedule = {
  recipient: 'gp:L85901',
  kind: 'da-gp-notification',
  receiptId: 'rcpt_00000000000000000000000000000001',
  subjectRef: 'V1',
  issuedAt: '2026-12-07T08:00:00.000Z',
  deadlines: issuedDeadlines.parse({
    rule: 'DL-DA-GP-HIGH',
    policyVersion: 'da-2026.12.1',
    unit: 'working-hours',
    fetch: { due: '2026-12-07T12:00:00.000Z', within: 4, then: 'escalate', escalateTo: 'exceptions:E06000066' },
    acknowledge: {
      due: '2026-12-07T18:30:00.000Z',
      within: 10.5,
      then: 'escalate',
      escalateTo: 'exceptions:E06000066',
    },
    final: { due: '2026-12-08T18:30:00.000Z', within: 21, then: 'non-delivery-report' },
    reportTo: 'force:ASP',
    bankHolidays: { source: 'https://www.gov.uk/bank-holidays.json', takenOn: '2026-12-06' },
  }),
};
const record = (marks: DeliveryMarks): DeliveryRecord => ({ schedule, marks });
const at = (iso: string) => new Date(iso);
const FETCH_ISO = '2026-12-07T12:00:00.000Z';
const FETCH_DUE = Date.parse(FETCH_ISO);

describe('dueActions and nextDue', () => {
  it('nothing is due before the fetch deadline; it is next', () => {
    const fresh = record({ delivered: '2026-12-07T08:00:01.000Z' });
    expect(dueActions(fresh, at('2026-12-07T11:59:59.999Z'))).toEqual([]);
    expect(nextDue(fresh)).toBe(FETCH_DUE);
  });

  it('at the fetch deadline, unfetched: overdue fetch; then the acknowledgement deadline is next', () => {
    const unfetched = record({ delivered: '2026-12-07T08:00:01.000Z' });
    expect(dueActions(unfetched, at('2026-12-07T12:00:00.000Z'))).toEqual([{ type: 'overdue', deadline: 'fetch' }]);
    const fired = record({
      delivered: '2026-12-07T08:00:01.000Z',
      'overdue:fetch': '2026-12-07T12:00:00.000Z',
      'escalated:fetch': '2026-12-07T12:00:02.000Z',
    });
    expect(dueActions(fired, at('2026-12-07T12:00:05.000Z'))).toEqual([]);
    expect(nextDue(fired)).toBe(Date.parse('2026-12-07T18:30:00.000Z'));
  });

  it('fetched before the deadline: no fetch escalation, ever', () => {
    const fetched = record({ delivered: '2026-12-07T08:00:01.000Z', fetched: '2026-12-07T09:00:00.000Z' });
    expect(dueActions(fetched, at('2026-12-07T13:00:00.000Z'))).toEqual([]);
    expect(nextDue(fetched)).toBe(Date.parse('2026-12-07T18:30:00.000Z'));
  });

  it('a late fetch closes the fetch escalation at once (due now), and only once', () => {
    const late = record({
      'overdue:fetch': '2026-12-07T12:00:00.000Z',
      'escalated:fetch': '2026-12-07T12:00:02.000Z',
      fetched: '2026-12-07T13:00:00.000Z',
    });
    expect(nextDue(late)).toBe(0);
    expect(dueActions(late, at('2026-12-07T13:00:01.000Z'))).toEqual([{ type: 'close', deadline: 'fetch' }]);
    const closed = record({ ...late.marks, 'closed:fetch': '2026-12-07T13:00:01.000Z' });
    expect(dueActions(closed, at('2026-12-07T13:00:02.000Z'))).toEqual([]);
  });

  it('a recorded-only overdue is not closed (nobody was told)', () => {
    const recorded = record({ 'overdue:fetch': '2026-12-07T12:00:00.000Z', fetched: '2026-12-07T13:00:00.000Z' });
    expect(dueActions(recorded, at('2026-12-07T13:00:01.000Z'))).toEqual([]);
  });

  it('after every deadline with nothing met: all three fire, in order; an acknowledgement ends everything', () => {
    const silent = record({ delivered: '2026-12-07T08:00:01.000Z' });
    expect(dueActions(silent, at('2026-12-09T00:00:00.000Z'))).toEqual([
      { type: 'overdue', deadline: 'fetch' },
      { type: 'overdue', deadline: 'acknowledge' },
      { type: 'final' },
    ]);
    const acknowledged = record({ acknowledged: '2026-12-07T10:00:00.000Z' });
    expect(dueActions(acknowledged, at('2026-12-09T00:00:00.000Z'))).toEqual([]);
    expect(nextDue(acknowledged)).toBeNull();
  });

  it('without a schedule nothing is ever due', () => {
    expect(dueActions({ marks: {} }, at('2030-01-01T00:00:00Z'))).toEqual([]);
    expect(nextDue({ marks: {} })).toBeNull();
  });
});

describe('deliveryViewOf', () => {
  it('shows the furthest state unless a deadline is open, and the times', () => {
    expect(deliveryViewOf({ decided: 't1' }).status).toBe('decided');
    expect(deliveryViewOf({ decided: 't1', delivered: 't2' }).status).toBe('delivered');
    expect(deliveryViewOf({ delivered: 't2', 'overdue:fetch': 't3' })).toMatchObject({
      status: 'overdue',
      deadline: 'fetch',
    });
    const escalated = deliveryViewOf({ delivered: 't2', 'overdue:fetch': 't3', 'escalated:fetch': 't4' });
    expect(escalated).toMatchObject({ status: 'escalated', deadline: 'fetch' });
    expect(escalated.times).toMatchObject({ overdue: 't3', escalated: 't4', fetched: null });
    const late = deliveryViewOf({
      'overdue:fetch': 't3',
      'escalated:fetch': 't4',
      fetched: 't5',
      'closed:fetch': 't6',
    });
    expect(late).toMatchObject({ status: 'fetched', deadline: null });
    expect(late.times).toMatchObject({ overdue: 't3', escalated: 't4', fetched: 't5', escalationClosed: 't6' });
    expect(deliveryViewOf({ fetched: 't5', 'not-delivered': 't9' })).toMatchObject({
      status: 'not-delivered',
      deadline: 'final',
    });
    expect(deliveryViewOf({ 'not-delivered': 't9', acknowledged: 't10' })).toMatchObject({
      status: 'acknowledged',
      deadline: null,
    });
    expect(deliveryViewOf({ exception: 't1' }).status).toBe('exception');
  });
});

describe('as of the tick', () => {
  it('a fetch after the tick instant has not happened yet for that tick: overdue then, closed at a later tick', () => {
    const fetchedLater = record({ fetched: '2026-12-07T12:30:00.000Z' });
    expect(dueActions(fetchedLater, at('2026-12-07T12:00:01.000Z'))).toEqual([{ type: 'overdue', deadline: 'fetch' }]);
    const escalated = record({
      'overdue:fetch': '2026-12-07T12:00:00.000Z',
      'escalated:fetch': '2026-12-07T12:00:01.000Z',
      fetched: '2026-12-07T12:30:00.000Z',
    });
    expect(dueActions(escalated, at('2026-12-07T12:00:01.000Z'))).toEqual([]);
    expect(dueActions(escalated, at('2026-12-07T12:30:00.000Z'))).toEqual([{ type: 'close', deadline: 'fetch' }]);
  });
});

describe('superseded', () => {
  it('a notification replaced by an amendment or a withdrawal has nothing more due, but an open escalation closes', () => {
    const replaced: DeliveryRecord = { schedule, marks: {}, supersededAt: '2026-12-07T10:00:00.000Z' };
    expect(dueActions(replaced, at('2026-12-09T00:00:00.000Z'))).toEqual([]);
    expect(nextDue(replaced)).toBeNull();
    // Replaced after its fetch deadline fired: the escalation still closes when it is fetched.
    const escalated: DeliveryRecord = {
      schedule,
      marks: { 'overdue:fetch': FETCH_ISO, 'escalated:fetch': FETCH_ISO, fetched: '2026-12-07T13:00:00.000Z' },
      supersededAt: '2026-12-07T12:30:00.000Z',
    };
    expect(dueActions(escalated, at('2026-12-09T00:00:00.000Z'))).toEqual([{ type: 'close', deadline: 'fetch' }]);
    // Before it was replaced, its deadlines stood.
    expect(
      dueActions({ ...replaced, supersededAt: '2026-12-07T13:00:00.000Z' }, at('2026-12-07T12:00:00.000Z')),
    ).toEqual([{ type: 'overdue', deadline: 'fetch' }]);
  });
});
