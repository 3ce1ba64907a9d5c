import { callbackUrl, identityOf } from '../blueprint/sign-in.js';
import { loadConfig } from '../config/load.js';
import { buildModel } from '../config/model.js';
import { DevenvError } from '../errors.js';
import { table } from '../table.js';

/**
 * `devenv auth callbacks`: the redirect (callback) URL of every developer, to register at the OIDC provider's app
 * (the load balancer answers `/oauth2/idpresponse` on each developer's host). From the config alone: no AWS call.
 */
export async function authCallbacks(configPath: string, json: boolean): Promise<string> {
  const config = await loadConfig(configPath);
  const { provider } = config.auth;
  if (provider !== 'oidc') {
    throw new DevenvError(
      'config',
      provider === 'cognito'
        ? 'auth.provider is "cognito": devenv registers the callback URLs on its user pool app client itself'
        : 'auth.provider is "password": no identity provider signs developers in, so there is nothing to register',
      { remedy: 'set auth.provider to "oidc" (with auth.oidc) to sign in with your company\'s identity provider' },
    );
  }
  const rows = buildModel(config).developers.map((d) => ({
    developer: d.name,
    identity: identityOf(d) ?? null,
    callbackUrl: callbackUrl(d.hostname),
  }));
  if (json) return JSON.stringify({ provider, issuer: config.auth.oidc?.issuer, callbacks: rows });
  return [
    `Register these sign-in redirect (callback) URLs on the app of client id ${config.auth.oidc?.clientId} at ` +
      `${config.auth.oidc?.issuer}:`,
    '',
    table(
      ['developer', 'identity', 'callback URL'],
      rows.map((r) => [r.developer, r.identity ?? '-', r.callbackUrl]),
    ),
  ].join('\n');
}
