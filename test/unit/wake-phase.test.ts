import {
  DescribeRuleCommand,
  EventBridgeClient,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  CreateTargetGroupCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  RegisterTargetsCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  CreateRoleCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  LambdaClient,
  RemovePermissionCommand,
} from '@aws-sdk/client-lambda';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DescribeLogGroupsCommand,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import { beforeEach, describe, expect, it } from 'vitest';
import { codeSha256, zipOf } from '../../src/aws/lambda/function.js';
import wake from '../../src/phases/wake.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

/**
 * The wake phase against what moto cannot show: AWS refuses to register a function the load balancer may not invoke
 * (so the permission comes first), AddPermission refuses a statement id the policy holds (so a statement granting
 * another source is removed first), and the zip is the same bytes in every time zone (CodeSha256 compares).
 */

const lambda = sdkMock(LambdaClient);
const elb = sdkMock(ElasticLoadBalancingV2Client);
const iam = sdkMock(IAMClient);
const logs = sdkMock(CloudWatchLogsClient);
const events = sdkMock(EventBridgeClient);

const CODE = new URL('../../lambda/wake-page/index.mjs', import.meta.url);
const FN_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:demo-wake';
const TG_ARN = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-wake/1';
const RULE_ARN = 'arn:aws:events:us-east-1:123456789012:rule/demo-wake';
const notFound = (name: string) => Object.assign(new Error(name), { name });

let ctx: TestContext;
const order: string[] = [];

beforeEach(async () => {
  resetSdkMocks();
  order.length = 0;
  ctx = await testContext('wake', { schedule: {} });
  ctx.state.data.account = '123456789012';
  await ctx.state.setResource('instance', { kind: 'EC2 instance', phase: 'ec2', id: 'i-1' });
  await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-1' });
  await ctx.state.setResource('listener/https', {
    kind: 'listener',
    phase: 'https',
    id: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/demo-alb/a/b',
  });
  iam.on(GetRoleCommand).rejects(notFound('NoSuchEntityException'));
  iam.on(CreateRoleCommand).resolves({
    Role: { RoleName: 'demo-wake-role', Arn: 'arn:role', Path: '/', RoleId: 'r', CreateDate: new Date() },
  });
  iam.on(GetRolePolicyCommand).rejects(notFound('NoSuchEntityException'));
  iam.on(PutRolePolicyCommand).resolves({});
  logs.on(DescribeLogGroupsCommand).resolves({ logGroups: [] });
  logs.on(CreateLogGroupCommand).resolves({});
  logs.on(PutRetentionPolicyCommand).resolves({});
  elb.on(DescribeTargetGroupsCommand).resolves({ TargetGroups: [] });
  elb
    .on(CreateTargetGroupCommand)
    .resolves({ TargetGroups: [{ TargetGroupArn: TG_ARN, TargetGroupName: 'demo-wake' }] });
  elb.on(DescribeTagsCommand).resolves({ TagDescriptions: [] });
  elb.on(DescribeTargetHealthCommand).resolves({ TargetHealthDescriptions: [] });
  elb.on(RegisterTargetsCommand).callsFake(() => void order.push('RegisterTargets'));
  lambda.on(GetFunctionCommand).rejects(notFound('ResourceNotFoundException'));
  lambda.on(CreateFunctionCommand).resolves({ FunctionArn: FN_ARN, FunctionName: 'demo-wake' });
  lambda
    .on(AddPermissionCommand)
    .callsFake((i: { StatementId: string }) => void order.push(`AddPermission ${i.StatementId}`));
  lambda
    .on(RemovePermissionCommand)
    .callsFake((i: { StatementId: string }) => void order.push(`RemovePermission ${i.StatementId}`));
  events
    .on(DescribeRuleCommand)
    .rejectsOnce(notFound('ResourceNotFoundException'))
    .resolves({
      Name: 'demo-wake',
      Arn: RULE_ARN,
      State: 'ENABLED',
      EventPattern: JSON.stringify({}),
    });
  events.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'devenv:project', Value: 'demo' }] });
  events.on(PutRuleCommand).resolves({ RuleArn: RULE_ARN });
  events.on(ListTargetsByRuleCommand).resolves({ Targets: [] });
  events.on(PutTargetsCommand).callsFake(() => void order.push('PutTargets'));
});

