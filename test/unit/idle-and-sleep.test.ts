import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/load.js';
import { officeHoursOf } from '../../src/config/office-hours.js';
import { causeOf, describeSleep, sleepOf, stoppedAt } from '../../src/phases/schedule/sleep.js';
import { renderIdleCheck } from '../../src/remote/idle-check.js';
import { loadTemplate } from '../../src/remote/templates.js';
import { baseConfig } from '../helpers/context.js';

const schedule = { timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00', idleStopMinutes: 30 };
const model = buildModel(parseConfig(JSON.stringify({ ...baseConfig, developers: ['alice', 'bob'], schedule })));
const [alice, bob] = model.developers;

/** One conntrack line: a TCP connection from `src` to the host's port `dport`, in `state`. */
const conn = (src: string, dport: number, state = 'ESTABLISHED') =>
  `ipv4     2 tcp      6 431999 ${state} src=${src} dst=10.0.1.10 sport=51234 dport=${dport} ` +
  `src=172.17.0.2 dst=${src} sport=8080 dport=51234 [ASSURED] mark=0 use=1`;

/** Runs the rendered script's decision (sourced, so `main` does not run) on a conntrack table and a minute of the week. */
async function inUse(table: string[], weekMinute: number, config = model): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'devenv-idle-'));
  const script = join(dir, 'idle-check.sh');
  writeFileSync(script, renderIdleCheck(await loadTemplate('idle-check.sh'), config));
  writeFileSync(join(dir, 'table'), `${table.join('\n')}\n`);
  const run = spawnSync(
    'bash',
    [
      '-c',
      `source "$1"; decide "$(editor_connections <"$2")" "$3"`,
      'x',
      script,
      join(dir, 'table'),
      String(weekMinute),
    ],
    { encoding: 'utf8' },
  );
  expect(run.stderr).toBe('');
  return run.stdout.trim();
}

/**
 * Runs the rendered script's `main` as its timer would, with only these commands on PATH: awk, date and cat,
 * stand-ins for curl (the instance metadata) and aws (recording its calls), and `conntrack` printing `conntrackList`
 * when given. The kernel's table is read from `table` when given, else from nowhere.
 */
async function runMain(o: { table?: string[]; conntrackList?: string[]; config?: typeof model }) {
  const dir = mkdtempSync(join(tmpdir(), 'devenv-idle-'));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['awk', 'date', 'cat'])
    symlinkSync(spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim(), join(bin, tool));
  const stub = (name: string, body: string) => writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
  stub('curl', 'case "$*" in *api/token*) echo token ;; *instance-id*) echo i-0123456789abcdef0 ;; esac');
  stub('aws', `echo "$*" >>'${join(dir, 'aws.calls')}'`);
  if (o.conntrackList) {
    writeFileSync(join(dir, 'list'), `${o.conntrackList.join('\n')}\n`);
    stub('conntrack', `[ "$1" = -L ] && cat '${join(dir, 'list')}'`);
  }
  if (o.table) writeFileSync(join(dir, 'table'), `${o.table.join('\n')}\n`);
  const script = join(dir, 'idle-check.sh');
  writeFileSync(script, renderIdleCheck(await loadTemplate('idle-check.sh'), o.config ?? model));
  const run = spawnSync(
    'bash',
    ['-c', 'source "$1"; CONNTRACK_FILE="$2"; PATH="$3"; main', 'x', script, join(dir, 'table'), bin],
    { encoding: 'utf8' },
  );
  const calls = spawnSync('cat', [join(dir, 'aws.calls')], { encoding: 'utf8' }).stdout;
  return { code: run.status, stdout: run.stdout, stderr: run.stderr, aws: calls.split('\n').filter(Boolean) };
}

const at = (day: number, hh: number, mm = 0) => day * 1440 + hh * 60 + mm;
const SATURDAY_NOON = at(6, 12);
const TUESDAY_23 = at(2, 23);
const WEDNESDAY_10 = at(3, 10);

