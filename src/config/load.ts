import { readFile } from 'node:fs/promises';
import { DEFAULT_CONFIG_PATH } from '../defaults.js';
import { configError } from '../errors.js';
import { cidrContains, cidrsOverlap, parseCidr } from './cidr.js';
import { configSchema, type Config } from './schema.js';
import { describeIssue, humanMessage, jsonSyntaxError } from './issues.js';
import { awsLimitProblems } from './limits.js';
import { buildModel, developerNames } from './model.js';
import { adminCidrProblems } from './ssh.js';
import { networkPoolProblems } from './network-pool.js';

/** Reads, parses and validates a config file; every problem is reported at once, with its key path. */
export async function loadConfig(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw configError(
      missing ? `${path}: no such config file` : `${path}: cannot read (${(err as Error).message})`,
      missing ? 'create one with `devenv init` (or `devenv init --from-env .env`), or pass --config <file>' : undefined,
    );
  }
  return parseConfig(text, path);
}

export function parseConfig(text: string, path = DEFAULT_CONFIG_PATH): Config {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw configError(`${path}: not valid JSON at ${jsonSyntaxError(text, err as Error)}`, 'fix the syntax; `devenv init` writes a valid example');
  }
  const result = configSchema.safeParse(raw, { error: humanMessage });
  const problems = result.success ? crossFieldProblems(result.data) : result.error.issues.flatMap((i) => describeIssue(i, raw, configSchema));
  if (problems.length > 0) {
    throw configError(`${path} is not a valid devenv config:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'fix the keys above; `devenv init` writes a complete example with every key');
  }
  return (result as { data: Config }).data;
}

/** Rules that span several keys, which the schema alone cannot express. */
function crossFieldProblems(config: Config): string[] {
  const problems: string[] = [];
  const names = developerNames(config);
  const seen = new Set<string>();
  names.forEach((name, i) => {
    if (seen.has(name)) problems.push(`developers[${i}]: "${name}" appears twice (names must be unique)`);
    seen.add(name);
  });

  const hostAz = config.availabilityZone ?? `${config.region}a`;
  const albAz = config.albAvailabilityZone ?? `${config.region}b`;
  for (const [key, az] of [['availabilityZone', hostAz], ['albAvailabilityZone', albAz]] as const) {
    if (!az.startsWith(config.region)) problems.push(`${key}: "${az}" is not in region ${config.region}`);
  }
  if (hostAz === albAz) problems.push(`albAvailabilityZone: "${albAz}" equals availabilityZone (an ALB needs two different zones)`);

  const vpc = parseCidr(config.network.vpcCidr)!;
  const [a, b] = config.network.subnetCidrs.map((c) => parseCidr(c)!);
  config.network.subnetCidrs.forEach((text, i) => {
    if (!cidrContains(vpc, [a, b][i])) problems.push(`network.subnetCidrs[${i}]: "${text}" is not inside vpcCidr ${config.network.vpcCidr}`);
  });
  if (cidrsOverlap(a, b)) problems.push(`network.subnetCidrs: "${config.network.subnetCidrs.join('" and "')}" overlap`);

  for (const { key, problem } of adminCidrProblems(config.ssh)) problems.push(`${key}: ${problem}`);
  problems.push(...networkPoolProblems(config));
  if (!config.alb.allowedCidrs.some((c) => !c.includes(':'))) {
    problems.push(`alb.allowedCidrs: ${JSON.stringify(config.alb.allowedCidrs)} lists no IPv4 block, but the load balancer has IPv4 addresses only: nobody could reach it; add your IPv4 networks`);
  }

  // Each developer's resolved limits; a problem is blamed on the developer who overrides the values, else on containers.
  buildModel(config).developers.forEach((d, i) => {
    const entry = Array.isArray(config.developers) ? config.developers[i] : undefined;
    const own = (keys: string[]) => typeof entry === 'object' && keys.some((k) => k in entry);
    const where = (keys: string[]) => (own(keys) ? `developers[${i}] (${d.name})` : 'containers');
    if (d.cpuReservation > d.cpuLimit) problems.push(`${where(['cpuReservation', 'cpuLimit'])}: cpuReservation ${d.cpuReservation} is above cpuLimit ${d.cpuLimit}`);
    if (d.memoryReservationMiB > d.memoryLimitMiB) {
      problems.push(`${where(['memoryReservationMiB', 'memoryLimitMiB'])}: memoryReservationMiB ${d.memoryReservationMiB} is above memoryLimitMiB ${d.memoryLimitMiB}`);
    }
  });
  return [...new Set([...problems, ...awsLimitProblems(config)])];
}
