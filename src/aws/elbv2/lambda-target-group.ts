import {
  CreateTargetGroupCommand,
  RegisterTargetsCommand,
  type TargetGroup,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PlannedResource } from '../../blueprint/types.js';
import { ownedByName, tagList } from '../../config/tags.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import type { ResourceSpec } from '../resource.js';
import { tagsIn } from './tags.js';

// ---------------------------------------------------------------------------------------------
// A target group of type lambda: no VPC, port or protocol; its one target is a function, which the
// load balancer may invoke only once the function's policy lets it (AddPermission before RegisterTargets).

/** By its name (unique per region) over a listing of every group, never adopted without this project's tag. */
export function lambdaTargetGroupSpec(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  p: PlannedResource,
  listed: TargetGroup[],
): ResourceSpec<TargetGroup> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: async (arn) => listed.find((g) => g.TargetGroupArn === arn),
    find: () =>
      ownedByName(ctx.model.project, 'target group', listed, p.name, {
        nameOf: (g) => g.TargetGroupName,
        tagsOf: (found) => tagsIn(ctx, found, (g) => g.TargetGroupArn!),
      }),
    // AWS answers an identical CreateTargetGroup with the group that exists: a repeated call makes nothing twice.
    create: async () =>
      (
        await ctx.aws.elbv2.send(
          new CreateTargetGroupCommand({ Name: p.name, TargetType: 'lambda', Tags: tagList(p.tags) }),
        )
      ).TargetGroups![0]!,
    idOf: (g) => g.TargetGroupArn!,
  };
}

/** The function registered (a group of type lambda holds one target: it is that function or none). */
export function lambdaTargetFixes(
  ctx: Pick<AwsContext, 'aws'>,
  groupArn: string,
  live: TargetHealthDescription[],
  functionArn: string,
): Fix[] {
  if (live.some((t) => t.Target?.Id === functionArn)) return [];
  return [
    {
      description: `register function ${functionArn.split(':').at(-1)}`,
      run: () =>
        ctx.aws.elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: groupArn, Targets: [{ Id: functionArn }] })),
    },
  ];
}
