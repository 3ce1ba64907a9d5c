import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { expandHome, type Developer } from '../config/model.js';
import type { Config, KeySource } from '../config/schema.js';
import { DevenvError } from '../errors.js';

/** Anthropic keys are ~100 characters; anything far longer is the wrong file. */
const MAX_KEY_LENGTH = 1024;

/**
 * Reads developers' Anthropic API keys from the files or environment variables the config
 * names, once per source (a shared key is read once). Never prompts; errors name the developer,
 * the source and the fix, never the value.
 */
export class ApiKeyReader {
  private readonly cache = new Map<string, Promise<string>>();

  constructor(
    private readonly config: Config,
    private readonly env: Record<string, string | undefined>,
  ) {}

  read(developer: Pick<Developer, 'name' | 'anthropicApiKey'>): Promise<string> {
    const source = developer.anthropicApiKey;
    if (!source) throw new Error(`developer ${developer.name} has no Anthropic API key source`);
    const key = JSON.stringify(source);
    let value = this.cache.get(key);
    if (!value) {
      value = this.load(source, this.owner(developer));
      this.cache.set(key, value);
    }
    return value;
  }

  /** Who the key belongs to, for messages: a developer's own key or the shared one. */
  private owner(developer: Pick<Developer, 'name' | 'anthropicApiKey'>): string {
    const shared = this.config.secrets.anthropicApiKey;
    return shared && JSON.stringify(shared) === JSON.stringify(developer.anthropicApiKey)
      ? `the shared Anthropic API key (secrets.anthropicApiKey, used by ${developer.name})`
      : `developer ${developer.name}'s Anthropic API key`;
  }

  private async load(source: KeySource, owner: string): Promise<string> {
    const raw = 'env' in source ? this.fromEnv(source.env, owner) : await fromFile(source.file, owner);
    const value = raw.trim();
    const where = 'env' in source ? `environment variable ${source.env}` : `file ${source.file}`;
    if (!value) throw keyError(`${owner}: the ${where} is empty`, 'put the key (and nothing else) there');
    if (value.length > MAX_KEY_LENGTH || /\s/.test(value)) {
      throw keyError(
        `${owner}: the ${where} does not hold a single API key (it has whitespace inside or is ` +
          `over ${MAX_KEY_LENGTH} characters)`,
        'put the key, and nothing else, there',
      );
    }
    return value;
  }

  private fromEnv(name: string, owner: string): string {
    const value = this.env[name];
    if (value === undefined) {
      throw keyError(
        `${owner} comes from the environment variable ${name}, which is not set`,
        `export ${name}=<key> before running devenv, or remove anthropicApiKey from the config`,
      );
    }
    return value;
  }
}

async function fromFile(path: string, owner: string): Promise<string> {
  const full = resolve(expandHome(path));
  try {
    return await readFile(full, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'is not readable by you'
          : `cannot be read (${code ?? 'unknown error'})`;
    throw keyError(
      `${owner} comes from the file ${full}, which ${why}`,
      `write the key to ${full} (chmod 600), or point anthropicApiKey at the right file`,
    );
  }
}

const keyError = (message: string, remedy: string) => new DevenvError('config', message, { remedy });
