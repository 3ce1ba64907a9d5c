import { describe, expect, it } from 'vitest';
import {
  cronOf,
  describeInstant,
  nextOccurrence,
  officeHoursOf,
  previousOccurrence,
  withinOfficeHours,
} from '../../src/config/office-hours.js';

const berlin = officeHoursOf({ timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00' })!;
const utc = (iso: string) => Date.parse(iso);
const iso = (t: number) => new Date(t).toISOString();

describe('office hours: the cron the Scheduler takes, in local time', () => {
  it('start and stop on the working days, day of month `?`', () => {
    expect(cronOf(berlin.start)).toBe('cron(0 8 ? * MON,TUE,WED,THU,FRI *)');
    expect(cronOf(berlin.stop)).toBe('cron(0 20 ? * MON,TUE,WED,THU,FRI *)');
    const odd = officeHoursOf({ timezone: 'Asia/Bangkok', days: 'MON,WED,SAT', start: '07:05', stop: '19:30' })!;
    expect(cronOf(odd.start)).toBe('cron(5 7 ? * MON,WED,SAT *)');
  });

  it('a stop before the start is the next morning: its days move on by one (Saturday to Sunday)', () => {
    const night = officeHoursOf({ timezone: 'UTC', days: 'MON-FRI,SAT', start: '22:00', stop: '06:00' })!;
    expect(cronOf(night.start)).toBe('cron(0 22 ? * MON,TUE,WED,THU,FRI,SAT *)');
    expect(cronOf(night.stop)).toBe('cron(0 6 ? * SUN,TUE,WED,THU,FRI,SAT *)');
  });

  it('no office hours without start and stop (idle stop alone)', () => {
    expect(officeHoursOf({ timezone: 'UTC', days: 'MON-FRI', idleStopMinutes: 30 })).toBeUndefined();
    expect(officeHoursOf(undefined)).toBeUndefined();
  });
});

describe('office hours across daylight saving (Europe/Berlin, 2026: +1 h → +2 h on 29 March, back on 25 October)', () => {
  it('the next start after a Friday evening in March is Monday 08:00 CEST = 06:00 UTC, a week earlier 07:00 UTC', () => {
    expect(iso(nextOccurrence('Europe/Berlin', berlin.start, utc('2026-03-27T21:00:00Z')))).toBe(
      '2026-03-30T06:00:00.000Z',
    );
    expect(iso(nextOccurrence('Europe/Berlin', berlin.start, utc('2026-03-20T21:00:00Z')))).toBe(
      '2026-03-23T07:00:00.000Z',
    );
  });

  it('in October the start moves back to 07:00 UTC after the change', () => {
    expect(iso(nextOccurrence('Europe/Berlin', berlin.start, utc('2026-10-23T19:00:00Z')))).toBe(
      '2026-10-26T07:00:00.000Z',
    );
    expect(iso(previousOccurrence('Europe/Berlin', berlin.stop, utc('2026-10-26T07:00:00Z')))).toBe(
      '2026-10-23T18:00:00.000Z',
    );
  });

  it('a time the clocks skip is skipped, as the Scheduler does; a time that happens twice runs once, first', () => {
    const early = { days: [0], time: '02:30' }; // Sundays 02:30
    expect(iso(nextOccurrence('Europe/Berlin', early, utc('2026-03-28T12:00:00Z')))).toBe('2026-04-05T00:30:00.000Z');
    expect(iso(nextOccurrence('Europe/Berlin', early, utc('2026-10-24T12:00:00Z')))).toBe('2026-10-25T00:30:00.000Z');
  });

  it('within office hours: weekday daytime yes, evenings and weekends no, by local time', () => {
    expect(withinOfficeHours(berlin, utc('2026-03-30T06:30:00Z'))).toBe(true); // Mon 08:30 CEST
    expect(withinOfficeHours(berlin, utc('2026-03-30T05:30:00Z'))).toBe(false); // Mon 07:30 CEST
    expect(withinOfficeHours(berlin, utc('2026-03-27T18:59:00Z'))).toBe(true); // Fri 19:59 CET
    expect(withinOfficeHours(berlin, utc('2026-03-28T12:00:00Z'))).toBe(false); // Saturday
  });

  it('says an instant in local time and UTC', () => {
    expect(describeInstant('Europe/Berlin', utc('2026-03-30T06:00:00Z'))).toBe(
      'Mon 2026-03-30 08:00 Europe/Berlin (06:00 UTC)',
    );
    expect(describeInstant('UTC', utc('2026-03-30T06:00:00Z'))).toBe('Mon 2026-03-30 06:00 UTC');
  });
});
