import { z } from 'zod';
import { assertCovered, type BankHolidays } from './bank-holidays.ts';
import {
  ENGLAND_TIME_ZONE,
  WEEKDAYS,
  londonDateOf,
  londonWallTimeToInstant,
  nextDate,
  weekdayOf,
  type Weekday,
} from './london-time.ts';

/**
 * Working time in England: the working hours (a policy's choice, e.g. 08:00-18:30 Monday to Friday, England's wall
 * clock) on days that are neither outside those weekdays nor England and Wales bank holidays. Every function is pure:
 * the answer depends only on its arguments (and the ICU time-zone data), never on a clock.
 */

const HOUR_MS = 3_600_000;

/** At most this many hours may be added in one call (about a year of working days; a deadline is days, not years). */
export const WORKING_TIME_LIMITS = { hours: 3_000 } as const;

const clockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a time HH:MM (00:00-23:59)');

export const workingHoursSchema = z
  .object({
    /** England's wall clock: GMT in winter, BST in summer. The bank holidays are England's, so no other zone. */
    timeZone: z.literal(ENGLAND_TIME_ZONE),
    days: z
      .array(z.enum(WEEKDAYS))
      .min(1)
      .max(WEEKDAYS.length)
      .refine((days) => new Set(days).size === days.length, 'repeats a day'),
    opens: clockTime,
    /** After `opens` on the same day: a working day does not run past midnight. */
    closes: clockTime,
  })
  .strict()
  .refine((hours) => hours.closes > hours.opens, { path: ['closes'], message: 'must be after opens' });

export type WorkingHours = z.output<typeof workingHoursSchema>;

export interface WorkingCalendar {
  readonly hours: WorkingHours;
  readonly holidays: BankHolidays;
}

function minuteOfDay(time: string): number {
  return Number(time.slice(0, 2)) * 60 + Number(time.slice(3, 5));
}

/** Whether `date` (`YYYY-MM-DD`) is a working day: one of the working weekdays and not a bank holiday. */
export function isWorkingDay(calendar: WorkingCalendar, date: string): boolean {
  assertCovered(calendar.holidays, date);
  const days: readonly Weekday[] = calendar.hours.days;
  return days.includes(weekdayOf(date)) && !calendar.holidays.dates.has(date);
}

/** The instants a working day opens and closes (their distance is its real length, also on a clock-change day). */
function windowOf(calendar: WorkingCalendar, date: string): { opens: number; closes: number } {
  return {
    opens: londonWallTimeToInstant(date, minuteOfDay(calendar.hours.opens)).getTime(),
    closes: londonWallTimeToInstant(date, minuteOfDay(calendar.hours.closes)).getTime(),
  };
}

/** Whether `instant` is within working hours (opening time included, closing time not) on a working day. */
export function isWorkingTime(instant: Date, calendar: WorkingCalendar): boolean {
  const date = londonDateOf(instant);
  if (!isWorkingDay(calendar, date)) return false;
  const window = windowOf(calendar, date);
  return instant.getTime() >= window.opens && instant.getTime() < window.closes;
}

/** The opening instant of the first working day after `instant`'s date (England's date). */
export function nextWorkingDayStart(instant: Date, calendar: WorkingCalendar): Date {
  let date = nextDate(londonDateOf(instant));
  while (!isWorkingDay(calendar, date)) date = nextDate(date);
  return new Date(windowOf(calendar, date).opens);
}

function checkedHours(hours: number): number {
  if (!Number.isFinite(hours) || hours < 0 || hours > WORKING_TIME_LIMITS.hours) {
    throw new RangeError(`hours must be a number from 0 to ${String(WORKING_TIME_LIMITS.hours)}`);
  }
  return Math.round(hours * HOUR_MS);
}

/**
 * The instant by which `hours` of working time have passed since `start`. Time outside working hours does not
 * count: a start in the evening, at a weekend or on a bank holiday counts from the next opening. Ending exactly at
 * closing time gives the closing time (not the next opening). `hours` 0 gives the first working instant at or
 * after `start`. Every day it passes must be covered by the bank-holiday data (`CalendarOutOfRangeError`).
 */
export function addWorkingHours(start: Date, hours: number, calendar: WorkingCalendar): Date {
  let remaining = checkedHours(hours);
  const cursor = start.getTime();
  let date = londonDateOf(start);
  for (;;) {
    if (isWorkingDay(calendar, date)) {
      const window = windowOf(calendar, date);
      if (cursor < window.closes) {
        const from = Math.max(cursor, window.opens);
        const available = window.closes - from;
        if (remaining <= available) return new Date(from + remaining);
        remaining -= available;
      }
    }
    date = nextDate(date);
  }
}

/**
 * `hours` of elapsed time after `start`: weekends, holidays and nights count. An hour is an hour of real time, so
 * across a clock change 24 calendar hours end at a different wall-clock time (e.g. 09:00 GMT + 24 h is 10:00 BST).
 */
export function addCalendarHours(start: Date, hours: number): Date {
  return new Date(start.getTime() + checkedHours(hours));
}
