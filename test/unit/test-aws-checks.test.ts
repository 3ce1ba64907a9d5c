/**
 * The test phase's verdicts on what AWS and the host report: the host's status checks, each
 * developer's container, target and DNS name; and the phase's own plan, status and refusal.
 */
import { DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListResourceRecordSetsCommand, Route53Client, type ResourceRecordSet } from '@aws-sdk/client-route-53';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { dnsChecks, instanceCheck, resolutionVerdict, targetChecks, targetVerdict } from '../../src/checks/aws.js';
import { containerVerdict } from '../../src/checks/containers.js';
import { resultsTable } from '../../src/checks/result.js';
import test from '../../src/phases/test.js';
import { cli } from '../helpers/cli.js';
import { testContext } from '../helpers/context.js';

const ec2 = sdkMock(EC2Client);
const elbv2 = sdkMock(ElasticLoadBalancingV2Client);
const route53 = sdkMock(Route53Client);
const I = 'i-0123456789abcdef0';
const LB = { dnsName: 'demo-alb-1.us-east-1.elb.amazonaws.com' };
const alice = { name: 'alice', port: 8443, hostname: 'alice.dev.example.com' };

beforeEach(() => {
  resetSdkMocks();
  ec2.onAnyCommand().rejects(new Error('EC2 call not faked'));
  elbv2.onAnyCommand().rejects(new Error('ELB call not faked'));
  route53.onAnyCommand().rejects(new Error('Route 53 call not faked'));
});

describe('host and container', () => {
  it('passes a running host whose two status checks are ok, and names what is wrong otherwise', async () => {
    const ctx = await testContext('test');
    const status = (system: string, instance: string, state = 'running') =>
      ({
        InstanceStatuses: [
          {
            InstanceId: I,
            InstanceState: { Name: state },
            SystemStatus: { Status: system },
            InstanceStatus: { Status: instance },
          },
        ],
      }) as never;
    ec2
      .on(DescribeInstanceStatusCommand, { InstanceIds: [I], IncludeAllInstances: true })
      .resolvesOnce(status('ok', 'ok'))
      .resolvesOnce(status('ok', 'impaired'))
      .resolvesOnce(status('not-applicable', 'not-applicable', 'stopped'));
    expect(await instanceCheck(ctx, I)).toMatchObject({
      verdict: 'pass',
      detail: `${I} running; system ok, instance ok`,
    });
    expect(await instanceCheck(ctx, I)).toMatchObject({
      verdict: 'fail',
      detail: `${I} running; system ok, instance impaired`,
      lookAt: expect.stringContaining('Get system log'),
    });
    expect(await instanceCheck(ctx, I)).toMatchObject({
      verdict: 'fail',
      detail: `${I} stopped; system not-applicable, instance not-applicable`,
    });
  });

  it('a container passes only when running and healthy', () => {
    expect(
      containerVerdict('alice', { id: 'c1', status: 'running', health: 'healthy', restarts: 0, logPath: '' }),
    ).toMatchObject({ verdict: 'pass', detail: 'code-server-alice running, healthy' });
    expect(
      containerVerdict('alice', { id: 'c1', status: 'running', health: 'unhealthy', restarts: 4, logPath: '' }),
    ).toMatchObject({
      verdict: 'fail',
      detail: 'code-server-alice running, unhealthy, restarted 4 times',
      lookAt: expect.stringContaining('docker logs code-server-alice'),
    });
    expect(
      containerVerdict('alice', { id: 'c1', status: 'exited', health: 'healthy', restarts: 0, logPath: '' }),
    ).toMatchObject({ verdict: 'fail', detail: 'code-server-alice exited' });
    expect(containerVerdict('alice', undefined)).toMatchObject({
      verdict: 'fail',
      detail: 'code-server-alice does not exist',
    });
  });
});

