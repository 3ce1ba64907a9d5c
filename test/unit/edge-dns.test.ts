/**
 * The dns phase against a mocked Route 53 zone: a record is devenv's when it aliases this load
 * balancer or the state records it; any other record of a developer's name is left alone unless
 * --take-over-dns. Changes go in one batch, then the phase waits for INSYNC (moto answers INSYNC
 * for any change at once: docs/aws-behaviour.md#moto-differences).
 */
import {
  DescribeLoadBalancersCommand,
  DescribeTagsCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type Change,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import type { DevenvError } from '../../src/errors.js';
import dns from '../../src/phases/dns.js';
import { sentCalls } from '../helpers/calls.js';
import { testContext, type TestContext } from '../helpers/context.js';

const route53 = sdkMock(Route53Client);
const elbv2 = sdkMock(ElasticLoadBalancingV2Client);
/** Another devenv project's load balancer in this region: what its records alias. */
const ALPHA_LB = {
  arn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/alpha-alb/1',
  dnsName: 'alpha-alb-9.us-east-1.elb.amazonaws.com',
};
const LB = { dnsName: 'demo-alb-1.us-east-1.elb.amazonaws.com', canonicalHostedZoneId: 'Z35SXDOTRQ7X7K' };
const alias = (name: string, dnsName = LB.dnsName): ResourceRecordSet => ({
  Name: `${name}.`,
  Type: 'A',
  AliasTarget: { DNSName: `${dnsName}.`, HostedZoneId: LB.canonicalHostedZoneId, EvaluateTargetHealth: true },
});

let records: ResourceRecordSet[];
let getChanges: number;
/** GetChange answers PENDING this many times first (each costs the waiter's 5 s minimum delay, so one test only). */
let pendingPolls: number;
let ctx: TestContext;

beforeEach(async () => {
  records = [];
  getChanges = 0;
  pendingPolls = 0;
  resetSdkMocks();
  elbv2
    .on(DescribeLoadBalancersCommand)
    .resolves({ LoadBalancers: [{ LoadBalancerArn: ALPHA_LB.arn, DNSName: ALPHA_LB.dnsName }] });
  elbv2
    .on(DescribeTagsCommand)
    .resolves({ TagDescriptions: [{ ResourceArn: ALPHA_LB.arn, Tags: [{ Key: 'devenv:project', Value: 'alpha' }] }] });
  route53.onAnyCommand().rejects(new Error('Route 53 call not faked'));
  route53
    .on(ListResourceRecordSetsCommand)
    .callsFake(() => ({ ResourceRecordSets: structuredClone(records), IsTruncated: false }));
  route53.on(ChangeResourceRecordSetsCommand).callsFake(({ ChangeBatch }) => {
    for (const c of ChangeBatch.Changes as Change[]) {
      const name = c.ResourceRecordSet!.Name!.replace(/\.?$/, '.');
      records = records.filter((r) => r.Name !== name || r.Type !== c.ResourceRecordSet!.Type);
      if (c.Action !== 'DELETE') records.push({ ...c.ResourceRecordSet!, Name: name });
    }
    return { ChangeInfo: { Id: '/change/C9', Status: 'PENDING' } };
  });
  route53.on(GetChangeCommand).callsFake(() => ({
    ChangeInfo: { Id: '/change/C9', Status: ++getChanges > pendingPolls ? 'INSYNC' : 'PENDING' },
  }));
  ctx = await testContext('dns');
  await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: 'arn:lb', attrs: LB });
});

const batches = () =>
  sentCalls(route53)
    .filter((c) => c.op === 'ChangeResourceRecordSets')
    .map((c) => (c.input.ChangeBatch as { Changes: Change[] }).Changes);

