import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configFromEnv, ENV_KEYS } from '../config/from-env.js';
import { didYouMean } from '../config/issues.js';
import { JSON_SCHEMA_PATH } from '../config/json-schema.js';
import { placeholderWarnings } from '../config/placeholders.js';
import { configKeys, exampleOf } from '../config/reference.js';
import { configSchema } from '../config/schema.js';
import { DEFAULT_STATE_PATH } from '../defaults.js';
import { configError } from '../errors.js';

/** What `devenv init` writes without --from-env, from the schema itself: each key's example, or else its default. */
export function starterConfig(): Record<string, unknown> {
  const examples: Record<string, unknown> = {};
  for (const k of configKeys()) {
    const example = exampleOf(k);
    if (example === undefined) continue;
    const path = k.key.split('.');
    const parent = path.slice(0, -1).reduce((o, p) => {
      o[p] ??= {};
      return o[p] as Record<string, unknown>;
    }, examples);
    parent[path.at(-1)!] = example;
  }
  return { ...configSchema.parse(examples) };
}

/** The schema shipped with this package, as a path relative to the config (editors resolve it from there). */
function schemaReference(output: string): string {
  const shipped = fileURLToPath(new URL(`../../${JSON_SCHEMA_PATH}`, import.meta.url));
  const path = relative(dirname(resolve(output)), shipped);
  return path.startsWith('.') ? path : `./${path}`;
}

/** Lines of .gitignore that keep the state, the logins and keys out of git. */
const GITIGNORE = [
  DEFAULT_STATE_PATH,
  `${DEFAULT_STATE_PATH}.lock`,
  `${DEFAULT_STATE_PATH}.tmp-*`,
  'credentials/',
  '*.pem',
];

export interface InitOptions {
  output: string;
  fromEnv?: string;
  force: boolean;
}

/** Writes a config file and says what to edit next. Never overwrites without --force. */
export async function init(o: InitOptions): Promise<string[]> {
  let config: Record<string, unknown> = starterConfig();
  const notes: string[] = [];
  if (o.fromEnv) {
    const text = await readFile(o.fromEnv, 'utf8').catch((err: NodeJS.ErrnoException) => {
      throw configError(
        `${o.fromEnv}: cannot read (${err.code === 'ENOENT' ? 'no such file' : err.message})`,
        'pass the path of the .env file of the shell scripts',
      );
    });
    const converted = configFromEnv(text, o.fromEnv);
    config = converted.config as Record<string, unknown>;
    for (const name of converted.ignored) {
      const guess = didYouMean(name, Object.keys(ENV_KEYS));
      notes.push(`warning: ignored ${name}: devenv has no setting for it${guess ? ` (did you mean ${guess}?)` : ''}`);
    }
    notes.push(...converted.placeholders.map((p) => `warning: ${p}`), ...converted.notes);
  } else {
    notes.push(...placeholderWarnings(config).map((w) => `warning: ${w}`));
  }
  const text = `${JSON.stringify({ $schema: schemaReference(o.output), ...config }, null, 2)}\n`;
  try {
    await writeFile(o.output, text, { flag: o.force ? 'w' : 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      throw configError(
        `${o.output} already exists`,
        'pass --force to overwrite it, or --output <file> to write elsewhere',
      );
    throw err;
  }
  notes.push(
    `wrote ${o.output}`,
    o.fromEnv
      ? 'check it, then run `devenv plan`'
      : 'edit project, region, baseDomain, hostedZoneId, ssh.adminCidr and developers, then run `devenv plan`',
    `keep the state, the logins and keys out of git: add these lines to ` +
      `.gitignore\n${GITIGNORE.map((l) => `  ${l}`).join('\n')}`,
  );
  return notes;
}
