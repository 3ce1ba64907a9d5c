import { cidrContains, cidrsOverlap, parseCidr } from './cidr.js';
import { domainProblems, subnetSizeProblems, tagProblems, vpcSizeProblems } from './limits.js';
import { buildModel, developerNames } from './model.js';
import { networkPoolProblems } from './network-pool.js';
import type { Config } from './schema.js';
import { adminCidrProblems, adminSourceProblems } from './ssh.js';

/**
 * Rules that span several keys, which the schema alone cannot express. Each is small and reads only
 * the keys it judges: when the schema fails, each still runs on the keys that did parse (a rule that
 * reads one that did not is skipped), so every problem is reported in one round.
 */
export const CONFIG_RULES: readonly ((config: Config) => string[])[] = [
  function uniqueDevelopers(config) {
    const seen = new Set<string>();
    return developerNames(config).flatMap((name, i) => {
      const twice = seen.has(name);
      seen.add(name);
      return twice ? [`developers[${i}]: "${name}" appears twice (names must be unique)`] : [];
    });
  },

  function zonesInRegion(config) {
    const hostAz = config.availabilityZone ?? `${config.region}a`;
    const albAz = config.albAvailabilityZone ?? `${config.region}b`;
    const problems = (
      [
        ['availabilityZone', hostAz],
        ['albAvailabilityZone', albAz],
      ] as const
    )
      .filter(([, az]) => !az.startsWith(config.region))
      .map(([key, az]) => `${key}: "${az}" is not in region ${config.region}`);
    if (hostAz === albAz)
      problems.push(`albAvailabilityZone: "${albAz}" equals availabilityZone (an ALB needs two different zones)`);
    return problems;
  },

  function subnetsInsideVpc(config) {
    const vpc = parseCidr(config.network.vpcCidr)!;
    return config.network.subnetCidrs.flatMap((text, i) =>
      cidrContains(vpc, parseCidr(text)!)
        ? []
        : [`network.subnetCidrs[${i}]: "${text}" is not inside vpcCidr ${config.network.vpcCidr}`],
    );
  },

  function subnetsApart(config) {
    const [a, b] = config.network.subnetCidrs.map((c) => parseCidr(c)!);
    return cidrsOverlap(a, b) ? [`network.subnetCidrs: "${config.network.subnetCidrs.join('" and "')}" overlap`] : [];
  },

  (config) => adminSourceProblems(config.ssh).map(({ key, problem }) => `${key}: ${problem}`),
  (config) => adminCidrProblems(config.ssh).map(({ key, problem }) => `${key}: ${problem}`),
  networkPoolProblems,

  function loadBalancerReachable(config) {
    return config.alb.allowedCidrs.some((c) => !c.includes(':'))
      ? []
      : [
          `alb.allowedCidrs: ${JSON.stringify(config.alb.allowedCidrs)} lists no IPv4 block, but the load ` +
            `balancer has IPv4 addresses only: nobody could reach it; add your IPv4 networks`,
        ];
  },

  // Each developer's resolved limits; a problem is blamed on the developer who overrides the values, else on
  // containers.
  function reservationsWithinLimits(config) {
    return buildModel(config).developers.flatMap((d, i) => {
      const entry = Array.isArray(config.developers) ? config.developers[i] : undefined;
      const own = (keys: string[]) => typeof entry === 'object' && keys.some((k) => k in entry);
      const where = (keys: string[]) => (own(keys) ? `developers[${i}] (${d.name})` : 'containers');
      const problems: string[] = [];
      if (d.cpuReservation > d.cpuLimit)
        problems.push(
          `${where(['cpuReservation', 'cpuLimit'])}: cpuReservation ${d.cpuReservation} is above ` +
            `cpuLimit ${d.cpuLimit}`,
        );
      if (d.memoryReservationMiB > d.memoryLimitMiB) {
        problems.push(
          `${where(['memoryReservationMiB', 'memoryLimitMiB'])}: memoryReservationMiB ${d.memoryReservationMiB} ` +
            `is above memoryLimitMiB ${d.memoryLimitMiB}`,
        );
      }
      return problems;
    });
  },

  function identitiesWithProvider(config) {
    const { provider, password } = config.auth;
    if (provider === 'password')
      return password
        ? []
        : [
            'auth.password: false needs an identity provider (auth.provider "oidc" or "cognito"): without one, ' +
              "code-server's password is the only login",
          ];
    const problems =
      provider === 'oidc' && !config.auth.oidc
        ? ['auth.oidc: is required with auth.provider "oidc" (issuer, clientId, clientSecret)']
        : [];
    const d = config.developers;
    if (typeof d === 'number')
      return [
        ...problems,
        `developers: ${d} is a count, but auth.provider "${provider}" binds each editor to an identity; list ` +
          'developers as objects such as {"name": "alice", "email": "alice@example.com"}',
      ];
    const missing = d.flatMap((e, i) =>
      typeof e === 'string' ? [`${i} (${e})`] : e.email || e.subject ? [] : [`${i} (${e.name})`],
    );
    if (missing.length)
      problems.push(
        `developers[${missing.join(', ')}]: no identity, but auth.provider "${provider}" binds each editor to ` +
          'one; give each an "email" (or "subject"), e.g. {"name": "alice", "email": "alice@example.com"}',
      );
    if (provider === 'cognito') {
      const noEmail = d.flatMap((e) => (typeof e === 'object' && !e.email && e.subject ? [e.name] : []));
      if (noEmail.length)
        problems.push(
          `developers (${noEmail.join(', ')}): auth.provider "cognito" creates each user from their "email"; ` +
            'give each an email',
        );
    }
    return problems;
  },

  // Values AWS would refuse later, found before any call.
  tagProblems,
  domainProblems,
  vpcSizeProblems,
  subnetSizeProblems,
];
