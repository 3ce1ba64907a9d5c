import type { RuleAuth } from '../../aws/elbv2/listeners.js';
import { USER_POOL, USER_POOL_CLIENT, USER_POOL_DOMAIN } from '../../blueprint/sign-in.js';
import { DevenvError } from '../../errors.js';
import { recordedId } from '../../state/recorded.js';
import type { Context } from '../types.js';
import { oidcEndpoints } from '../validate/oidc.js';
import { readClientSecret } from './client-secret.js';

/**
 * The phase that makes the user pool with `auth.provider: "cognito"`: the https phase reads what it records (and
 * runs after it; with another provider, before it: phases/index.ts, `removal`).
 */
export const COGNITO_PHASE = 'cognito';

/** What the load balancer asks the provider for: the identity and the e-mail the host's gate checks. */
export const SCOPE = 'openid email';

/** The load balancer's session cookie: one name per project, so two environments under one domain never mix. */
export const sessionCookieName = (project: string) => `devenv-${project}-auth`;

/**
 * The sign-in each developer's rule does before it forwards, or `undefined` with `auth.provider: "password"`.
 * `forPlan`: `plan` and `status` show what would change before the cognito phase has run, so its ids may be missing.
 */
export async function ruleAuth(ctx: Context, forPlan = false): Promise<RuleAuth | undefined> {
  const { auth, project } = ctx.config;
  const common = {
    SessionCookieName: sessionCookieName(project),
    Scope: SCOPE,
    SessionTimeout: auth.sessionTimeoutSeconds,
    OnUnauthenticatedRequest: 'authenticate' as const,
  };
  if (auth.provider === 'oidc') {
    const oidc = auth.oidc!;
    const endpoints = await oidcEndpoints(ctx, oidc);
    return {
      type: 'authenticate-oidc',
      config: {
        Issuer: oidc.issuer,
        AuthorizationEndpoint: endpoints.authorizationEndpoint,
        TokenEndpoint: endpoints.tokenEndpoint,
        UserInfoEndpoint: endpoints.userInfoEndpoint,
        ClientId: oidc.clientId,
        ...common,
      },
      clientSecret: () => readClientSecret(ctx),
      rotateSecret: ctx.options.rotateClientSecret === true,
    };
  }
  if (auth.provider === 'cognito') {
    const id = (logicalId: string) =>
      forPlan
        ? (ctx.state.resource(logicalId)?.id ?? `${logicalId} (once made)`)
        : recordedId(ctx, logicalId, COGNITO_PHASE);
    const arn = ctx.state.resource(USER_POOL)?.attrs?.arn;
    if (typeof arn !== 'string' && !forPlan) {
      recordedId(ctx, USER_POOL, COGNITO_PHASE, 'user pool');
      throw new DevenvError('phase', `the state records the user pool ${id(USER_POOL)} but not its ARN`, {
        remedy: `run \`devenv phase ${COGNITO_PHASE}\` (it records it), then \`devenv up\` again`,
      });
    }
    return {
      type: 'authenticate-cognito',
      config: {
        UserPoolArn: typeof arn === 'string' ? arn : `${USER_POOL} (its ARN, once made)`,
        UserPoolClientId: id(USER_POOL_CLIENT),
        UserPoolDomain: id(USER_POOL_DOMAIN),
        ...common,
      },
    };
  }
  return undefined;
}
