import { z } from 'zod';
import shipped from '../data/england-and-wales-bank-holidays.json' with { type: 'json' };
import { isCalendarDate, londonDateOf, weekdayOf } from './london-time.ts';

/**
 * England and Wales bank holidays as data (`data/england-and-wales-bank-holidays.json`, GOV.UK's
 * `bank-holidays.json`, division `england-and-wales`): the events, the dates the data covers, when it was taken and
 * the date by which it must be renewed. Outside `coversFrom`..`coversUntil` nothing is known, so nothing is computed
 * there (`CalendarOutOfRangeError`); after `renewBy` the calendar is stale (`calendarStaleness`).
 */

export const BANK_HOLIDAY_LIMITS = { events: 200, titleChars: 100, notesChars: 100, howTakenChars: 1_000 } as const;

/** GOV.UK lists at least 8 bank holidays a year in England and Wales; fewer in a covered year means a cut import. */
const MIN_EVENTS_PER_YEAR = 8;

const date = z.string().refine(isCalendarDate, 'must be a date YYYY-MM-DD');

const event = z
  .object({
    title: z.string().trim().min(1).max(BANK_HOLIDAY_LIMITS.titleChars),
    date,
    /** GOV.UK's notes: "Substitute day" when the holiday falls on a weekend and moves to a weekday. */
    notes: z.string().max(BANK_HOLIDAY_LIMITS.notesChars),
    /** GOV.UK's own flag, kept so that its events can be pasted unchanged; not used. */
    bunting: z.boolean().optional(),
  })
  .strict();

export const bankHolidaysDocument = z
  .object({
    division: z.literal('england-and-wales'),
    source: z.literal('https://www.gov.uk/bank-holidays.json'),
    /** When the data was taken from the source. */
    takenOn: date,
    howTaken: z.string().trim().min(1).max(BANK_HOLIDAY_LIMITS.howTakenChars),
    /** The first and last day whose bank holidays are all listed (whole years). */
    coversFrom: date,
    coversUntil: date,
    /** After this day the data is stale: renew it from the source (README "Renewing the bank holidays"). */
    renewBy: date,
    events: z.array(event).min(1).max(BANK_HOLIDAY_LIMITS.events),
  })
  .strict()
  .superRefine((doc, context) => {
    const problem = (path: (string | number)[], message: string) => {
      context.addIssue({ code: 'custom', path, message });
    };
    if (!doc.coversFrom.endsWith('-01-01')) problem(['coversFrom'], 'must be the first day of a year');
    if (!doc.coversUntil.endsWith('-12-31')) problem(['coversUntil'], 'must be the last day of a year');
    if (doc.coversUntil < doc.coversFrom) problem(['coversUntil'], 'must not be before coversFrom');
    if (doc.renewBy < doc.takenOn) problem(['renewBy'], 'must not be before takenOn');
    if (doc.renewBy > doc.coversUntil) problem(['renewBy'], 'must not be after coversUntil');
    let previous = '';
    doc.events.forEach((holiday, index) => {
      if (!isCalendarDate(holiday.date)) return; // already reported
      if (holiday.date < doc.coversFrom || holiday.date > doc.coversUntil) {
        problem(['events', index, 'date'], `is outside ${doc.coversFrom}..${doc.coversUntil}`);
      }
      if (holiday.date <= previous) problem(['events', index, 'date'], 'must come after the event before it');
      const weekday = weekdayOf(holiday.date);
      if (weekday === 'sat' || weekday === 'sun') {
        problem(['events', index, 'date'], 'is a weekend day (GOV.UK lists the substitute weekday instead)');
      }
      previous = holiday.date;
    });
    const firstYear = Number(doc.coversFrom.slice(0, 4));
    const lastYear = Number(doc.coversUntil.slice(0, 4));
    for (let year = firstYear; year <= lastYear && year - firstYear < 100; year++) {
      const count = doc.events.filter((holiday) => holiday.date.startsWith(`${String(year)}-`)).length;
      if (count < MIN_EVENTS_PER_YEAR) {
        problem(
          ['events'],
          `lists ${String(count)} bank holidays in ${String(year)} (at least ${String(MIN_EVENTS_PER_YEAR)} expected)`,
        );
      }
    }
  });

export type BankHolidaysDocument = z.output<typeof bankHolidaysDocument>;

export interface BankHolidays {
  readonly source: string;
  readonly takenOn: string;
  readonly coversFrom: string;
  readonly coversUntil: string;
  readonly renewBy: string;
  readonly events: readonly { readonly title: string; readonly date: string; readonly notes: string }[];
  readonly dates: ReadonlySet<string>;
}

