import { UpdateAssumeRolePolicyCommand, type Role } from '@aws-sdk/client-iam';
import { alarmFixes, alarmSpec, deleteAlarms, listAlarms, type AlarmWant } from '../aws/cloudwatch/alarms.js';
import { hasCode } from '../aws/errors.js';
import { planChange, runFixes } from '../aws/fix.js';
import { nameFromArn, samePolicy, parsePolicyDocument } from '../aws/find/iam.js';
import { deleteRole } from '../aws/iam/delete-role.js';
import { inlinePolicyFixes } from '../aws/iam/inline-policy.js';
import { roleSpec } from '../aws/iam/named.js';
import { ensureResource, inspectResource, removeResource, rowOf, type ResourceSpec } from '../aws/resource.js';
import { IAM_PROPAGATION, retryWithin } from '../aws/retry.js';
import {
  deleteGroup,
  deleteSchedule,
  getSchedule,
  groupSpec,
  scheduleFixes,
  scheduleSpec,
  type ScheduleWant,
} from '../aws/scheduler/schedules.js';
import type { GetScheduleOutput } from '@aws-sdk/client-scheduler';
import { INSTANCE } from '../blueprint/compute.js';
import { partitionOf } from '../blueprint/identity.js';
import {
  ec2StopAction,
  IDLE_ALARM,
  IN_USE_METRIC,
  officeHoursResources,
  SCHEDULE_ACTIONS,
  SCHEDULE_GROUP,
  scheduleId,
  SCHEDULER_POLICY,
  SCHEDULER_ROLE,
  schedulerPolicy,
  schedulerTrustPolicy,
  universalTarget,
  type ScheduleAction,
} from '../blueprint/schedule.js';
import { METRICS_NAMESPACE } from '../blueprint/identity.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import { cronOf, officeHoursOf } from '../config/office-hours.js';
import { DevenvError } from '../errors.js';
import { recordedId } from '../state/recorded.js';
import { fromInspection, joinInspections } from './inspection.js';
import { ensureIdleCheck, removeIdleCheck } from './schedule/idle-check.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/**
 * schedule: office hours and idle stop. With `schedule.start`/`stop`, two EventBridge Scheduler
 * schedules in a schedule group of the project start and stop the host through the universal
 * targets ec2:startInstances / ec2:stopInstances, run by a role only the Scheduler may assume, for
 * this account's group, and that may start and stop only this instance. With `idleStopMinutes`, a
 * CloudWatch alarm stops the host when the idle check on it has reported it unused that long.
 * Nothing of devenv's runs for either to work. A replaced host re-points both (the input and the
 * policy name the instance); removing `schedule` from the config removes them.
 */

/** A failed start is worth retrying for an hour (capacity comes back); a stop or start a day late is not. */
const RETRY_POLICY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 };

const resources = (ctx: Context) => officeHoursResources(ctx.model);
const plannedOf = (ctx: Context, logicalId: string): PlannedResource => pick(resources(ctx), logicalId);

function accountOf(ctx: Context): string {
  const account = ctx.state.data.account;
  if (!account)
    throw new DevenvError('state', 'schedule: the AWS account is not known yet, so the role cannot name the host', {
      remedy: 'run `devenv phase validate` first',
    });
  return account;
}

const roleArnOf = (ctx: Context, account: string) =>
  `arn:${partitionOf(ctx.model.region)}:iam::${account}:role/${plannedOf(ctx, SCHEDULER_ROLE).name}`;

const schedulerRoleSpec = (ctx: Context, account: string): ResourceSpec<Role> =>
  roleSpec(
    ctx,
    plannedOf(ctx, SCHEDULER_ROLE),
    schedulerTrustPolicy(ctx.model, account),
    'EventBridge Scheduler starts and stops the host',
  );

function scheduleWant(ctx: Context, action: ScheduleAction, account: string, instanceId: string): ScheduleWant {
  const hours = officeHoursOf(ctx.config.schedule)!;
  return {
    ScheduleExpression: cronOf(hours[action]),
    ScheduleExpressionTimezone: hours.timezone,
    Description: `devenv ${ctx.model.project}: ${action} the host (office hours)`,
    State: 'ENABLED',
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: {
      Arn: universalTarget(ctx.model.region, action),
      RoleArn: roleArnOf(ctx, account),
      Input: JSON.stringify({ InstanceIds: [instanceId] }),
      RetryPolicy: RETRY_POLICY,
    },
  };
}