describe('dns', () => {
  it('writes one alias per developer in one UPSERT batch, waits for INSYNC, and a rerun changes nothing', async () => {
    pendingPolls = 1;
    await dns.apply(ctx);
    expect(batches()).toEqual([
      [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'alice.dev.example.com',
            Type: 'A',
            AliasTarget: { DNSName: LB.dnsName, HostedZoneId: LB.canonicalHostedZoneId, EvaluateTargetHealth: true },
          },
        },
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'bob.dev.example.com',
            Type: 'A',
            AliasTarget: { DNSName: LB.dnsName, HostedZoneId: LB.canonicalHostedZoneId, EvaluateTargetHealth: true },
          },
        },
      ],
    ]);
    expect(getChanges).toBe(2);
    route53.resetHistory();
    await dns.apply(ctx);
    expect(batches()).toEqual([]);
  });

  it('refuses to overwrite a record devenv did not make, naming it, and changes nothing', async () => {
    records.push({
      Name: 'bob.dev.example.com.',
      Type: 'CNAME',
      TTL: 60,
      ResourceRecords: [{ Value: 'legacy.example.net' }],
    });
    await expect(dns.apply(ctx)).rejects.toThrow(
      /bob\.dev\.example\.com \(CNAME legacy\.example\.net\); nothing was changed/,
    );
    expect(batches()).toEqual([]);
    const plan = await dns.plan(ctx);
    expect(plan.find((c) => c.logicalId === 'record/bob')?.detail).toMatch(
      /not devenv's: CNAME legacy\.example\.net; up refuses to overwrite it without --take-over-dns/,
    );
  });

  it('with --take-over-dns, deletes the other record and writes the alias in the same batch', async () => {
    records.push({
      Name: 'bob.dev.example.com.',
      Type: 'CNAME',
      TTL: 60,
      ResourceRecords: [{ Value: 'legacy.example.net' }],
    });
    const takeOver = await testContext('dns', {}, { takeOverDns: true });
    takeOver.state.data.resources = ctx.state.data.resources;
    await dns.apply(takeOver);
    const [batch] = batches();
    expect(batch!.map((c) => `${c.Action} ${c.ResourceRecordSet!.Name} ${c.ResourceRecordSet!.Type}`)).toEqual([
      'UPSERT alice.dev.example.com A',
      'DELETE bob.dev.example.com. CNAME',
      'UPSERT bob.dev.example.com A',
    ]);
  });

  it("a record of devenv's that points elsewhere is shown by plan and replaced by up", async () => {
    await dns.apply(ctx);
    records = records.map((r) =>
      r.Name === 'bob.dev.example.com.' ? alias('bob.dev.example.com', 'old-alb.us-east-1.elb.amazonaws.com') : r,
    );
    const plan = await dns.plan(ctx);
    expect(plan.find((c) => c.logicalId === 'record/bob')).toMatchObject({
      action: 'update',
      detail: `A alias → old-alb.us-east-1.elb.amazonaws.com → A alias ${LB.dnsName}`,
    });
    route53.resetHistory();
    await dns.apply(ctx);
    expect(batches()).toEqual([
      [{ Action: 'UPSERT', ResourceRecordSet: expect.objectContaining({ Name: 'bob.dev.example.com' }) }],
    ]);
  });

  it("a removed developer's record is deleted with the record as it is; another name under the domain is left alone", async () => {
    await dns.apply(ctx);
    records.push({ Name: 'www.dev.example.com.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] });
    const fewer = await testContext('dns', { developers: ['alice'] });
    fewer.state.data.resources = ctx.state.data.resources;
    const listed = records.find((r) => r.Name === 'bob.dev.example.com.');
    route53.resetHistory();
    await dns.apply(fewer);
    expect(batches()).toEqual([[{ Action: 'DELETE', ResourceRecordSet: listed }]]);
    expect(fewer.state.resource('record/bob')).toBeUndefined();
    expect(records.map((r) => r.Name).sort()).toEqual(['alice.dev.example.com.', 'www.dev.example.com.']);
  });

  it("names another devenv project's record as that project's: plan warns, up refuses even with --take-over-dns, destroy leaves it", async () => {
    records = [alias('bob.dev.example.com', ALPHA_LB.dnsName)];
    const plan = await dns.plan(ctx);
    expect(plan.find((c) => c.logicalId === 'record/bob')).toMatchObject({
      action: 'keep',
      detail: expect.stringContaining('devenv project "alpha"'),
    });
    const warnings = ctx.events.filter((e) => e.type === 'warn').map((e) => (e as { message: string }).message);
    expect(warnings).toEqual([
      expect.stringMatching(
        /^bob\.dev\.example\.com belongs to devenv project "alpha" \(A alias → alpha-alb-9\.us-east-1\.elb\.amazonaws\.com, its load balancer\): `up` stops there/,
      ),
    ]);
    expect(warnings.join()).not.toContain('--take-over-dns');

    for (const takeOverDns of [false, true]) {
      const run = await testContext('dns', {}, { takeOverDns });
      run.state.data.resources = structuredClone(ctx.state.data.resources);
      const err = (await dns.apply(run).catch((e: unknown) => e)) as DevenvError;
      expect(err.message).toMatch(
        /^bob\.dev\.example\.com belongs to devenv project "alpha" .*two projects cannot serve one name; nothing was changed$/,
      );
      expect(err.message).not.toContain('did not make');
      expect(err.remedy).toMatch(
        /rename bob in this project's config, or give this project a baseDomain of its own \(such as demo\.dev\.example\.com\)/,
      );
      expect(`${err.message} ${err.remedy}`).not.toContain('--take-over-dns');
    }
    expect(batches()).toEqual([]);

    // Even when this project's state names bob's record (its load balancer is gone), destroy does not delete alpha's.
    await ctx.state.setResource('record/bob', {
      kind: 'DNS record',
      phase: 'dns',
      developer: 'bob',
      id: 'bob.dev.example.com',
      attrs: { target: LB.dnsName },
    });
    delete ctx.state.data.resources.alb;
    elbv2
      .on(DescribeLoadBalancersCommand, { Names: ['demo-alb'] })
      .rejects(Object.assign(new Error('not found'), { name: 'LoadBalancerNotFoundException' }));
    await dns.destroy(ctx);
    expect(batches()).toEqual([]);
    expect(records).toHaveLength(1);
  });
});
