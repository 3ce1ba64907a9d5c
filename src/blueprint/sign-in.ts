/**
 * The logical ids of the Cognito user pool devenv makes with `auth.provider: "cognito"`: the `cognito`
 * phase records them (the pool's id with its ARN in `attrs.arn`, the app client's id, the hosted domain's
 * prefix), and the `https` phase reads them for each developer's `authenticate-cognito` action.
 */
export const USER_POOL = 'cognito/pool';
export const USER_POOL_CLIENT = 'cognito/client';
export const USER_POOL_DOMAIN = 'cognito/domain';
export const cognitoUserId = (developer: string) => `cognito/user/${developer}`;