/** CreateSchedule refuses a role the Scheduler cannot assume yet: IAM has just made it [iam-ec]. */
const roleNotYetUsable = (err: unknown) =>
  hasCode(err, 'ValidationException') && /assume|role/i.test(String((err as Error).message));

async function ensureRole(ctx: Context, account: string, instanceId: string): Promise<void> {
  const iam = ctx.aws.iam;
  const role = plannedOf(ctx, SCHEDULER_ROLE);
  const policy = plannedOf(ctx, SCHEDULER_POLICY);
  const trust = schedulerTrustPolicy(ctx.model, account);
  const { resource, outcome } = await ensureResource(ctx, schedulerRoleSpec(ctx, account));
  if (outcome !== 'created' && !samePolicy(parsePolicyDocument(resource.AssumeRolePolicyDocument), trust)) {
    await iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: role.name, PolicyDocument: JSON.stringify(trust) }));
    ctx.report.resource({
      action: 'updated',
      logicalId: role.logicalId,
      message: `reset the trust policy of role ${role.name}: only EventBridge Scheduler, for this account's group`,
    });
  }
  const { exists, fixes } = await inlinePolicyFixes(
    ctx,
    { role: role.name, policy: policy.name },
    schedulerPolicy(ctx.model, account, instanceId),
    `inline policy ${policy.name}: the host ${instanceId}`,
  );
  for (const fix of fixes) {
    await fix.run();
    ctx.report.resource({
      action: exists ? 'updated' : 'created',
      logicalId: policy.logicalId,
      kind: policy.kind,
      resourceId: policy.name,
      message: `${exists ? 'rewrote' : 'put'} ${fix.description}`,
    });
  }
  if (ctx.state.resource(policy.logicalId)?.attrs?.instance !== instanceId)
    await ctx.state.setResource(policy.logicalId, {
      kind: policy.kind,
      phase: 'schedule',
      id: policy.name,
      attrs: { role: role.name, instance: instanceId },
    });
}

async function ensureOfficeHours(ctx: Context): Promise<void> {
  const account = accountOf(ctx);
  const instanceId = recordedId(ctx, INSTANCE, 'ec2', 'host instance');
  const { resource: group } = await ensureResource(ctx, groupSpec(ctx, plannedOf(ctx, SCHEDULE_GROUP)));
  await ensureRole(ctx, account, instanceId);
  for (const action of SCHEDULE_ACTIONS) {
    const p = plannedOf(ctx, scheduleId(action));
    const want = scheduleWant(ctx, action, account, instanceId);
    const spec = scheduleSpec(ctx, p, group.Name, want);
    const create = (token: string) =>
      retryWithin(IAM_PROPAGATION, roleNotYetUsable, () => spec.create(token), {
        clock: ctx.clock,
        signal: ctx.signal,
        onRetry: (message) => ctx.report.progress(`creating schedule ${p.name}: ${message}`),
      });
    const { resource, outcome } = await ensureResource(ctx, { ...spec, create });
    if (outcome !== 'created')
      await runFixes(ctx, scheduleFixes(ctx, resource, want), {
        logicalId: p.logicalId,
        subject: `schedule ${p.name}`,
      });
  }
}

