import { describe, expect, it } from 'vitest';
import shipped from '../data/england-and-wales-bank-holidays.json' with { type: 'json' };
import {
  CalendarDataError,
  CalendarStaleError,
  assertCalendarCurrent,
  calendarStaleness,
  englandAndWalesBankHolidays,
  isBankHoliday,
  loadBankHolidays,
} from './bank-holidays.ts';
import { weekdayOf } from './london-time.ts';

type Doc = typeof shipped & Record<string, unknown>;

function problemsOf(edit: (doc: Doc) => void): readonly string[] {
  const doc = structuredClone(shipped) as Doc;
  edit(doc);
  try {
    loadBankHolidays(doc);
  } catch (error) {
    if (error instanceof CalendarDataError) return error.problems;
    throw error;
  }
  throw new Error('the data loaded');
}

const iso = (date: Date) => date.toISOString().slice(0, 10);
const utcDay = (year: number, month: number, day: number) => new Date(Date.UTC(year, month - 1, day));
/** The Monday on or after a date. */
const mondayFrom = (date: Date) =>
  utcDay(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate() + ((8 - date.getUTCDay()) % 7));

/** Easter Sunday by the anonymous Gregorian computus (Meeus/Jones/Butcher). */
function easter(year: number): Date {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const h = (19 * a + b - Math.floor(b / 4) - Math.floor((b - Math.floor((b + 8) / 25) + 1) / 3) + 15) % 30;
  const l = (32 + 2 * (b % 4) + 2 * Math.floor(c / 4) - h - (c % 4)) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  return utcDay(year, Math.floor((h + l - 7 * m + 114) / 31), ((h + l - 7 * m + 114) % 31) + 1);
}

/**
 * England and Wales bank holidays by the Banking and Financial Dealings Act 1971 and the standing proclamations
 * (New Year's Day, Early May): a cross-check of the data, independent of where it was copied from. A one-off
 * proclamation (a jubilee, a coronation, a state funeral) adds a day the rules cannot know; none in 2025-2028.
 */
function byTheRules(year: number): string[] {
  const shiftFromWeekend = (date: Date) => (date.getUTCDay() % 6 === 0 ? mondayFrom(date) : date);
  const christmas = utcDay(year, 12, 25);
  const boxing = utcDay(year, 12, 26);
  // Christmas on a Saturday: Monday 27 and Tuesday 28. On a Sunday: Boxing Day (Monday) and Tuesday 27. Boxing Day
  // on a Saturday: Monday 28.
  const christmasDays =
    christmas.getUTCDay() === 6
      ? [utcDay(year, 12, 27), utcDay(year, 12, 28)]
      : christmas.getUTCDay() === 0
        ? [boxing, utcDay(year, 12, 27)]
        : [christmas, shiftFromWeekend(boxing)];
  const lastMonday = (month: number) => {
    const last = utcDay(year, month + 1, 0);
    return utcDay(year, month, last.getUTCDate() - ((last.getUTCDay() + 6) % 7));
  };
  const sunday = easter(year);
  return [
    shiftFromWeekend(utcDay(year, 1, 1)),
    utcDay(year, sunday.getUTCMonth() + 1, sunday.getUTCDate() - 2),
    utcDay(year, sunday.getUTCMonth() + 1, sunday.getUTCDate() + 1),
    mondayFrom(utcDay(year, 5, 1)),
    lastMonday(5),
    lastMonday(8),
    ...christmasDays,
  ].map(iso);
}

