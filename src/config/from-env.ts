import { configError } from '../errors.js';
import { parseConfig } from './load.js';
import type { ConfigInput } from './schema.js';

/** Parses a shell `.env` file: KEY=value lines, optional `export`, quotes, and `# comments` after values. */
export function parseDotenv(text: string): Map<string, { value: string; line: number }> {
  const out = new Map<string, { value: string; line: number }>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) throw configError(`line ${i + 1}: "${line}" is not KEY=value`, 'fix or remove that line');
    let value = m[2];
    const quoted = /^(["'])(.*?)\1(\s+#.*)?$/.exec(value);
    value = quoted ? quoted[2] : value.replace(/\s+#.*$/, '').trim();
    out.set(m[1], { value, line: i + 1 });
  });
  return out;
}

type Setter = (config: ConfigInput, value: string) => void;

const number = (value: string) => (/^\d+$/.test(value) ? Number(value) : (value as unknown as number));
const section = <K extends 'instance' | 'containers' | 'ssh'>(c: ConfigInput, key: K) =>
  (c[key] ??= {} as NonNullable<ConfigInput[K]>) as Record<string, unknown>;

/** Each variable of the seed's `.env` (section 0.2) and the config key it becomes. */
export const ENV_KEYS: Record<string, { key: string; set: Setter }> = {
  AWS_REGION: { key: 'region', set: (c, v) => (c.region = v) },
  AWS_ACCOUNT_ID: { key: 'accountId', set: (c, v) => (c.accountId = v) },
  AVAILABILITY_ZONE: { key: 'availabilityZone', set: (c, v) => (c.availabilityZone = v) },
  BASE_DOMAIN: { key: 'baseDomain', set: (c, v) => (c.baseDomain = v) },
  ROUTE53_HOSTED_ZONE_ID: { key: 'hostedZoneId', set: (c, v) => (c.hostedZoneId = v) },
  EC2_INSTANCE_TYPE: { key: 'instance.type', set: (c, v) => (section(c, 'instance').type = v) },
  // The seed's placeholder `ami-xxxxxxxxx` means "look up the newest Ubuntu 22.04".
  EC2_AMI_ID: { key: 'instance.amiId', set: (c, v) => { if (!/^ami-x+$/i.test(v)) section(c, 'instance').amiId = v; } },
  EC2_KEY_NAME: { key: 'instance.keyName', set: (c, v) => (section(c, 'instance').keyName = v) },
  ADMIN_SSH_IP: { key: 'ssh.adminCidr', set: (c, v) => (section(c, 'ssh').adminCidr = v.includes('/') ? v : `${v}/32`) },
  EBS_DATA_VOLUME_SIZE: { key: 'instance.dataVolumeGiB', set: (c, v) => (section(c, 'instance').dataVolumeGiB = number(v)) },
  EBS_ROOT_VOLUME_SIZE: { key: 'instance.rootVolumeGiB', set: (c, v) => (section(c, 'instance').rootVolumeGiB = number(v)) },
  NUM_DEVELOPERS: { key: 'developers', set: (c, v) => (c.developers = number(v)) },
  CONTAINER_BASE_PORT: { key: 'containers.basePort', set: (c, v) => (section(c, 'containers').basePort = number(v)) },
  PROJECT_NAME: { key: 'project', set: (c, v) => (c.project = v) },
  ENVIRONMENT: { key: 'environment', set: (c, v) => (c.environment = v) },
};

/** Converts the seed's `.env` into a devenv config; the result is validated like any config, naming the .env variable at fault. */
export function configFromEnv(text: string, source: string): { config: ConfigInput; ignored: string[] } {
  const vars = parseDotenv(text);
  const config = {} as ConfigInput;
  const ignored: string[] = [];
  for (const [name, { value }] of vars) {
    const target = ENV_KEYS[name];
    if (target) target.set(config, value);
    else ignored.push(name);
  }
  // The seed puts the ALB's second subnet in zone "b" of the region (section 1.2).
  if (config.availabilityZone && !config.albAvailabilityZone) {
    config.albAvailabilityZone = config.availabilityZone.replace(/[a-z]$/, (z) => (z === 'b' ? 'a' : 'b'));
  }
  try {
    parseConfig(JSON.stringify(config), source);
  } catch (err) {
    // Name the .env variable, not only the config key it became: "NUM_DEVELOPERS (developers): …".
    const lines = (err as Error).message.split('\n').slice(1).map((line) => {
      const entry = Object.entries(ENV_KEYS).find(([, { key }]) => line.startsWith(`  - ${key}:`));
      return entry ? line.replace(`  - ${entry[1].key}:`, `  - ${entry[0]} (${entry[1].key}):`) : line;
    });
    throw configError(`${source} does not convert to a valid devenv config:\n${lines.join('\n')}`,
      `fix the variable in ${source} and run \`devenv init --from-env ${source}\` again`);
  }
  return { config, ignored };
}
