import {
  type CognitoIdentityProviderClient,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
  paginateListUserPools,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolCommand,
  type UpdateUserPoolCommandInput,
  type UserPoolMfaType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import { PASSWORD_POLICY } from '../../blueprint/sign-in.js';
import { tagList, type Tags } from '../../config/tags.js';
import { collect } from '../ec2/collections.js';
import { ignoring, isNotFound } from '../errors.js';
import type { Fix } from '../fix.js';

export type Mfa = 'required' | 'optional';
const MFA_MODE: Record<Mfa, UserPoolMfaType> = { required: 'ON', optional: 'OPTIONAL' };

/** The account's user pools in the region (id and name only): ListUserPools has no tag filter. */
export const listUserPools = (cognito: CognitoIdentityProviderClient) =>
  collect(paginateListUserPools({ client: cognito }, { MaxResults: 60 }), (p) => p.UserPools);

/** A user pool with its settings and tags (`UserPoolTags`); `undefined` when there is none with this id. */
export async function describeUserPool(
  cognito: CognitoIdentityProviderClient,
  id: string,
): Promise<UserPoolType | undefined> {
  try {
    return (await cognito.send(new DescribeUserPoolCommand({ UserPoolId: id }))).UserPool;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

export const poolTags = (pool: Pick<UserPoolType, 'UserPoolTags'>) => tagList(pool.UserPoolTags ?? {});

/**
 * What devenv sets on a pool besides its name, username attribute and MFA: sent whole by every
 * UpdateUserPool, which resets each setting it is not sent to its default [cognito-update-resets]
 * (self sign-up would come back on). MFA is SetUserPoolMfaConfig's (`mfaFix`).
 */
export function poolSettings(tags: Tags, deletionProtection: 'ACTIVE' | 'INACTIVE') {
  return {
    Policies: { PasswordPolicy: { ...PASSWORD_POLICY } },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    AutoVerifiedAttributes: ['email' as const],
    AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email' as const, Priority: 1 }] },
    DeletionProtection: deletionProtection,
    UserPoolTags: tags,
  };
}

/** The settings of `poolSettings` this pool lacks, for people: empty when it has them all. */
export function poolDrift(pool: UserPoolType): string[] {
  const policy = pool.Policies?.PasswordPolicy ?? {};
  const weak = (Object.keys(PASSWORD_POLICY) as (keyof typeof PASSWORD_POLICY)[]).filter(
    (k) => policy[k] !== PASSWORD_POLICY[k],
  );
  return [
    ...(weak.length ? [`password policy (${weak.join(', ')})`] : []),
    ...(pool.AdminCreateUserConfig?.AllowAdminCreateUserOnly !== true ? ['self sign-up allowed'] : []),
    ...(pool.DeletionProtection !== 'ACTIVE' ? ['deletion protection off'] : []),
  ];
}

/** UpdateUserPool with every setting devenv owns, keeping the pool's MFA mode (UpdateUserPool would reset it too). */
export function updatePool(
  cognito: CognitoIdentityProviderClient,
  pool: UserPoolType,
  tags: Tags,
  deletionProtection: 'ACTIVE' | 'INACTIVE',
): Promise<unknown> {
  const input: UpdateUserPoolCommandInput = {
    UserPoolId: pool.Id,
    ...poolSettings(tags, deletionProtection),
    ...(pool.MfaConfiguration ? { MfaConfiguration: pool.MfaConfiguration } : {}),
  };
  return cognito.send(new UpdateUserPoolCommand(input));
}

export function settingsFix(cognito: CognitoIdentityProviderClient, pool: UserPoolType, tags: Tags): Fix[] {
  const drift = poolDrift(pool);
  if (drift.length === 0) return [];
  return [
    {
      description: `user pool ${pool.Id}: set ${drift.join(', ')} back to devenv's settings`,
      run: () => updatePool(cognito, pool, tags, 'ACTIVE'),
    },
  ];
}

/**
 * Authenticator-app MFA, required or optional. Set apart from CreateUserPool: with only software
 * tokens, CreateUserPool refuses MfaConfiguration ON or OPTIONAL (it asks for an SMS configuration)
 * [cognito-mfa-create], so pools are created with MFA off and this runs right after.
 */
export async function mfaFix(cognito: CognitoIdentityProviderClient, poolId: string, mfa: Mfa): Promise<Fix[]> {
  const live = await cognito.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
  const want = MFA_MODE[mfa];
  if (live.MfaConfiguration === want && live.SoftwareTokenMfaConfiguration?.Enabled === true) return [];
  return [
    {
      description: `user pool ${poolId}: authenticator-app MFA ${mfa} (was ${live.MfaConfiguration ?? 'OFF'})`,
      run: () =>
        cognito.send(
          new SetUserPoolMfaConfigCommand({
            UserPoolId: poolId,
            MfaConfiguration: want,
            SoftwareTokenMfaConfiguration: { Enabled: true },
          }),
        ),
    },
  ];
}

/**
 * Deletes a user pool with its users and app clients: deletion protection off first (DeleteUserPool
 * refuses a protected pool [cognito-deletion-protection]), then its hosted domain (a pool with a domain
 * cannot be deleted), then the pool. NotFound counts as done.
 */
export async function deleteUserPool(
  cognito: CognitoIdentityProviderClient,
  id: string,
  tags: Tags,
  onStep: (message: string) => void = () => {},
): Promise<void> {
  const pool = await describeUserPool(cognito, id);
  if (!pool) return;
  if (pool.DeletionProtection === 'ACTIVE') {
    // With devenv's settings, not the defaults: if the delete then fails, the pool still refuses self sign-up.
    await updatePool(cognito, pool, tags, 'INACTIVE');
    onStep(`user pool ${id}: deletion protection turned off to delete it`);
  }
  if (pool.Domain) {
    await ignoring(isNotFound, () =>
      cognito.send(new DeleteUserPoolDomainCommand({ UserPoolId: id, Domain: pool.Domain })),
    );
    onStep(`deleted user pool domain ${pool.Domain}`);
  }
  await cognito.send(new DeleteUserPoolCommand({ UserPoolId: id }));
}
