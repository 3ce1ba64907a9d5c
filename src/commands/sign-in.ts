import type { Config } from '../config/schema.js';

/** How developers sign in, as `status --json` and `credentials export` give it. */
export function signInOf(config: Config): { provider: Config['auth']['provider']; password: boolean; issuer?: string } {
  const { provider, password, oidc } = config.auth;
  return { provider, password, ...(provider === 'oidc' && oidc ? { issuer: oidc.issuer } : {}) };
}

/** The same for people: `oidc (https://corp.okta.com), then code-server's password`. */
export function describeSignIn(config: Config): string {
  const { provider, password } = signInOf(config);
  if (provider === 'password') return "code-server's password (no identity provider)";
  const who = provider === 'oidc' ? `OIDC provider ${config.auth.oidc?.issuer}` : "devenv's Cognito user pool";
  return (
    `${who} at the load balancer, each editor bound to its developer's identity` +
    (password ? ", then code-server's password" : ' (no code-server password)')
  );
}
