import { paginateDescribeLoadBalancers } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { AwsContext } from '../context.js';
import { tagsOf } from '../elbv2/tags.js';
import { TAG, tagValue } from '../../config/tags.js';
import { describeTarget, normalName } from './records.js';

/** An alias target as a load balancer's DNS name: `dualstack.` is how AWS sometimes writes an ALB's. */
export const aliasTargetName = (dnsName: string): string => normalName(dnsName).replace(/^dualstack\./, '');

/**
 * The devenv project behind each of these alias targets: the `devenv:project` tag of the load
 * balancer of this region whose DNS name it is. A name that is no devenv load balancer of this
 * region (another region's, gone, not devenv's) is absent. No call when there is nothing to ask.
 */
export async function projectsOfAliasTargets(
  ctx: Pick<AwsContext, 'aws'>,
  dnsNames: string[],
): Promise<Map<string, string>> {
  const wanted = new Set(dnsNames.map(aliasTargetName));
  const owners = new Map<string, string>();
  if (wanted.size === 0) return owners;
  const arnOf = new Map<string, string>();
  for await (const page of paginateDescribeLoadBalancers({ client: ctx.aws.elbv2 }, {})) {
    for (const lb of page.LoadBalancers ?? []) {
      const name = aliasTargetName(lb.DNSName ?? '');
      if (wanted.has(name)) arnOf.set(lb.LoadBalancerArn!, name);
    }
  }
  const tags = await tagsOf(ctx, [...arnOf.keys()]);
  for (const [arn, name] of arnOf) {
    const project = tagValue(tags.get(arn), TAG.project);
    if (project) owners.set(name, project);
  }
  return owners;
}

/**
 * The alias targets among `records` that are another devenv project's load balancer (target →
 * project): the records another project made, which devenv must neither overwrite nor delete.
 */
export async function otherProjectsOf(
  ctx: Pick<AwsContext, 'aws'>,
  records: ResourceRecordSet[],
  project: string,
): Promise<Map<string, string>> {
  const owners = await projectsOfAliasTargets(
    ctx,
    records.filter((r) => r.AliasTarget?.DNSName).map((r) => r.AliasTarget!.DNSName!),
  );
  for (const [name, owner] of owners) if (owner === project) owners.delete(name);
  return owners;
}

/** A record at a name devenv wants that aliases another devenv project's load balancer. */
export interface TakenName {
  record: ResourceRecordSet;
  project: string;
}

/**
 * The alias records among `live` at one of `names` that belong to another devenv project: two
 * projects cannot serve one name. Aliases to `ours` (this project's load balancer) need no look-up.
 */
export async function takenNames(
  ctx: Pick<AwsContext, 'aws'>,
  live: ResourceRecordSet[],
  o: { names: Set<string>; project: string; ours?: string },
): Promise<TakenName[]> {
  const candidates = live.filter(
    (r) =>
      r.AliasTarget?.DNSName &&
      o.names.has(normalName(r.Name!)) &&
      !(o.ours && aliasTargetName(r.AliasTarget.DNSName) === aliasTargetName(o.ours)),
  );
  const owners = await otherProjectsOf(ctx, candidates, o.project);
  return candidates.flatMap((record) => {
    const project = owners.get(aliasTargetName(record.AliasTarget!.DNSName!));
    return project ? [{ record, project }] : [];
  });
}

/** `alice.dev.example.com belongs to devenv project "alpha" (A alias → alpha-alb-1.…, its load balancer)`. */
export const takenText = (hostname: string, project: string, records: ResourceRecordSet[]): string =>
  `${hostname} belongs to devenv project "${project}" (${records.map(describeTarget).join('; ')}, its load balancer)`;

/** What to do when developers' names are other projects' (the same words for `validate` and the dns phase). */
export const sharedNameFix = (o: {
  project: string;
  baseDomain: string;
  developers: string[];
  others: string[];
}): string =>
  `rename ${o.developers.join(', ')} in this project's config, or give this project a baseDomain of its own (such ` +
  `as ${o.project}.${o.baseDomain}); ` +
  `or remove ${o.developers.length > 1 ? 'them' : 'the developer'} from ` +
  `project ${[...new Set(o.others)].map((p) => `"${p}"`).join(', ')} first (its \`devenv up\` deletes the record)`;
