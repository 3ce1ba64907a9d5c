import {
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  ListTagsForResourceCommand,
  PutRetentionPolicyCommand,
  paginateDescribeLogGroups,
  type LogGroup,
} from '@aws-sdk/client-cloudwatch-logs';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { hasCode } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { ownedByName, tagList } from '../../config/tags.js';

export const LogsCode = { alreadyExists: 'ResourceAlreadyExistsException' } as const;

/** Every log group whose name starts with `prefix`, in one paginated listing for all developers. */
export async function listLogGroups(ctx: Pick<AwsContext, 'aws'>, prefix: string): Promise<LogGroup[]> {
  const groups: LogGroup[] = [];
  for await (const page of paginateDescribeLogGroups({ client: ctx.aws.logs }, { logGroupNamePrefix: prefix }))
    groups.push(...(page.logGroups ?? []));
  return groups;
}

/** The ARN tagging calls take: DescribeLogGroups' `arn` ends in `:*`, `logGroupArn` does not. */
const taggingArn = (g: LogGroup) => g.logGroupArn ?? g.arn!.replace(/:\*$/, '');

export async function logGroupTags(ctx: Pick<AwsContext, 'aws'>, group: LogGroup): Promise<Record<string, string>> {
  return (await ctx.aws.logs.send(new ListTagsForResourceCommand({ resourceArn: taggingArn(group) }))).tags ?? {};
}

/**
 * A log group, by its deterministic name (log group names are unique per region). `groups` is the
 * phase's listing; a create adds to it. A group of that name that is not this project's is refused.
 */
export function logGroupSpec(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  p: PlannedResource,
  groups: LogGroup[],
): ResourceSpec<LogGroup> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    developer: p.developer,
    describe: async (name) => groups.find((g) => g.logGroupName === name),
    find: () =>
      ownedByName(ctx.model.project, 'log group', groups, p.name, {
        nameOf: (g) => g.logGroupName,
        tagsOf: (found) => Promise.all(found.map(async (g) => tagList(await logGroupTags(ctx, g)))),
      }),
    create: async () => {
      // CreateLogGroup takes the tags and returns nothing: the group is as asked, retention unset.
      await ctx.aws.logs.send(new CreateLogGroupCommand({ logGroupName: p.name, tags: p.tags }));
      const made: LogGroup = { logGroupName: p.name };
      groups.push(made);
      return made;
    },
    alreadyExists: (err) => hasCode(err, LogsCode.alreadyExists),
    idOf: (g) => g.logGroupName!,
  };
}

export function retentionFixes(ctx: Pick<AwsContext, 'aws'>, group: LogGroup, days: number): Fix[] {
  if (group.retentionInDays === days) return [];
  return [
    {
      description: `keep log events ${days} days${
        group.retentionInDays ? ` (was ${group.retentionInDays})` : ' (was forever)'
      }`,
      run: () =>
        ctx.aws.logs.send(new PutRetentionPolicyCommand({ logGroupName: group.logGroupName, retentionInDays: days })),
    },
  ];
}

export const deleteLogGroup = (ctx: Pick<AwsContext, 'aws'>, name: string) =>
  ctx.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: name }));
