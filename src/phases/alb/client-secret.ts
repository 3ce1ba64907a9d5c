import { readSecretValue } from '../../aws/find/secrets.js';
import { readOnce } from '../../aws/read-once.js';
import { DevenvError } from '../../errors.js';
import type { Context } from '../types.js';

/** Client secrets are a few dozen characters; anything far longer is the wrong value. */
const MAX_SECRET_LENGTH = 1024;

/**
 * The OIDC client secret, from where auth.oidc.clientSecret says (an environment variable the command passed in
 * `ctx.env`, or Secrets Manager), read once a run and only when a call must carry it. It goes to the load balancer
 * API and nowhere else: errors name the source, never the value.
 */
export function readClientSecret(ctx: Pick<Context, 'config' | 'env' | 'aws' | 'reads'>): Promise<string> {
  const source = ctx.config.auth.oidc?.clientSecret;
  if (!source) throw new Error('auth.oidc.clientSecret is not set');
  return readOnce(ctx, 'oidc:client-secret', async () => {
    const where =
      'env' in source ? `the environment variable ${source.env}` : `Secrets Manager secret ${source.secretsManager}`;
    const value = 'env' in source ? ctx.env[source.env] : await readSecretValue(ctx.aws.secrets, source.secretsManager);
    if (value === undefined) {
      throw secretError(
        `auth.oidc.clientSecret: ${where} ${'env' in source ? 'is not set' : 'does not exist (or holds no string)'}`,
        'env' in source
          ? `export ${source.env}=<the client secret> before running devenv`
          : `aws secretsmanager create-secret --name ${source.secretsManager} --secret-string <the client secret>`,
      );
    }
    const secret = value.trim();
    if (!secret || secret.length > MAX_SECRET_LENGTH || /\s/.test(secret)) {
      throw secretError(
        `auth.oidc.clientSecret: ${where} does not hold one client secret (it is empty, has whitespace inside or ` +
          `is over ${MAX_SECRET_LENGTH} characters)`,
        "put the provider's client secret, and nothing else, there",
      );
    }
    return secret;
  });
}

const secretError = (message: string, remedy: string) => new DevenvError('config', message, { remedy });