/** The schedules, their group and their role: each by its record and its name, so a lost state leaves nothing. */
async function removeOfficeHours(ctx: Context): Promise<void> {
  const group = plannedOf(ctx, SCHEDULE_GROUP);
  for (const action of SCHEDULE_ACTIONS) {
    const p = plannedOf(ctx, scheduleId(action));
    const spec = scheduleSpec(ctx, p, group.name, {} as ScheduleWant);
    await removeResource(ctx, spec, (_arn, found) => deleteSchedule(ctx, found?.GroupName ?? group.name, p.name));
    if (ctx.state.resource(p.logicalId)) await ctx.state.forget(p.logicalId);
  }
  // A recorded group that no longer reads live is gone or DELETING (a run crashed after deleting it): asking again
  // gains nothing, and AWS may answer ConflictException while it deletes the group's schedules [scheduler-api].
  await removeResource(ctx, groupSpec(ctx, group), async (arn, live) => {
    if (live) await deleteGroup(ctx, nameFromArn(arn));
  });
  if (ctx.state.resource(group.logicalId)) await ctx.state.forget(group.logicalId);
  await removeResource(ctx, schedulerRoleSpec(ctx, ctx.state.data.account ?? ''), (arn) =>
    deleteRole(ctx, nameFromArn(arn)),
  );
  for (const id of [SCHEDULER_ROLE, SCHEDULER_POLICY]) if (ctx.state.resource(id)) await ctx.state.forget(id);
}

function idleAlarmWant(ctx: Context, instanceId: string, minutes: number): AlarmWant {
  return {
    Namespace: METRICS_NAMESPACE,
    MetricName: IN_USE_METRIC,
    Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
    Statistic: 'Maximum',
    Period: 60,
    EvaluationPeriods: minutes,
    Threshold: 1,
    ComparisonOperator: 'LessThanThreshold',
    // Only minutes the host reported idle count: a host that is stopped, or just booting, reports nothing.
    TreatMissingData: 'notBreaching',
    AlarmDescription: `devenv: stop the host when nobody has used it for ${minutes} minutes`,
    AlarmActions: [ec2StopAction(ctx.model.region)],
  };
}

async function ensureIdleAlarm(ctx: Context): Promise<void> {
  const minutes = ctx.config.schedule?.idleStopMinutes;
  if (!minutes) return ctx.state.resource(IDLE_ALARM) ? removeIdleAlarm(ctx) : undefined;
  const p = plannedOf(ctx, IDLE_ALARM);
  const alarms = await listAlarms(ctx, p.name);
  const want = idleAlarmWant(ctx, recordedId(ctx, INSTANCE, 'ec2', 'host instance'), minutes);
  const { resource, outcome } = await ensureResource(ctx, alarmSpec(ctx, p, alarms, want));
  if (outcome !== 'created')
    await runFixes(ctx, alarmFixes(ctx, resource, want), { logicalId: p.logicalId, subject: `alarm ${p.name}` });
}

async function removeIdleAlarm(ctx: Context): Promise<void> {
  const p = plannedOf(ctx, IDLE_ALARM);
  const live = (await listAlarms(ctx, p.name)).filter((a) => a.AlarmName === p.name);
  await removeResource(ctx, alarmSpec(ctx, p, live, {} as AlarmWant), (id) => deleteAlarms(ctx, [nameFromAlarm(id)]));
  if (ctx.state.resource(IDLE_ALARM)) await ctx.state.forget(IDLE_ALARM);
}

const nameFromAlarm = (arn: string) => arn.slice(arn.indexOf(':alarm:') + ':alarm:'.length);

async function apply(ctx: Context): Promise<void> {
  if (officeHoursOf(ctx.config.schedule)) await ensureOfficeHours(ctx);
  else if (recordsOfficeHours(ctx)) await removeOfficeHours(ctx);
  await ensureIdleAlarm(ctx);
  if (ctx.config.schedule?.idleStopMinutes) await ensureIdleCheck(ctx);
  else await removeIdleCheck(ctx);
}

async function destroy(ctx: Context): Promise<void> {
  await removeIdleAlarm(ctx);
  await removeOfficeHours(ctx);
}

/** Whether the state records any of the office hours' resources: what `up` removes when the config drops them. */
const recordsOfficeHours = (ctx: Context) =>
  [SCHEDULE_GROUP, SCHEDULER_ROLE, SCHEDULER_POLICY, ...SCHEDULE_ACTIONS.map(scheduleId)].some((id) =>
    ctx.state.resource(id),
  );

const leftOver = (probed: Change & { resource?: unknown }, why: string): Change => {
  const { resource: _live, ...change } = probed;
  return { ...change, action: 'delete', detail: why };
};

