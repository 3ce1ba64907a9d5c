import { readFile, writeFile } from 'node:fs/promises';
import { configFromEnv, ENV_KEYS } from '../config/from-env.js';
import { didYouMean } from '../config/issues.js';
import type { ConfigInput } from '../config/schema.js';
import { configError } from '../errors.js';

/** What `devenv init` writes without --from-env: a complete starting point, to edit. */
export const STARTER_CONFIG: ConfigInput = {
  project: 'code-server-multi-dev',
  environment: 'production',
  region: 'ap-southeast-7',
  availabilityZone: 'ap-southeast-7a',
  albAvailabilityZone: 'ap-southeast-7b',
  baseDomain: 'dev.example.com',
  hostedZoneId: 'Z1234567890ABC',
  instance: { type: 't3.2xlarge', rootVolumeGiB: 50, dataVolumeGiB: 500 },
  ssh: { adminCidr: '203.0.113.7/32' },
  developers: ['alice', 'bob', 'carol'],
  containers: { basePort: 8443, image: 'codercom/code-server:4.100.3', cpuLimit: 1.5, memoryLimitMiB: 4096, cpuReservation: 1, memoryReservationMiB: 3072 },
  secrets: { recoveryWindowDays: 7 },
  tags: { CostCenter: 'engineering' },
};

export interface InitOptions {
  output: string;
  fromEnv?: string;
  force: boolean;
}

/** Writes a config file and says what to edit next. Never overwrites without --force. */
export async function init(o: InitOptions): Promise<string[]> {
  let config = STARTER_CONFIG;
  const notes: string[] = [];
  if (o.fromEnv) {
    const text = await readFile(o.fromEnv, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw configError(`${o.fromEnv}: cannot read (${err.code === 'ENOENT' ? 'no such file' : err.message})`, 'pass the path of the .env file of the shell scripts');
    });
    const converted = configFromEnv(text, o.fromEnv);
    config = converted.config;
    for (const name of converted.ignored) {
      const guess = didYouMean(name, Object.keys(ENV_KEYS));
      notes.push(`warning: ignored ${name}: devenv has no setting for it${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
    notes.push(...converted.placeholders.map((p) => `warning: ${p}`));
  }
  try {
    await writeFile(o.output, `${JSON.stringify(config, null, 2)}\n`, { flag: o.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw configError(`${o.output} already exists`, 'pass --force to overwrite it, or --output <file> to write elsewhere');
    throw err;
  }
  notes.push(`wrote ${o.output}`, o.fromEnv ? 'check it, then run `devenv plan`' : 'edit baseDomain, hostedZoneId, ssh.adminCidr and developers, then run `devenv plan`');
  return notes;
}
