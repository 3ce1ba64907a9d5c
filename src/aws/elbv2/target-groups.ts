import {
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DeregisterTargetsCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  paginateDescribeTargetGroups,
  RegisterTargetsCommand,
  type TargetGroup,
  type TargetHealthDescription,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { ElbCode, hasCode } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { retryWithin, type ConsistencyWindow } from '../retry.js';
import { ownedByName, tagList } from '../../config/tags.js';
import { tagsIn } from './tags.js';

// ---------------------------------------------------------------------------------------------
// One target group per developer: HTTP to the developer's port on the host.

type Elb = Pick<AwsContext, 'aws' | 'model'>;

/**
 * `/healthz` answers 200 without a login and is not counted as activity
 * (docs/aws-behaviour.md#load-balancer-and-code-server).
 */
export const HEALTH_CHECK = {
  HealthCheckPath: '/healthz',
  HealthCheckIntervalSeconds: 30,
  HealthCheckTimeoutSeconds: 5,
  HealthyThresholdCount: 2,
  UnhealthyThresholdCount: 3,
  Matcher: { HttpCode: '200' },
};
export const DEREGISTRATION_DELAY = '30';

/**
 * Every target group of the region: one call per 400, where naming them would fail the whole call if one is missing.
 */
export async function listTargetGroups(ctx: Pick<AwsContext, 'aws'>): Promise<TargetGroup[]> {
  const out: TargetGroup[] = [];
  for await (const page of paginateDescribeTargetGroups({ client: ctx.aws.elbv2, pageSize: 400 }, {}))
    out.push(...(page.TargetGroups ?? []));
  return out;
}

/** The spec of a developer's target group over a listing read once for all developers (`listed`). */
export function targetGroupSpec(
  ctx: Elb,
  planned: PlannedResource,
  listed: TargetGroup[],
  vpcId?: string,
): ResourceSpec<TargetGroup> {
  const create = async () => {
    if (!vpcId) throw new Error('alb: the VPC id is needed to create a target group');
    try {
      const out = await ctx.aws.elbv2.send(
        new CreateTargetGroupCommand({
          Name: planned.name,
          Protocol: 'HTTP',
          Port: Number(planned.properties.port),
          VpcId: vpcId,
          TargetType: 'instance',
          ...HEALTH_CHECK,
          Tags: tagList(planned.tags),
        }),
      );
      return out.TargetGroups![0]!;
    } catch (err) {
      // AWS returns the existing group for an identical call; moto refuses it
      // (docs/aws-behaviour.md#moto-differences). Either way it is this one.
      if (!hasCode(err, ElbCode.duplicateTargetGroupName)) throw err;
      return (await ctx.aws.elbv2.send(new DescribeTargetGroupsCommand({ Names: [planned.name] }))).TargetGroups![0]!;
    }
  };
  return {
    logicalId: planned.logicalId,
    kind: planned.kind,
    developer: planned.developer,
    describe: async (arn) => listed.find((g) => g.TargetGroupArn === arn),
    find: () =>
      ownedByName(ctx.model.project, 'target group', listed, planned.name, {
        nameOf: (g) => g.TargetGroupName,
        tagsOf: (found) => tagsIn(ctx, found, (g) => g.TargetGroupArn!),
      }),
    create,
    idOf: (g) => g.TargetGroupArn!,
  };
}

/** Health-check settings that drifted: one ModifyTargetGroup. */
export function healthCheckFixes(ctx: Pick<AwsContext, 'aws'>, group: TargetGroup): Fix[] {
  const { Matcher, ...plain } = HEALTH_CHECK;
  const differing = Object.entries(plain).filter(([k, v]) => (group as Record<string, unknown>)[k] !== v);
  if (group.Matcher?.HttpCode !== Matcher.HttpCode) differing.push(['Matcher', Matcher.HttpCode]);
  if (!differing.length) return [];
  return [
    {
      description: `health check ${differing.map(([k, v]) => `${k} → ${v}`).join(', ')}`,
      run: () =>
        ctx.aws.elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: group.TargetGroupArn, ...HEALTH_CHECK })),
    },
  ];
}

/**
 * The deregistration delay is an attribute, which CreateTargetGroup cannot set. Once set (or found
 * set) it is remembered in the state (`attrs.deregistrationDelay`), so a converged run reads no
 * attributes; a group just created has AWS's default and is not read either.
 */
export async function attributeFixes(
  ctx: Pick<AwsContext, 'aws' | 'state'>,
  logicalId: string,
  arn: string,
  created: boolean,
): Promise<Fix[]> {
  if (ctx.state.resource(logicalId)?.attrs?.deregistrationDelay === DEREGISTRATION_DELAY) return [];
  const remember = async () => {
    const now = ctx.state.resource(logicalId)!;
    await ctx.state.setResource(logicalId, {
      ...now,
      attrs: { ...now.attrs, deregistrationDelay: DEREGISTRATION_DELAY },
    });
  };
  if (!created) {
    const live =
      (await ctx.aws.elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }))).Attributes ?? [];
    if (live.find((a) => a.Key === 'deregistration_delay.timeout_seconds')?.Value === DEREGISTRATION_DELAY) {
      await remember();
      return [];
    }
  }
  return [
    {
      description: `deregistration delay ${DEREGISTRATION_DELAY} s`,
      run: async () => {
        await ctx.aws.elbv2.send(
          new ModifyTargetGroupAttributesCommand({
            TargetGroupArn: arn,
            Attributes: [{ Key: 'deregistration_delay.timeout_seconds', Value: DEREGISTRATION_DELAY }],
          }),
        );
        await remember();
      },
    },
  ];
}

export async function targetHealth(ctx: Pick<AwsContext, 'aws'>, arn: string): Promise<TargetHealthDescription[]> {
  return (
    (await ctx.aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? []
  );
}

/** The host registered at the developer's port, and any other target (a replaced host) deregistered. */
export function targetFixes(
  ctx: Pick<AwsContext, 'aws'>,
  arn: string,
  live: TargetHealthDescription[],
  instanceId: string,
  port: number,
): Fix[] {
  const fixes: Fix[] = [];
  const targets = live.map((t) => t.Target!).filter((t) => t.Id);
  if (!targets.some((t) => t.Id === instanceId && t.Port === port)) {
    fixes.push({
      description: `register ${instanceId}:${port}`,
      run: () =>
        ctx.aws.elbv2.send(
          new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: instanceId, Port: port }] }),
        ),
    });
  }
  const stale = targets.filter((t) => t.Id !== instanceId || t.Port !== port);
  if (stale.length) {
    fixes.push({
      description: `deregister ${stale.map((t) => `${t.Id}:${t.Port}`).join(', ')}`,
      run: () =>
        ctx.aws.elbv2.send(
          new DeregisterTargetsCommand({
            TargetGroupArn: arn,
            Targets: stale.map((t) => ({ Id: t.Id, Port: t.Port })),
          }),
        ),
    });
  }
  return fixes;
}

/**
 * DeleteTargetGroup answers ResourceInUse for a while after the rule or load balancer that used the group is deleted
 * (Terraform retries 2 minutes).
 */
export const TARGET_GROUP_RELEASE: ConsistencyWindow = {
  name: 'the load balancer to let go of the target group',
  windowMs: 2 * 60_000,
  intervalMs: 5_000,
};

export const deleteTargetGroup = (ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>, arn: string) =>
  retryWithin(
    TARGET_GROUP_RELEASE,
    (err) => hasCode(err, ElbCode.resourceInUse),
    () => ctx.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arn })),
    {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`deleting target group ${arn}: ${message}`),
    },
  );
