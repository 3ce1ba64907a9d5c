import {
  CreateLoadBalancerCommand,
  DeleteLoadBalancerCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  ModifyLoadBalancerAttributesCommand,
  SetSecurityGroupsCommand,
  waitUntilLoadBalancerAvailable,
  waitUntilLoadBalancersDeleted,
  type LoadBalancer,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { ignoring, isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { ownedByName, tagList } from '../../config/tags.js';
import { sdkWait } from '../wait.js';
import { tagsIn } from './tags.js';

// ---------------------------------------------------------------------------------------------
// The application load balancer: found by its name (unique per region), owned if tagged so.

type Elb = Pick<AwsContext, 'aws' | 'model'>;

async function byName(ctx: Elb, name: string): Promise<LoadBalancer[]> {
  try {
    return (await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [name] }))).LoadBalancers ?? [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

export interface LoadBalancerPlacement {
  subnetIds: string[];
  securityGroupId: string;
}

export function loadBalancerSpec(
  ctx: Elb,
  planned: PlannedResource,
  placement?: LoadBalancerPlacement,
): ResourceSpec<LoadBalancer> {
  return {
    logicalId: planned.logicalId,
    kind: planned.kind,
    describe: async (arn) =>
      (await ctx.aws.elbv2.send(new DescribeLoadBalancersCommand({ LoadBalancerArns: [arn] }))).LoadBalancers?.[0],
    find: async () =>
      ownedByName(ctx.model.project, 'load balancer', await byName(ctx, planned.name), planned.name, {
        nameOf: (lb) => lb.LoadBalancerName,
        tagsOf: (found) => tagsIn(ctx, found, (lb) => lb.LoadBalancerArn!),
      }),
    create: async () => {
      if (!placement) throw new Error('alb: the subnets and security group are needed to create the load balancer');
      const out = await ctx.aws.elbv2.send(
        new CreateLoadBalancerCommand({
          Name: planned.name,
          Type: 'application',
          Scheme: 'internet-facing',
          IpAddressType: 'ipv4',
          Subnets: placement.subnetIds,
          SecurityGroups: [placement.securityGroupId],
          Tags: tagList(planned.tags),
        }),
      );
      return out.LoadBalancers![0]!;
    },
    idOf: (lb) => lb.LoadBalancerArn!,
    attrs: (lb) => ({ dnsName: lb.DNSName ?? '', canonicalHostedZoneId: lb.CanonicalHostedZoneId ?? '' }),
  };
}

/**
 * The attributes devenv sets, from the blueprint (websockets, code-server's Origin check:
 * docs/aws-behaviour.md#load-balancer-and-code-server).
 */
export function wantedAttributes(planned: PlannedResource): Record<string, string> {
  const p = planned.properties;
  return {
    'idle_timeout.timeout_seconds': String(p.idleTimeoutSeconds),
    'routing.http2.enabled': String(p.http2),
    'routing.http.drop_invalid_header_fields.enabled': String(p.dropInvalidHeaderFields),
    'routing.http.preserve_host_header.enabled': String(p.preserveHostHeader),
  };
}

/** One ModifyLoadBalancerAttributes for every attribute that differs; one SetSecurityGroups if the group drifted. */
export async function loadBalancerFixes(
  ctx: Elb,
  lb: LoadBalancer,
  planned: PlannedResource,
  securityGroupId?: string,
): Promise<Fix[]> {
  const arn = lb.LoadBalancerArn!;
  const live =
    (await ctx.aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: arn }))).Attributes ?? [];
  const differing = Object.entries(wantedAttributes(planned)).filter(
    ([k, v]) => live.find((a) => a.Key === k)?.Value !== v,
  );
  const fixes: Fix[] = [];
  if (differing.length) {
    const said = (k: string) => live.find((a) => a.Key === k)?.Value ?? 'unset';
    fixes.push({
      description: `set ${differing.map(([k, v]) => `${k} ${said(k)} → ${v}`).join(', ')}`,
      run: () =>
        ctx.aws.elbv2.send(
          new ModifyLoadBalancerAttributesCommand({
            LoadBalancerArn: arn,
            Attributes: differing.map(([Key, Value]) => ({ Key, Value })),
          }),
        ),
    });
  }
  if (securityGroupId && !(lb.SecurityGroups?.length === 1 && lb.SecurityGroups[0] === securityGroupId)) {
    fixes.push({
      description: `use security group ${securityGroupId} (was ${lb.SecurityGroups?.join(', ') || 'none'})`,
      run: () =>
        ctx.aws.elbv2.send(new SetSecurityGroupsCommand({ LoadBalancerArn: arn, SecurityGroups: [securityGroupId] })),
    });
  }
  return fixes;
}

/**
 * A public ALB stays `provisioning` for minutes (for ever without an internet gateway [tf-8054]); Terraform waits 10.
 */
const AVAILABLE_WAIT_S = 10 * 60;
/** Deleting takes a while, and its interfaces linger after that (the sg and vpc phases retry for those). */
const DELETED_WAIT_S = 10 * 60;

const CONSOLE = {
  remedy:
    'check it in the EC2 console (Load Balancers), then run the same command again: devenv resumes where it stopped',
};

export async function waitUntilActive(
  ctx: Pick<AwsContext, 'aws' | 'signal' | 'report' | 'clock'>,
  lb: LoadBalancer,
): Promise<void> {
  if (lb.State?.Code === 'active') return;
  const what = `load balancer ${lb.LoadBalancerName} to be active`;
  await sdkWait(
    ctx,
    ctx.aws.elbv2,
    what,
    AVAILABLE_WAIT_S,
    (w) => waitUntilLoadBalancerAvailable(w, { LoadBalancerArns: [lb.LoadBalancerArn!] }),
    CONSOLE,
  );
}

/** Deletes the load balancer (its listeners and rules go with it) and waits until it is gone. */
export async function deleteLoadBalancer(
  ctx: Pick<AwsContext, 'aws' | 'signal' | 'report' | 'clock'>,
  arn: string,
): Promise<void> {
  await ignoring(isNotFound, () => ctx.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: arn })));
  const what = `load balancer ${arn} to be deleted`;
  await sdkWait(
    ctx,
    ctx.aws.elbv2,
    what,
    DELETED_WAIT_S,
    (w) => waitUntilLoadBalancersDeleted(w, { LoadBalancerArns: [arn] }),
    CONSOLE,
  );
}
