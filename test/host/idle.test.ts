/**
 * Idle stop on a real host (./lab.ts), with moto for AWS (issue 19): the idle check the schedule
 * phase installs decides from the host's connection tracking table whether anyone has an editor
 * open, and what it decides reaches CloudWatch under the dimension the idle alarm watches.
 *
 * The lab has no systemd: its `systemctl` (./lab/systemctl.sh) records the phase's calls, enables
 * the timer with the real systemctl, offline, and starts the service the way systemd would: its
 * ExecStart as root, from /, with only systemd's default PATH in its environment, inside the
 * sandbox its unit asks for. Each case starts it as the timer would. Office hours are checked at a
 * chosen instant: for those cases only, the manager's environment (`systemctl set-environment`)
 * puts first in PATH a `date` that answers for that instant (the machine's clock is not touched).
 */
import { DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import { describeResult, type Workspace } from '../integration/moto.js';
import type { EdgeProxy } from './edge.js';
import { HOST_USER } from './lab.js';
import { describeOnHost, useWorld, type World } from './world.js';

const SCRIPT = '/usr/local/lib/devenv/idle-check.sh';
const UNIT_DIR = '/etc/systemd/system';
const SERVICE = `${UNIT_DIR}/devenv-idle-check.service`;
const TIMER = `${UNIT_DIR}/devenv-idle-check.timer`;
/** What systemd gives a system service: its default PATH (merged /usr), and no other variable. */
const SYSTEMD_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin';
/** The test's clock for the office-hours cases: root's, on the host. */
const CLOCK_DIR = '/run/devenv-lab-clock';

const ZONE = 'Asia/Bangkok'; // UTC+7 all year
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];
/** The office day: three days from now in Bangkok, so that the real clock is outside the office hours. */
const officeDay = new Date(Date.now() + 3 * 86_400_000 + 7 * 3_600_000);
/** An instant on the office day at this Bangkok hour, in seconds since the epoch. */
const onOfficeDay = (hour: number) =>
  Date.UTC(officeDay.getUTCFullYear(), officeDay.getUTCMonth(), officeDay.getUTCDate(), hour - 7) / 1000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeOnHost('idle stop on a real host: the idle check decides, and CloudWatch gets it', () => {
  let world: World;
  let ws: Workspace;
  let edge: EdgeProxy;
  let systemctlCalls: () => Promise<string[]>;
  let instanceId: string;
  let ports: Record<string, number>;
  const developers = ['alice', 'bob'];

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(developers, {
      patch: (c) => {
        const days = DAYS[officeDay.getUTCDay()];
        c.schedule = { timezone: ZONE, days, start: '08:00', stop: '20:00', idleStopMinutes: 30 };
      },
    });
    await world.provision(ws);
    const state = await ws.state();
    instanceId = state.resources.instance.id;
    ports = Object.fromEntries(
      Object.entries(state.allocations as Record<string, { port: number }>).map(([d, a]) => [d, a.port]),
    );
    systemctlCalls = await world.lab.useSystemd();
    await world.lab.useInstanceMetadata(instanceId);
    edge = await world.startEdge(ws);
    await world.up(ws);
    await world.lab.exec(
      `install -d -m 0700 ${CLOCK_DIR} && printf '#!/bin/sh\\nexec /usr/bin/date -d "@$DEVENV_LAB_NOW" "$@"\\n' ` +
        `>${CLOCK_DIR}/date && chmod 0755 ${CLOCK_DIR}/date`,
    );
  });

  /** The idle alarm's metric, as the schedule phase made it. */
  const alarmMetric = async () => {
    const { cloudwatch } = await world.moto.clients();
    const alarms = (await cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? [];
    const idle = alarms.filter((a) => a.MetricName === 'DevenvInUse');
    expect(idle).toHaveLength(1);
    return { Namespace: idle[0]!.Namespace!, MetricName: idle[0]!.MetricName!, Dimensions: idle[0]!.Dimensions! };
  };

  /** The one value published at or after `since` (and within the minute) under the alarm's metric. */
  const publishedSince = async (since: Date): Promise<number> => {
    const { cloudwatch } = await world.moto.clients();
    const metric = await alarmMetric();
    const stat = (Stat: string) => ({ Id: Stat.toLowerCase(), MetricStat: { Metric: metric, Period: 60, Stat } });
    const r = await cloudwatch.send(
      new GetMetricDataCommand({
        MetricDataQueries: [stat('SampleCount'), stat('Maximum')],
        StartTime: since,
        EndTime: new Date(since.getTime() + 60_000),
      }),
    );
    const values = (id: string) => r.MetricDataResults?.find((m) => m.Id === id)?.Values;
    expect(values('samplecount'), 'one value published by this run').toEqual([1]);
    return values('maximum')![0]!;
  };

  /**
   * Starts the idle check's service as its timer does, at the real time or at `now` (seconds since
   * the epoch); returns what it logged and the value CloudWatch got from it.
   */
  const idleCheck = async (now?: number): Promise<{ log: string; published: number }> => {
    if (now !== undefined)
      await world.lab.systemctl(`set-environment PATH=${CLOCK_DIR}:${SYSTEMD_PATH} DEVENV_LAB_NOW=${now}`);
    try {
      // Each run in a second of its own, so that CloudWatch's values can be told apart.
      await sleep(1000 - (Date.now() % 1000) + 10);
      const since = new Date(Math.floor(Date.now() / 1000) * 1000);
      const log = (await world.lab.systemctl('start devenv-idle-check.service')).trim();
      return { log, published: await publishedSince(since) };
    } finally {
      if (now !== undefined) await world.lab.systemctl('unset-environment PATH DEVENV_LAB_NOW');
    }
  };

  /** Until the host's connection tracking table has no established connection to this port (a closed connection's FINs). */
  const closedOnHost = async (port: number) => {
    for (let i = 0; i < 50; i++) {
      const open = await world.lab.exec(`grep -c ' ESTABLISHED .* dport=${port} ' /proc/net/nf_conntrack || true`);
      if (open.trim() === '0') return;
      await sleep(200);
    }
    throw new Error(`the host still tracks an established connection to port ${port}`);
  };

  /** A request to a developer's URL through the load balancer's stand-in, as a browser sends it (no connection kept). */
  const viaEdge = async (developer: string, o: { method: string; path: string; headers: Record<string, string> }) => {
    const hostname = `${developer}.${(await ws.config()).baseDomain}`;
    return request({
      host: edge.address,
      port: 443,
      servername: hostname,
      ca: await readFile(edge.caFile),
      agent: false,
      method: o.method,
      path: o.path,
      headers: { Host: hostname, Origin: `https://${hostname}`, ...o.headers },
    });
  };

  /** A developer's editor open in a browser: logged in, its WebSocket held open through the load balancer's stand-in. */
  const openEditor = async (developer: string): Promise<Socket> => {
    const login = await viaEdge(developer, {
      method: 'POST',
      path: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    const cookie = new Promise<string>((resolve, reject) => {
      login.on('response', (res) => {
        res.resume();
        const found = res.headers['set-cookie']?.join(';').match(/code-server-session=[^;]+/)?.[0];
        if (found) resolve(found);
        else reject(new Error(`the login through the load balancer failed: HTTP ${res.statusCode}`));
      });
      login.on('error', reject);
    });
    login.end(new URLSearchParams({ password: await world.password(ws, developer) }).toString());
    const upgrade = await viaEdge(developer, {
      method: 'GET',
      path: '/?reconnectionToken=devenv-idle&reconnection=false&skipWebSocketFrames=false',
      headers: {
        Cookie: await cookie,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    return new Promise((resolve, reject) => {
      upgrade.on('upgrade', (_res, socket) => resolve(socket));
      upgrade.on('response', (res) => reject(new Error(`the editor's WebSocket was refused: HTTP ${res.statusCode}`)));
      upgrade.on('error', reject);
      upgrade.end();
    });
  };

  it('the schedule phase installed the check as root, in root-only places, and enabled its timer', async () => {
    const owners = await world.lab.exec(
      `stat -c '%U:%G %a %n' ${SCRIPT} ${SERVICE} ${TIMER} /usr/local/lib/devenv /usr/local/lib /usr/local /usr ` +
        `${UNIT_DIR} /etc/systemd /etc /`,
    );
    for (const line of owners.trim().split('\n')) {
      const [owner, mode] = line.split(' ');
      expect(owner, line).toBe('root:root');
      expect(Number.parseInt(mode!, 8) & 0o022, `${line}: writable by others than root`).toBe(0);
    }
    expect(owners).toContain(`root:root 755 ${SCRIPT}`);
    expect(await world.lab.exec(`grep '^PORTS=' ${SCRIPT}`)).toBe(`PORTS='${Object.values(ports).sort().join(' ')}'\n`);

    // (The monitoring phase asks `systemctl is-active` about rsyslog: a question, no change.)
    const changes = (await systemctlCalls()).filter((c) => !c.startsWith('is-active '));
    expect(changes).toEqual([
      'daemon-reload',
      'enable --now devenv-idle-check.timer',
      // The first run, in the service's sandbox: `up` fails if the check cannot report (the last test).
      'start devenv-idle-check.service',
    ]);
    expect(await world.lab.exec('SYSTEMD_OFFLINE=1 systemctl is-enabled devenv-idle-check.timer')).toBe('enabled\n');
    expect(await world.lab.exec(`readlink ${UNIT_DIR}/timers.target.wants/devenv-idle-check.timer`)).toBe(`${TIMER}\n`);
    // As systemd would load them: both units valid, the service's command there and executable.
    await world.lab.exec(`systemd-analyze verify ${SERVICE} ${TIMER}`);

    // The sandbox the lab's systemd runs it in is the unit's: nothing but its private /tmp is writable.
    await world.lab.exec(
      `printf '#!/bin/sh\\nfor d in /usr/local/lib/devenv /etc /var/lib /tmp; do touch "$d/x" 2>/dev/null && echo "$d"; done; true\\n' ` +
        `>/run/sandbox-probe && chmod 0755 /run/sandbox-probe && ` +
        `sed 's|^ExecStart=.*|ExecStart=/run/sandbox-probe|' ${SERVICE} >${UNIT_DIR}/devenv-lab-probe.service`,
    );
    expect(await world.lab.systemctl('start devenv-lab-probe.service')).toBe('/tmp\n');
  });

  it("one developer's editor open through the load balancer: in use (1), in CloudWatch too", async () => {
    const editor = await openEditor('alice');
    try {
      const { log, published } = await idleCheck();
      expect(log).toBe('DevenvInUse=1: 1 editor connection(s), outside the office hours');
      expect(published).toBe(1);
    } finally {
      editor.destroy();
    }
    // The load balancer's own connections come from outside the host, through Docker's NAT on the way in.
    const direct = connect({ host: world.lab.host, port: ports.bob! });
    await new Promise((resolve, reject) => direct.once('connect', resolve).once('error', reject));
    try {
      expect((await idleCheck()).log).toBe('DevenvInUse=1: 1 editor connection(s), outside the office hours');
    } finally {
      direct.destroy();
    }
  });

  it('every editor closed: idle (0)', async () => {
    for (const port of Object.values(ports)) await closedOnHost(port);
    const { log, published } = await idleCheck();
    expect(log).toBe('DevenvInUse=0: 0 editor connection(s), outside the office hours');
    expect(published).toBe(0);
  });

  it('only an SSH session to the host: idle (0)', async () => {
    const ssh = spawn(
      'ssh',
      [
        '-i',
        ws.keyPath,
        '-o',
        'StrictHostKeyChecking=no',
        '-o',
        'UserKnownHostsFile=/dev/null',
        '-o',
        'BatchMode=yes',
        `${HOST_USER}@${world.lab.host}`,
        'echo connected; sleep 60',
      ],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    try {
      await new Promise((resolve, reject) => {
        ssh.stdout.on('data', (d: Buffer) => d.toString().includes('connected') && resolve(undefined));
        ssh.once('exit', (code) => reject(new Error(`ssh exited (${code}) before it connected`)));
      });
      expect(await world.lab.exec("grep -c ' ESTABLISHED .* dport=22 ' /proc/net/nf_conntrack")).not.toBe('0\n');
      const { log, published } = await idleCheck();
      expect(log).toBe('DevenvInUse=0: 0 editor connection(s), outside the office hours');
      expect(published).toBe(0);
    } finally {
      ssh.kill();
    }
  });

  it('inside the office hours nobody connected is in use (1); after them, idle (0)', async () => {
    const inside = await idleCheck(onOfficeDay(10));
    expect(inside.log).toBe('DevenvInUse=1: 0 editor connection(s), inside the office hours');
    expect(inside.published).toBe(1);
    const after = await idleCheck(onOfficeDay(21));
    expect(after.log).toBe('DevenvInUse=0: 0 editor connection(s), outside the office hours');
    expect(after.published).toBe(0);
  });

  it("CloudWatch has the metric under exactly the alarm's dimension: this instance's id", async () => {
    const metric = await alarmMetric();
    expect(metric).toEqual({
      Namespace: 'CWAgent',
      MetricName: 'DevenvInUse',
      Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
    });
    const { cloudwatch } = await world.moto.clients();
    const listed = await cloudwatch.send(new ListMetricsCommand({ Namespace: 'CWAgent', MetricName: 'DevenvInUse' }));
    expect(listed.Metrics?.map((m) => m.Dimensions)).toEqual([metric.Dimensions]);
  });

  it('a host where the check cannot report: the schedule phase fails with its words, and passes once it can', async () => {
    await world.lab.exec(
      'cp -p /usr/local/bin/aws /run/aws.saved && printf \'#!/bin/sh\\necho "An error occurred (AccessDenied) ' +
        'when calling the PutMetricData operation: not authorized" >&2\\nexit 254\\n\' >/usr/local/bin/aws',
    );
    // Other office hours: another script, so the phase installs it again.
    await ws.editConfig((c) => {
      c.schedule.stop = '19:00';
    });
    const refused = await ws.cli(['phase', 'schedule']);
    expect(refused.code, describeResult(refused)).not.toBe(0);
    expect(refused.stderr).toContain('starting the idle check failed');
    expect(refused.stderr).toContain('AccessDenied');

    await world.lab.exec('mv /run/aws.saved /usr/local/bin/aws');
    const r = await ws.cli(['phase', 'schedule']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(await world.lab.exec(`grep '^STOP=' ${SCRIPT}`)).toBe("STOP='19:00'\n");
  });

  it('idleStopMinutes taken out of the config: the phase disables the timer and removes the check and its alarm', async () => {
    await ws.editConfig((c) => {
      delete c.schedule.idleStopMinutes;
    });
    const before = (await systemctlCalls()).length;
    const r = await ws.cli(['phase', 'schedule']);
    expect(r.code, describeResult(r)).toBe(0);
    expect((await systemctlCalls()).slice(before)).toEqual(['disable --now devenv-idle-check.timer', 'daemon-reload']);
    const left = await world.lab.exec(
      `for f in ${SCRIPT} ${SERVICE} ${TIMER} ${UNIT_DIR}/timers.target.wants/devenv-idle-check.timer; ` +
        'do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done',
    );
    expect(left).toBe('');
    const { cloudwatch } = await world.moto.clients();
    const alarms = (await cloudwatch.send(new DescribeAlarmsCommand({}))).MetricAlarms ?? [];
    expect(alarms.filter((a) => a.MetricName === 'DevenvInUse')).toEqual([]);
  });
});
