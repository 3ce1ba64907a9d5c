import { configError } from '../errors.js';
import { parseConfig } from './load.js';
import { PLACEHOLDERS } from './placeholders.js';
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
const section = <K extends 'instance' | 'containers' | 'ssh'>(c: ConfigInput, key: K) => {
  c[key] ??= {} as NonNullable<ConfigInput[K]>;
  return c[key] as Record<string, unknown>;
};

/** Each variable of the seed's `.env` (section 0.2) and the config key it becomes. */
export const ENV_KEYS: Record<string, { key: string; set: Setter }> = {
  AWS_REGION: { key: 'region', set: (c, v) => (c.region = v) },
  AWS_ACCOUNT_ID: { key: 'accountId', set: (c, v) => (c.accountId = v) },
  AVAILABILITY_ZONE: { key: 'availabilityZone', set: (c, v) => (c.availabilityZone = v) },
  BASE_DOMAIN: { key: 'baseDomain', set: (c, v) => (c.baseDomain = v) },
  ROUTE53_HOSTED_ZONE_ID: { key: 'hostedZoneId', set: (c, v) => (c.hostedZoneId = v) },
  EC2_INSTANCE_TYPE: { key: 'instance.type', set: (c, v) => (section(c, 'instance').type = v) },
  // The seed's placeholder `ami-xxxxxxxxx` means "look up the newest Ubuntu 22.04".
  EC2_AMI_ID: {
    key: 'instance.amiId',
    set: (c, v) => {
      if (!/^ami-x+$/i.test(v)) section(c, 'instance').amiId = v;
    },
  },
  EC2_KEY_NAME: { key: 'instance.keyName', set: (c, v) => (section(c, 'instance').keyName = v) },
  ADMIN_SSH_IP: {
    key: 'ssh.adminCidr',
    set: (c, v) => (section(c, 'ssh').adminCidr = v.includes('/') ? v : `${v}/32`),
  },
  EBS_DATA_VOLUME_SIZE: {
    key: 'instance.dataVolumeGiB',
    set: (c, v) => (section(c, 'instance').dataVolumeGiB = number(v)),
  },
  EBS_ROOT_VOLUME_SIZE: {
    key: 'instance.rootVolumeGiB',
    set: (c, v) => (section(c, 'instance').rootVolumeGiB = number(v)),
  },
  NUM_DEVELOPERS: { key: 'developers', set: (c, v) => (c.developers = number(v)) },
  CONTAINER_BASE_PORT: { key: 'containers.basePort', set: (c, v) => (section(c, 'containers').basePort = number(v)) },
  PROJECT_NAME: { key: 'project', set: (c, v) => (c.project = v) },
  ENVIRONMENT: { key: 'environment', set: (c, v) => (c.environment = v) },
};

export interface Converted {
  config: ConfigInput;
  /** Variables with no devenv setting. */
  ignored: string[];
  /** Example values to replace before `devenv up`. */
  placeholders: string[];
  /** What the user must do for the conversion to work (export the key variables). */
  notes: string[];
}

/** The scripts' per-developer Claude key variables (`DEV3_CLAUDE_KEY`, read into dev3's container). */
const CLAUDE_KEY = /^DEV(\d+)_CLAUDE_KEY$/;

/**
 * `DEVn_CLAUDE_KEY` becomes devN's `anthropicApiKey: {"env": "DEVn_CLAUDE_KEY"}`: the key itself never
 * goes into the config, devenv reads the variable when it runs. An empty one means the shared key.
 */
function claudeKeys(
  config: ConfigInput,
  vars: Map<string, { value: string }>,
  source: string,
): { notes: string[]; ignored: string[] } {
  const count = typeof config.developers === 'number' ? config.developers : 0;
  const keyed = new Map<number, string>();
  const ignored: string[] = [];
  for (const [name, { value }] of vars) {
    const m = CLAUDE_KEY.exec(name);
    if (!m || !value) continue;
    if (Number(m[1]) >= 1 && Number(m[1]) <= count) keyed.set(Number(m[1]), name);
    else ignored.push(name);
  }
  if (keyed.size === 0) return { notes: [], ignored };
  config.developers = Array.from({ length: count }, (_, i) => {
    const variable = keyed.get(i + 1);
    return variable ? { name: `dev${i + 1}`, anthropicApiKey: { env: variable } } : `dev${i + 1}`;
  });
  const names = [...keyed.values()];
  return {
    ignored,
    notes: [
      `the Anthropic API keys of ${[...keyed.keys()].map((n) => `dev${n}`).join(', ')} are read ` +
        `from ${names.join(', ')} when devenv runs (never written to the config): export them first, e.g. \`set ` +
        `-a; . ${source}; set +a\``,
    ],
  };
}

/**
 * Converts the seed's `.env` into a devenv config; the result is validated like any config, naming the .env variable at
 * fault.
 */
export function configFromEnv(text: string, source: string): Converted {
  const vars = parseDotenv(text);
  const config = {} as ConfigInput;
  const ignored: string[] = [];
  for (const [name, { value }] of vars) {
    const target = ENV_KEYS[name];
    if (target) target.set(config, value);
    else if (!CLAUDE_KEY.test(name)) ignored.push(name);
  }
  const keys = claudeKeys(config, vars, source);
  ignored.push(...keys.ignored);
  // The seed puts the ALB's second subnet in zone "b" of the region (section 1.2).
  if (config.availabilityZone && !config.albAvailabilityZone) {
    config.albAvailabilityZone = config.availabilityZone.replace(/[a-z]$/, (z) => (z === 'b' ? 'a' : 'b'));
  }
  try {
    parseConfig(JSON.stringify(config), source);
  } catch (err) {
    const lines = (err as Error).message
      .split('\n')
      .slice(1)
      .map((line) => inEnvTerms(line, source));
    throw configError(
      `${source} does not convert to a valid devenv config:\n${lines.join('\n')}`,
      `fix the variable in ${source} and run \`devenv init --from-env ${source}\` again`,
    );
  }
  const placeholders = PLACEHOLDERS.flatMap(({ key, test, why }) => {
    const variable = Object.keys(ENV_KEYS).find((name) => ENV_KEYS[name].key === key)!;
    const value = vars.get(variable);
    return value && test(value.value)
      ? [`${variable}=${value.value} (line ${value.line}) is ${why}: replace it in the config (${key})`]
      : [];
  });
  return { config, ignored, placeholders, notes: keys.notes };
}

/**
 * " - developers: …" → " - NUM_DEVELOPERS (developers): …"; a required key that is absent names the variable to add.
 */
function inEnvTerms(line: string, source: string): string {
  const m = /^ {2}- ([^:]+): (.*)$/.exec(line);
  if (!m) return line;
  const [, path, problem] = m;
  const missing = problem === 'is required';
  const entry = Object.entries(ENV_KEYS).find(([, { key }]) => key === path || (missing && key.startsWith(`${path}.`)));
  if (!entry) return line;
  const [variable, { key }] = entry;
  return missing
    ? `  - ${variable} (${key}): missing from ${source}: add ${variable}=…`
    : `  - ${variable} (${key}): ${problem}`;
}
