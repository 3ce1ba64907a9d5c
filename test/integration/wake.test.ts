/**
 * The wake page on moto: the function, its role, its target group with the function registered, who may invoke it,
 * the EventBridge rule on the host's state changes and its target; a converged second `up`; a lost state adopted;
 * `destroy` leaving none of it; and `up` not flipping back a rule the function pointed at its page.
 *
 * What moto 5.2.1 cannot show (docs/aws-behaviour.md#moto-differences; unit-tested in test/unit/wake-*.test.ts):
 * - it cannot run the function (no Docker here) and sends no state-change events: the handler is unit-tested;
 * - RegisterTargets accepts a function the load balancer may not invoke yet (AWS refuses it), and AddPermission
 *   accepts a statement id twice (AWS answers ResourceConflictException): the order and the check are unit-tested.
 */
import { unlink } from 'node:fs/promises';
import { GetFunctionCommand } from '@aws-sdk/client-lambda';
import { GetRolePolicyCommand } from '@aws-sdk/client-iam';
import { DescribeRuleCommand } from '@aws-sdk/client-eventbridge';
import { DescribeRulesCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeInstancesCommand, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { expect, it, vi } from 'vitest';
import { crashAfterCall, crashPoints } from './crash.js';
import { expectConverged, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { diffInventory } from './inventory.js';
import { describeResult, MOTO_ACCOUNT, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

/** The host may sleep (`devenv sleep`), so it has a wake page: `schedule` without office hours or idle stop. */
const canSleep = (c: Record<string, any>) => {
  c.schedule = {};
};

/** `up` without the wake phase (and, as the harness does without a host, without the phases that log in to it). */
const upWithoutWake = (ws: Workspace) =>
  ws.cli(['up', '--skip', 'storage,containers,test,wake', '--config', ws.configPath, '--state', ws.statePath], {
    bare: true,
  });
const wakeCalls = (calls: string[]) => calls.filter((c) => /^(lambda|events):/.test(c));

describeMoto('the wake page', (moto) => {
  it('up makes the function, its role, group, permissions and event rule; a second up changes nothing', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'], patch: canSleep });
    const first = await ws.cli(['up']);
    expectConverged(first);
    const inv = (await ws.inventory()).items;
    expect(inv['lambda function']).toEqual([
      'wake/function itest-wake nodejs24.x index.handler 128MiB 300s role=itest-wake-role ' +
        'env=INSTANCE_ID,LISTENER_ARN,PROJECT,VPC_ID,WAKE_TARGET_GROUP_ARN ' +
        'invokers=devenv-elb:elasticloadbalancing.amazonaws.com←wake/tg,devenv-events:events.amazonaws.com←wake/events',
    ]);
    expect(inv['eventbridge rule']).toEqual([
      'wake/events itest-wake ENABLED source=aws.ec2 states=stopping,stopped,pending,running instance=instance ' +
        'targets=wake-page→wake/function',
    ]);
    expect(inv['target group']?.filter((g) => g.startsWith('wake/'))).toEqual([
      expect.stringMatching(/^wake\/tg itest-wake .* targets=function itest-wake$/),
    ]);
    expect(inv['iam role']).toContain('itest-wake-role');
    expect(inv['iam inline policy']).toContain('itest-wake-role/itest-wake-policy');
    expect(inv['log group']).toContain('/aws/lambda/itest-wake');

    const aws = await moto.server.clients();
    const fn = await aws.lambda.send(new GetFunctionCommand({ FunctionName: 'itest-wake' }));
    const instance = (await ws.state()).resources.instance!.id!;
    expect(fn.Configuration?.Environment?.Variables).toMatchObject({ INSTANCE_ID: instance, PROJECT: 'itest' });
    expect(fn.Tags).toMatchObject({
      'devenv:project': 'itest',
      'devenv:resource': 'wake/function',
      ManagedBy: 'devenv',
    });
    const policy = JSON.parse(
      decodeURIComponent(
        (await aws.iam.send(new GetRolePolicyCommand({ RoleName: 'itest-wake-role', PolicyName: 'itest-wake-policy' })))
          .PolicyDocument!,
      ),
    );
    const allowed = Object.fromEntries(policy.Statement.map((s: any) => [s.Sid, [s.Action, s.Resource]]));
    expect(allowed.StartThisHost).toEqual([
      'ec2:StartInstances',
      `arn:aws:ec2:us-east-1:${MOTO_ACCOUNT}:instance/${instance}`,
    ]);
    expect(allowed.SwitchTheseRules[0]).toBe('elasticloadbalancing:ModifyRule');
    expect(allowed.SwitchTheseRules[1]).toMatch(/:listener-rule\/app\/itest-alb\/\w+\/\w+\/\*$/);
    expect(allowed.WriteOwnLogs[1]).toBe(`arn:aws:logs:us-east-1:${MOTO_ACCOUNT}:log-group:/aws/lambda/itest-wake:*`);
    const pattern = JSON.parse((await aws.events.send(new DescribeRuleCommand({ Name: 'itest-wake' }))).EventPattern!);
    expect(pattern).toEqual({
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { 'instance-id': [instance], state: ['stopping', 'stopped', 'pending', 'running'] },
    });

    const second = await ws.cli(['up']);
    expectConverged(second, 'second up');
    expectNoMutatingCalls(second, 'a converged up');
    // The function, its policy, the event rule, its tags and targets: each read once.
    expect(wakeCalls(second.calls.read).sort()).toEqual([
      'events:DescribeRule',
      'events:ListTagsForResource',
      'events:ListTargetsByRule',
      'lambda:GetFunction',
      'lambda:GetPolicy',
    ]);
    expectSameInventory((await ws.inventory()).items, inv, 'after a second up');

    // Asleep: the function pointed alice's rule at its page. `up` leaves it there (the function switches it back).
    const listener = (await ws.state()).resources['listener/https']!.id!;
    const wakeGroup = (await ws.state()).resources['wake/tg']!.id!;
    const rules = (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules!;
    const alice = rules.find((r) => r.Conditions?.[0]?.HostHeaderConfig?.Values?.[0]?.startsWith('alice.'))!;
    await aws.elbv2.send(
      new ModifyRuleCommand({ RuleArn: alice.RuleArn, Actions: [{ Type: 'forward', TargetGroupArn: wakeGroup }] }),
    );
    const asleep = await ws.cli(['up']);
    expectConverged(asleep, 'up while asleep');
    expect(asleep.calls.mutating, 'up flipped the rule back while the host sleeps').toEqual([]);
    expect(
      (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listener }))).Rules!.find(
        (r) => r.RuleArn === alice.RuleArn,
      )!.Actions![0]!.TargetGroupArn,
    ).toBe(wakeGroup);
    const plan = await ws.cli(['plan']);
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.stdout).not.toMatch(/rule for alice|forward to/);

    // A lost state: everything is found again by its name and tags, nothing is made twice.
    await unlink(ws.statePath);
    const adopted = await ws.cli(['up']);
    expectConverged(adopted, 'up after the state was lost');
    expect(wakeCalls(adopted.calls.mutating)).toEqual([]);
    expect(adopted.calls.mutating.filter((c) => /CreateRole|CreateTargetGroup|CreateLogGroup/.test(c))).toEqual([]);

    // destroy: none of it is left, even with a rule on the wake page.
    const destroyed = await ws.cli(['destroy', '--yes']);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    const after = (await ws.inventory()).items;
    expect(after['lambda function']).toBeUndefined();
    expect(after['eventbridge rule']).toBeUndefined();
    expect(after['target group']).toBeUndefined();
    expect(after['iam role']).toBeUndefined();
    expect(after['log group']).toBeUndefined();
    await ws.remove();
  }, 300_000);

  it("the function's own code, run with its deployed environment against the emulator: asleep, every rule shows the page; awake, each goes back", async () => {
    // moto cannot run the function (no Docker) nor send EC2's state events: this test does both, with the code devenv
    // zipped and the environment `up` gave the function, read back from Lambda. This process's SDK points at moto.
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'], patch: canSleep });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    const env = (await aws.lambda.send(new GetFunctionCommand({ FunctionName: 'itest-wake' }))).Configuration!
      .Environment!.Variables!;
    const state = (await ws.state()).resources;
    const instance = state.instance!.id!;
    const wakeGroup = state['wake/tg']!.id!;
    const own = { alice: state['tg/alice']!.id!, bob: state['tg/bob']!.id! };
    const forwards = async () =>
      Object.fromEntries(
        (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: env.LISTENER_ARN })))
          .Rules!.filter((r) => !r.IsDefault)
          .map((r) => [
            r.Conditions![0]!.HostHeaderConfig!.Values![0]!.split('.')[0],
            r.Actions!.find((a) => a.Type === 'forward')!.TargetGroupArn,
          ]),
      );
    expect(await forwards()).toEqual(own);
    const event = (s: string) => ({
      source: 'aws.ec2',
      'detail-type': 'EC2 Instance State-change Notification',
      detail: { 'instance-id': instance, state: s },
    });
    const hostState = async () =>
      (await aws.ec2.send(new DescribeInstancesCommand({ InstanceIds: [instance] }))).Reservations![0]!.Instances![0]!
        .State!.Name;
    for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
    try {
      const { handler } = await import('../../lambda/wake-page/index.mjs');
      await aws.ec2.send(new StopInstancesCommand({ InstanceIds: [instance] }));
      expect(await handler(event('stopped'))).toEqual({ toWake: ['alice.dev.example.com', 'bob.dev.example.com'] });
      expect(await forwards()).toEqual({ alice: wakeGroup, bob: wakeGroup });
      // The rules as the function left them are what `up` and `status` take for a sleeping host.
      expectNoMutatingCalls(await ws.cli(['phase', 'https']), 'phase https while asleep');

      const page = await handler({
        requestContext: { elb: { targetGroupArn: wakeGroup } },
        httpMethod: 'GET',
        path: '/',
        headers: { host: 'alice.dev.example.com' },
      });
      expect(page.statusCode).toBe(503);
      expect(page.body).toContain('<h1>alice\'s editor <span id="state">is asleep</span></h1>');
      const woken = await handler({
        requestContext: { elb: { targetGroupArn: wakeGroup } },
        httpMethod: 'POST',
        path: '/.devenv/wake',
        headers: { host: 'alice.dev.example.com', origin: 'https://alice.dev.example.com' },
      });
      expect(JSON.parse(woken.body)).toEqual({ devenv: 'wake', instance: 'pending' });
      expect(await hostState()).not.toBe('stopped');

      // An event of another instance changes nothing; running points each rule back at its developer's group.
      expect(await handler({ ...event('stopped'), detail: { 'instance-id': 'i-0other', state: 'stopped' } })).toEqual({
        ignored: 'i-0other',
      });
      await aws.ec2.send(new StartInstancesCommand({ InstanceIds: [instance] }));
      expect(await handler(event('running'), { getRemainingTimeInMillis: () => 20_000 })).toEqual({
        back: ['alice.dev.example.com', 'bob.dev.example.com'],
      });
      expect(await forwards()).toEqual(own);
    } finally {
      vi.unstubAllEnvs();
    }
    expectNoMutatingCalls(await ws.cli(['up']), 'up once the function switched the rules back');
    await ws.remove();
  }, 300_000);

  it("for every mutating call of the wake phase: crashed right after it, the rerun ends with one clean run's resources", async () => {
    // The full `up` of crash.test.ts covers these calls too; this one crashes only `devenv phase wake`, so it is quick.
    const started = performance.now();
    const clean = await newWorkspace(moto.server, { developers: ['alice'], patch: canSleep });
    expectConverged(await upWithoutWake(clean));
    const first = await clean.cli(['phase', 'wake']);
    expectConverged(first, 'phase wake');
    const baseline = (await clean.inventory()).items;
    await clean.remove();
    const points = crashPoints(first.calls.changed);
    expect(points.map(([op]) => op)).toEqual([
      'iam:CreateRole',
      'iam:PutRolePolicy',
      'logs:CreateLogGroup',
      'logs:PutRetentionPolicy',
      'elbv2:CreateTargetGroup',
      'lambda:CreateFunction',
      'events:PutRule',
      'lambda:AddPermission',
      'lambda:AddPermission',
      'elbv2:RegisterTargets',
      'events:PutTargets',
    ]);
    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of points.entries()) {
      const label = `k=${k + 1}/${points.length} (after ${operation}${occurrence > 1 ? ` #${occurrence}` : ''})`;
      const ws = await newWorkspace(moto.server, { developers: ['alice'], patch: canSleep });
      expectConverged(await upWithoutWake(ws));
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['phase', 'wake'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) problems.push(`${label}: did not crash`);
      const rerun = await ws.cli(['phase', 'wake']);
      if (rerun.code !== 0) problems.push(`${label}: the rerun failed: ${describeResult(rerun)}`);
      const inv = await ws.inventory();
      const diff = diffInventory(baseline, inv.items);
      if (diff.length) problems.push(`${label}: AWS holds ${diff.join('; ')}`);
      if (inv.tagProblems.length) problems.push(`${label}: ${inv.tagProblems.join('; ')}`);
      const third = await ws.cli(['phase', 'wake']);
      if (third.calls.mutating.length) problems.push(`${label}: a third run made ${third.calls.mutating.join(', ')}`);
      await ws.remove();
    }
    console.log(`wake crash points: ${points.length}, ${((performance.now() - started) / 1000).toFixed(1)} s`);
    expect(problems, problems.join('\n')).toEqual([]);
  }, 900_000);
});