describe('targets', () => {
  const target = (State: string, Reason?: string, Description?: string, Port = alice.port): TargetHealthDescription =>
    ({ Target: { Id: I, Port }, TargetHealth: { State, Reason, Description } }) as TargetHealthDescription;

  it("passes the host healthy at the developer's port; fails unhealthy (with the reason), not registered, or no group", () => {
    expect(targetVerdict(alice, I, [target('healthy')])).toMatchObject({
      verdict: 'pass',
      detail: `${I}:8443 healthy`,
    });
    expect(
      targetVerdict(alice, I, [
        target('unhealthy', 'Target.ResponseCodeMismatch', 'Health checks failed with these codes: [502]'),
      ]),
    ).toMatchObject({
      verdict: 'fail',
      detail: `${I}:8443 unhealthy (Target.ResponseCodeMismatch: Health checks failed with these codes: [502])`,
      lookAt: expect.stringContaining('GET /healthz on port 8443'),
    });
    expect(targetVerdict(alice, I, [])).toMatchObject({
      verdict: 'fail',
      detail: `${I}:8443 is not registered`,
      lookAt: expect.stringContaining('registers the host'),
    });
    expect(targetVerdict(alice, I, [target('healthy', undefined, undefined, 9999)])).toMatchObject({
      verdict: 'fail',
      detail: `${I}:8443 is not registered (registered: ${I}:9999)`,
    });
    expect(targetVerdict(alice, I, undefined)).toMatchObject({
      verdict: 'fail',
      detail: 'the target group of alice is missing',
    });
  });

  it('waits while a just-registered target is still initial, then judges it', async () => {
    const ctx = await testContext('test');
    elbv2
      .on(DescribeTargetHealthCommand, { TargetGroupArn: 'arn:tg/alice' })
      .resolvesOnce({ TargetHealthDescriptions: [target('initial', 'Elb.RegistrationInProgress')] })
      .resolvesOnce({ TargetHealthDescriptions: [target('initial', 'Elb.RegistrationInProgress')] })
      .resolves({ TargetHealthDescriptions: [target('healthy')] });
    const [result] = await targetChecks(ctx, [{ developer: ctx.model.developers[0], groupArn: 'arn:tg/alice' }], I);
    expect(result).toMatchObject({ developer: 'alice', verdict: 'pass' });
    expect(elbv2.commandCalls(DescribeTargetHealthCommand)).toHaveLength(3);
  });

  it('a target still initial after the bound fails, saying so', async () => {
    const ctx = await testContext('test');
    elbv2.on(DescribeTargetHealthCommand).resolves({
      TargetHealthDescriptions: [target('initial', 'Elb.RegistrationInProgress', 'Target registration is in progress')],
    });
    const [result] = await targetChecks(ctx, [{ developer: ctx.model.developers[0], groupArn: 'arn:tg/alice' }], I);
    expect(result).toMatchObject({
      verdict: 'fail',
      detail: `${I}:8443 initial (Elb.RegistrationInProgress: Target registration is in progress)`,
    });
  });
});

