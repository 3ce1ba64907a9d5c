import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  AdminEnableUserCommand,
  type CognitoIdentityProviderClient,
  ListUsersCommand,
  paginateListUsers,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { collect } from '../ec2/collections.js';
import { hasCode } from '../errors.js';

export type PoolUser = UserType;

export const emailOf = (u: PoolUser) => u.Attributes?.find((a) => a.Name === 'email')?.Value;

/** Every user of the pool: one paginated read for all developers. */
export const listUsers = (cognito: CognitoIdentityProviderClient, poolId: string) =>
  collect(paginateListUsers({ client: cognito }, { UserPoolId: poolId }), (p) => p.Users);

/** The pool's users with this email, read now (ListUsers with a filter): after a create the listing lacks. */
export async function usersWithEmail(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  email: string,
): Promise<PoolUser[]> {
  const filter = `email = "${email.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
  const out = await cognito.send(new ListUsersCommand({ UserPoolId: poolId, Filter: filter }));
  return (out.Users ?? []).filter((u) => emailOf(u) === email);
}

/** Creates a developer's user: Cognito e-mails the invitation (a temporary password); the email counts as verified. */
export async function createUser(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  email: string,
): Promise<PoolUser> {
  const out = await cognito.send(
    new AdminCreateUserCommand({
      UserPoolId: poolId,
      Username: email,
      UserAttributes: [
        { Name: 'email', Value: email },
        { Name: 'email_verified', Value: 'true' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    }),
  );
  return out.User!;
}

export const isUsernameTaken = (err: unknown) => hasCode(err, 'UsernameExistsException');

export const setUserEnabled = (cognito: CognitoIdentityProviderClient, poolId: string, username: string, on: boolean) =>
  cognito.send(
    on
      ? new AdminEnableUserCommand({ UserPoolId: poolId, Username: username })
      : new AdminDisableUserCommand({ UserPoolId: poolId, Username: username }),
  );

export const deleteUser = (cognito: CognitoIdentityProviderClient, poolId: string, username: string) =>
  cognito.send(new AdminDeleteUserCommand({ UserPoolId: poolId, Username: username }));