/** Bank-holiday data that cannot be used, with every problem found (`path: message`). */
export class CalendarDataError extends Error {
  override readonly name = 'CalendarDataError';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`Invalid bank holidays (${String(problems.length)}):\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A working-time computation reached a day the bank-holiday data does not cover: renew the data. */
export class CalendarOutOfRangeError extends Error {
  override readonly name = 'CalendarOutOfRangeError';
  readonly code = 'calendar-out-of-range';
  /** The first day the computation needed that the data does not cover. */
  readonly date: string;
  readonly coversFrom: string;
  readonly coversUntil: string;

  constructor(date: string, coversFrom: string, coversUntil: string) {
    super(
      `The bank-holiday data covers ${coversFrom}..${coversUntil}; ${date} is outside it, so no working time is ` +
        'computed there (renew packages/calendar/data from https://www.gov.uk/bank-holidays.json).',
    );
    this.date = date;
    this.coversFrom = coversFrom;
    this.coversUntil = coversUntil;
  }
}

/** The calendar is past its `renewBy` date (a readiness failure; see `assertCalendarCurrent`). */
export class CalendarStaleError extends Error {
  override readonly name = 'CalendarStaleError';
  readonly code = 'calendar-stale';
  readonly renewBy: string;
  /** England's date when the check ran. */
  readonly today: string;

  constructor(renewBy: string, today: string) {
    super(
      `The bank-holiday data had to be renewed by ${renewBy} (today is ${today}): renew packages/calendar/data ` +
        'from https://www.gov.uk/bank-holidays.json.',
    );
    this.renewBy = renewBy;
    this.today = today;
  }
}

/** Checks bank-holiday data (an object or its JSON text); throws `CalendarDataError` listing every problem. */
export function loadBankHolidays(input: unknown): BankHolidays {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input) as unknown;
    } catch {
      throw new CalendarDataError(['(document): is not valid JSON']);
    }
  }
  const parsed = bankHolidaysDocument.safeParse(value);
  if (!parsed.success) {
    throw new CalendarDataError(
      parsed.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(document)'}: ${issue.message}`),
    );
  }
  const doc = parsed.data;
  const events = doc.events.map(({ title, date: day, notes }) => Object.freeze({ title, date: day, notes }));
  return Object.freeze({
    source: doc.source,
    takenOn: doc.takenOn,
    coversFrom: doc.coversFrom,
    coversUntil: doc.coversUntil,
    renewBy: doc.renewBy,
    events: Object.freeze(events),
    dates: new Set(events.map((holiday) => holiday.date)),
  });
}

let loaded: BankHolidays | undefined;

/** The shipped England and Wales bank holidays, checked once. */
export function englandAndWalesBankHolidays(): BankHolidays {
  loaded ??= loadBankHolidays(shipped);
  return loaded;
}

/** Throws `CalendarOutOfRangeError` unless the data covers `date` (`YYYY-MM-DD`). */
export function assertCovered(holidays: BankHolidays, day: string): void {
  if (day < holidays.coversFrom || day > holidays.coversUntil) {
    throw new CalendarOutOfRangeError(day, holidays.coversFrom, holidays.coversUntil);
  }
}

/** Whether `date` (`YYYY-MM-DD`, within the data) is a bank holiday; outside the data: `CalendarOutOfRangeError`. */
export function isBankHoliday(holidays: BankHolidays, day: string): boolean {
  assertCovered(holidays, day);
  return holidays.dates.has(day);
}

export interface CalendarStaleness {
  /** True once England's date at `now` is after `renewBy`. */
  readonly stale: boolean;
  readonly today: string;
  readonly renewBy: string;
  readonly coversUntil: string;
}

/** Whether the data is past its `renewBy` date at `now` (pure: the caller passes its clock). */
export function calendarStaleness(holidays: BankHolidays, now: Date): CalendarStaleness {
  const today = londonDateOf(now);
  return { stale: today > holidays.renewBy, today, renewBy: holidays.renewBy, coversUntil: holidays.coversUntil };
}

/**
 * A readiness check's body: throws `CalendarStaleError` once the data is past `renewBy`, so a process that computes
 * deadlines is not ready with a calendar nobody renewed (before it starts refusing deadlines past `coversUntil`).
 */
export function assertCalendarCurrent(holidays: BankHolidays, now: Date): void {
  const { stale, today, renewBy } = calendarStaleness(holidays, now);
  if (stale) throw new CalendarStaleError(renewBy, today);
}
