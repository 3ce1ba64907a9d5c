import { createHash } from 'node:crypto';
import type { Model } from '../config/model.js';
import { awsResource, type PlannedResource } from './types.js';

/**
 * The logical ids of the Cognito user pool devenv makes with `auth.provider: "cognito"`: the `cognito`
 * phase records them (the pool's id with its ARN in `attrs.arn`, the app client's id, the hosted domain's
 * prefix), and the `https` phase reads them for each developer's `authenticate-cognito` action.
 */
export const USER_POOL = 'cognito/pool';
export const USER_POOL_CLIENT = 'cognito/client';
export const USER_POOL_DOMAIN = 'cognito/domain';
export const cognitoUserId = (developer: string) => `cognito/user/${developer}`;

/** The identity a developer's editor is bound to, for people: their e-mail, else their subject at the provider. */
export const identityOf = (d: { email?: string; subject?: string }): string | undefined =>
  d.email ?? (d.subject !== undefined ? `sub ${d.subject}` : undefined);

/**
 * The user pool's password policy: 14 characters at least (CIS AWS Foundations Benchmark 1.8, AWS
 * Security Hub IAM.15) with every character class (Security Hub IAM.7) [cis-password]; Cognito's default is 8.
 */
export const PASSWORD_POLICY = {
  MinimumLength: 14,
  RequireUppercase: true,
  RequireLowercase: true,
  RequireNumbers: true,
  RequireSymbols: true,
  TemporaryPasswordValidityDays: 7,
} as const;

/** The ALB's redirect URI for a developer's host: the app client lists it as a callback URL [alb-cognito-callback]. */
export const callbackUrl = (hostname: string) => `https://${hostname}/oauth2/idpresponse`;
export const callbackUrls = (model: Pick<Model, 'developers'>) => model.developers.map((d) => callbackUrl(d.hostname));

/** Words Cognito refuses in a domain prefix. */
const RESERVED = /aws|amazon|cognito/g;

/**
 * The hosted sign-in domain's prefix: `auth.cognito.domainPrefix`, or `<project>-<hash of account and region>`
 * (prefixes are unique per region across all accounts, so the project name alone is often taken).
 */
export function domainPrefix(model: Pick<Model, 'project' | 'region' | 'config'>, account: string): string {
  const given = model.config.auth.cognito.domainPrefix;
  if (given) return given;
  const hash = createHash('sha256').update(`${account}\0${model.region}`).digest('hex').slice(0, 8);
  const readable = model.project.replace(RESERVED, '').replace(/-+/g, '-').replace(/^-|-$/g, '');
  return readable ? `${readable}-${hash}` : `devenv-${hash}`;
}

export const usesCognito = (model: Pick<Model, 'config'>) => model.config.auth.provider === 'cognito';

/** The user pool, its hosted domain, app client and one user per developer: only with `auth.provider: "cognito"`. */
export function cognitoBlueprint(model: Model): PlannedResource[] {
  if (!usesCognito(model)) return [];
  const mfa = model.config.auth.cognito.mfa;
  const prefix = domainPrefix(model, model.config.accountId ?? '<account>');
  return [
    awsResource(model, USER_POOL, 'user pool', {
      mfa: `authenticator app (${mfa})`,
      passwordPolicy: `at least ${PASSWORD_POLICY.MinimumLength} characters, upper and lower case, digits, symbols`,
      selfSignUp: false,
      username: 'email',
      deletionProtection: true,
    }),
    {
      logicalId: USER_POOL_DOMAIN,
      kind: 'user pool domain',
      name: prefix,
      properties: { url: `https://${prefix}.auth.${model.region}.amazoncognito.com` },
      tags: {}, // Cognito domains take no tags: found by the pool they belong to
    },
    {
      ...awsResource(model, USER_POOL_CLIENT, 'user pool client', {
        secret: 'generated (never stored or shown)',
        oauthFlows: ['code'],
        scopes: ['openid', 'email'],
        callbackUrls: callbackUrls(model),
      }),
      tags: {}, // app clients take no tags: found by name in the pool
    },
    ...model.developers.map(
      (d): PlannedResource => ({
        logicalId: cognitoUserId(d.name),
        kind: 'Cognito user',
        name: d.email ?? d.name,
        developer: d.name,
        properties: { invitation: 'e-mailed by Cognito', emailVerified: true },
        tags: {},
      }),
    ),
  ];
}
