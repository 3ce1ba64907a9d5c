import {
  DeleteAlarmsCommand,
  ListTagsForResourceCommand,
  PutMetricAlarmCommand,
  TagResourceCommand,
  paginateDescribeAlarms,
  type MetricAlarm,
  type PutMetricAlarmCommandInput,
} from '@aws-sdk/client-cloudwatch';
import { partitionOf } from '../../blueprint/identity.js';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import type { ResourceSpec } from '../resource.js';
import { ownedByName, tagList, type Tags } from '../../config/tags.js';

/** An alarm as devenv wants it: PutMetricAlarm's input without the name and tags. */
export type AlarmWant = Required<
  Pick<
    PutMetricAlarmCommandInput,
    | 'Namespace'
    | 'MetricName'
    | 'Dimensions'
    | 'Statistic'
    | 'Period'
    | 'EvaluationPeriods'
    | 'Threshold'
    | 'ComparisonOperator'
    | 'TreatMissingData'
    | 'AlarmActions'
    | 'AlarmDescription'
  >
>;

/** Every metric alarm whose name starts with `prefix`: one paginated listing for all of the phase's alarms. */
export async function listAlarms(ctx: Pick<AwsContext, 'aws'>, prefix: string): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  for await (const page of paginateDescribeAlarms(
    { client: ctx.aws.cloudwatch },
    { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm'] },
  ))
    alarms.push(...(page.MetricAlarms ?? []));
  return alarms;
}

export async function alarmTags(
  ctx: Pick<AwsContext, 'aws'>,
  arn: string,
): Promise<{ Key?: string; Value?: string }[]> {
  return (await ctx.aws.cloudwatch.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags ?? [];
}

export const alarmArn = (ctx: Pick<AwsContext, 'model' | 'state'>, name: string) =>
  `arn:${partitionOf(ctx.model.region)}:cloudwatch:${ctx.model.region}:${ctx.state.data.account}:alarm:${name}`;

const put = (ctx: Pick<AwsContext, 'aws'>, name: string, want: AlarmWant, tags?: Tags) =>
  ctx.aws.cloudwatch.send(
    new PutMetricAlarmCommand({ AlarmName: name, ...want, ...(tags ? { Tags: tagList(tags) } : {}) }),
  );

/**
 * An alarm, by its deterministic name (unique per region). PutMetricAlarm creates or overwrites,
 * so a create after a crash is harmless.
 */
export function alarmSpec(
  ctx: Pick<AwsContext, 'aws' | 'model' | 'state'>,
  p: PlannedResource,
  alarms: MetricAlarm[],
  want: AlarmWant,
): ResourceSpec<MetricAlarm> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    developer: p.developer,
    describe: async (arn) => alarms.find((a) => a.AlarmArn === arn),
    find: () =>
      ownedByName(ctx.model.project, 'alarm', alarms, p.name, {
        nameOf: (a) => a.AlarmName,
        tagsOf: (found) => Promise.all(found.map((a) => alarmTags(ctx, a.AlarmArn!))),
      }),
    create: async () => {
      await put(ctx, p.name, want, p.tags);
      // PutMetricAlarm returns nothing; an alarm's ARN follows from its name.
      const made: MetricAlarm = { AlarmName: p.name, AlarmArn: alarmArn(ctx, p.name), ...want };
      alarms.push(made);
      return made;
    },
    idOf: (a) => a.AlarmArn!,
  };
}

const sameList = (a: unknown[] | undefined, b: unknown[] | undefined) =>
  JSON.stringify(a ?? []) === JSON.stringify(b ?? []);
const sortedDimensions = (d: { Name?: string; Value?: string }[] | undefined) =>
  [...(d ?? [])]
    .map((x) => ({ Name: x.Name, Value: x.Value }))
    .sort((x, y) => String(x.Name).localeCompare(String(y.Name)));

/** What of the live alarm differs from `want` (metric, dimensions, threshold, TreatMissingData, actions …). */
export function alarmDifferences(live: MetricAlarm, want: AlarmWant): string[] {
  const out: string[] = [];
  const scalar = (key: keyof AlarmWant & keyof MetricAlarm) => {
    if (live[key] !== want[key]) out.push(`${key} ${String(live[key] ?? 'unset')} → ${String(want[key])}`);
  };
  (
    [
      'Namespace',
      'MetricName',
      'Statistic',
      'Period',
      'EvaluationPeriods',
      'Threshold',
      'ComparisonOperator',
      'TreatMissingData',
      'AlarmDescription',
    ] as const
  ).forEach(scalar);
  if (!sameList(sortedDimensions(live.Dimensions), sortedDimensions(want.Dimensions))) {
    out.push(`dimensions → ${want.Dimensions.map((d) => `${d.Name}=${d.Value}`).join(', ')}`);
  }
  if (!sameList([...(live.AlarmActions ?? [])].sort(), [...want.AlarmActions].sort()))
    out.push(`actions → ${want.AlarmActions.join(', ') || 'none'}`);
  return out;
}

/** PutMetricAlarm again when the definition differs (it overwrites the alarm, but ignores Tags on an existing one). */
export function alarmFixes(ctx: Pick<AwsContext, 'aws'>, live: MetricAlarm, want: AlarmWant): Fix[] {
  const differences = alarmDifferences(live, want);
  return differences.length
    ? [{ description: differences.join('; '), run: () => put(ctx, live.AlarmName!, want) }]
    : [];
}

/** Tags missing or different on an alarm: TagResource, since PutMetricAlarm ignores Tags when the alarm exists. */
export function alarmTagFixes(
  ctx: Pick<AwsContext, 'aws'>,
  arn: string,
  live: { Key?: string; Value?: string }[],
  want: Tags,
): Fix[] {
  const wrong = Object.entries(want).filter(([k, v]) => !live.some((t) => t.Key === k && t.Value === v));
  if (!wrong.length) return [];
  return [
    {
      description: `tag ${wrong.map(([k]) => k).join(', ')}`,
      run: () =>
        ctx.aws.cloudwatch.send(new TagResourceCommand({ ResourceARN: arn, Tags: tagList(Object.fromEntries(wrong)) })),
    },
  ];
}

/** DeleteAlarms takes at most 100 names, and deletes the ones that exist. */
export async function deleteAlarms(ctx: Pick<AwsContext, 'aws'>, names: string[]): Promise<void> {
  for (let i = 0; i < names.length; i += 100)
    await ctx.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: names.slice(i, i + 100) }));
}
