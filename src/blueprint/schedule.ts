import type { Model } from '../config/model.js';
import { resourceName } from '../config/model.js';
import { cronOf, officeHoursOf } from '../config/office-hours.js';
import { METRICS_NAMESPACE, partitionOf } from './identity.js';
import { awsResource, type PlannedResource } from './types.js';

/**
 * What the schedule phase creates, from the config alone: with office hours a schedule group, the
 * role EventBridge Scheduler runs the two schedules with, and the schedules that start and stop the
 * host; with `idleStopMinutes` the alarm that stops an idle host.
 */

export const SCHEDULE_GROUP = 'schedule/group';
export const SCHEDULER_ROLE = 'schedule/role';
export const SCHEDULER_POLICY = 'schedule/policy';
export const IDLE_ALARM = 'schedule/idle-alarm';
export type ScheduleAction = 'start' | 'stop';
export const SCHEDULE_ACTIONS: readonly ScheduleAction[] = ['start', 'stop'];
export const scheduleId = (action: ScheduleAction) => `schedule/${action}`;

/** The metric the host's idle check publishes each minute: 1 while the host is in use, 0 when idle. */
export const IN_USE_METRIC = 'DevenvInUse';

export const schedulerNames = (model: Pick<Model, 'project'>) => ({
  group: resourceName(model, 'schedule'),
  role: `${model.project}-scheduler-role`,
  policy: `${model.project}-scheduler-policy`,
  idleAlarm: resourceName(model, 'idle-stop'),
});

/** EventBridge Scheduler's universal target for an EC2 API action [scheduler-universal]. */
export const universalTarget = (region: string, action: ScheduleAction) =>
  `arn:${partitionOf(region)}:scheduler:::aws-sdk:ec2:${action}Instances`;

export const scheduleGroupArn = (model: Pick<Model, 'project' | 'region'>, account: string) =>
  `arn:${partitionOf(model.region)}:scheduler:${model.region}:${account}:schedule-group/${schedulerNames(model).group}`;

/**
 * Only EventBridge Scheduler may assume the role, and only for this account's schedule group: the
 * confused-deputy conditions AWS recommends for an execution role [scheduler-deputy].
 */
export const schedulerTrustPolicy = (model: Pick<Model, 'project' | 'region'>, account: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Effect: 'Allow',
      Principal: { Service: 'scheduler.amazonaws.com' },
      Action: 'sts:AssumeRole',
      Condition: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnEquals: { 'aws:SourceArn': scheduleGroupArn(model, account) },
      },
    },
  ],
});

export const instanceArn = (model: Pick<Model, 'region'>, account: string, instanceId: string) =>
  `arn:${partitionOf(model.region)}:ec2:${model.region}:${account}:instance/${instanceId}`;

/** The role may start and stop this one instance, nothing else. */
export const schedulerPolicy = (model: Pick<Model, 'region'>, account: string, instanceId: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'StartStopTheHost',
      Effect: 'Allow',
      Action: ['ec2:StartInstances', 'ec2:StopInstances'],
      Resource: instanceArn(model, account, instanceId),
    },
  ],
});

/** The EC2 action of a CloudWatch alarm that stops the instance of its metric's InstanceId [cw-ec2-actions]. */
export const ec2StopAction = (region: string) => `arn:${partitionOf(region)}:automate:${region}:ec2:stop`;

/**
 * Every resource the phase may own, whether the config asks for it or not (what it removes must be
 * named when the config no longer has it): properties from the config where it sets them.
 */
export function officeHoursResources(model: Model): PlannedResource[] {
  const schedule = model.config.schedule;
  const names = schedulerNames(model);
  const hours = officeHoursOf(schedule);
  return [
    awsResource(model, SCHEDULE_GROUP, 'schedule group', {}, undefined, names.group),
    awsResource(model, SCHEDULER_ROLE, 'IAM role', { trust: 'scheduler.amazonaws.com' }, undefined, names.role),
    awsResource(
      model,
      SCHEDULER_POLICY,
      'IAM inline policy',
      { allows: 'ec2:StartInstances, ec2:StopInstances on the host only' },
      undefined,
      names.policy,
    ),
    ...SCHEDULE_ACTIONS.map((action) => {
      const at = hours?.[action];
      const p = awsResource(
        model,
        scheduleId(action),
        'schedule',
        at ? { expression: cronOf(at), timezone: hours!.timezone, target: `ec2:${action}Instances` } : {},
        undefined,
        resourceName(model, action),
      );
      // A schedule takes no tags (CreateSchedule has no Tags): its group carries them.
      return { ...p, tags: {} };
    }),
    awsResource(
      model,
      IDLE_ALARM,
      'CloudWatch alarm',
      schedule?.idleStopMinutes
        ? { stopsAfterMinutes: schedule.idleStopMinutes, metric: `${METRICS_NAMESPACE}/${IN_USE_METRIC}` }
        : {},
      undefined,
      names.idleAlarm,
    ),
  ];
}

export function scheduleBlueprint(model: Model): PlannedResource[] {
  const hours = officeHoursOf(model.config.schedule) !== undefined;
  const idle = model.config.schedule?.idleStopMinutes !== undefined;
  return officeHoursResources(model).filter((r) => (r.logicalId === IDLE_ALARM ? idle : hours));
}
