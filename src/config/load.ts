import { readFile } from 'node:fs/promises';
import { DEFAULT_CONFIG_PATH } from '../defaults.js';
import { configError } from '../errors.js';
import { configSchema, type Config } from './schema.js';
import { describeIssue, humanMessage, jsonSyntaxError } from './issues.js';
import { partialConfig, runRules } from './partial.js';
import { CONFIG_RULES } from './rules.js';

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
    throw configError(
      `${path}: not valid JSON at ${jsonSyntaxError(text, err as Error)}`,
      'fix the syntax; `devenv init` writes a valid example',
    );
  }
  const result = configSchema.safeParse(raw, { error: humanMessage });
  // The rules across keys run on whatever parsed, so one round shows every problem.
  const schemaProblems = result.success ? [] : result.error.issues.flatMap((i) => describeIssue(i, raw, configSchema));
  const parsed = result.success ? result.data : partialConfig(configSchema, raw, result.error.issues);
  const problems = [...new Set([...schemaProblems, ...(parsed ? runRules(parsed, CONFIG_RULES) : [])])];
  if (problems.length > 0) {
    throw configError(
      `${path} is not a valid devenv config:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'fix the keys above; `devenv init` writes a complete example with every key',
    );
  }
  return (result as { data: Config }).data;
}
