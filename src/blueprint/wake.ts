import type { Model } from '../config/model.js';
import { partitionOf } from './identity.js';
import { awsResource, pick, type PlannedResource } from './types.js';

/**
 * The wake page: a Lambda function behind a target group of its own, which each developer's rule forwards to while
 * the host is stopped, switched by the instance's state-change events (an EventBridge rule). Its role may start this
 * instance, switch the rules of this listener and write its own log group, and read what it needs.
 */

export const WAKE = {
  role: 'wake/role',
  policy: 'wake/policy',
  logs: 'wake/logs',
  function: 'wake/function',
  targetGroup: 'wake/tg',
  events: 'wake/events',
} as const;

/**
 * nodejs20.x can no longer be created (blocked since 2026-08-31); 24.x is supported until 2028
 * (docs/aws-behaviour.md#wake-page).
 */
export const WAKE_RUNTIME = 'nodejs24.x';
export const WAKE_HANDLER = 'index.handler';
export const WAKE_MEMORY_MIB = 128;
/** A running event waits for the editors' targets to be healthy before pointing the rules back: up to this long. */
export const WAKE_TIMEOUT_SECONDS = 300;
/** The states whose events switch the rules (EC2 also sends shutting-down and terminated). */
export const WAKE_STATES = ['stopping', 'stopped', 'pending', 'running'];
/** The statement ids of the function's resource policy: the load balancer's and EventBridge's right to invoke it. */
export const WAKE_PERMISSIONS = { loadBalancer: 'devenv-elb', events: 'devenv-events' } as const;

const names = (model: Pick<Model, 'project'>) => ({
  role: `${model.project}-wake-role`,
  policy: `${model.project}-wake-policy`,
  function: `${model.project}-wake`,
  targetGroup: `${model.project}-wake`,
  events: `${model.project}-wake`,
});

export const lambdaTrustPolicy = () => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

export const wakeEventPattern = (instanceId: string) => ({
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { 'instance-id': [instanceId], state: WAKE_STATES },
});

/** What the rules of a listener are called in IAM: `listener-rule/app/<lb>/<lb id>/<listener id>/<rule id>`. */
export const rulesOfListener = (listenerArn: string) => `${listenerArn.replace(':listener/', ':listener-rule/')}/*`;

export interface WakeIds {
  account: string;
  instanceId: string;
  listenerArn: string;
  functionName: string;
}

/** The function's role: start this instance, switch this listener's rules, read what it needs, write its logs. */
export function wakePolicy(model: Pick<Model, 'region'>, ids: WakeIds) {
  const arn = (service: string, resource: string) =>
    `arn:${partitionOf(model.region)}:${service}:${model.region}:${ids.account}:${resource}`;
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'StartThisHost',
        Effect: 'Allow',
        Action: 'ec2:StartInstances',
        Resource: arn('ec2', `instance/${ids.instanceId}`),
      },
      {
        Sid: 'SwitchTheseRules',
        Effect: 'Allow',
        Action: 'elasticloadbalancing:ModifyRule',
        Resource: rulesOfListener(ids.listenerArn),
      },
      {
        // These Describe calls have no resource-level permissions: `*` is all IAM offers.
        Sid: 'Read',
        Effect: 'Allow',
        Action: [
          'ec2:DescribeInstances',
          'elasticloadbalancing:DescribeRules',
          'elasticloadbalancing:DescribeTargetGroups',
          'elasticloadbalancing:DescribeTargetHealth',
          'elasticloadbalancing:DescribeTags',
        ],
        Resource: '*',
      },
      {
        // The phase makes the group (tagged, with its retention), so the function never needs CreateLogGroup.
        Sid: 'WriteOwnLogs',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: arn('logs', `log-group:${lambdaLogGroup(ids.functionName)}:*`),
      },
    ],
  };
}

export const lambdaLogGroup = (functionName: string) => `/aws/lambda/${functionName}`;

/**
 * The wake page comes with `schedule` (office hours, idle stop, or `{}` for `devenv sleep` alone): a host that
 * never sleeps needs none, and a converged `up` then reads nothing for it.
 */
export const usesWakePage = (model: Pick<Model, 'config'>): boolean => model.config.schedule !== undefined;

/** What the wake page is made of, whether or not the config wants it (its destroy needs the names). */
export function wakeResources(model: Model): PlannedResource[] {
  const n = names(model);
  const fn = awsResource(
    model,
    WAKE.function,
    'Lambda function',
    {
      runtime: `${WAKE_RUNTIME} (the AWS SDK it uses is the runtime's own)`,
      memoryMiB: WAKE_MEMORY_MIB,
      timeoutSeconds: WAKE_TIMEOUT_SECONDS,
      code: 'lambda/wake-page/index.mjs, zipped',
    },
    undefined,
    n.function,
  );
  return [
    awsResource(model, WAKE.role, 'IAM role', { trust: 'lambda.amazonaws.com' }, undefined, n.role),
    awsResource(
      model,
      WAKE.policy,
      'IAM inline policy',
      {
        allows: [
          'ec2:StartInstances on the host',
          "elasticloadbalancing:ModifyRule on the HTTPS listener's rules",
          'Describe calls on instances, rules, target groups, target health and tags',
          `logs:CreateLogStream, PutLogEvents on ${lambdaLogGroup(fn.name)}`,
        ],
      },
      undefined,
      n.policy,
    ),
    awsResource(
      model,
      WAKE.logs,
      'log group',
      { retentionDays: model.config.monitoring.logRetentionDays },
      undefined,
      lambdaLogGroup(fn.name),
    ),
    fn,
    awsResource(
      model,
      WAKE.targetGroup,
      'target group',
      { target: 'lambda', registered: fn.name, invokedBy: 'elasticloadbalancing.amazonaws.com (this group only)' },
      undefined,
      n.targetGroup,
    ),
    awsResource(
      model,
      WAKE.events,
      'EventBridge rule',
      { events: `EC2 Instance State-change Notification of the host: ${WAKE_STATES.join(', ')}`, target: fn.name },
      undefined,
      n.events,
    ),
  ];
}

/** The wake page's target group's name: a developer's rule forwarding there is converged too (the host sleeps). */
export const wakeTargetGroupName = (model: Model): string => pick(wakeResources(model), WAKE.targetGroup).name;

export const wakeBlueprint = (model: Model): PlannedResource[] => (usesWakePage(model) ? wakeResources(model) : []);
