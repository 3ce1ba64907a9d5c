import { DevenvError } from '../errors.js';
import { cidrsOverlap, nthBlock, parseCidr } from './cidr.js';
import type { Config } from './schema.js';

/**
 * Each developer's Docker network is the /24 of containers.networkPool numbered by their rule
 * priority. A pool that overlaps the VPC would route the load balancer's health checks and SSH
 * from the admin network into a bridge; Docker's own bridge takes 172.17.0.0/16.
 */
export const DOCKER_DEFAULT_BRIDGE = '172.17.0.0/16';
export const DEVELOPER_NETWORK_PREFIX = 24;
/** The pool holds a /24 for each priority up to this one: a /16 (index 0 is left unused). */
export const MAX_NETWORK_PRIORITY = 255;
const SMALLEST_POOL_PREFIX = DEVELOPER_NETWORK_PREFIX - Math.ceil(Math.log2(MAX_NETWORK_PRIORITY + 1));

/** The developer's network: the /24 of the pool at their priority. */
export function developerNetwork(pool: string, priority: number): string {
  const block = nthBlock(parseCidr(pool)!, DEVELOPER_NETWORK_PREFIX, priority);
  if (!block) {
    throw new DevenvError(
      'config',
      `containers.networkPool ${pool} has no /${DEVELOPER_NETWORK_PREFIX} left for listener-rule priority ${priority}`,
      {
        remedy:
          'use a larger containers.networkPool, or let the secrets of removed developers expire so their ' +
          'priorities are freed',
      },
    );
  }
  return block;
}

export function networkPoolProblems(config: Config): string[] {
  const text = config.containers.networkPool;
  const pool = parseCidr(text)!;
  if (pool.prefix > SMALLEST_POOL_PREFIX) {
    return [
      `containers.networkPool: "${text}" is too small: each developer's network takes a ` +
        `/${DEVELOPER_NETWORK_PREFIX} numbered by their rule priority ` +
        `(up to ${MAX_NETWORK_PRIORITY}), so use a /${SMALLEST_POOL_PREFIX} or larger such as 172.20.0.0/16`,
    ];
  }
  const others: [string, string][] = [
    ['network.vpcCidr', config.network.vpcCidr],
    ...config.network.subnetCidrs.map((c, i): [string, string] => [`network.subnetCidrs[${i}]`, c]),
    ["Docker's default bridge network", DOCKER_DEFAULT_BRIDGE],
  ];
  return others
    .filter(([, other]) => cidrsOverlap(pool, parseCidr(other)!))
    .map(
      ([what, other]) =>
        `containers.networkPool: "${text}" overlaps ${what} ${other}: traffic for those addresses would go into a ` +
        `developer's Docker network; ` +
        'choose a pool outside both, such as 172.20.0.0/16 or 192.168.0.0/16',
    );
}
