import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  paginateListScheduleGroups,
  paginateListSchedules,
  UpdateScheduleCommand,
  type GetScheduleOutput,
  type ScheduleGroupSummary,
  type ScheduleSummary,
} from '@aws-sdk/client-scheduler';
import type { PlannedResource } from '../../blueprint/types.js';
import { requireProjectTag, tagList } from '../../config/tags.js';
import type { AwsContext } from '../context.js';
import { collect } from '../ec2/collections.js';
import { hasCode, orUndefined } from '../errors.js';
import type { Fix } from '../fix.js';
import type { ResourceSpec } from '../resource.js';

/**
 * EventBridge Scheduler: the project's schedule group (tagged) and the schedules in it (which take
 * no tags: CreateSchedule has no Tags [scheduler-api], so a schedule is found by its name within the
 * group, and the group is what says whose it is).
 */

export interface ScheduleGroup {
  Arn: string;
  Name: string;
}

/** A schedule as devenv wants it: CreateSchedule's input without the name, group and token. */
export interface ScheduleWant {
  ScheduleExpression: string;
  ScheduleExpressionTimezone: string;
  Description: string;
  State: 'ENABLED';
  FlexibleTimeWindow: { Mode: 'OFF' };
  Target: {
    Arn: string;
    RoleArn: string;
    Input: string;
    RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  };
}

const CONFLICT = 'ConflictException';
const nameOfArn = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);
/** `…:schedule/<group>/<name>` → group and name. */
const scheduleOfArn = (arn: string) => {
  const [group, name] = arn.slice(arn.indexOf(':schedule/') + ':schedule/'.length).split('/');
  return { GroupName: group, Name: name };
};

export const groupTags = async (ctx: Pick<AwsContext, 'aws'>, arn: string) =>
  (await ctx.aws.scheduler.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags ?? [];

/** A live group by name; `undefined` when there is none or it is being deleted (its schedules with it). */
export async function getGroup(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<ScheduleGroup | undefined> {
  const g = await orUndefined(() => ctx.aws.scheduler.send(new GetScheduleGroupCommand({ Name: name })));
  return g?.Arn && g.State !== 'DELETING' ? { Arn: g.Arn, Name: g.Name ?? name } : undefined;
}

/** The project's schedule group, by its name (unique per region), adopted only with this project's tag. */
export function groupSpec(ctx: Pick<AwsContext, 'aws' | 'model'>, p: PlannedResource): ResourceSpec<ScheduleGroup> {
  const owned = async (name: string) => {
    const g = await getGroup(ctx, name);
    if (g) requireProjectTag(ctx.model.project, await groupTags(ctx, g.Arn), `${p.kind} ${name}`);
    return g;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (arn) => owned(nameOfArn(arn)),
    find: async () => [await owned(p.name)].filter((g): g is ScheduleGroup => g !== undefined),
    create: async (token) => {
      const made = await ctx.aws.scheduler.send(
        new CreateScheduleGroupCommand({ Name: p.name, Tags: tagList(p.tags), ClientToken: token }),
      );
      return { Arn: made.ScheduleGroupArn!, Name: p.name };
    },
    alreadyExists: (err) => hasCode(err, CONFLICT),
    idOf: (g) => g.Arn,
    attrs: () => ({ name: p.name }),
  };
}

export const getSchedule = (ctx: Pick<AwsContext, 'aws'>, group: string, name: string) =>
  orUndefined(() => ctx.aws.scheduler.send(new GetScheduleCommand({ GroupName: group, Name: name })));

/**
 * One schedule of the group, by name. `create` may be wrapped by the caller (the role it names can
 * be unknown to the Scheduler for seconds after IAM made it).
 */
export function scheduleSpec(
  ctx: Pick<AwsContext, 'aws'>,
  p: PlannedResource,
  group: string,
  want: ScheduleWant,
): ResourceSpec<GetScheduleOutput> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (arn) => getSchedule(ctx, group, scheduleOfArn(arn).Name),
    find: async () => [await getSchedule(ctx, group, p.name)].filter((s) => s !== undefined),
    create: async (token) => {
      const made = await ctx.aws.scheduler.send(
        new CreateScheduleCommand({ Name: p.name, GroupName: group, ClientToken: token, ...want }),
      );
      return { Arn: made.ScheduleArn, Name: p.name, GroupName: group, ...want };
    },
    alreadyExists: (err) => hasCode(err, CONFLICT),
    idOf: (s) => s.Arn!,
    attrs: () => ({ name: p.name, group }),
  };
}

const sameJson = (a: string | undefined, b: string) => {
  try {
    return JSON.stringify(JSON.parse(a ?? '')) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
};

/** What of a live schedule differs from `want`: expression, zone, state, window, target, its input and retries. */
export function scheduleDifferences(live: GetScheduleOutput, want: ScheduleWant): string[] {
  const out: string[] = [];
  const same = (what: string, a: unknown, b: unknown) => {
    if (a !== b) out.push(`${what} ${String(a ?? 'unset')} → ${String(b)}`);
  };
  same('expression', live.ScheduleExpression, want.ScheduleExpression);
  same('time zone', live.ScheduleExpressionTimezone ?? 'UTC', want.ScheduleExpressionTimezone);
  same('state', live.State, want.State);
  same('description', live.Description, want.Description);
  same('flexible window', live.FlexibleTimeWindow?.Mode, want.FlexibleTimeWindow.Mode);
  same('target', live.Target?.Arn, want.Target.Arn);
  same('role', live.Target?.RoleArn, want.Target.RoleArn);
  if (!sameJson(live.Target?.Input, want.Target.Input)) out.push(`input → ${want.Target.Input}`);
  const retry = live.Target?.RetryPolicy;
  if (
    retry?.MaximumEventAgeInSeconds !== want.Target.RetryPolicy.MaximumEventAgeInSeconds ||
    retry?.MaximumRetryAttempts !== want.Target.RetryPolicy.MaximumRetryAttempts
  )
    out.push('retry policy');
  return out;
}

/** UpdateSchedule replaces the whole definition (what it is not given it resets), so it is sent whole. */
export function scheduleFixes(ctx: Pick<AwsContext, 'aws'>, live: GetScheduleOutput, want: ScheduleWant): Fix[] {
  const differences = scheduleDifferences(live, want);
  if (!differences.length) return [];
  return [
    {
      description: differences.join('; '),
      run: () =>
        ctx.aws.scheduler.send(new UpdateScheduleCommand({ Name: live.Name, GroupName: live.GroupName, ...want })),
    },
  ];
}

export async function deleteSchedule(ctx: Pick<AwsContext, 'aws'>, group: string, name: string): Promise<void> {
  await ctx.aws.scheduler.send(new DeleteScheduleCommand({ GroupName: group, Name: name }));
}

export async function deleteGroup(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<void> {
  await ctx.aws.scheduler.send(new DeleteScheduleGroupCommand({ Name: name }));
}

export const listGroups = (ctx: Pick<AwsContext, 'aws'>, prefix: string): Promise<ScheduleGroupSummary[]> =>
  collect(paginateListScheduleGroups({ client: ctx.aws.scheduler }, { NamePrefix: prefix }), (p) => p.ScheduleGroups);

export const listSchedules = (ctx: Pick<AwsContext, 'aws'>, group: string): Promise<ScheduleSummary[]> =>
  collect(paginateListSchedules({ client: ctx.aws.scheduler }, { GroupName: group }), (p) => p.Schedules);
