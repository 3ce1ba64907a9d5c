/**
 * Office hours and idle stop on the emulator (moto 5.2.1 implements EventBridge Scheduler: groups
 * with tags, schedules read back whole). What moto does not show (docs/aws-behaviour.md): it does not
 * run the schedules, nor check that the Scheduler may assume the role, nor refuse a second group of
 * the same name (CreateScheduleGroup overwrites it), nor act on an alarm's EC2 action.
 */
import { GetRoleCommand, GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeAlarmsCommand, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { GetScheduleCommand, ListTagsForResourceCommand, UpdateScheduleCommand } from '@aws-sdk/client-scheduler';
import { DescribeInstancesCommand, StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { rm, writeFile } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { crashAfterCall, crashPoints } from './crash.js';
import { diffInventory } from './inventory.js';
import { describeResult, MOTO_ACCOUNT, newWorkspace, PROJECT, REGION, type CliResult, type Workspace } from './moto.js';
import {
  expectConverged,
  expectedAfterDestroy,
  expectHostPhasesPendingOnly,
  expectNoMutatingCalls,
  expectSameInventory,
  HOST_PHASES,
  statusJson,
} from './expect.js';
import { describeMoto } from './suite.js';

const OFFICE_HOURS = { timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00', idleStopMinutes: 30 };
const GROUP = `${PROJECT}-schedule`;

const withSchedule =
  (schedule: Record<string, unknown> = OFFICE_HOURS) =>
  (c: Record<string, any>) => {
    c.schedule = schedule;
  };

const instanceOf = async (ws: Workspace) => (await ws.state()).resources.instance.id as string;

async function scheduleOf(ws: Workspace, action: 'start' | 'stop') {
  const aws = await ws.moto.clients();
  return aws.scheduler.send(new GetScheduleCommand({ GroupName: GROUP, Name: `${PROJECT}-${action}` }));
}

/** `HH:MM` in UTC, `hours` from now. */
const utcClock = (hours: number) => {
  const t = new Date(Date.now() + hours * 3_600_000);
  return `${String(t.getUTCHours()).padStart(2, '0')}:${String(t.getUTCMinutes()).padStart(2, '0')}`;
};

/**
 * What an `up` with a host records for the phases that log in to it (moto has none, so the harness skips them): the
 * filesystem, the developers' folders and containers, the end-to-end checks passed. With them, `status` has nothing
 * left to report but what it reads, so its exit code is that of the host's state. Returns what puts the phases back
 * as the harness left them (an `up` would otherwise log in to the host, for the logs it ships).
 */
async function recordHostPhasesDone(ws: Workspace, developers: string[]): Promise<() => Promise<void>> {
  const state = await ws.state();
  const before = Object.fromEntries(HOST_PHASES.map((p) => [p, state.phases[p]]));
  const at = new Date().toISOString();
  const outputs: Record<string, Record<string, unknown>> = {
    storage: {
      filesystemUuid: '0b7a3c9e-1d2f-4e5a-8b6c-7d8e9f0a1b2c',
      filesystemType: 'ext4',
      developers: developers.join(' '),
    },
    containers: { developers: developers.join(' ') },
    gate: {},
    test: { checkedAt: at, checks: developers.length + 1, failed: 0 },
  };
  for (const phase of HOST_PHASES) state.phases[phase] = { status: 'complete', updatedAt: at, outputs: outputs[phase] };
  await writeFile(ws.statePath, JSON.stringify(state), { mode: 0o600 });
  return async () => {
    const now = await ws.state();
    Object.assign(now.phases, before);
    await writeFile(ws.statePath, JSON.stringify(now), { mode: 0o600 });
  };
}

const sleepOf = (r: CliResult) => (statusJson(r) as unknown as { host: { sleep: string } }).host.sleep;

describeMoto('schedule: office hours and idle stop', (moto) => {
  it('two schedules in the local time zone, each a universal target on the host, run by a role only the Scheduler may assume for this account', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    const instance = await instanceOf(ws);
    for (const [action, expression] of [
      ['start', 'cron(0 8 ? * MON,TUE,WED,THU,FRI *)'],
      ['stop', 'cron(0 20 ? * MON,TUE,WED,THU,FRI *)'],
    ] as const) {
      const s = await scheduleOf(ws, action);
      expect(s.ScheduleExpression).toBe(expression);
      expect(s.ScheduleExpressionTimezone).toBe('Europe/Berlin');
      expect(s.State).toBe('ENABLED');
      expect(s.FlexibleTimeWindow?.Mode).toBe('OFF');
      expect(s.Target?.Arn).toBe(`arn:aws:scheduler:::aws-sdk:ec2:${action}Instances`);
      expect(JSON.parse(s.Target!.Input!)).toEqual({ InstanceIds: [instance] });
      expect(s.Target?.RoleArn).toBe(`arn:aws:iam::${MOTO_ACCOUNT}:role/${PROJECT}-scheduler-role`);
    }
    const group = await aws.scheduler.send(
      new ListTagsForResourceCommand({
        ResourceArn: `arn:aws:scheduler:${REGION}:${MOTO_ACCOUNT}:schedule-group/${GROUP}`,
      }),
    );
    expect(group.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'devenv:project', Value: PROJECT },
        { Key: 'devenv:resource', Value: 'schedule/group' },
      ]),
    );
    const role = (await aws.iam.send(new GetRoleCommand({ RoleName: `${PROJECT}-scheduler-role` }))).Role!;
    expect(JSON.parse(decodeURIComponent(role.AssumeRolePolicyDocument!)).Statement).toEqual([
      {
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: {
          StringEquals: { 'aws:SourceAccount': MOTO_ACCOUNT },
          ArnEquals: { 'aws:SourceArn': `arn:aws:scheduler:${REGION}:${MOTO_ACCOUNT}:schedule-group/${GROUP}` },
        },
      },
    ]);
    const policy = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: `${PROJECT}-scheduler-role`, PolicyName: `${PROJECT}-scheduler-policy` }),
    );
    expect(JSON.parse(decodeURIComponent(policy.PolicyDocument!)).Statement).toEqual([
      {
        Sid: 'StartStopTheHost',
        Effect: 'Allow',
        Action: ['ec2:StartInstances', 'ec2:StopInstances'],
        Resource: `arn:aws:ec2:${REGION}:${MOTO_ACCOUNT}:instance/${instance}`,
      },
    ]);
    const [alarm] =
      (await aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`${PROJECT}-idle-stop`] }))).MetricAlarms ??
      [];
    expect(alarm).toMatchObject({
      Namespace: 'CWAgent',
      MetricName: 'DevenvInUse',
      Dimensions: [{ Name: 'InstanceId', Value: instance }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 30,
      Threshold: 1,
      ComparisonOperator: 'LessThanThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [`arn:aws:automate:${REGION}:ec2:stop`],
    });
    const inventory = await ws.inventory();
    expect(inventory.tagProblems).toEqual([]);
    expect(inventory.items['schedule group']).toEqual([`schedule/group ${GROUP}`]);

    const again = await ws.cli(['up']);
    expectConverged(again, 'second up');
    expectNoMutatingCalls(again, 'a second up');
  }, 300_000);

  it('converges: a schedule changed by hand or by the config is put back whole; a replaced host is re-pointed', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    const start = await scheduleOf(ws, 'start');
    await aws.scheduler.send(
      new UpdateScheduleCommand({
        Name: start.Name,
        GroupName: GROUP,
        ScheduleExpression: 'cron(0 3 ? * SUN *)',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: start.Target!,
      }),
    );
    const fixed = await ws.cli(['up']);
    expectConverged(fixed);
    expect(fixed.calls.mutating).toEqual(['scheduler:UpdateSchedule']);
    expect((await scheduleOf(ws, 'start')).ScheduleExpression).toBe('cron(0 8 ? * MON,TUE,WED,THU,FRI *)');

    await ws.editConfig(withSchedule({ ...OFFICE_HOURS, timezone: 'Asia/Bangkok', stop: '18:30' }));
    const moved = await ws.cli(['up']);
    expectConverged(moved);
    expect(moved.calls.mutating.sort()).toEqual(['scheduler:UpdateSchedule', 'scheduler:UpdateSchedule']);
    expect((await scheduleOf(ws, 'stop')).ScheduleExpression).toBe('cron(30 18 ? * MON,TUE,WED,THU,FRI *)');
    expect((await scheduleOf(ws, 'start')).ScheduleExpressionTimezone).toBe('Asia/Bangkok');

    const old = await instanceOf(ws);
    await aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [old] }));
    expectConverged(await ws.cli(['up']));
    const replaced = await instanceOf(ws);
    expect(replaced).not.toBe(old);
    for (const action of ['start', 'stop'] as const)
      expect(JSON.parse((await scheduleOf(ws, action)).Target!.Input!)).toEqual({ InstanceIds: [replaced] });
    const policy = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: `${PROJECT}-scheduler-role`, PolicyName: `${PROJECT}-scheduler-policy` }),
    );
    expect(decodeURIComponent(policy.PolicyDocument!)).toContain(`instance/${replaced}`);
    // The idle alarm watches the new host; the wake page starts it and follows its state changes.
    const [alarm] =
      (await aws.cloudwatch.send(new DescribeAlarmsCommand({ AlarmNames: [`${PROJECT}-idle-stop`] }))).MetricAlarms ??
      [];
    expect(alarm?.Dimensions).toEqual([{ Name: 'InstanceId', Value: replaced }]);
    const fn = await aws.lambda.send(new GetFunctionCommand({ FunctionName: `${PROJECT}-wake` }));
    expect(fn.Configuration?.Environment?.Variables?.INSTANCE_ID).toBe(replaced);
    const pattern = JSON.parse(
      (await aws.events.send(new DescribeRuleCommand({ Name: `${PROJECT}-wake` }))).EventPattern!,
    );
    expect(pattern.detail['instance-id']).toEqual([replaced]);
    const wakePolicy = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: `${PROJECT}-wake-role`, PolicyName: `${PROJECT}-wake-policy` }),
    );
    const startHost = JSON.parse(decodeURIComponent(wakePolicy.PolicyDocument!)).Statement.find(
      (st: { Sid: string }) => st.Sid === 'StartThisHost',
    );
    expect(startHost.Resource).toBe(`arn:aws:ec2:${REGION}:${MOTO_ACCOUNT}:instance/${replaced}`);
    expectNoMutatingCalls(await ws.cli(['up']), 'an up after the re-pointing');
  }, 300_000);

  it('a lost state adopts the group, role, schedules and alarm and creates nothing; removed from the config, all go', async () => {
    const base = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await base.cli(['up']));
    const without = (await base.inventory()).items;

    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await ws.cli(['up']));
    const withIt = (await ws.inventory()).items;
    await rm(ws.statePath);
    const adopted = await ws.cli(['up']);
    expectConverged(adopted, 'up after a lost state');
    expect(adopted.calls.mutating.filter((c) => /Create|Put/.test(c))).toEqual([]);
    expectSameInventory((await ws.inventory()).items, withIt, 'after a lost state');

    await ws.editConfig((c) => delete c.schedule);
    const removed = await ws.cli(['up']);
    expectConverged(removed, 'up without a schedule');
    expect(removed.calls.mutating.sort()).toEqual(
      [
        'cloudwatch:DeleteAlarms',
        // The status-check alarm: a host that no longer sleeps on purpose alarms again when it stops reporting.
        'cloudwatch:PutMetricAlarm',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'scheduler:DeleteSchedule',
        'scheduler:DeleteSchedule',
        'scheduler:DeleteScheduleGroup',
        // The wake page goes with the schedule: a host that never sleeps needs none.
        'elbv2:DeleteTargetGroup',
        'events:RemoveTargets',
        'events:DeleteRule',
        'iam:DeleteRole',
        'iam:DeleteRolePolicy',
        'lambda:DeleteFunction',
        'logs:DeleteLogGroup',
      ].sort(),
    );
    expectSameInventory((await ws.inventory()).items, without, 'after removing the schedule');
    const again = await ws.cli(['up']);
    expectNoMutatingCalls(again, 'an up after the removal');
  }, 300_000);

  it('destroy leaves nothing of it, and so does the sweep after a lost state', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await ws.cli(['up']));
    const baseline = (await ws.inventory()).items;
    const destroyed = await ws.cli(['destroy', '--yes']);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    expectSameInventory((await ws.inventory()).items, expectedAfterDestroy(baseline, {}), 'after destroy');

    const lost = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await lost.cli(['up']));
    await rm(lost.statePath);
    const swept = await lost.cli(['destroy', '--yes']);
    expect(swept.code, describeResult(swept)).toBe(0);
    const left = (await lost.inventory()).items;
    // The sweep finds all of it by its tags: the schedules' group, both roles, the alarm, the wake page's function,
    // event rule, target group and log group; what is left is what any destroy keeps (the data volume, the secrets).
    expectSameInventory(left, expectedAfterDestroy(baseline, {}), 'after the sweep of a lost state');
    expect(left['schedule group']).toBeUndefined();
    expect(left.schedule).toBeUndefined();
    expect(left['iam role'] ?? []).toEqual([]);
    expect(left.alarm ?? []).toEqual([]);
  }, 300_000);

  it('for every k: the phase crashed after its mutating call k, then run again → one clean run, no duplicate, no orphan', async () => {
    const started = performance.now();
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await ws.cli(['up']));
    const without = (await ws.inventory()).items;
    await ws.editConfig(withSchedule());
    const clean = await ws.cli(['phase', 'schedule']);
    expectConverged(clean, 'phase schedule');
    const baseline = (await ws.inventory()).items;
    const points = crashPoints(clean.calls.changed);
    expect(points.map(([op]) => op)).toEqual(
      expect.arrayContaining([
        'scheduler:CreateScheduleGroup',
        'scheduler:CreateSchedule',
        'cloudwatch:PutMetricAlarm',
      ]),
    );
    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of points.entries()) {
      const label = `k=${k + 1}/${points.length} (after ${operation} #${occurrence})`;
      await ws.editConfig((c) => delete c.schedule);
      const reset = await ws.cli(['phase', 'schedule']);
      if (reset.code !== 0 || diffInventory(without, (await ws.inventory()).items).length) {
        problems.push(`${label}: removing the schedule did not leave the world as before: ${describeResult(reset)}`);
        continue;
      }
      await ws.editConfig(withSchedule());
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['phase', 'schedule'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined) {
        problems.push(`${label}: the crashed run never made that call (${describeResult(crashed)})`);
        continue;
      }
      const rerun = await ws.cli(['phase', 'schedule']);
      if (rerun.code !== 0) problems.push(`${label}: the rerun failed: ${describeResult(rerun)}`);
      const diff = diffInventory(baseline, (await ws.inventory()).items);
      if (diff.length) problems.push(`${label}: after the rerun, AWS holds ${diff.join('; ')}`);
      const third = await ws.cli(['phase', 'schedule']);
      if (third.calls.mutating.length) problems.push(`${label}: a third run made ${third.calls.mutating.join(', ')}`);
    }
    console.log(
      `schedule crashed after every k: ${points.length} points, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(problems, problems.join('\n')).toEqual([]);
  }, 600_000);

  it('for every mutating call destroy makes for the schedule and the wake page: crashed after it, a second destroy leaves what one clean destroy does', async () => {
    // crash.test.ts crashes destroy after every call of a world without a schedule; this crashes it only after the
    // calls that remove the office hours, the idle alarm and the wake page (the calls `up` makes when the config drops
    // `schedule`, each counted as often as it makes them), so it stays short.
    const ours = new Map([
      ['cloudwatch:DeleteAlarms', 1],
      ['scheduler:DeleteSchedule', 2],
      ['scheduler:DeleteScheduleGroup', 1],
      ['iam:DeleteRolePolicy', 2],
      ['iam:DeleteRole', 2],
      ['events:RemoveTargets', 1],
      ['events:DeleteRule', 1],
      ['lambda:DeleteFunction', 1],
      ['elbv2:DeleteTargetGroup', 1],
      ['logs:DeleteLogGroup', 1],
    ]);
    const started = performance.now();
    const clean = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await clean.cli(['up']));
    const baseline = (await clean.inventory()).items;
    const cleanDestroy = await clean.cli(['destroy', '--yes']);
    expect(cleanDestroy.code, describeResult(cleanDestroy)).toBe(0);
    const leftover = (await clean.inventory()).items;
    expectSameInventory(leftover, expectedAfterDestroy(baseline, {}), 'after a clean destroy');
    await clean.remove();
    const points = crashPoints(cleanDestroy.calls.changed).filter(([op, n]) => n <= (ours.get(op) ?? 0));
    expect(points.map(([op, n]) => `${op} #${n}`).sort()).toEqual(
      [...ours].flatMap(([op, times]) => Array.from({ length: times }, (_, i) => `${op} #${i + 1}`)).sort(),
    );
    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of points.entries()) {
      const label = `k=${k + 1}/${points.length} (after ${operation} #${occurrence})`;
      const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
      const up = await ws.cli(['up']);
      if (up.code !== 0) {
        problems.push(`${label}: the clean up failed: ${describeResult(up)}`);
        continue;
      }
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['destroy', '--yes'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: the destroy did not crash (${describeResult(crashed)})`);
        continue;
      }
      const again = await ws.cli(['destroy', '--yes']);
      if (again.code !== 0) problems.push(`${label}: the second destroy failed: ${describeResult(again)}`);
      const diff = diffInventory(leftover, (await ws.inventory()).items);
      if (diff.length) problems.push(`${label}: after destroying again, AWS holds ${diff.join('; ')}`);
      await ws.remove();
    }
    console.log(
      `schedule and wake page destroy crashed after each of their calls: ${points.length} points, ` +
        `${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(problems, problems.join('\n')).toEqual([]);
  }, 900_000);

  it('status exits 0 awake, asleep by hand and asleep by schedule, 1 for a host stopped by anything else; sleep says who used their editor', async () => {
    // Office hours far from now (UTC, every day): a stop now is nobody's but the one who made it.
    const far = { timezone: 'UTC', days: 'SUN-SAT', start: utcClock(12), stop: utcClock(6) };
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'], patch: withSchedule(far) });
    expectConverged(await ws.cli(['up']));
    const restoreHostPhases = await recordHostPhasesDone(ws, ['alice', 'bob']);
    const aws = await moto.server.clients();
    const instance = await instanceOf(ws);
    const status = async (what: string, code: number) => {
      const r = await ws.cli(['status', '--json']);
      expect(r.code, `status ${what}: ${describeResult(r)}`).toBe(code);
      expectNoMutatingCalls(r, `status ${what}`);
      return r;
    };

    const awake = await status('awake', 0);
    expect(statusJson(awake).problems).toEqual([]);
    expect(sleepOf(awake)).toMatch(new RegExp(`^awake, sleeps at \\w{3} \\d{4}-\\d\\d-\\d\\d ${far.stop} UTC$`));

    // Alice's editor sent requests through the load balancer in the last minutes (CloudWatch's AWS/ApplicationELB).
    const state = (await ws.state()).resources;
    await aws.cloudwatch.send(
      new PutMetricDataCommand({
        Namespace: 'AWS/ApplicationELB',
        MetricData: [
          {
            MetricName: 'RequestCount',
            Dimensions: [
              { Name: 'LoadBalancer', Value: state.alb.id.replace(/^.*:loadbalancer\//, '') },
              { Name: 'TargetGroup', Value: state['tg/alice'].id.replace(/^.*:(targetgroup\/)/, '$1') },
            ],
            Timestamp: new Date(Date.now() - 4 * 60_000),
            Value: 12,
            Unit: 'Count',
          },
        ],
      }),
    );
    const asked = await ws.cli(['sleep'], { answer: 'no' });
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toMatch(/in the last 15 minutes: alice \(12 requests\)\n/);
    expect(asked.stderr).toMatch(/Type yes to confirm/);
    expect(asked.calls.mutating).toEqual([]);
    const slept = await ws.cli(['sleep'], { answer: 'yes' });
    expect(slept.code, describeResult(slept)).toBe(0);
    expect(slept.calls.mutating).toEqual(['ec2:CreateTags', 'ec2:StopInstances']);
    const byHand = await status('asleep by hand', 0);
    expect(statusJson(byHand).problems).toEqual([]);
    expect(sleepOf(byHand)).toMatch(new RegExp(`^asleep since .* \\(by hand\\), wakes at .* ${far.start} UTC$`));
    expect((await ws.cli(['status'])).stdout).toMatch(/^host: asleep since .* \(by hand\)/m);

    expect((await ws.cli(['wake'])).calls.mutating).toEqual(['ec2:StartInstances', 'ec2:DeleteTags']);
    await aws.ec2.send(new StopInstancesCommand({ InstanceIds: [instance] }));
    const byOther = await status('stopped by someone else', 1);
    // The host's problem, and its editors' targets with it (while it sleeps on purpose, neither is one).
    expect(statusJson(byOther).problems).toEqual([
      `ec2 host ${instance} is stopped (up starts it)`,
      expect.stringMatching(/^alb target group itest-tg-alice of alice: .* unused/),
      expect.stringMatching(/^alb target group itest-tg-bob of bob: .* unused/),
    ]);
    expect(sleepOf(byOther)).toMatch(/^stopped, not by devenv/);

    // The office hours stop the host now: what their stop schedule does is StopInstances, and nothing else.
    await restoreHostPhases();
    const up = await ws.cli(['up']);
    expectConverged(up);
    expect(up.stderr).toMatch(
      new RegExp(`woke the host first: started instance ${instance} \\(it was stopped, not by devenv`),
    );
    const now = { ...far, stop: utcClock(0) };
    await ws.editConfig(withSchedule(now));
    expectConverged(await ws.cli(['up']));
    expect((await scheduleOf(ws, 'stop')).ScheduleExpression).toMatch(
      /^cron\(\d+ \d+ \? \* SUN,MON,TUE,WED,THU,FRI,SAT \*\)$/,
    );
    await recordHostPhasesDone(ws, ['alice', 'bob']);
    await aws.ec2.send(new StopInstancesCommand({ InstanceIds: [instance] }));
    const bySchedule = await status('asleep by schedule', 0);
    expect(sleepOf(bySchedule)).toMatch(new RegExp(`^asleep since .* \\(schedule\\), wakes at .* ${far.start} UTC$`));
  }, 300_000);

  it('sleep asks, tags and stops; status exits 0 asleep by hand or by schedule, 1 when stopped by someone else; wake starts it', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: withSchedule() });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    const instance = await instanceOf(ws);
    const stateOf = async () =>
      (await aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance] }))).Reservations![0]!.Instances![0]!;
    const awake = await ws.cli(['status']);
    expect(awake.stdout).toMatch(/host: awake, sleeps at \w{3} \d{4}-\d\d-\d\d 20:00 Europe\/Berlin/);

    const declined = await ws.cli(['sleep'], { answer: 'no' });
    expect(declined.code).not.toBe(0);
    expect(declined.stderr).toMatch(/nobody has used their editor in the last 15 minutes/);
    expect((await stateOf()).State?.Name).toBe('running');

    const slept = await ws.cli(['sleep', '--yes']);
    expect(slept.code, describeResult(slept)).toBe(0);
    expect(slept.calls.mutating).toEqual(['ec2:CreateTags', 'ec2:StopInstances']);
    expect(slept.calls.read).toEqual(['sts:GetCallerIdentity', 'ec2:DescribeInstances', 'cloudwatch:GetMetricData']);
    expect((await stateOf()).Tags).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ Key: 'devenv:asleep', Value: expect.stringMatching(/^by-hand /) }),
      ]),
    );
    // moto has no host to log in to: the host phases' lines are the only problems (no ec2 host, no target).
    const asleep = await ws.cli(['status', '--json']);
    expectHostPhasesPendingOnly(asleep);
    expect((statusJson(asleep) as any).host.sleep).toMatch(
      /^asleep since .* \(by hand\), wakes at .* 08:00 Europe\/Berlin/,
    );

    const woken = await ws.cli(['wake', '--wait']);
    expect(woken.code, describeResult(woken)).toBe(0);
    expect(woken.calls.mutating).toEqual(['ec2:StartInstances', 'ec2:DeleteTags']);
    expect((await stateOf()).State?.Name).toBe('running');
    expect(woken.stdout).toMatch(/awake: .* every developer's editor answers/);
    const again = await ws.cli(['wake']);
    expect(again.calls.mutating).toEqual([]);

    // Stopped by someone else, at a time no office hours stop: a problem, and `up` wakes it first and says so.
    await aws.ec2.send(new StopInstancesCommand({ InstanceIds: [instance] }));
    const stopped = await ws.cli(['status', '--json']);
    const hour = new Date().getUTCHours();
    if (hour !== 18 && hour !== 19) {
      expect(statusJson(stopped).problems.join('\n')).toMatch(/ec2 host i-\w+ is stopped/);
      expect((statusJson(stopped) as any).host.sleep).toMatch(/^stopped, not by devenv/);
    }
    const up = await ws.cli(['up']);
    expectConverged(up);
    expect(up.stderr).toMatch(/woke the host first: started instance i-\w+/);
  }, 300_000);

  it('a host stopped when the office hours stop it is asleep by schedule (status exit 0)', async () => {
    const now = new Date();
    const hhmm = `${String(now.getUTCHours()).padStart(2, '0')}:${String(now.getUTCMinutes()).padStart(2, '0')}`;
    const start = `${String((now.getUTCHours() + 12) % 24).padStart(2, '0')}:00`;
    const ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: withSchedule({ timezone: 'UTC', days: 'SUN-SAT', start, stop: hhmm }),
    });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    // What the Scheduler's stop schedule does: StopInstances, and nothing else.
    await aws.ec2.send(new StopInstancesCommand({ InstanceIds: [await instanceOf(ws)] }));
    const status = await ws.cli(['status', '--json']);
    expectHostPhasesPendingOnly(status);
    expect((statusJson(status) as any).host.sleep).toMatch(
      new RegExp(`^asleep since .* \\(schedule\\), wakes at .* ${start} UTC`),
    );
  }, 300_000);
});