async function inspectOfficeHours(ctx: Context, account: string, instanceId: string): Promise<Inspection> {
  const changes: Change[] = [];
  const rows: Row[] = [];
  const wanted = officeHoursOf(ctx.config.schedule) !== undefined;
  if (!wanted && !recordsOfficeHours(ctx)) return { changes, rows };
  const group = plannedOf(ctx, SCHEDULE_GROUP);
  const role = plannedOf(ctx, SCHEDULER_ROLE);
  const groupProbe = await inspectResource(ctx, groupSpec(ctx, group), group.name);
  const roleProbe = await inspectResource(ctx, schedulerRoleSpec(ctx, account), role.name);
  const schedules = await Promise.all(
    SCHEDULE_ACTIONS.map(async (action) => {
      const p = plannedOf(ctx, scheduleId(action));
      const live = groupProbe.resource ? await getSchedule(ctx, group.name, p.name) : undefined;
      const probed: Change & { resource?: GetScheduleOutput } = {
        phase: 'schedule',
        action: live ? 'keep' : 'create',
        logicalId: p.logicalId,
        kind: p.kind,
        name: p.name,
        id: live?.Arn,
        resource: live,
      };
      return { action, p, probed };
    }),
  );
  if (!wanted) {
    const why = 'no office hours in the config';
    for (const probed of [...schedules.map((s) => s.probed), groupProbe, roleProbe])
      if (probed.resource) changes.push(leftOver(probed, why));
    return { changes, rows };
  }
  const live = roleProbe.resource;
  const trustDiffers =
    live && !samePolicy(parsePolicyDocument(live.AssumeRolePolicyDocument), schedulerTrustPolicy(ctx.model, account));
  changes.push(planChange(groupProbe, group, []));
  changes.push(
    trustDiffers
      ? { ...leftOver(roleProbe, ''), action: 'update', detail: 'trust policy: only EventBridge Scheduler, this group' }
      : planChange(roleProbe, role, []),
  );
  rows.push(rowOf(groupProbe, () => 'exists'));
  rows.push(rowOf(roleProbe, () => (trustDiffers ? 'trust policy differs' : 'exists')));
  for (const { action, p, probed } of schedules) {
    const want = scheduleWant(ctx, action, account, instanceId);
    changes.push(planChange(probed, p, probed.resource ? scheduleFixes(ctx, probed.resource, want) : []));
    rows.push(
      rowOf(
        probed,
        (s) => (s.State ?? 'unknown').toLowerCase(),
        (s) => `${s.ScheduleExpression} ${s.ScheduleExpressionTimezone}`,
      ),
    );
  }
  return { changes, rows };
}

async function inspectIdleAlarm(ctx: Context, instanceId: string): Promise<Inspection> {
  const minutes = ctx.config.schedule?.idleStopMinutes;
  if (!minutes && !ctx.state.resource(IDLE_ALARM)) return { changes: [], rows: [] };
  const idle = plannedOf(ctx, IDLE_ALARM);
  const want = idleAlarmWant(ctx, instanceId, minutes ?? 1);
  const probed = await inspectResource(ctx, alarmSpec(ctx, idle, await listAlarms(ctx, idle.name), want), idle.name);
  if (!minutes)
    return {
      changes: probed.resource ? [leftOver(probed, 'schedule.idleStopMinutes is no longer set')] : [],
      rows: [],
    };
  return {
    changes: [planChange(probed, idle, probed.resource ? alarmFixes(ctx, probed.resource, want) : [])],
    rows: [
      rowOf(
        probed,
        (a) => a.StateValue ?? 'unknown',
        () => `stops the host after ${minutes} idle minutes`,
      ),
    ],
  };
}

/** One read for `plan` and `status`: the group, the role, each schedule, the idle alarm. */
async function inspect(ctx: Context): Promise<Inspection> {
  const account = ctx.state.data.account ?? ctx.config.accountId ?? '<account>';
  const instanceId = ctx.state.resource(INSTANCE)?.id ?? '<instance>';
  return joinInspections([await inspectOfficeHours(ctx, account, instanceId), await inspectIdleAlarm(ctx, instanceId)]);
}

const phase: Phase = { name: 'schedule', apply, destroy, ...fromInspection(inspect) };
export default phase;
