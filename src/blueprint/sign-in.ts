/**
 * The logical ids of the Cognito user pool devenv makes with `auth.provider: "cognito"`: the `cognito`
 * phase records them (the pool's id with its ARN in `attrs.arn`, the app client's id, the hosted domain's
 * prefix), and the `https` phase reads them for each developer's `authenticate-cognito` action.
 */
export const USER_POOL = 'cognito/pool';
export const USER_POOL_CLIENT = 'cognito/client';
export const USER_POOL_DOMAIN = 'cognito/domain';
export const cognitoUserId = (developer: string) => `cognito/user/${developer}`;

/** Where the provider sends a developer back after sign-in: the load balancer answers it on their host. */
export const callbackUrl = (hostname: string) => `https://${hostname}/oauth2/idpresponse`;

/** The identity a developer's editor is bound to, for people: their e-mail, else their subject at the provider. */
export const identityOf = (d: { email?: string; subject?: string }): string | undefined =>
  d.email ?? (d.subject !== undefined ? `sub ${d.subject}` : undefined);
