import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CallHook } from '../../src/aws/clients.js';
import { cli } from '../helpers/cli.js';

/**
 * Bad office hours as a user meets them: `up`, `plan` and `status` stop before any AWS call, exit 2, and name the
 * key, what is wrong with it and how it should look; every problem at once.
 */

const example = JSON.parse(readFileSync(new URL('../../devenv.config.example.json', import.meta.url), 'utf8'));

async function run(command: string[], schedule: unknown) {
  const dir = mkdtempSync(join(tmpdir(), 'devenv-schedule-'));
  const config = join(dir, 'devenv.config.json');
  writeFileSync(config, JSON.stringify({ ...example, schedule }));
  const calls: string[] = [];
  const hook: CallHook = { before: (c) => void calls.push(`${c.service}:${c.operation}`) };
  const r = await cli([...command, '--config', config, '--state', join(dir, 'state.json')], { hooks: [hook] });
  return { ...r, calls, config };
}

describe('schedule validation', () => {
  it.each([
    [
      'a zone that is not one',
      { timezone: 'Europe/Berln', start: '08:00', stop: '20:00' },
      ['schedule.timezone: "Europe/Berln" is not an IANA time zone such as Asia/Bangkok or Europe/Berlin'],
    ],
    [
      'a zone in the wrong case',
      { timezone: 'europe/berlin', start: '08:00', stop: '20:00' },
      ['schedule.timezone: "europe/berlin" is spelled Europe/Berlin in the IANA database: write it so'],
    ],
    [
      'an offset instead of a zone',
      { timezone: '+07:00', start: '08:00', stop: '20:00' },
      ['schedule.timezone: "+07:00" is not an IANA time zone'],
    ],
    [
      'times not on the 24-hour clock',
      { start: '8am', stop: '24:00' },
      [
        'schedule.start: "8am" must be a time of day such as 08:00 (24 h)',
        'schedule.stop: "24:00" must be a time of day such as 08:00 (24 h)',
      ],
    ],
    [
      'days that are not days',
      { days: 'MON-FUN', start: '08:00', stop: '20:00' },
      ['schedule.days: "MON-FUN" must be days such as MON-FRI, MON,WED,FRI or SUN-SAT (every day)'],
    ],
    [
      'a range across the week-end (the week runs SUN to SAT)',
      { days: 'MON-SUN', start: '08:00', stop: '20:00' },
      [
        'schedule.days: "MON-SUN" must be days such as MON-FRI, MON,WED,FRI or SUN-SAT (every day): ' +
          'SUN MON TUE WED THU FRI SAT, a range from an earlier to a later day of that week',
      ],
    ],
    ['a start without a stop', { start: '08:00' }, ['schedule.stop: is required with the other of start/stop']],
    ['a stop equal to the start', { start: '08:00', stop: '08:00' }, ['schedule.stop: "08:00" must differ from start']],
    ['an idle stop too short', { idleStopMinutes: 5 }, ['schedule.idleStopMinutes: 5 must be at least 15 minutes']],
  ])('%s: exit 2 naming the key, the problem and the form, before any AWS call', async (_what, schedule, said) => {
    for (const command of [['up'], ['plan'], ['status']]) {
      const r = await run(command, schedule);
      expect(r.code, `${command[0]}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(`error: ${r.config} is not a valid devenv config:`);
      for (const line of said) expect(r.stderr).toContain(`  - ${line}`);
      expect(r.stderr).toMatch(/\n {2}fix: /);
      expect(r.calls, command[0]).toEqual([]);
    }
  });

  it('a zone with daylight saving and a stop past midnight are fine: plan --offline exits 0', async () => {
    const r = await run(['plan', '--offline'], { timezone: 'America/New_York', start: '22:00', stop: '06:00' });
    expect(r.code, r.stderr).toBe(0);
  });
});
