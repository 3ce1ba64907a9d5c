import { DescribeInstancesCommand, EC2Client, StartInstancesCommand } from '@aws-sdk/client-ec2';
import {
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { actionsForwardingTo, handler, page, STATUS_PATH, WAKE_PATH } from '../../lambda/wake-page/index.mjs';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

/**
 * The wake page's handler (lambda/wake-page/index.mjs) as the Lambda runtime runs it, with the SDK it imports (the
 * runtime's own v3) faked: the page, the wake button, the status poll, and the switch of the rules on each state event.
 */

const ec2 = sdkMock(EC2Client);
const elb = sdkMock(ElasticLoadBalancingV2Client);

const INSTANCE = 'i-0123456789abcdef0';
const LISTENER = 'arn:aws:elasticloadbalancing:us-east-1:1:listener/app/demo-alb/50dc6c495c0c9188/f2f7dc8efc522ab2';
const WAKE_TG = 'arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-wake/1111111111111111';
const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/demo-tg-${name}/2222222222222222`;
const OIDC = {
  Type: 'authenticate-oidc' as const,
  Order: 1,
  AuthenticateOidcConfig: {
    Issuer: 'https://id.example.com',
    ClientId: 'devenv',
    AuthorizationEndpoint: 'https://id.example.com/authorize',
    TokenEndpoint: 'https://id.example.com/token',
    UserInfoEndpoint: 'https://id.example.com/userinfo',
    SessionTimeout: 43200,
  },
};
const rule = (name: string, forwardTo: string, withAuth = true): Rule => ({
  RuleArn: `${LISTENER.replace(':listener/', ':listener-rule/')}/${name}`,
  Priority: '10',
  IsDefault: false,
  Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [`${name}.dev.example.com`] } }],
  Actions: [
    ...(withAuth ? [OIDC] : []),
    {
      Type: 'forward',
      Order: withAuth ? 2 : 1,
      TargetGroupArn: forwardTo,
      ForwardConfig: { TargetGroups: [{ TargetGroupArn: forwardTo, Weight: 1 }] },
    },
  ],
});

function world(o: { state: string; rules: Rule[]; healthy?: string[] }) {
  ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ State: { Name: o.state as never } }] }] });
  ec2.on(StartInstancesCommand).resolves({});
  elb.on(DescribeRulesCommand).resolves({ Rules: [{ RuleArn: 'default', IsDefault: true, Actions: [] }, ...o.rules] });
  elb.on(DescribeTargetGroupsCommand).resolves({
    TargetGroups: [
      ...['alice', 'bob'].map((n) => ({ TargetGroupArn: tg(n), VpcId: 'vpc-1', TargetType: 'instance' as const })),
      { TargetGroupArn: WAKE_TG, TargetType: 'lambda' },
      // Another project's group in the same VPC: never a rule's own group here.
      { TargetGroupArn: tg('mallory'), VpcId: 'vpc-1', TargetType: 'instance' },
    ],
  });
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((arn) => {
      const name = /demo-tg-(\w+)/.exec(arn)![1]!;
      return {
        ResourceArn: arn,
        Tags: [
          { Key: 'devenv:project', Value: name === 'mallory' ? 'other' : 'demo' },
          { Key: 'devenv:resource', Value: `tg/${name}` },
        ],
      };
    }),
  }));
  elb.on(DescribeTargetHealthCommand).callsFake((input: { TargetGroupArn: string }) => ({
    TargetHealthDescriptions: [
      {
        TargetHealth: { State: (o.healthy ?? []).some((n) => tg(n) === input.TargetGroupArn) ? 'healthy' : 'initial' },
      },
    ],
  }));
  // The listener as AWS keeps it: a modified rule reads back modified.
  elb.on(ModifyRuleCommand).callsFake((input: { RuleArn: string; Actions: Rule['Actions'] }) => {
    const r = o.rules.find((x) => x.RuleArn === input.RuleArn)!;
    r.Actions = input.Actions;
    return { Rules: [r] };
  });
}

const request = (method: string, path: string, headers: Record<string, string> = {}) => ({
  requestContext: { elb: { targetGroupArn: WAKE_TG } },
  httpMethod: method,
  path,
  headers: { host: 'alice.dev.example.com', ...headers },
  body: '',
  isBase64Encoded: false,
});
const stateEvent = (state: string, instance = INSTANCE) => ({
  source: 'aws.ec2',
  'detail-type': 'EC2 Instance State-change Notification',
  detail: { 'instance-id': instance, state },
});
const modified = () =>
  elb.commandCalls(ModifyRuleCommand).map((c) => ({
    rule: c.args[0].input.RuleArn!.split('/').at(-1),
    to: c.args[0].input.Actions!.find((a) => a.Type === 'forward')!.TargetGroupArn,
    actions: c.args[0].input.Actions!,
  }));

beforeEach(() => {
  resetSdkMocks();
  vi.stubEnv('INSTANCE_ID', INSTANCE);
  vi.stubEnv('LISTENER_ARN', LISTENER);
  vi.stubEnv('WAKE_TARGET_GROUP_ARN', WAKE_TG);
  vi.stubEnv('PROJECT', 'demo');
  vi.stubEnv('VPC_ID', 'vpc-1');
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.useRealTimers();
});

describe('the page', () => {
  it('says whose editor it is and that it is asleep, with the button, as a 503 that no cache keeps', async () => {
    world({ state: 'stopped', rules: [] });
    const r = await handler(request('GET', '/some/deep/link'));
    expect(r.statusCode).toBe(503);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.body).toContain('<h1>alice\'s editor <span id="state">is asleep</span></h1>');
    expect(r.body).toMatch(/<button type="submit">Wake it up<\/button>/);
    expect(r.body).toContain(`action="${WAKE_PATH}"`);
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
  });

  it('escapes the name it takes from the Host header', () => {
    const html = page('<img src=x onerror=alert(1)>"\'&', 'stopped');
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;&quot;&#39;&amp;');
  });

  it('while the host starts, the button is off and the page polls the status by itself', async () => {
    world({ state: 'pending', rules: [] });
    const r = await handler(request('GET', '/'));
    expect(r.body).toContain('is waking up');
    expect(r.body).toMatch(/<button type="submit" disabled>/);
    expect(r.body).toContain(`fetch('${STATUS_PATH}'`);
    expect(r.body).toMatch(/\nsetTimeout\(poll, 5000\);\n<\/script>/);
  });
});

describe('the wake button', () => {
  it('starts this instance when it is stopped', async () => {
    world({ state: 'stopped', rules: [] });
    const r = await handler(request('POST', WAKE_PATH, { origin: 'https://alice.dev.example.com' }));
    expect(r.statusCode).toBe(202);
    expect(JSON.parse(r.body)).toEqual({ devenv: 'wake', instance: 'pending' });
    expect(ec2.commandCalls(StartInstancesCommand).map((c) => c.args[0].input)).toEqual([{ InstanceIds: [INSTANCE] }]);
  });

  it('does not start an instance that is still stopping (AWS would refuse it): it says so, the page retries', async () => {
    world({ state: 'stopping', rules: [] });
    const r = await handler(request('POST', WAKE_PATH));
    expect(JSON.parse(r.body)).toEqual({ devenv: 'wake', instance: 'stopping' });
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
  });

  it('refuses a post from another site', async () => {
    world({ state: 'stopped', rules: [] });
    const r = await handler(request('POST', WAKE_PATH, { origin: 'https://evil.example.net' }));
    expect(r.statusCode).toBe(403);
    expect(ec2.commandCalls(StartInstancesCommand)).toHaveLength(0);
  });
});

describe('the status the page polls', () => {
  it('while the host starts: not ready, and no rule changes', async () => {
    world({ state: 'pending', rules: [rule('alice', WAKE_TG)] });
    const r = await handler(request('GET', STATUS_PATH));
    expect(JSON.parse(r.body)).toEqual({ devenv: 'wake', developer: 'alice', instance: 'pending', ready: false });
    expect(modified()).toEqual([]);
  });

  it("once running and alice's target is healthy: her rule goes back to her group, the page opens the editor", async () => {
    world({ state: 'running', rules: [rule('alice', WAKE_TG), rule('bob', WAKE_TG)], healthy: ['alice'] });
    const r = await handler(request('GET', STATUS_PATH));
    expect(JSON.parse(r.body)).toMatchObject({ instance: 'running', ready: true });
    expect(modified().map(({ rule, to }) => ({ rule, to }))).toEqual([{ rule: 'alice', to: tg('alice') }]);
  });

  it('running but her target is not healthy yet: not ready, the rule stays on the wake page', async () => {
    world({ state: 'running', rules: [rule('alice', WAKE_TG)], healthy: [] });
    const r = await handler(request('GET', STATUS_PATH));
    expect(JSON.parse(r.body)).toMatchObject({ ready: false });
    expect(modified()).toEqual([]);
  });
});

describe('the state-change events', () => {
  for (const state of ['stopping', 'stopped', 'pending']) {
    it(`${state}: every developer's rule of this project forwards to the wake page, the authenticate action kept`, async () => {
      world({
        state,
        rules: [rule('alice', tg('alice')), rule('bob', tg('bob'), false), rule('mallory', tg('mallory'))],
      });
      await handler(stateEvent(state));
      const calls = modified();
      expect(calls.map(({ rule, to }) => ({ rule, to }))).toEqual([
        { rule: 'alice', to: WAKE_TG },
        { rule: 'bob', to: WAKE_TG },
      ]);
      // As read, but the secret AWS never returns: the load balancer keeps the one it has.
      expect(calls[0]!.actions).toEqual([
        { ...OIDC, AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig, UseExistingClientSecret: true } },
        { Type: 'forward', Order: 2, TargetGroupArn: WAKE_TG },
      ]);
      expect(calls[1]!.actions).toEqual([{ Type: 'forward', Order: 1, TargetGroupArn: WAKE_TG }]);
    });
  }

  it('a rule already on the wake page is not modified again', async () => {
    world({ state: 'stopped', rules: [rule('alice', WAKE_TG)] });
    await handler(stateEvent('stopped'));
    expect(modified()).toEqual([]);
  });

  it("another instance's events change nothing", async () => {
    world({ state: 'stopped', rules: [rule('alice', tg('alice'))] });
    expect(await handler(stateEvent('stopped', 'i-other'))).toEqual({ ignored: 'i-other' });
    expect(modified()).toEqual([]);
  });

  it('running: each rule goes back to its own group as soon as that group is healthy', async () => {
    world({ state: 'running', rules: [rule('alice', WAKE_TG), rule('bob', WAKE_TG)], healthy: ['alice', 'bob'] });
    const out = await handler(stateEvent('running'), { getRemainingTimeInMillis: () => 300_000 });
    expect(out).toEqual({ back: ['alice.dev.example.com', 'bob.dev.example.com'] });
    expect(modified().map(({ rule, to }) => ({ rule, to }))).toEqual([
      { rule: 'alice', to: tg('alice') },
      { rule: 'bob', to: tg('bob') },
    ]);
    // Back behind the identity provider: the authenticate action stays first, the forward to her group after it.
    expect(modified()[0]!.actions).toEqual([
      { ...OIDC, AuthenticateOidcConfig: { ...OIDC.AuthenticateOidcConfig, UseExistingClientSecret: true } },
      { Type: 'forward', Order: 2, TargetGroupArn: tg('alice') },
    ]);
  });

  it('running, a target never healthy: the rest go back when the function is about to time out', async () => {
    vi.useFakeTimers();
    world({ state: 'running', rules: [rule('alice', WAKE_TG)], healthy: [] });
    const done = handler(stateEvent('running'), { getRemainingTimeInMillis: () => 40_000 });
    await vi.advanceTimersByTimeAsync(40_000);
    expect(await done).toEqual({ back: ['alice.dev.example.com'] });
    expect(modified().map(({ rule, to }) => ({ rule, to }))).toEqual([{ rule: 'alice', to: tg('alice') }]);
  });
});

it('actionsForwardingTo keeps a Cognito action as read and drops the forward config AWS echoes back', () => {
  const cognito = {
    Type: 'authenticate-cognito' as const,
    Order: 1,
    AuthenticateCognitoConfig: { UserPoolArn: 'arn:pool', UserPoolClientId: 'c', UserPoolDomain: 'd' },
  };
  const r = {
    ...rule('alice', tg('alice'), false),
    Actions: [cognito, { ...rule('alice', tg('alice'), false).Actions![0]!, Order: 2 }],
  };
  expect(actionsForwardingTo(r, WAKE_TG)).toEqual([cognito, { Type: 'forward', Order: 2, TargetGroupArn: WAKE_TG }]);
});
