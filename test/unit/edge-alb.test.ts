/**
 * The alb phase against a small in-memory ELBv2 behind aws-sdk-client-mock, which behaves as AWS's
 * docs say where moto does not (docs/aws-behaviour.md#moto-differences, #eventual-consistency): an HTTPS listener needs an ISSUED certificate
 * and may answer CertificateNotFound just after issuance; RegisterTargets refuses a stopped instance.
 */
import { ACMClient, DescribeCertificateCommand } from '@aws-sdk/client-acm';
import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DeleteListenerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
  ModifyListenerAttributesCommand,
  ModifyListenerCommand,
  ModifyLoadBalancerAttributesCommand,
  ModifyTargetGroupAttributesCommand,
  RegisterTargetsCommand,
  type Listener,
  type LoadBalancer,
  type Rule,
  type Tag,
  type TargetDescription,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import albPhase from '../../src/phases/alb.js';
import httpsPhase from '../../src/phases/https.js';
import { mutatingOperations, sentCalls } from '../helpers/calls.js';
import { testContext, type TestContext } from '../helpers/context.js';

const elb = sdkMock(ElasticLoadBalancingV2Client);
const acm = sdkMock(ACMClient);
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/c1';
const HSTS = 'routing.http.response.strict_transport_security.header_value';

interface World {
  lbs: LoadBalancer[];
  attributes: Map<string, Record<string, string>>;
  listeners: Listener[];
  listenerAttributes: Map<string, Record<string, string>>;
  rules: Rule[];
  groups: TargetGroup[];
  targets: Map<string, TargetDescription[]>;
  tags: Map<string, Tag[]>;
  certStatus: string;
  /** CreateListener answers CertificateNotFound this many times first. */
  certNotFoundFor: number;
}
let world: World;
/** The edge as `up` runs it: alb, then https with a context of its own (what it records is the https phase's). */
const asHttps = (c: TestContext): TestContext => ({ ...c, phase: 'https' });
const alb = {
  apply: async (c: TestContext) => {
    await albPhase.apply(c);
    await httpsPhase.apply(asHttps(c));
  },
  plan: async (c: TestContext) => [...(await albPhase.plan(c)), ...(await httpsPhase.plan(asHttps(c)))],
  status: async (c: TestContext) => [...(await albPhase.status(c)), ...(await httpsPhase.status(asHttps(c)))],
  destroy: async (c: TestContext) => {
    await httpsPhase.destroy(asHttps(c));
    await albPhase.destroy(c);
  },
};
let n = 0;
const arn = (kind: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:${kind}/${++n}`;
const elbError = (name: string, message = name) =>
  new ElasticLoadBalancingV2ServiceException({ name, $fault: 'client', $metadata: {}, message });

function fakeElb(): void {
  resetSdkMocks();
  elb.onAnyCommand().rejects(new Error('ELBv2 call not faked'));
  acm
    .on(DescribeCertificateCommand)
    .callsFake(() => ({ Certificate: { CertificateArn: CERT, Status: world.certStatus } }));
  elb.on(DescribeLoadBalancersCommand).callsFake((i) => {
    const found = world.lbs.filter(
      (l) => (i.Names ?? []).includes(l.LoadBalancerName!) || (i.LoadBalancerArns ?? []).includes(l.LoadBalancerArn!),
    );
    if (!found.length) throw elbError('LoadBalancerNotFoundException', 'One or more load balancers not found');
    return { LoadBalancers: structuredClone(found) };
  });
  elb.on(CreateLoadBalancerCommand).callsFake((i) => {
    const lb: LoadBalancer = {
      LoadBalancerArn: arn('loadbalancer/app'),
      LoadBalancerName: i.Name,
      DNSName: `${i.Name}-1.us-east-1.elb.amazonaws.com`,
      CanonicalHostedZoneId: 'Z35SXDOTRQ7X7K',
      SecurityGroups: i.SecurityGroups,
      State: { Code: 'provisioning' },
    };
    world.lbs.push({ ...lb, State: { Code: 'active' } });
    world.attributes.set(lb.LoadBalancerArn!, {
      'idle_timeout.timeout_seconds': '60',
      'routing.http2.enabled': 'true',
    });
    world.tags.set(lb.LoadBalancerArn!, i.Tags);
    return { LoadBalancers: [lb] };
  });
  elb.on(DescribeLoadBalancerAttributesCommand).callsFake((i) => ({
    Attributes: Object.entries(world.attributes.get(i.LoadBalancerArn)!).map(([Key, Value]) => ({ Key, Value })),
  }));
  elb.on(ModifyLoadBalancerAttributesCommand).callsFake((i) => {
    for (const a of i.Attributes) world.attributes.get(i.LoadBalancerArn)![a.Key] = a.Value;
    return {};
  });
  elb.on(DescribeListenersCommand).callsFake((i) => ({
    Listeners: structuredClone(world.listeners.filter((l) => l.LoadBalancerArn === i.LoadBalancerArn)),
  }));
  elb.on(CreateListenerCommand).callsFake((i) => {
    if (i.Protocol === 'HTTPS' && world.certStatus !== 'ISSUED')
      throw elbError('UnsupportedCertificateException', 'The certificate must be issued');
    if (i.Protocol === 'HTTPS' && world.certNotFoundFor-- > 0)
      throw elbError('CertificateNotFoundException', 'Certificate not found');
    const l: Listener = {
      ListenerArn: arn('listener/app'),
      LoadBalancerArn: i.LoadBalancerArn,
      Port: i.Port,
      Protocol: i.Protocol,
      SslPolicy: i.SslPolicy,
      Certificates: i.Certificates,
      DefaultActions: i.DefaultActions,
    };
    world.listeners.push(l);
    // AWS lists an HTTPS listener's header attributes with empty values until they are set.
    world.listenerAttributes.set(l.ListenerArn!, i.Protocol === 'HTTPS' ? { [HSTS]: '' } : {});
    return { Listeners: [l] };
  });
  elb.on(DescribeListenerAttributesCommand).callsFake((i) => ({
    Attributes: Object.entries(world.listenerAttributes.get(i.ListenerArn)!).map(([Key, Value]) => ({ Key, Value })),
  }));
  elb.on(ModifyListenerAttributesCommand).callsFake((i) => {
    const listener = world.listeners.find((l) => l.ListenerArn === i.ListenerArn)!;
    for (const a of i.Attributes) {
      if (a.Key === HSTS && listener.Protocol !== 'HTTPS')
        throw elbError('ValidationError', `Listener attribute '${a.Key}' is not supported for HTTP listeners`);
      world.listenerAttributes.get(i.ListenerArn)![a.Key] = a.Value;
    }
    return { Attributes: i.Attributes };
  });
  elb.on(DeleteListenerCommand).callsFake((i) => {
    world.listeners = world.listeners.filter((l) => l.ListenerArn !== i.ListenerArn);
    return {};
  });
  elb.on(ModifyListenerCommand).callsFake((i) => {
    Object.assign(world.listeners.find((l) => l.ListenerArn === i.ListenerArn)!, {
      SslPolicy: i.SslPolicy,
      DefaultActions: i.DefaultActions,
      Certificates: i.Certificates,
    });
    return {};
  });
  elb.on(DescribeRulesCommand).callsFake((i) => ({
    Rules: structuredClone(world.rules.filter((r) => (r as { listener?: string }).listener === i.ListenerArn)),
  }));
  elb.on(CreateRuleCommand).callsFake((i) => {
    const r = {
      RuleArn: arn('listener-rule/app'),
      Priority: String(i.Priority),
      Conditions: i.Conditions,
      Actions: i.Actions,
      IsDefault: false,
      listener: i.ListenerArn,
    };
    world.rules.push(r);
    return { Rules: [r] };
  });
  elb.on(DeleteRuleCommand).callsFake((i) => {
    world.rules = world.rules.filter((r) => r.RuleArn !== i.RuleArn);
    return {};
  });
  elb.on(DescribeTargetGroupsCommand).callsFake((i) => ({
    TargetGroups: structuredClone(
      i.Names ? world.groups.filter((g) => i.Names.includes(g.TargetGroupName)) : world.groups,
    ),
  }));
  elb.on(CreateTargetGroupCommand).callsFake((i) => {
    const { Tags, Name, ...rest } = i;
    const g: TargetGroup = { ...rest, TargetGroupName: Name, TargetGroupArn: arn('targetgroup') };
    world.groups.push(g);
    world.targets.set(g.TargetGroupArn!, []);
    world.tags.set(g.TargetGroupArn!, Tags);
    return { TargetGroups: [g] };
  });
  elb.on(DeleteTargetGroupCommand).callsFake((i) => {
    world.groups = world.groups.filter((g) => g.TargetGroupArn !== i.TargetGroupArn);
    return {};
  });
  elb
    .on(DescribeTargetGroupAttributesCommand)
    .resolves({ Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: '300' }] });
  elb.on(ModifyTargetGroupAttributesCommand).resolves({});
  elb.on(DescribeTargetHealthCommand).callsFake((i) => ({
    TargetHealthDescriptions: world.targets
      .get(i.TargetGroupArn)!
      .map((Target) => ({ Target, TargetHealth: { State: 'healthy' } })),
  }));
  elb.on(RegisterTargetsCommand).callsFake((i) => {
    world.targets.get(i.TargetGroupArn)!.push(...i.Targets);
    return {};
  });
  elb.on(DeregisterTargetsCommand).callsFake((i) => {
    world.targets.set(
      i.TargetGroupArn,
      world.targets.get(i.TargetGroupArn)!.filter((t) => !i.Targets.some((x: TargetDescription) => x.Id === t.Id)),
    );
    return {};
  });
  elb.on(DescribeTagsCommand).callsFake((i) => ({
    TagDescriptions: i.ResourceArns.map((a: string) => ({ ResourceArn: a, Tags: world.tags.get(a) ?? [] })),
  }));
}

let ctx: TestContext;
async function record(c: TestContext, instance = 'i-0001'): Promise<void> {
  for (const [id, value] of Object.entries({
    vpc: 'vpc-1',
    'subnet/a': 'subnet-a',
    'subnet/b': 'subnet-b',
    'sg/alb': 'sg-alb',
    instance,
    cert: CERT,
  })) {
    await c.state.setResource(id, { kind: id, phase: 'test', id: value });
  }
}

beforeEach(async () => {
  world = {
    lbs: [],
    attributes: new Map(),
    listeners: [],
    listenerAttributes: new Map(),
    rules: [],
    groups: [],
    targets: new Map(),
    tags: new Map(),
    certStatus: 'ISSUED',
    certNotFoundFor: 0,
  };
  fakeElb();
  ctx = await testContext('alb');
  await record(ctx);
});

const ops = () => mutatingOperations(elb);

describe('alb', () => {
  it('builds the load balancer with its attributes, both listeners, and a target group and rule per developer; a rerun changes nothing', async () => {
    await alb.apply(ctx);
    // alb, then https. The developers' target groups and rules are made several at once, so only the order within one developer is fixed.
    expect(ops().slice(0, 3)).toEqual(['CreateLoadBalancer', 'ModifyLoadBalancerAttributes', 'CreateListener']);
    expect(
      sentCalls(elb)
        .filter((c) => c.op === 'CreateListener')
        .map((c) => c.input.Protocol),
    ).toEqual(['HTTP', 'HTTPS']);
    expect(ops().slice(3, 9).sort()).toEqual([
      'CreateTargetGroup',
      'CreateTargetGroup',
      'ModifyTargetGroupAttributes',
      'ModifyTargetGroupAttributes',
      'RegisterTargets',
      'RegisterTargets',
    ]);
    expect(ops().slice(9, 11)).toEqual(['CreateListener', 'ModifyListenerAttributes']);
    expect(ops().slice(11)).toEqual(['CreateRule', 'CreateRule']);
    for (const name of ['alice', 'bob']) {
      const own = sentCalls(elb).filter(
        (c) =>
          JSON.stringify(c.input).includes(`demo-tg-${name}`) ||
          (c.op === 'CreateRule' && JSON.stringify(c.input).includes(`${name}.dev.example.com`)),
      );
      expect(own.map((c) => c.op)).toEqual(['CreateTargetGroup', 'CreateRule']);
    }
    expect(world.attributes.get(world.lbs[0]!.LoadBalancerArn!)).toMatchObject({
      'idle_timeout.timeout_seconds': '3600',
      'routing.http.preserve_host_header.enabled': 'true',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
    });
    const https = world.listeners.find((l) => l.Port === 443)!;
    expect(https.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09');
    expect(https.DefaultActions![0]).toMatchObject({
      Type: 'fixed-response',
      FixedResponseConfig: { StatusCode: '404' },
    });
    expect(world.listenerAttributes.get(https.ListenerArn!)![HSTS]).toBe('max-age=31536000; includeSubDomains');
    expect(world.listeners.find((l) => l.Port === 80)!.DefaultActions![0]).toMatchObject({
      Type: 'redirect',
      RedirectConfig: { Protocol: 'HTTPS', StatusCode: 'HTTP_301' },
    });
    expect(
      world.groups.map((g) => [
        g.TargetGroupName,
        g.Port,
        g.HealthCheckPath,
        g.HealthCheckIntervalSeconds,
        g.HealthCheckTimeoutSeconds,
        g.HealthyThresholdCount,
        g.UnhealthyThresholdCount,
      ]),
    ).toEqual([
      ['demo-tg-alice', 8443, '/healthz', 30, 5, 2, 3],
      ['demo-tg-bob', 8444, '/healthz', 30, 5, 2, 3],
    ]);
    elb.resetHistory();
    await alb.apply(ctx);
    expect(ops()).toEqual([]);
  });

  it('refuses to create the HTTPS listener while the certificate is pending (AWS refuses it; moto accepts it)', async () => {
    world.certStatus = 'PENDING_VALIDATION';
    const err = await alb.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as Error).message).toMatch(
      /HTTPS listener needs certificate .* to be ISSUED, but it is PENDING_VALIDATION/,
    );
    expect(sentCalls(elb).filter((c) => c.op === 'CreateListener' && c.input.Protocol === 'HTTPS')).toEqual([]);
    // What needs no certificate is there already: the alb phase does not wait for it.
    expect(world.lbs).toHaveLength(1);
    expect(world.groups).toHaveLength(2);
    expect(world.listeners.map((l) => l.Port)).toEqual([80]);
  });

  it('retries CertificateNotFound for a just-issued certificate, then creates the listener', async () => {
    world.certNotFoundFor = 2;
    await alb.apply(ctx);
    expect(sentCalls(elb).filter((c) => c.op === 'CreateListener' && c.input.Protocol === 'HTTPS')).toHaveLength(3);
    expect(world.listeners.filter((l) => l.Port === 443)).toHaveLength(1);
  });

  it('a changed TLS policy and idle timeout are updated in place, nothing else', async () => {
    await alb.apply(ctx);
    elb.resetHistory();
    const changed = await testContext('alb', {
      alb: { idleTimeoutSeconds: 900, sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' },
    });
    changed.state.data.resources = ctx.state.data.resources;
    await alb.apply(changed);
    expect(ops()).toEqual(['ModifyLoadBalancerAttributes', 'ModifyListener']);
    expect(world.listeners.find((l) => l.Port === 443)!.SslPolicy).toBe('ELBSecurityPolicy-TLS13-1-2-2021-06');
    expect(world.attributes.get(world.lbs[0]!.LoadBalancerArn!)!['idle_timeout.timeout_seconds']).toBe('900');
  });

  it('a replaced host is registered on every target group and the old instance deregistered', async () => {
    await alb.apply(ctx);
    elb.resetHistory();
    await ctx.state.setResource('instance', { kind: 'instance', phase: 'ec2', id: 'i-0002' });
    await alb.apply(ctx);
    expect(ops().sort()).toEqual(['DeregisterTargets', 'DeregisterTargets', 'RegisterTargets', 'RegisterTargets']);
    for (const targets of world.targets.values()) expect(targets.map((t) => t.Id)).toEqual(['i-0002']);
  });

  it('status: a target failing its health check is unhealthy; a deregistered one is drift that plan shows as a registration; one DescribeTargetHealth per developer', async () => {
    await alb.apply(ctx);
    const alice = world.groups.find((g) => g.TargetGroupName === 'demo-tg-alice')!.TargetGroupArn!;
    const bob = world.groups.find((g) => g.TargetGroupName === 'demo-tg-bob')!.TargetGroupArn!;
    elb.on(DescribeTargetHealthCommand).callsFake((i) => ({
      TargetHealthDescriptions: world.targets.get(i.TargetGroupArn)!.map((Target) => ({
        Target,
        TargetHealth:
          i.TargetGroupArn === alice
            ? { State: 'unhealthy', Reason: 'Target.ResponseCodeMismatch' }
            : { State: 'healthy' },
      })),
    }));
    world.targets.set(bob, []);
    elb.resetHistory();
    const rows = await alb.status(ctx);
    expect(sentCalls(elb).filter((c) => c.op === 'DescribeTargetHealth')).toHaveLength(2);
    const row = (id: string) => rows.find((r) => r.logicalId === id)!;
    expect(row('tg/alice')).toMatchObject({
      state: 'unhealthy',
      problem: {
        verdict: 'unhealthy',
        message: expect.stringMatching(/demo-tg-alice of alice: i-\w+:8443 unhealthy \(Target.ResponseCodeMismatch\)/),
      },
    });
    expect(row('tg/bob')).toMatchObject({
      state: 'no target',
      problem: {
        verdict: 'drifted',
        message: expect.stringMatching(/differs from the config \(register i-\w+:8444\)/),
      },
    });
    expect(rows.filter((r) => r.problem).map((r) => r.logicalId)).toEqual(['tg/alice', 'tg/bob']);
    const plan = await alb.plan(ctx);
    expect(plan.find((c) => c.logicalId === 'tg/bob')).toMatchObject({
      action: 'update',
      detail: expect.stringMatching(/^register i-\w+:8444$/),
    });
    expect(plan.find((c) => c.logicalId === 'tg/alice')).toMatchObject({ action: 'keep' });
    expect(ops()).toEqual([]);
  });

  it('a developer removed loses their rule, then their target group; the other developer is not touched', async () => {
    await alb.apply(ctx);
    elb.resetHistory();
    const fewer = await testContext('alb', { developers: ['alice'] });
    fewer.state.data.resources = ctx.state.data.resources;
    await alb.apply(fewer);
    expect(ops()).toEqual(['DeleteRule', 'DeleteTargetGroup']);
    expect(world.groups.map((g) => g.TargetGroupName)).toEqual(['demo-tg-alice']);
    expect(fewer.state.resource('tg/bob')).toBeUndefined();
  });

  it('names fit ELB limits for the longest project and developer names (32 characters, letters, digits and -)', async () => {
    const long = await testContext('alb', {
      project: `p${'x'.repeat(26)}q`,
      developers: [`d${'y'.repeat(61)}z`, `d${'y'.repeat(61)}w`],
    });
    await record(long);
    await alb.apply(long);
    const names = [
      ...sentCalls(elb)
        .filter((c) => c.op === 'CreateLoadBalancer' || c.op === 'CreateTargetGroup')
        .map((c) => String(c.input.Name)),
    ];
    expect(names).toHaveLength(3);
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/);
    expect(new Set(names).size, 'two developers share a target group name').toBe(3);
  });

  it('will not adopt a load balancer of the same name that another project owns', async () => {
    world.lbs.push({ LoadBalancerArn: 'arn:lb/other', LoadBalancerName: 'demo-alb', State: { Code: 'active' } });
    world.tags.set('arn:lb/other', [{ Key: 'devenv:project', Value: 'other' }]);
    await expect(alb.apply(ctx)).rejects.toThrow(
      /load balancer demo-alb already exists but is not devenv's for project demo/,
    );
    expect(ops()).toEqual([]);
  });

  describe('HTTPS only (HSTS, port 80)', () => {
    const reconfigured = async (alb_: Record<string, unknown>) => {
      const c = await testContext('alb', { alb: alb_ });
      c.state.data.resources = ctx.state.data.resources;
      return c;
    };

    it('puts back an HSTS header changed outside devenv, and a longer max-age from the config, with one ModifyListenerAttributes each', async () => {
      await alb.apply(ctx);
      const https = world.listeners.find((l) => l.Port === 443)!;
      world.listenerAttributes.get(https.ListenerArn!)![HSTS] = 'max-age=60';
      elb.resetHistory();
      await alb.apply(ctx);
      expect(ops()).toEqual(['ModifyListenerAttributes']);
      expect(elb.commandCalls(ModifyListenerAttributesCommand)[0]!.args[0].input).toEqual({
        ListenerArn: https.ListenerArn,
        Attributes: [{ Key: HSTS, Value: 'max-age=31536000; includeSubDomains' }],
      });

      const twoYears = await reconfigured({ hsts: { maxAgeSeconds: 63072000, includeSubDomains: false } });
      const plan = await alb.plan(twoYears);
      expect(plan.find((c) => c.logicalId === 'listener/https')).toMatchObject({
        action: 'update',
        detail: expect.stringContaining('"max-age=31536000; includeSubDomains" → "max-age=63072000"'),
      });
      elb.resetHistory();
      await alb.apply(twoYears);
      expect(ops()).toEqual(['ModifyListenerAttributes']);
      expect(world.listenerAttributes.get(https.ListenerArn!)![HSTS]).toBe('max-age=63072000');
      elb.resetHistory();
      await alb.apply(twoYears);
      expect(ops()).toEqual([]);
    });

    it('alb.httpRedirect false: no listener on port 80; one already there is deleted (plan says so); a rerun changes nothing', async () => {
      const closed = await reconfigured({ httpRedirect: false });
      await alb.apply(closed);
      expect(world.listeners.map((l) => l.Port)).toEqual([443]);

      const open = await testContext('alb');
      await record(open);
      world = { ...world, lbs: [], listeners: [], listenerAttributes: new Map() };
      await alb.apply(open);
      expect(world.listeners.map((l) => l.Port).sort()).toEqual([443, 80]);
      const turnedOff = await reconfigured({ httpRedirect: false });
      turnedOff.state.data.resources = open.state.data.resources;
      expect((await alb.plan(turnedOff)).find((c) => c.logicalId === 'listener/http')).toMatchObject({
        action: 'delete',
        detail: 'alb.httpRedirect is false: port 80 closes',
      });
      elb.resetHistory();
      await alb.apply(turnedOff);
      expect(ops()).toEqual(['DeleteListener']);
      expect(world.listeners.map((l) => l.Port)).toEqual([443]);
      expect(turnedOff.state.resource('listener/http')).toBeUndefined();
      elb.resetHistory();
      await alb.apply(turnedOff);
      expect(ops()).toEqual([]);
    });
  });
});
