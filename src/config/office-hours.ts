import { parseDays, type ScheduleConfig } from './schedule.js';

/**
 * Office hours as EventBridge Scheduler takes them and as `status` tells them: cron expressions in
 * local time (the Scheduler applies `ScheduleExpressionTimezone`, daylight saving included), and
 * the next start or stop computed the same way from a clock.
 */

const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export interface OfficeHours {
  timezone: string;
  start: { days: number[]; time: string };
  stop: { days: number[]; time: string };
}

/** The config's office hours; `undefined` without `start`/`stop`. A stop before the start is the next morning's. */
export function officeHoursOf(schedule: ScheduleConfig | undefined): OfficeHours | undefined {
  if (!schedule?.start || !schedule.stop) return undefined;
  const days = parseDays(schedule.days) ?? [];
  const overnight = schedule.stop < schedule.start;
  return {
    timezone: schedule.timezone,
    start: { days, time: schedule.start },
    stop: { days: overnight ? [...new Set(days.map((d) => (d + 1) % 7))].sort() : days, time: schedule.stop },
  };
}

/** `cron(30 8 ? * MON,TUE *)`: minutes, hours, day of month (`?` with days of the week), month, days, year. */
export function cronOf(at: { days: number[]; time: string }): string {
  const [hours, minutes] = at.time.split(':').map(Number);
  return `cron(${minutes} ${hours} ? * ${at.days.map((d) => DAY_NAMES[d]).join(',')} *)`;
}

interface Wall {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** The wall clock in `timeZone` at `instant` (ms). */
export function wallClock(timeZone: string, instant: number): Wall {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
    weekday: DAY_NAMES.indexOf(String(parts.weekday).toUpperCase()),
  };
}

/** How far `timeZone` is ahead of UTC at `instant`, in ms. */
function offsetAt(timeZone: string, instant: number): number {
  const w = wallClock(timeZone, instant);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute);
  return asUtc - Math.floor(instant / 60_000) * 60_000;
}

/**
 * The instant the wall clock in `timeZone` shows this date and time; `undefined` for a time the clocks
 * skip (spring forward), which EventBridge Scheduler skips too [scheduler-dst]. Of a time that happens
 * twice (fall back) the first.
 */
function instantOf(timeZone: string, year: number, month: number, day: number, hour: number, minute: number) {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const before = asUtc - offsetAt(timeZone, asUtc - 86_400_000);
  const after = asUtc - offsetAt(timeZone, asUtc + 86_400_000);
  const shows = (t: number) => {
    const w = wallClock(timeZone, t);
    return w.day === day && w.hour === hour && w.minute === minute;
  };
  return [Math.min(before, after), Math.max(before, after)].find(shows);
}

/** The instants `at` happens in `timeZone` on the days around `now`, from 8 days before to 8 after, in order. */
function occurrencesAround(timeZone: string, at: { days: number[]; time: string }, now: number): number[] {
  const [hour, minute] = at.time.split(':').map(Number);
  const today = wallClock(timeZone, now);
  const out: number[] = [];
  for (let ahead = -8; ahead <= 8; ahead++) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + ahead));
    if (!at.days.includes(date.getUTCDay())) continue;
    const t = instantOf(timeZone, date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), hour, minute);
    if (t !== undefined) out.push(t);
  }
  return out;
}

/** The first time strictly after `now` at which `at` happens in `timeZone`. */
export function nextOccurrence(timeZone: string, at: { days: number[]; time: string }, now: number): number {
  const t = occurrencesAround(timeZone, at, now).find((x) => x > now);
  if (t === undefined) throw new Error(`no ${at.time} on days ${at.days.join(',')} within a week`);
  return t;
}

/** The last time at or before `now` at which `at` happened in `timeZone`. */
export function previousOccurrence(timeZone: string, at: { days: number[]; time: string }, now: number): number {
  const t = occurrencesAround(timeZone, at, now)
    .filter((x) => x <= now)
    .at(-1);
  if (t === undefined) throw new Error(`no ${at.time} on days ${at.days.join(',')} within a week`);
  return t;
}

/** Whether the office hours have the host up at `now`: the last of their start and stop to happen was a start. */
export const withinOfficeHours = (hours: OfficeHours, now: number): boolean =>
  previousOccurrence(hours.timezone, hours.start, now) > previousOccurrence(hours.timezone, hours.stop, now);

/** `Mon 08:00 Europe/Berlin (07:00 UTC)`: an instant as people in the zone read it. */
export function describeInstant(timeZone: string, instant: number): string {
  const w = wallClock(timeZone, instant);
  const pad = (n: number) => String(n).padStart(2, '0');
  const local = `${DAY_NAMES[w.weekday].charAt(0)}${DAY_NAMES[w.weekday].slice(1).toLowerCase()} ${w.year}-${pad(
    w.month,
  )}-${pad(w.day)} ${pad(w.hour)}:${pad(w.minute)} ${timeZone}`;
  return timeZone === 'UTC' ? local : `${local} (${new Date(instant).toISOString().slice(11, 16)} UTC)`;
}
