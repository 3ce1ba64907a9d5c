/**
 * Idle stop on a real host (./lab.ts), with moto for AWS (issue 19): the idle check the schedule
 * phase installs decides from the host's connection tracking table whether anyone has an editor
 * open, and what it decides reaches CloudWatch under the dimension the idle alarm watches.
 *
 * The lab has no systemd: its `systemctl` (Lab.useSystemd) records the phase's calls and enables
 * the timer with the real systemctl, offline; each case then runs the installed service's
 * ExecStart the way the timer would: as root, from /, with nothing in its environment but
 * systemd's default PATH, inside the sandbox its unit asks for (ProtectSystem=strict: every mount
 * read-only but /dev, /proc and /sys; ProtectHome=yes; PrivateTmp=yes), made here in a mount
 * namespace of the run's own. Office hours are checked at a chosen instant: only for those cases a
 * `date` that answers for that instant comes first in PATH (the machine's clock is not touched).
 */
import { DescribeAlarmsCommand, GetMetricDataCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { connect, type Socket } from 'node:net';
import { expect, it } from 'vitest';
import type { Workspace } from '../integration/moto.js';
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

/** Shell commands that make, in a new mount namespace, the sandbox each of these unit settings asks for (systemd.exec(5)). */
const SANDBOX: Record<string, string> = {
  'ProtectSystem=strict':
    "findmnt -rn -o TARGET | grep -Ev '^/(dev|proc|sys)(/|$)' | " +
    'while read -r m; do mount -o remount,bind,ro "$(printf %b "$m")" 2>/dev/null || true; done',
  'PrivateTmp=yes': 'for d in /tmp /var/tmp; do mount -t tmpfs -o mode=1777 private-tmp "$d"; done',
  'ProtectHome=yes':
    'for d in /home /root /run/user; do [ ! -d "$d" ] || mount -t tmpfs -o ro,mode=000 no-home "$d"; done',
};

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
   * Runs the idle check as its timer would (see the top of the file), at the real time or at `now`
   * (seconds since the epoch); returns what it logged and the value CloudWatch got from it.
   */
  const idleCheck = async (now?: number): Promise<{ log: string; published: number }> => {
    const env = now === undefined ? `PATH=${SYSTEMD_PATH}` : `PATH=${CLOCK_DIR}:${SYSTEMD_PATH} DEVENV_LAB_NOW=${now}`;
    // Each run in a second of its own, so that CloudWatch's values can be told apart.
    await sleep(1000 - (Date.now() % 1000) + 10);
    const since = new Date(Math.floor(Date.now() / 1000) * 1000);
    const log = (await asService(`env -i ${env} ${(await service()).execStart}`)).trim();
    return { log, published: await publishedSince(since) };
  };

  /** The installed service: its command, and the sandbox its settings ask for. */
  const service = async () => {
    const unit = await world.lab.exec(`cat ${SERVICE}`);
    const sandbox = Object.entries(SANDBOX).flatMap(([setting, make]) =>
      unit.includes(`\n${setting}\n`) ? [make] : [],
    );
    return { execStart: /^ExecStart=(.+)$/m.exec(unit)![1]!, sandbox };
  };

  /** Runs `command` as root on the host, from /, inside the service's sandbox. */
  const asService = async (command: string) => {
    const { sandbox } = await service();
    const script = [...sandbox, `cd / && ${command}`].join('\n');
    return world.lab.exec(`unshare --mount --propagation private bash -euc '${script.replace(/'/g, `'\\''`)}'`);
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
    expect(changes).toEqual(['daemon-reload', 'enable --now devenv-idle-check.timer']);
    expect(await world.lab.exec('SYSTEMD_OFFLINE=1 systemctl is-enabled devenv-idle-check.timer')).toBe('enabled\n');
    expect(await world.lab.exec(`readlink ${UNIT_DIR}/timers.target.wants/devenv-idle-check.timer`)).toBe(`${TIMER}\n`);
    // As systemd would load them: both units valid, the service's command there and executable.
    await world.lab.exec(`systemd-analyze verify ${SERVICE} ${TIMER}`);

    // The sandbox the cases run the check in is the unit's: nothing but its private /tmp is writable.
    expect((await service()).sandbox).toHaveLength(3);
    expect(
      await asService(
        'for d in /usr/local/lib/devenv /etc /var/lib /tmp; do touch "$d/x" 2>/dev/null && echo "$d"; done; true',
      ),
    ).toBe('/tmp\n');
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
});