describe('idle check: whether the host is in use (1) or idle (0), each minute', () => {
  it('one editor open (its WebSocket through the load balancer), outside office hours: in use', async () => {
    expect(await inUse([conn('10.0.2.33', alice.port)], SATURDAY_NOON)).toBe('1');
  });

  it('all editors closed (only connections that ended): idle outside office hours', async () => {
    expect(await inUse([conn('10.0.2.33', alice.port, 'TIME_WAIT')], TUESDAY_23)).toBe('0');
    expect(await inUse([], SATURDAY_NOON)).toBe('0');
  });

  it('only SSH, or the host talking to itself: idle', async () => {
    expect(await inUse([conn('203.0.113.9', 22), conn('127.0.0.1', bob.port)], SATURDAY_NOON)).toBe('0');
    // The kernel's file writes IPv6 addresses in full.
    const loopback6 = conn('0000:0000:0000:0000:0000:0000:0000:0001', bob.port).replace('ipv4     2', 'ipv6     10');
    expect(await inUse([loopback6], SATURDAY_NOON)).toBe('0');
  });

  it('inside office hours nobody connected is still in use: the host stays up until the schedule stops it', async () => {
    expect(await inUse([], WEDNESDAY_10)).toBe('1');
    expect(await inUse([], at(3, 19, 59))).toBe('1');
    expect(await inUse([], at(3, 20, 0))).toBe('0');
    expect(await inUse([], at(1, 7, 59))).toBe('0');
  });

  it('office hours over midnight: in use from the start to the next morning, the week wrapping around', async () => {
    const night = buildModel(
      parseConfig(
        JSON.stringify({
          ...baseConfig,
          developers: ['alice'],
          schedule: { timezone: 'UTC', days: 'FRI-SAT', start: '22:00', stop: '06:00', idleStopMinutes: 15 },
        }),
      ),
    );
    expect(await inUse([], at(6, 23), night)).toBe('1'); // Saturday 23:00
    expect(await inUse([], at(0, 5, 59), night)).toBe('1'); // Sunday 05:59, after Saturday's start
    expect(await inUse([], at(0, 6), night)).toBe('0');
    expect(await inUse([], at(3, 12), night)).toBe('0');
  });

  it('no connection tracking table to read: the check fails and publishes nothing (the host is not stopped)', async () => {
    const r = await runMain({});
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('cannot read the connection tracking table');
    expect(r.stderr).toContain('install the conntrack package');
    expect(r.aws).toEqual([]);
  });

  it("a kernel without the table's file: conntrack -L's lines count the same, and the value goes to CloudWatch", async () => {
    const idleOnly = buildModel(
      parseConfig(JSON.stringify({ ...baseConfig, developers: ['alice'], schedule: { idleStopMinutes: 60 } })),
    );
    const port = idleOnly.developers[0].port;
    // `conntrack -L` starts each line with the protocol: no "ipv4 2" before it.
    const line = conn('10.0.2.33', port).replace(/^ipv4 +2 /, '');
    const r = await runMain({ conntrackList: [line], config: idleOnly });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.aws).toEqual([
      `cloudwatch put-metric-data --region ${idleOnly.region} --namespace CWAgent --metric-name DevenvInUse ` +
        '--dimensions InstanceId=i-0123456789abcdef0 --unit Count --value 1',
    ]);
    expect(r.stdout).toBe('DevenvInUse=1: 1 editor connection(s), outside the office hours\n');
    // The kernel's file, when there is one, comes first.
    expect((await runMain({ table: [], conntrackList: [line], config: idleOnly })).aws[0]).toMatch(/--value 0$/);
  });

  it('without office hours (idle stop alone), only editors count', async () => {
    const idleOnly = buildModel(
      parseConfig(JSON.stringify({ ...baseConfig, developers: ['alice'], schedule: { idleStopMinutes: 60 } })),
    );
    expect(await inUse([], WEDNESDAY_10, idleOnly)).toBe('0');
    expect(await inUse([conn('10.0.1.99', idleOnly.developers[0].port)], WEDNESDAY_10, idleOnly)).toBe('1');
  });
});

describe('asleep or stopped: what put the host to sleep, told by what each cause leaves', () => {
  const hours = officeHoursOf(schedule)!;
  const t = (iso: string) => Date.parse(iso);

  it("reads the time of EC2's stop reason (AWS says GMT, moto UTC)", () => {
    expect(stoppedAt('User initiated (2026-12-07 19:00:31 GMT)')).toBe(t('2026-12-07T19:00:31Z'));
    expect(stoppedAt('User initiated (2026-12-07 19:00:31 UTC)')).toBe(t('2026-12-07T19:00:31Z'));
    expect(stoppedAt('')).toBeUndefined();
  });

  it('by hand when the tag devenv sleep put was just before the stop; idle when the alarm acted then', () => {
    const stop = t('2026-12-07T13:00:10Z');
    expect(causeOf({ stop, taggedAt: t('2026-12-07T13:00:05Z'), hours })).toBe('by hand');
    expect(causeOf({ stop, idleActionAt: t('2026-12-07T12:59:50Z'), hours })).toBe('idle');
    // A tag from an earlier sleep does not make a later stop by someone else one by hand.
    expect(causeOf({ stop, taggedAt: t('2026-12-05T13:00:05Z'), hours })).toBeUndefined();
  });

  it("by schedule when the office hours' stop was just before (20:00 Berlin is 19:00 UTC in December)", () => {
    expect(causeOf({ stop: t('2026-12-07T19:00:31Z'), hours })).toBe('schedule');
    expect(causeOf({ stop: t('2026-12-07T19:45:00Z'), hours })).toBe('schedule'); // the Scheduler's retries
    expect(causeOf({ stop: t('2026-12-07T21:30:00Z'), hours })).toBeUndefined();
    expect(causeOf({ stop: t('2026-12-07T19:00:31Z') })).toBeUndefined(); // no office hours
  });

  it('status says asleep since … wakes at …, awake sleeps at …, or stopped not by devenv', () => {
    const ctx = { config: model.config, model };
    const now = t('2026-12-07T20:00:00Z');
    const stopped = {
      InstanceId: 'i-1',
      State: { Name: 'stopped' as const },
      StateTransitionReason: 'User initiated (2026-12-07 19:00:31 GMT)',
    };
    expect(describeSleep(sleepOf(ctx, stopped, now, undefined))).toBe(
      'asleep since Mon 2026-12-07 20:00 Europe/Berlin (19:00 UTC) (schedule), ' +
        'wakes at Tue 2026-12-08 08:00 Europe/Berlin (07:00 UTC)',
    );
    expect(describeSleep(sleepOf(ctx, { InstanceId: 'i-1', State: { Name: 'running' } }, now, undefined))).toBe(
      'awake, sleeps at Tue 2026-12-08 20:00 Europe/Berlin (19:00 UTC)',
    );
    const byOther = { ...stopped, StateTransitionReason: 'User initiated (2026-12-07 15:00:00 GMT)' };
    expect(sleepOf(ctx, byOther, now, undefined).asleep).toBeUndefined();
    expect(describeSleep(sleepOf(ctx, byOther, now, undefined))).toMatch(/^stopped, not by devenv/);
  });
});