describe('dns', () => {
  const alias = (name: string, to = LB.dnsName): ResourceRecordSet => ({
    Name: `${name}.`,
    Type: 'A',
    AliasTarget: { DNSName: `dualstack.${to}.`, HostedZoneId: 'Z35SXDOTRQ7X7K', EvaluateTargetHealth: true },
  });
  const withRecords = (records: ResourceRecordSet[]) =>
    route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: records, IsTruncated: false });

  it('with --resolve: the Route 53 alias is the check, and public DNS is not asked', async () => {
    const ctx = await testContext('test', {}, { resolve: '203.0.113.10' });
    withRecords([
      alias('alice.dev.example.com'),
      { Name: 'bob.dev.example.com.', Type: 'CNAME', ResourceRecords: [{ Value: 'elsewhere.example.net' }], TTL: 60 },
    ]);
    const [a, b] = await dnsChecks(ctx, ctx.model.developers, LB);
    expect(a).toMatchObject({
      developer: 'alice',
      verdict: 'pass',
      detail: `alice.dev.example.com aliases ${LB.dnsName} (public DNS not asked: --resolve 203.0.113.10)`,
    });
    expect(b).toMatchObject({
      developer: 'bob',
      verdict: 'fail',
      detail: 'bob.dev.example.com does not alias the load balancer (CNAME elsewhere.example.net)',
    });
  });

  it('a deleted record fails, even when public DNS still answers from its cache', async () => {
    const ctx = await testContext('test');
    ctx.dns = { resolveNs: async () => [], lookup: async () => ['198.51.100.1'] };
    withRecords([alias('bob.dev.example.com')]);
    const [a] = await dnsChecks(ctx, ctx.model.developers, LB);
    expect(a).toMatchObject({
      verdict: 'fail',
      detail: 'no record for alice.dev.example.com in hosted zone Z1234567890ABC',
      lookAt: expect.stringContaining('dns phase'),
    });
  });

  it("without --resolve: the hostname must resolve to the load balancer's addresses", async () => {
    const ctx = await testContext('test');
    const answers: Record<string, string[]> = {
      [LB.dnsName]: ['198.51.100.1', '198.51.100.2'],
      'alice.dev.example.com': ['198.51.100.2'],
    };
    ctx.dns = {
      resolveNs: async () => [],
      lookup: async (name) =>
        answers[name] ??
        Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })),
    };
    withRecords([alias('alice.dev.example.com'), alias('bob.dev.example.com')]);
    const [a, b] = await dnsChecks(ctx, ctx.model.developers, LB);
    expect(a).toMatchObject({ verdict: 'pass', detail: 'alice.dev.example.com → 198.51.100.2 (the load balancer)' });
    expect(b).toMatchObject({
      verdict: 'fail',
      detail:
        'the record is in Route 53, but bob.dev.example.com does not resolve from here (getaddrinfo ENOTFOUND bob.dev.example.com)',
      lookAt: expect.stringContaining('--resolve'),
    });
  });

  it('a name that resolves somewhere else fails', () => {
    expect(resolutionVerdict(alice, ['192.0.2.9'], ['198.51.100.1'])).toMatchObject({
      verdict: 'fail',
      detail: 'alice.dev.example.com resolves to 192.0.2.9, not to the load balancer (198.51.100.1)',
    });
  });
});

describe('the test phase', () => {
  it('plan lists what it will check and changes nothing', async () => {
    const ctx = await testContext('test', {}, { resolve: '203.0.113.10' });
    const changes = await test.plan(ctx);
    expect(changes.map((c) => c.action)).toEqual(['keep', 'keep', 'keep']);
    expect(changes[1]).toMatchObject({
      logicalId: 'check/alice',
      name: 'https://alice.dev.example.com',
      detail: expect.stringContaining('the Route 53 alias (connecting to 203.0.113.10)'),
    });
    expect(changes[1].detail).toContain('login with the password from Secrets Manager');
  });

  it('status shows the last run from the state, with no call', async () => {
    const ctx = await testContext('test');
    expect(await test.status(ctx)).toEqual([expect.objectContaining({ state: 'not run' })]);
    await ctx.state.setOutputs('test', {
      checkedAt: '2026-12-03T18:00:00.000Z',
      checks: 17,
      failed: 1,
      warnings: 0,
      problems: 'bob dns: no record …',
    });
    expect(await test.status(ctx)).toEqual([
      expect.objectContaining({ state: '1 of 17 failed', detail: 'at 2026-12-03T18:00:00.000Z: bob dns: no record …' }),
    ]);
  });

  it('refuses to run before the host and the load balancer exist', async () => {
    const ctx = await testContext('test');
    await expect(test.apply(ctx)).rejects.toMatchObject({
      kind: 'phase',
      message: 'test needs the host and the load balancer, but the state records no host',
      remedy: 'run `devenv up` first',
    });
  });

  it('prints one table, a row per check, the host first', () => {
    const table = resultsTable([
      { check: 'instance status', verdict: 'pass', detail: 'ok' },
      { developer: 'alice', check: 'login', verdict: 'fail', detail: 'refused', lookAt: 'x' },
      { developer: 'alice', check: 'websocket', verdict: 'skip', detail: 'not logged in' },
    ]);
    expect(table.split('\n')).toEqual([
      'developer  check            result   detail',
      '(host)     instance status  ok       ok',
      'alice      login            FAIL     refused',
      'alice      websocket        skipped  not logged in',
    ]);
  });

  it('--resolve takes an IP address only (bad input, exit 2)', async () => {
    const r = await cli(['phase', 'test', '--resolve', 'alb.example.com']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--resolve: "alb.example.com" is not an IP address');
  });
});
