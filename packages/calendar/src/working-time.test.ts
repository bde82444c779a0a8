import { describe, expect, it } from 'vitest';
import { CalendarOutOfRangeError, englandAndWalesBankHolidays } from './bank-holidays.ts';
import { londonWallTimeToInstant } from './london-time.ts';
import {
  addCalendarHours,
  addWorkingHours,
  isWorkingTime,
  nextWorkingDayStart,
  workingHoursSchema,
  type WorkingCalendar,
} from './working-time.ts';

const calendar: WorkingCalendar = {
  hours: { timeZone: 'Europe/London', days: ['mon', 'tue', 'wed', 'thu', 'fri'], opens: '08:00', closes: '18:30' },
  holidays: englandAndWalesBankHolidays(),
};

const at = (iso: string) => new Date(iso);
const plusWorking = (iso: string, hours: number) => addWorkingHours(at(iso), hours, calendar).toISOString();

describe('addWorkingHours', () => {
  it('adds within one working day', () => {
    expect(plusWorking('2026-12-01T10:00:00.000Z', 4)).toBe('2026-12-01T14:00:00.000Z');
  });

  it('ends at closing time when the hours run out exactly then, not at the next opening', () => {
    expect(plusWorking('2026-12-01T08:00:00.000Z', 10.5)).toBe('2026-12-01T18:30:00.000Z');
  });

  it('carries what is left over the night to the next opening', () => {
    expect(plusWorking('2026-12-01T17:00:00.000Z', 4)).toBe('2026-12-02T10:30:00.000Z');
  });

  it('skips the weekend', () => {
    // Friday 16:00 GMT: 2.5 h on Friday, 1.5 h from Monday 08:00.
    expect(plusWorking('2026-12-04T16:00:00.000Z', 4)).toBe('2026-12-07T09:30:00.000Z');
  });

  it('starts counting at the next opening when it starts before opening, after closing, at a weekend', () => {
    expect(plusWorking('2026-12-01T06:00:00.000Z', 1)).toBe('2026-12-01T09:00:00.000Z');
    expect(plusWorking('2026-12-01T20:00:00.000Z', 1)).toBe('2026-12-02T09:00:00.000Z');
    expect(plusWorking('2026-12-05T12:00:00.000Z', 1)).toBe('2026-12-07T09:00:00.000Z');
  });

  it('gives the first working instant for 0 hours', () => {
    expect(plusWorking('2026-12-01T12:00:00.000Z', 0)).toBe('2026-12-01T12:00:00.000Z');
    expect(plusWorking('2026-12-04T20:00:00.000Z', 0)).toBe('2026-12-07T08:00:00.000Z');
  });

  it('skips bank holidays: Good Friday and Easter Monday, with the clocks going forward between them', () => {
    // Thursday 25 March 2027 17:00 GMT: 1.5 h; Friday 26 and Monday 29 are bank holidays and BST starts on Sunday 28;
    // Tuesday 30 opens 08:00 BST (07:00Z): 2.5 h more.
    expect(plusWorking('2027-03-25T17:00:00.000Z', 4)).toBe('2027-03-30T09:30:00.000Z');
  });

  it('lands at the right UTC instant across the spring clock change (last Sunday of March)', () => {
    // Friday 27 March 2026 16:00 GMT + one working day (10.5 h): 2.5 h on Friday, then 8 h from Monday 30 March
    // 08:00 BST = 07:00Z, so 16:00 BST = 15:00Z.
    expect(plusWorking('2026-03-27T16:00:00.000Z', 10.5)).toBe('2026-03-30T15:00:00.000Z');
  });

  it('lands at the right UTC instant across the autumn clock change (last Sunday of October)', () => {
    // Friday 23 October 2026 16:00 BST (15:00Z): 2.5 h; Monday 26 October opens 08:00 GMT = 08:00Z; 8 h more.
    expect(plusWorking('2026-10-23T15:00:00.000Z', 10.5)).toBe('2026-10-26T16:00:00.000Z');
  });

  it('skips Christmas Day and the substitute Boxing Day (2026: Boxing Day is a Saturday)', () => {
    // Thursday 24 December 2026 17:00: 1.5 h; Friday 25, the weekend and Monday 28 (substitute) are off.
    expect(plusWorking('2026-12-24T17:00:00.000Z', 4)).toBe('2026-12-29T10:30:00.000Z');
  });

  it('skips both substitute days when Christmas falls at a weekend (2027), and New Year’s substitute (2028)', () => {
    // Friday 24 December 2027 18:00: 0.5 h; Monday 27 and Tuesday 28 are the substitutes for 25 and 26.
    expect(plusWorking('2027-12-24T18:00:00.000Z', 1)).toBe('2027-12-29T08:30:00.000Z');
    // Friday 31 December 2027 18:00: 0.5 h; Saturday 1 January 2028 moves to Monday 3.
    expect(plusWorking('2027-12-31T18:00:00.000Z', 1)).toBe('2028-01-04T08:30:00.000Z');
  });

  it('counts a working day that spans a clock change by its real length', () => {
    const allDay: WorkingCalendar = {
      ...calendar,
      hours: { timeZone: 'Europe/London', days: ['sun', 'mon'], opens: '00:00', closes: '23:59' },
    };
    // Sunday 29 March 2026 runs 00:00 GMT to 23:59 BST: 22 h 59 min of real time. 23 h therefore end 1 minute after
    // Monday opens (00:00 BST = 23:00Z on Sunday).
    expect(addWorkingHours(at('2026-03-29T00:00:00.000Z'), 23, allDay).toISOString()).toBe('2026-03-29T23:01:00.000Z');
  });

  it('refuses a computation that reaches beyond the bank-holiday data, naming the first day outside it', () => {
    // Friday 29 December 2028 18:00: the next working day would be in 2029, which the data does not cover.
    expect(() => plusWorking('2028-12-29T18:00:00.000Z', 1)).toThrow(CalendarOutOfRangeError);
    try {
      plusWorking('2028-12-29T18:00:00.000Z', 1);
    } catch (error) {
      expect(error).toMatchObject({ code: 'calendar-out-of-range', date: '2029-01-01', coversUntil: '2028-12-31' });
    }
    expect(() => plusWorking('2024-12-31T10:00:00.000Z', 1)).toThrow(/2024-12-31 is outside it/);
    // Inside the data up to its last working minute.
    expect(plusWorking('2028-12-29T17:00:00.000Z', 1)).toBe('2028-12-29T18:00:00.000Z');
  });

  it('refuses negative, non-finite and absurd hours', () => {
    for (const hours of [-1, Number.NaN, Number.POSITIVE_INFINITY, 3_001]) {
      expect(() => plusWorking('2026-12-01T10:00:00.000Z', hours)).toThrow(RangeError);
    }
  });

  it('is deterministic', () => {
    const first = plusWorking('2026-12-24T17:00:00.000Z', 21);
    expect(plusWorking('2026-12-24T17:00:00.000Z', 21)).toBe(first);
  });
});