describe('wake phase', () => {
  it('creates everything tagged, and lets the load balancer invoke the function before it registers it', async () => {
    await wake.apply(ctx);
    expect(order.indexOf('AddPermission devenv-elb')).toBeGreaterThanOrEqual(0);
    expect(order.indexOf('AddPermission devenv-elb')).toBeLessThan(order.indexOf('RegisterTargets'));
    expect(order).toContain('AddPermission devenv-events');
    const fn = lambda.commandCalls(CreateFunctionCommand)[0]!.args[0].input;
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Handler: 'index.handler', Role: 'arn:role' });
    expect(fn.Tags).toMatchObject({ 'devenv:project': 'demo', 'devenv:resource': 'wake/function' });
    expect(fn.Environment?.Variables).toMatchObject({
      INSTANCE_ID: 'i-1',
      WAKE_TARGET_GROUP_ARN: TG_ARN,
      VPC_ID: 'vpc-1',
    });
    const tg = elb.commandCalls(CreateTargetGroupCommand)[0]!.args[0].input;
    expect(tg).toMatchObject({ Name: 'demo-wake', TargetType: 'lambda' });
    expect(tg.Tags).toContainEqual({ Key: 'devenv:resource', Value: 'wake/tg' });
    expect(events.commandCalls(PutRuleCommand)[0]!.args[0].input.Tags).toContainEqual({
      Key: 'devenv:resource',
      Value: 'wake/events',
    });
    expect(ctx.state.resource('wake/function')?.id).toBe(FN_ARN);
  });

  it('a statement of the same id granting another source is removed before the right one is added', async () => {
    lambda.on(GetFunctionCommand).resolves({
      // As devenv would make it now: only its policy differs.
      Configuration: {
        FunctionName: 'demo-wake',
        FunctionArn: FN_ARN,
        CodeSha256: codeSha256(await zipOf(CODE)),
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Role: 'arn:role',
        MemorySize: 128,
        Timeout: 300,
        Environment: {
          Variables: {
            INSTANCE_ID: 'i-1',
            LISTENER_ARN: ctx.state.resource('listener/https')!.id!,
            WAKE_TARGET_GROUP_ARN: TG_ARN,
            PROJECT: 'demo',
            VPC_ID: 'vpc-1',
          },
        },
      },
      Tags: { 'devenv:project': 'demo' },
    });
    lambda.on(GetPolicyCommand).resolves({
      Policy: JSON.stringify({
        Statement: [
          {
            Sid: 'devenv-elb',
            Principal: { Service: 'elasticloadbalancing.amazonaws.com' },
            Condition: { ArnLike: { 'AWS:SourceArn': 'arn:old-group' } },
          },
          {
            Sid: 'devenv-events',
            Principal: { Service: 'events.amazonaws.com' },
            Condition: { ArnLike: { 'AWS:SourceArn': RULE_ARN } },
          },
        ],
      }),
    });
    await wake.apply(ctx);
    expect(order.filter((o) => /Permission/.test(o))).toEqual([
      'RemovePermission devenv-elb',
      'AddPermission devenv-elb',
    ]);
  });
});

it('the zip is the same bytes in any time zone, so its CodeSha256 says whether the function runs this code', async () => {
  const tz = process.env.TZ;
  try {
    process.env.TZ = 'Asia/Bangkok';
    const bangkok = codeSha256(await zipOf(CODE));
    process.env.TZ = 'America/Los_Angeles';
    const la = codeSha256(await zipOf(CODE));
    expect(la).toBe(bangkok);
  } finally {
    process.env.TZ = tz;
  }
});
