import {
  DeleteRuleCommand as DeleteEventRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { beforeEach, expect, it } from 'vitest';
import wake from '../../src/phases/wake.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

/**
 * Removing the wake page while a developer's rule still forwards to it (the host stopped after `up` re-pointed the
 * rules, and the EventBridge rule flipped them to the page): without `schedule` the rule goes back to the developer's
 * own group, after the EventBridge rule is gone; only `destroy` deletes it.
 */

const elb = sdkMock(ElasticLoadBalancingV2Client);
const events = sdkMock(EventBridgeClient);
const lambda = sdkMock(LambdaClient);
const iam = sdkMock(IAMClient);
const logs = sdkMock(CloudWatchLogsClient);

const ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
const LISTENER = `${ARN}:listener/app/demo-alb/a/b`;
const WAKE_TG = `${ARN}:targetgroup/demo-wake/1`;
const ALICE_TG = `${ARN}:targetgroup/demo-alice/2`;
const BOB_TG = `${ARN}:targetgroup/demo-bob/3`;
const EVENT_RULE = 'arn:aws:events:us-east-1:123456789012:rule/demo-wake';
const notFound = (name: string) => Object.assign(new Error(name), { name });

let order: string[];

const rule = (ctx: TestContext, name: string, group: string): Rule => {
  const d = ctx.model.developers.find((d) => d.name === name)!;
  return {
    RuleArn: `${ARN}:listener-rule/app/demo-alb/a/b/${name}`,
    Priority: String(d.priority),
    IsDefault: false,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [d.hostname] } }],
    Actions: [{ Type: 'forward', Order: 1, TargetGroupArn: group }],
  };
};

async function world(schedule: boolean): Promise<TestContext> {
  const ctx = await testContext('wake', schedule ? { schedule: {} } : {});
  await ctx.state.setResource('listener/https', { kind: 'listener', phase: 'https', id: LISTENER });
  await ctx.state.setResource('tg/alice', { kind: 'target group', phase: 'alb', id: ALICE_TG });
  await ctx.state.setResource('tg/bob', { kind: 'target group', phase: 'alb', id: BOB_TG });
  await ctx.state.setResource('wake/tg', { kind: 'target group', phase: 'wake', id: WAKE_TG });
  await ctx.state.setResource('wake/events', { kind: 'EventBridge rule', phase: 'wake', id: EVENT_RULE });
  elb.on(DescribeRulesCommand).resolves({ Rules: [rule(ctx, 'alice', WAKE_TG), rule(ctx, 'bob', BOB_TG)] });
  return ctx;
}

beforeEach(() => {
  resetSdkMocks();
  order = [];
  events.on(DescribeRuleCommand).resolves({ Name: 'demo-wake', Arn: EVENT_RULE, State: 'ENABLED' });
  events.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'devenv:project', Value: 'demo' }] });
  events.on(ListTargetsByRuleCommand).resolves({ Targets: [{ Id: 'wake-page', Arn: 'arn:fn' }] });
  events.on(RemoveTargetsCommand).resolves({});
  events.on(DeleteEventRuleCommand).callsFake(() => void order.push('DeleteEventRule'));
  elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [] });
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
  elb.on(DeleteTargetGroupCommand).resolves({});
  elb.on(ModifyRuleCommand).callsFake((i: { RuleArn: string }) => void order.push(`ModifyRule ${i.RuleArn}`));
  elb.on(DeleteRuleCommand).callsFake((i: { RuleArn: string }) => void order.push(`DeleteRule ${i.RuleArn}`));
  lambda.on(GetFunctionCommand).rejects(notFound('ResourceNotFoundException'));
  iam.on(GetRoleCommand).rejects(notFound('NoSuchEntityException'));
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
});

it('without `schedule`, a rule left on the page forwards to the developer again, after the EventBridge rule is gone', async () => {
  const ctx = await world(false);
  await wake.apply(ctx);
  const alice = rule(ctx, 'alice', WAKE_TG).RuleArn!;
  expect(order).toEqual(['DeleteEventRule', `ModifyRule ${alice}`]);
  const modify = elb.commandCalls(ModifyRuleCommand)[0]!.args[0].input;
  expect(modify.Actions).toEqual([expect.objectContaining({ Type: 'forward', TargetGroupArn: ALICE_TG })]);
  expect(elb.commandCalls(DeleteRuleCommand)).toHaveLength(0);
  expect(ctx.state.resourcesOf('wake')).toEqual([]);
});

it('`destroy` deletes a rule left on the page (the https phase deletes every rule next)', async () => {
  const ctx = await world(true);
  await wake.destroy(ctx);
  expect(order).toEqual(['DeleteEventRule', `DeleteRule ${rule(ctx, 'alice', WAKE_TG).RuleArn}`]);
  expect(elb.commandCalls(ModifyRuleCommand)).toHaveLength(0);
});
