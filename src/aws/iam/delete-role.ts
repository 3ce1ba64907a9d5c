import {
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  paginateListAttachedRolePolicies,
  paginateListInstanceProfilesForRole,
  paginateListRolePolicies,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import type { AwsContext } from '../context.js';
import { collect } from '../ec2/collections.js';
import { ignoring, isNotFound } from '../errors.js';

/** A role goes once nothing holds it: its inline policies deleted, managed ones detached, out of every profile. */
export async function deleteRole(ctx: Pick<AwsContext, 'aws'>, roleName: string): Promise<void> {
  const iam = ctx.aws.iam;
  for (const policy of await collect(
    paginateListRolePolicies({ client: iam }, { RoleName: roleName }),
    (p) => p.PolicyNames,
  )) {
    await ignoring(isNotFound, () => iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: policy })));
  }
  for (const policy of await collect(
    paginateListAttachedRolePolicies({ client: iam }, { RoleName: roleName }),
    (p) => p.AttachedPolicies,
  )) {
    await ignoring(isNotFound, () =>
      iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: policy.PolicyArn })),
    );
  }
  for (const profile of await collect(
    paginateListInstanceProfilesForRole({ client: iam }, { RoleName: roleName }),
    (p) => p.InstanceProfiles,
  )) {
    await ignoring(isNotFound, () =>
      iam.send(
        new RemoveRoleFromInstanceProfileCommand({
          InstanceProfileName: profile.InstanceProfileName,
          RoleName: roleName,
        }),
      ),
    );
  }
  await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
}
