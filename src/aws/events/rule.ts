import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  ListTagsForResourceCommand,
  ListTargetsByRuleCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemoveTargetsCommand,
  type DescribeRuleCommandOutput,
} from '@aws-sdk/client-eventbridge';
import type { PlannedResource } from '../../blueprint/types.js';
import { requireProjectTag, tagList } from '../../config/tags.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';

// ---------------------------------------------------------------------------------------------
// An EventBridge rule on the default bus, matching an event pattern, and its one target.

export type EventRule = DescribeRuleCommandOutput;

async function describeRule(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<EventRule | undefined> {
  try {
    return await ctx.aws.events.send(new DescribeRuleCommand({ Name: name }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** By its name (unique per bus), never adopted without this project's tag. PutRule takes the tags when it creates. */
export function eventRuleSpec(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  p: PlannedResource,
  pattern: () => object,
): ResourceSpec<EventRule> {
  const owned = async (name: string) => {
    const found = await describeRule(ctx, name);
    if (found) {
      const { Tags } = await ctx.aws.events.send(new ListTagsForResourceCommand({ ResourceARN: found.Arn }));
      requireProjectTag(ctx.model.project, Tags, `EventBridge rule ${name}`);
    }
    return found;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (arn) => owned(arn.split('/').at(-1)!),
    find: async () => [await owned(p.name)].filter((r): r is EventRule => r !== undefined),
    // PutRule creates or updates the rule of that name: a repeated call makes nothing twice.
    create: async () => {
      await ctx.aws.events.send(
        new PutRuleCommand({
          Name: p.name,
          EventPattern: JSON.stringify(pattern()),
          State: 'ENABLED',
          Description: `devenv ${ctx.model.project}: the host's state changes, for the wake page`,
          Tags: tagList(p.tags),
        }),
      );
      return (await describeRule(ctx, p.name))!;
    },
    idOf: (r) => r.Arn!,
  };
}

const samePattern = (live: string | undefined, want: object) => {
  try {
    return JSON.stringify(JSON.parse(live ?? '')) === JSON.stringify(want);
  } catch {
    return false;
  }
};

/** The pattern or state that drifted: one PutRule (on an existing rule it leaves the tags as they are). */
export function eventRuleFixes(ctx: Pick<AwsContext, 'aws'>, live: EventRule, pattern: object): Fix[] {
  const changes: string[] = [];
  if (!samePattern(live.EventPattern, pattern)) changes.push('event pattern → the current host');
  if (live.State !== 'ENABLED') changes.push(`state ${live.State} → ENABLED`);
  if (!changes.length) return [];
  return [
    {
      description: changes.join(', '),
      run: () =>
        ctx.aws.events.send(
          new PutRuleCommand({
            Name: live.Name,
            EventPattern: JSON.stringify(pattern),
            State: 'ENABLED',
            Description: live.Description,
          }),
        ),
    },
  ];
}

/** The rule's one target: `arn` under `id`, and no other (one left by hand would get the host's events too). */
export async function targetFixes(
  ctx: Pick<AwsContext, 'aws'>,
  ruleName: string,
  target: { id: string; arn: string },
): Promise<Fix[]> {
  const live = (await ctx.aws.events.send(new ListTargetsByRuleCommand({ Rule: ruleName }))).Targets ?? [];
  const fixes: Fix[] = [];
  const others = live.filter((t) => t.Id !== target.id);
  if (others.length)
    fixes.push({
      description: `remove targets ${others.map((t) => t.Id).join(', ')}`,
      run: () => ctx.aws.events.send(new RemoveTargetsCommand({ Rule: ruleName, Ids: others.map((t) => t.Id!) })),
    });
  if (!live.some((t) => t.Id === target.id && t.Arn === target.arn))
    fixes.push({
      description: `target → ${target.arn}`,
      run: () =>
        ctx.aws.events.send(new PutTargetsCommand({ Rule: ruleName, Targets: [{ Id: target.id, Arn: target.arn }] })),
    });
  return fixes;
}

/** A rule goes once it has no targets (EventBridge refuses to delete one that has). */
export async function deleteEventRule(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<void> {
  const targets = (await ctx.aws.events.send(new ListTargetsByRuleCommand({ Rule: name }))).Targets ?? [];
  if (targets.length)
    await ctx.aws.events.send(new RemoveTargetsCommand({ Rule: name, Ids: targets.map((t) => t.Id!) }));
  await ctx.aws.events.send(new DeleteRuleCommand({ Name: name }));
}