describe('addCalendarHours', () => {
  it('counts real hours: 24 h from 09:00 GMT on the Saturday before the clocks change is 10:00 BST on Sunday', () => {
    expect(addCalendarHours(at('2026-03-28T09:00:00.000Z'), 24).toISOString()).toBe('2026-03-29T09:00:00.000Z');
  });

  it('counts nights, weekends and holidays', () => {
    expect(addCalendarHours(at('2026-12-24T17:00:00.000Z'), 120).toISOString()).toBe('2026-12-29T17:00:00.000Z');
  });
});

describe('isWorkingTime', () => {
  it('includes the opening minute and excludes the closing one, on England’s clock', () => {
    // 1 July 2026 is BST: 08:00 local is 07:00Z, 18:30 local is 17:30Z.
    expect(isWorkingTime(at('2026-07-01T06:59:59.999Z'), calendar)).toBe(false);
    expect(isWorkingTime(at('2026-07-01T07:00:00.000Z'), calendar)).toBe(true);
    expect(isWorkingTime(at('2026-07-01T17:29:59.999Z'), calendar)).toBe(true);
    expect(isWorkingTime(at('2026-07-01T17:30:00.000Z'), calendar)).toBe(false);
  });

  it('is false at weekends and on bank holidays', () => {
    expect(isWorkingTime(at('2026-12-05T12:00:00.000Z'), calendar)).toBe(false);
    expect(isWorkingTime(at('2026-12-28T12:00:00.000Z'), calendar)).toBe(false);
    expect(isWorkingTime(at('2026-12-29T12:00:00.000Z'), calendar)).toBe(true);
  });
});

describe('nextWorkingDayStart', () => {
  it('is the next working day’s opening, past weekends, holidays and clock changes', () => {
    expect(nextWorkingDayStart(at('2026-12-01T07:00:00.000Z'), calendar).toISOString()).toBe(
      '2026-12-02T08:00:00.000Z',
    );
    expect(nextWorkingDayStart(at('2026-12-24T10:00:00.000Z'), calendar).toISOString()).toBe(
      '2026-12-29T08:00:00.000Z',
    );
    expect(nextWorkingDayStart(at('2027-03-25T10:00:00.000Z'), calendar).toISOString()).toBe(
      '2027-03-30T07:00:00.000Z',
    );
  });

  it('goes by England’s date: 23:30Z on a BST Thursday is already Friday', () => {
    expect(nextWorkingDayStart(at('2026-07-02T23:30:00.000Z'), calendar).toISOString()).toBe(
      '2026-07-06T07:00:00.000Z',
    );
  });
});

describe('England’s wall clock', () => {
  it('reads a wall time skipped in spring as an hour later, and a repeated one in autumn as its BST occurrence', () => {
    expect(londonWallTimeToInstant('2026-03-29', 90).toISOString()).toBe('2026-03-29T01:30:00.000Z');
    expect(londonWallTimeToInstant('2026-10-25', 90).toISOString()).toBe('2026-10-25T00:30:00.000Z');
    expect(londonWallTimeToInstant('2026-07-01', 8 * 60).toISOString()).toBe('2026-07-01T07:00:00.000Z');
    expect(londonWallTimeToInstant('2026-12-01', 8 * 60).toISOString()).toBe('2026-12-01T08:00:00.000Z');
  });
});

describe('workingHoursSchema', () => {
  it('refuses another time zone, a repeated day, a bad time and a day that closes before it opens', () => {
    const result = workingHoursSchema.safeParse({
      timeZone: 'Europe/Paris',
      days: ['mon', 'mon'],
      opens: '18:30',
      closes: '8:00',
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'timeZone: Invalid input: expected "Europe/London"',
      'days: repeats a day',
      'closes: must be a time HH:MM (00:00-23:59)',
    ]);
    const backwards = workingHoursSchema.safeParse({ ...calendar.hours, opens: '18:30', closes: '08:00' });
    expect(backwards.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual([
      'closes: must be after opens',
    ]);
  });
});