describe('the shipped England and Wales bank holidays', () => {
  const holidays = englandAndWalesBankHolidays();

  it('states its source, when it was taken, what it covers and when it must be renewed', () => {
    expect(holidays).toMatchObject({
      source: 'https://www.gov.uk/bank-holidays.json',
      takenOn: '2026-12-06',
      coversFrom: '2025-01-01',
      coversUntil: '2028-12-31',
      renewBy: '2027-09-30',
    });
  });

  it.each([2025, 2026, 2027, 2028])('lists exactly the days the statute and proclamations give in %i', (year) => {
    const listed = holidays.events.map((event) => event.date).filter((date) => date.startsWith(`${String(year)}-`));
    expect(listed).toEqual(byTheRules(year));
  });

  it('marks substitute days as GOV.UK does, and never lists a weekend day', () => {
    expect(holidays.events.filter((event) => event.notes === 'Substitute day').map((event) => event.date)).toEqual([
      '2026-12-28',
      '2027-12-27',
      '2027-12-28',
      '2028-01-03',
    ]);
    for (const event of holidays.events) expect(['sat', 'sun']).not.toContain(weekdayOf(event.date));
  });

  it('answers isBankHoliday within the data and refuses outside it', () => {
    expect(isBankHoliday(holidays, '2026-12-28')).toBe(true);
    expect(isBankHoliday(holidays, '2026-12-26')).toBe(false);
    expect(() => isBankHoliday(holidays, '2029-01-01')).toThrow(/covers 2025-01-01..2028-12-31/);
  });
});

describe('staleness', () => {
  const holidays = englandAndWalesBankHolidays();

  it('is current up to the end of renewBy in England and stale from the next day', () => {
    // 30 September 2027 23:59 BST is 22:59Z; midnight BST on 1 October is 23:00Z on 30 September.
    expect(calendarStaleness(holidays, new Date('2027-09-30T22:59:59.999Z'))).toEqual({
      stale: false,
      today: '2027-09-30',
      renewBy: '2027-09-30',
      coversUntil: '2028-12-31',
    });
    expect(calendarStaleness(holidays, new Date('2027-09-30T23:00:00.000Z')).stale).toBe(true);
  });

  it('fails the readiness check with a typed error once stale', () => {
    expect(() => {
      assertCalendarCurrent(holidays, new Date('2026-12-06T12:00:00.000Z'));
    }).not.toThrow();
    expect(() => {
      assertCalendarCurrent(holidays, new Date('2027-10-01T12:00:00.000Z'));
    }).toThrow(CalendarStaleError);
    try {
      assertCalendarCurrent(holidays, new Date('2027-10-01T12:00:00.000Z'));
    } catch (error) {
      expect(error).toMatchObject({ code: 'calendar-stale', renewBy: '2027-09-30', today: '2027-10-01' });
    }
  });
});

describe('loadBankHolidays refuses', () => {
  it('a weekend day, an event out of order or outside the data, and an impossible date', () => {
    expect(
      problemsOf((doc) => {
        doc.events[15] = { title: 'Boxing Day', date: '2026-12-26', notes: '' };
        doc.events[1] = { title: 'Good Friday', date: '2024-04-18', notes: '' };
        doc.events[2] = { title: 'Easter Monday', date: '2025-02-29', notes: '' };
      }),
    ).toEqual([
      'events.2.date: must be a date YYYY-MM-DD',
      'events.1.date: is outside 2025-01-01..2028-12-31',
      'events.1.date: must come after the event before it',
      'events.15.date: is a weekend day (GOV.UK lists the substitute weekday instead)',
      'events: lists 7 bank holidays in 2025 (at least 8 expected)',
    ]);
  });

  it('a covered year with too few holidays (a cut import), and renewBy after the data ends', () => {
    expect(
      problemsOf((doc) => {
        doc.coversUntil = '2029-12-31';
        doc.renewBy = '2030-01-01';
      }),
    ).toEqual([
      'renewBy: must not be after coversUntil',
      'events: lists 0 bank holidays in 2029 (at least 8 expected)',
    ]);
  });

  it('another source or division, an unknown key, and coverage that is not whole years', () => {
    expect(
      problemsOf((doc) => {
        doc.source = 'https://example.org/holidays.json';
        doc.division = 'scotland';
        doc['extra'] = true;
      }),
    ).toEqual([
      'division: Invalid input: expected "england-and-wales"',
      'source: Invalid input: expected "https://www.gov.uk/bank-holidays.json"',
      '(document): Unrecognized key: "extra"',
    ]);
    expect(problemsOf((doc) => (doc.coversFrom = '2025-02-01'))).toContain(
      'coversFrom: must be the first day of a year',
    );
  });

  it('text that is not JSON', () => {
    expect(() => loadBankHolidays('{')).toThrow(CalendarDataError);
  });
});
