import { allocationTags, tagsFor } from './tags.js';
import { parseCidr } from './cidr.js';
import { buildModel } from './model.js';
import type { Config } from './schema.js';

/** AWS allows 50 user tags on a resource (tags starting with aws: do not count). */
export const MAX_TAGS = 50;
/** ACM: the certificate's first domain name (here `*.<baseDomain>`) may be at most 64 characters. */
export const MAX_CERT_NAME = 64;
/** ELBv2: each value of a host-header rule condition is at most 128 characters. */
export const MAX_HOST_HEADER = 128;
/**
 * An ALB needs 8 free addresses in each of its subnets, and AWS keeps 5 of every subnet: /27 (32) is the least that
 * leaves room.
 */
export const SMALLEST_SUBNET_PREFIX = 27;
/** AWS's VPC and subnet blocks: from /16 to /28. */
export const LARGEST_BLOCK_PREFIX = 16;

/** Tags AWS would refuse: devenv's own among the config's, and more than 50 on one resource. */
export function tagProblems(config: Config): string[] {
  const model = buildModel(config);
  const developer = model.developers[0];
  // A developer's secrets carry the most tags: devenv's own, with devenv:developer and the developer's allocation, plus
  // the config's.
  const mostTagged = (m: typeof model) => ({ ...tagsFor(m, 'x', developer.name), ...allocationTags(developer) });
  const own = Object.keys(mostTagged({ ...model, config: { ...config, tags: {} } }));
  const problems = Object.keys(config.tags)
    .filter((k) => own.includes(k))
    .map((k) => `tags.${k}: devenv sets the ${k} tag itself (remove it from tags)`);
  const total = Object.keys(mostTagged(model)).length;
  if (total > MAX_TAGS) {
    problems.push(
      `tags: ${Object.keys(config.tags).length} tags plus devenv's ${own.length} make ${total} on a developer's ` +
        `secrets; ` +
        `AWS allows ${MAX_TAGS} per resource: remove at least ${total - MAX_TAGS}`,
    );
  }
  return problems;
}

/** Names derived from baseDomain that ACM or a host rule would refuse. */
export function domainProblems(config: Config): string[] {
  const certName = `*.${config.baseDomain}`;
  if (certName.length > MAX_CERT_NAME) {
    return [
      `baseDomain: "${config.baseDomain}" is ${config.baseDomain.length} characters; the certificate's ` +
        `name ${certName} may have at most ` +
        `${MAX_CERT_NAME} (ACM), so baseDomain at most ${MAX_CERT_NAME - 2}: use a shorter domain`,
    ];
  }
  // (At most 128 characters is also well within DNS's 253.)
  return buildModel(config).developers.flatMap((d, i) =>
    d.hostname.length > MAX_HOST_HEADER
      ? [
          `developers[${i}]: the hostname ${d.hostname} is ${d.hostname.length} characters; a load balancer host ` +
            `rule takes at most ${MAX_HOST_HEADER}: use a shorter name`,
        ]
      : [],
  );
}

/** A VPC block AWS allows, with room for two subnets. */
export function vpcSizeProblems(config: Config): string[] {
  const vpc = parseCidr(config.network.vpcCidr)!;
  if (vpc.prefix < LARGEST_BLOCK_PREFIX) {
    return [
      `network.vpcCidr: "${config.network.vpcCidr}" is larger than AWS allows for a VPC (/${LARGEST_BLOCK_PREFIX} ` +
        `to /28): use a /${LARGEST_BLOCK_PREFIX} such as 10.0.0.0/16`,
    ];
  }
  if (vpc.prefix > SMALLEST_SUBNET_PREFIX - 1) {
    return [
      `network.vpcCidr: "${config.network.vpcCidr}" cannot hold two /${SMALLEST_SUBNET_PREFIX} subnets: use a ` +
        `/${SMALLEST_SUBNET_PREFIX - 1} or larger (default 10.0.0.0/16)`,
    ];
  }
  return [];
}

/** Subnets with room for a load balancer. */
export function subnetSizeProblems(config: Config): string[] {
  return config.network.subnetCidrs.flatMap((text, i) =>
    parseCidr(text)!.prefix > SMALLEST_SUBNET_PREFIX
      ? [
          `network.subnetCidrs[${i}]: "${text}" is smaller than /${SMALLEST_SUBNET_PREFIX}: a load balancer needs ` +
            `8 free addresses in each subnet ` +
            `and AWS keeps 5, so use a /${SMALLEST_SUBNET_PREFIX} or larger`,
        ]
      : [],
  );
}
