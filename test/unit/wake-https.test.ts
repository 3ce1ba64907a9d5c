import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describe, expect, it } from 'vitest';
import { ruleFixes } from '../../src/aws/elbv2/listeners.js';
import { AwsClients } from '../../src/aws/clients.js';

/** The https phase's rule check while the host sleeps: a rule the wake function pointed at its page stays there. */

const ctx = { aws: new AwsClients({ region: 'us-east-1' }) };
const group = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/${name}/0123456789abcdef`;
const rule = (to: string): Rule => ({
  RuleArn: 'arn:rule',
  Priority: '1',
  Actions: [{ Type: 'forward', TargetGroupArn: to }],
});
const want = { host: 'alice.dev.example.com', priority: 1, targetGroupArn: group('demo-tg-alice') };

describe('ruleFixes and the wake page', () => {
  it("accepts a forward to the wake page's group as converged", () => {
    expect(ruleFixes(ctx, rule(group('demo-wake')), { ...want, asleepGroupName: 'demo-wake' })).toEqual([]);
  });

  it("still accepts the developer's own group", () => {
    expect(ruleFixes(ctx, rule(group('demo-tg-alice')), { ...want, asleepGroupName: 'demo-wake' })).toEqual([]);
  });

  it('points any other group back at the developer', () => {
    const fixes = ruleFixes(ctx, rule(group('demo-wake-old')), { ...want, asleepGroupName: 'demo-wake' });
    expect(fixes.map((f) => f.description)).toEqual([`forward to ${group('demo-tg-alice')}`]);
    expect(ruleFixes(ctx, rule(group('demo-wake')), want)).toHaveLength(1);
  });
});
