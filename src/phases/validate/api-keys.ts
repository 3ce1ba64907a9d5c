import { DevenvError, messageOf } from '../../errors.js';
import { ApiKeyReader } from '../../secrets/api-keys.js';
import type { Context } from '../types.js';
import { fail, pass, type ValidationResult } from './result.js';

/**
 * Every Anthropic API key the config names can be read (its environment variable set, its file
 * readable, one key in it): checked here so that a missing one stops `up` before anything is
 * created, not in the secrets phase after the network and the host. Never shows a key.
 */
export async function checkApiKeys(ctx: Context): Promise<ValidationResult> {
  const withKey = ctx.model.developers.filter((d) => d.anthropicApiKey);
  const keys = new ApiKeyReader(ctx.config, ctx.env);
  const problems = await Promise.all(
    withKey.map((d) =>
      keys.read(d).then(
        () => undefined,
        (err: unknown) => {
          if (!(err instanceof DevenvError) || err.kind !== 'config') throw err;
          return `${messageOf(err)}${err.remedy ? `: ${err.remedy}` : ''}`;
        },
      ),
    ),
  );
  const failed = [...new Set(problems.filter((p): p is string => p !== undefined))];
  if (failed.length > 0) return fail('API keys', failed.join('; '), { cause: 'config' });
  return pass(
    'API keys',
    `the Anthropic API key${withKey.length > 1 ? 's' : ''} of ${withKey.length} developer` +
      `${withKey.length > 1 ? 's' : ''} can be read`,
  );
}
