/**
 * Wall-clock time in England (`Europe/London`, GMT in winter and BST in summer) from and to UTC instants, with the
 * time-zone rules of the ICU data Node ships (`Intl`; Node 24 has no `Temporal`). Pure: the same instant always
 * gives the same answer for the same ICU data.
 */

export const ENGLAND_TIME_ZONE = 'Europe/London';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const parts = new Intl.DateTimeFormat('en-GB', {
  timeZone: ENGLAND_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

/** The offset England's clocks show at an instant, read from ICU (`Intl`): the source of truth, but slow. */
function offsetFromIntl(instantMs: number): number {
  const values: Record<string, number> = {};
  for (const part of parts.formatToParts(new Date(instantMs))) {
    if (part.type !== 'literal') values[part.type] = Number(part.value);
  }
  const get = (key: string): number => values[key] ?? Number.NaN;
  const wallAsUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const seconds = Math.floor(instantMs / 1000) * 1000;
  return Math.round((wallAsUtc - seconds) / MINUTE_MS);
}

/**
 * Offsets by UTC hour. England's clocks change only on the hour (01:00 UTC), so one ICU reading serves a whole hour:
 * deadlines for every issued notification ask many times per notification, and `formatToParts` was 4% of the hub's
 * CPU. Bounded: cleared whole when full (a cache, recomputed on demand).
 */
const offsetByHour = new Map<number, number>();
const OFFSET_CACHE_MAX = 100_000;

/** England's UTC offset at an instant, in minutes (0 for GMT, 60 for BST). */
export function londonOffsetMinutes(instantMs: number): number {
  const hour = Math.floor(instantMs / HOUR_MS);
  const cached = offsetByHour.get(hour);
  if (cached !== undefined) return cached;
  const offset = offsetFromIntl(hour * HOUR_MS);
  if (offsetByHour.size >= OFFSET_CACHE_MAX) offsetByHour.clear();
  offsetByHour.set(hour, offset);
  return offset;
}

/** England's date (`YYYY-MM-DD`) at an instant. */
export function londonDateOf(instant: Date): string {
  const wall = new Date(instant.getTime() + londonOffsetMinutes(instant.getTime()) * MINUTE_MS);
  return isoDate(wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate());
}

/**
 * The instant England's clocks show `minuteOfDay` (0-1439) on `date`. A wall time the spring change skips
 * (01:00-01:59 on the last Sunday of March) is read as the instant an hour later the clocks show it after the
 * change; a wall time the autumn change repeats is its first (BST) occurrence.
 */
export function londonWallTimeToInstant(date: string, minuteOfDay: number): Date {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const wallAsUtc = Date.UTC(year, month - 1, day, 0, minuteOfDay);
  // Try the offset in force just before and just after: the earlier instant that shows the wall time wins.
  const candidates = [londonOffsetMinutes(wallAsUtc - DAY_MS / 2), londonOffsetMinutes(wallAsUtc + DAY_MS / 2)].map(
    (offset) => wallAsUtc - offset * MINUTE_MS,
  );
  const exact = candidates.filter((instant) => londonOffsetMinutes(instant) * MINUTE_MS === wallAsUtc - instant);
  return new Date(exact.length > 0 ? Math.min(...exact) : Math.max(...candidates));
}

/** The weekday of a `YYYY-MM-DD` date. */
export function weekdayOf(date: string): Weekday {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  // getUTCDay: 0 is Sunday; WEEKDAYS starts on Monday.
  return WEEKDAYS[(new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7] ?? 'mon';
}

/** The date after a `YYYY-MM-DD` date. */
export function nextDate(date: string): string {
  const [year, month, day] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(year, month - 1, day + 1));
  return isoDate(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate());
}

function isoDate(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Whether `YYYY-MM-DD` names a real day (not 2027-02-29). */
export function isCalendarDate(date: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const parsed = new Date(Date.UTC(year, month - 1, day));
  return parsed.getUTCFullYear() === year && parsed.getUTCMonth() === month - 1 && parsed.getUTCDate() === day;
}
