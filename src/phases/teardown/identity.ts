import {
  DeleteInstanceProfileCommand,
  paginateListInstanceProfiles,
  paginateListRoles,
  RemoveRoleFromInstanceProfileCommand,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { DeleteSecretCommand, type SecretListEntry } from '@aws-sdk/client-secrets-manager';
import { collect } from '../../aws/ec2/collections.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { findInstanceProfile, findRole } from '../../aws/find/iam.js';
import { deleteRole } from '../../aws/iam/delete-role.js';
import { listProjectSecrets } from '../../aws/find/secrets.js';
import { TAG, tagValue } from '../../config/tags.js';
import { mayBeNamedFor, sweeper, type SweepContext, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// IAM (the host's role and profile, the backup service role) and Secrets Manager.

/**
 * IAM's List calls return no tags, so each candidate is read with its Get call; the candidates are
 * the names devenv could have given (mayBeNamedFor), so an account with many roles costs one list.
 */
async function projectEntities<T extends { Tags?: { Key?: string; Value?: string }[] }>(
  ctx: SweepContext,
  names: string[],
  get: (name: string) => Promise<T | undefined>,
): Promise<T[]> {
  const out: T[] = [];
  for (const name of names.filter((n) => mayBeNamedFor(ctx.model.project, n))) {
    const entity = await get(name);
    if (entity && tagValue(entity.Tags, TAG.project) === ctx.model.project) out.push(entity);
  }
  return out;
}

const instanceProfiles = sweeper<InstanceProfile>({
  name: 'instance-profiles',
  needs: ['instances'],
  list: async (ctx) => {
    const iam = ctx.aws.iam;
    const names = (await collect(paginateListInstanceProfiles({ client: iam }, {}), (p) => p.InstanceProfiles)).map(
      (p) => p.InstanceProfileName!,
    );
    const found = await projectEntities(ctx, names, (name) => findInstanceProfile(iam, name));
    return found.map((p) => ({ kind: 'instance profile', id: p.InstanceProfileName!, resource: p }));
  },
  remove: async (ctx, f) => {
    for (const r of f.resource.Roles ?? []) {
      await ignoring(isNotFound, () =>
        ctx.aws.iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: f.id, RoleName: r.RoleName })),
      );
    }
    await ctx.aws.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: f.id }));
  },
});

/** The host's role and the backup service role (which the backup selection names: it goes first). */
const roles = sweeper<Role>({
  name: 'roles',
  needs: ['instance-profiles', 'backup-plans'],
  list: async (ctx) => {
    const iam = ctx.aws.iam;
    const names = (await collect(paginateListRoles({ client: iam }, {}), (p) => p.Roles)).map((r) => r.RoleName!);
    const found = await projectEntities(ctx, names, (name) => findRole(iam, name));
    return found.map((r) => ({ kind: 'IAM role', id: r.RoleName!, resource: r }));
  },
  remove: (ctx, f) => deleteRole(ctx, f.id),
});

/** Said of a secret left in its recovery window, as the secrets phase says it. */
export const recoveryWindowNote = (days: number) =>
  `in a ${days}-day recovery window: \`devenv up\` restores it; --force-delete-secrets deletes it at once`;

/**
 * Secrets: scheduled for deletion with the config's recovery window (kept, restorable, until it
 * ends), or with --force-delete-secrets deleted at once, those already scheduled included.
 */
const secrets = sweeper<SecretListEntry>({
  name: 'secrets',
  needs: [],
  list: async (ctx) => {
    const force = ctx.options.forceDeleteSecrets === true;
    const found = await listProjectSecrets(ctx.aws.secrets, ctx.model.project, true);
    const window = recoveryWindowNote(ctx.config.secrets.recoveryWindowDays);
    return found.map((s) => ({
      kind: 'secret',
      id: s.Name!,
      resource: s,
      ...(s.DeletedDate && !force ? { kept: window } : {}),
    }));
  },
  stays: (ctx) =>
    ctx.options.forceDeleteSecrets ? undefined : recoveryWindowNote(ctx.config.secrets.recoveryWindowDays),
  remove: async (ctx, f) => {
    const days = ctx.config.secrets.recoveryWindowDays;
    if (ctx.options.forceDeleteSecrets) {
      await ctx.aws.secrets.send(
        new DeleteSecretCommand({ SecretId: f.resource.ARN, ForceDeleteWithoutRecovery: true }),
      );
      return;
    }
    await ctx.aws.secrets.send(new DeleteSecretCommand({ SecretId: f.resource.ARN, RecoveryWindowInDays: days }));
    return recoveryWindowNote(days);
  },
});

export const IDENTITY_SWEEPERS: Sweeper[] = [instanceProfiles, roles, secrets];
