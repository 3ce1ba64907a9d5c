import { describe, expect, it } from 'vitest';
import {
  cronOf,
  describeInstant,
  nextOccurrence,
  officeHoursOf,
  previousOccurrence,
  withinOfficeHours,
} from '../../src/config/office-hours.js';
import { hostHoursPerMonth } from '../../src/blueprint/estimate.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { causeOf, describeSleep, sleepOf } from '../../src/phases/schedule/sleep.js';
import { baseConfig, fakeClock } from '../helpers/context.js';

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

describe('across daylight saving in America/New_York (2026: EST → EDT on 8 March, back on 1 November), with a fake clock', () => {
  const schedule = { timezone: 'America/New_York', days: 'MON-FRI', start: '08:00', stop: '20:00' };
  const model = buildModel(parseConfig(JSON.stringify({ ...baseConfig, schedule })));
  const ctx = { config: model.config, model };
  const hours = officeHoursOf(schedule)!;
  const stoppedAt = (reason: string) => ({
    InstanceId: 'i-1',
    State: { Name: 'stopped' as const },
    StateTransitionReason: `User initiated (${reason} GMT)`,
  });

  it('status: stopped by the Friday stop in winter, it wakes on Monday at 08:00 summer time (12:00 UTC, not 13:00)', () => {
    const clock = fakeClock(utc('2026-03-07T12:00:00Z'));
    const s = sleepOf(ctx, stoppedAt('2026-03-07 01:00:20'), clock.now(), undefined);
    expect(describeSleep(s)).toBe(
      'asleep since Fri 2026-03-06 20:00 America/New_York (01:00 UTC) (schedule), ' +
        'wakes at Mon 2026-03-09 08:00 America/New_York (12:00 UTC)',
    );
  });

  it('status: awake on the Friday before the change back, it sleeps at 20:00 EDT; asleep over it, wakes at 08:00 EST', () => {
    const awake = sleepOf(
      ctx,
      { InstanceId: 'i-1', State: { Name: 'running' } },
      utc('2026-10-30T21:00:00Z'),
      undefined,
    );
    expect(describeSleep(awake)).toBe('awake, sleeps at Fri 2026-10-30 20:00 America/New_York (00:00 UTC)');
    const clock = fakeClock(utc('2026-10-31T12:00:00Z'));
    clock.sleep(86_400_000); // Sunday 1 November, after the change
    const asleep = sleepOf(ctx, stoppedAt('2026-10-31 00:00:31'), clock.now(), undefined);
    expect(describeSleep(asleep)).toBe(
      'asleep since Fri 2026-10-30 20:00 America/New_York (00:00 UTC) (schedule), ' +
        'wakes at Mon 2026-11-02 08:00 America/New_York (13:00 UTC)',
    );
  });

  it("a stop is the schedule's by its local time: 00:00 UTC in July, 01:00 UTC in January; an hour off is not", () => {
    expect(causeOf({ stop: utc('2026-07-01T00:00:31Z'), hours })).toBe('schedule'); // Tue 20:00 EDT
    expect(causeOf({ stop: utc('2026-01-07T01:00:31Z'), hours })).toBe('schedule'); // Tue 20:00 EST
    expect(causeOf({ stop: utc('2026-07-01T01:00:31Z'), hours })).toBeUndefined(); // 21:00 EDT
  });
});

describe("the estimate's host hours a month against the office hours as the Scheduler runs them through a year", () => {
  /** The hours the host runs in [from, to): each start to the next stop, as nextOccurrence finds them (DST included). */
  function runHours(hours: NonNullable<ReturnType<typeof officeHoursOf>>, from: number, to: number): number {
    let t = from;
    let running = withinOfficeHours(hours, from);
    let total = 0;
    while (t < to) {
      const next = Math.min(nextOccurrence(hours.timezone, running ? hours.stop : hours.start, t), to);
      if (running) total += next - t;
      running = !running;
      t = next;
    }
    return total / 3_600_000;
  }
  const year = [utc('2026-01-01T00:00:00Z'), utc('2027-01-01T00:00:00Z')] as const;

  it.each([
    ['weekdays 08:00–20:00 in Berlin', { timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00' }],
    [
      'every night 22:00–06:00 in New York (a 7- and a 9-hour night)',
      {
        timezone: 'America/New_York',
        days: 'SUN-SAT',
        start: '22:00',
        stop: '06:00',
      },
    ],
    [
      'weekends 09:30–12:00 in Sydney (its change is in April and October)',
      {
        timezone: 'Australia/Sydney',
        days: 'SAT,SUN',
        start: '09:30',
        stop: '12:00',
      },
    ],
  ])('%s: the hours a month the estimate bills are the year’s run hours / 12, within 0.5%%', (_what, schedule) => {
    const perMonth = runHours(officeHoursOf(schedule)!, ...year) / 12;
    expect(Math.abs(hostHoursPerMonth(schedule) - perMonth) / perMonth).toBeLessThan(0.005);
  });

  it('the night the clocks go forward runs an hour less, the night they go back an hour more', () => {
    const nights = officeHoursOf({ timezone: 'America/New_York', days: 'SUN-SAT', start: '22:00', stop: '06:00' })!;
    expect(runHours(nights, utc('2026-03-08T02:00:00Z'), utc('2026-03-08T12:00:00Z'))).toBe(7);
    expect(runHours(nights, utc('2026-11-01T01:00:00Z'), utc('2026-11-01T12:00:00Z'))).toBe(9);
    expect(runHours(nights, utc('2026-06-01T01:00:00Z'), utc('2026-06-01T12:00:00Z'))).toBe(8);
  });
});
