/**
 * The load balancer's and Route 53's waits go through the one SDK wait of src/aws/wait.ts: the
 * SDK's waiters poll on through every error their acceptors do not name (an AccessDenied until
 * the bound, minutes), so these stop at the first lasting error, and a wait out of time is a
 * WaitTimeoutError.
 */
import {
  DeleteLoadBalancerCommand,
  DescribeLoadBalancersCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, GetChangeCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { deleteLoadBalancer, waitUntilActive } from '../../src/aws/elbv2/load-balancer.js';
import { changeRecords, upsert } from '../../src/aws/route53/records.js';
import { WaitTimeoutError } from '../../src/aws/wait.js';
import { testContext } from '../helpers/context.js';

const elbv2 = mockClient(ElasticLoadBalancingV2Client);
const route53 = mockClient(Route53Client);

const denied = () =>
  Object.assign(new Error('User is not authorized to perform this action'), { name: 'AccessDenied', $fault: 'client' });
const PROVISIONING = {
  LoadBalancerArn: 'arn:lb',
  LoadBalancerName: 'demo-alb',
  State: { Code: 'provisioning' },
} as const;
const RECORD = upsert({
  Name: 'alice.dev.example.com.',
  Type: 'CNAME',
  TTL: 300,
  ResourceRecords: [{ Value: 'x.example.com' }],
});

beforeEach(() => {
  elbv2.reset();
  route53.reset();
  elbv2.onAnyCommand().rejects(new Error('ELBv2 call not faked'));
  route53.onAnyCommand().rejects(new Error('Route 53 call not faked'));
  route53
    .on(ChangeResourceRecordSetsCommand)
    .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the load balancer waits', () => {
  it('stop at the first AccessDenied, with that error, instead of polling until the bound', async () => {
    const ctx = await testContext('alb');
    elbv2.on(DescribeLoadBalancersCommand).rejects(denied());
    await expect(waitUntilActive(ctx, PROVISIONING)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: /not authorized/,
    });
    expect(elbv2.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(1);

    elbv2.on(DeleteLoadBalancerCommand).resolves({});
    await expect(deleteLoadBalancer(ctx, 'arn:lb')).rejects.toMatchObject({ name: 'AccessDenied' });
    expect(elbv2.commandCalls(DescribeLoadBalancersCommand)).toHaveLength(2);
  });

  it('run out of time as a WaitTimeoutError naming the load balancer, with progress lines while they wait', async () => {
    vi.useFakeTimers();
    const ctx = await testContext('alb');
    elbv2.on(DescribeLoadBalancersCommand).resolves({ LoadBalancers: [PROVISIONING] });
    const waiting = waitUntilActive(ctx, PROVISIONING).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(11 * 60_000);
    const err = await waiting;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(/^timed out after 10m00s waiting for load balancer demo-alb to be active/);
    expect((err as WaitTimeoutError).remedy).toMatch(/EC2 console \(Load Balancers\)/);
    expect(ctx.events.filter((e) => e.type === 'progress').length).toBeGreaterThan(1);
  });
});

describe("Route 53's change wait", () => {
  it('stops at the first AccessDenied on GetChange, with that error, instead of polling until the bound', async () => {
    const ctx = await testContext('dns');
    route53.on(GetChangeCommand).rejects(denied());
    await expect(changeRecords(ctx, 'Z1', [RECORD], 'devenv demo: developer records')).rejects.toMatchObject({
      name: 'AccessDenied',
      message: /not authorized/,
    });
    expect(route53.commandCalls(GetChangeCommand)).toHaveLength(1);
  });

  it('runs out of time as a WaitTimeoutError naming the change', async () => {
    vi.useFakeTimers();
    const ctx = await testContext('dns');
    route53
      .on(GetChangeCommand)
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    const waiting = changeRecords(ctx, 'Z1', [RECORD], 'devenv demo: developer records').catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(6 * 60_000);
    const err = await waiting;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toMatch(
      /^timed out after 5m00s waiting for Route 53 change \/change\/C1 \(devenv demo: developer records\) to be applied/,
    );
    expect((err as WaitTimeoutError).remedy).toMatch(/Route 53 goes on applying them/);
  });
});
