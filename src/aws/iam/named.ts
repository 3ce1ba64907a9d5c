import { CreateRoleCommand, type InstanceProfile, type Role } from '@aws-sdk/client-iam';
import type { PlannedResource } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import type { AwsContext } from '../context.js';
import { hasCode, IamCode } from '../errors.js';
import { findRole, nameFromArn } from '../find/iam.js';
import type { ResourceSpec } from '../resource.js';
import { IAM_PROPAGATION, retryWithin } from '../retry.js';
import { requireProjectTag, tagList } from '../../config/tags.js';

/** Found by name (IAM names are unique per account), created with its tags in the same call. */
export function iamNamedSpec<T extends Role | InstanceProfile>(
  ctx: Pick<AwsContext, 'model'>,
  p: PlannedResource,
  get: (name: string) => Promise<T | undefined>,
  create: () => Promise<T>,
): ResourceSpec<T> {
  const owned = async (name: string) => {
    const found = await get(name);
    if (found) requireProjectTag(ctx.model.project, found.Tags, `${p.kind} ${name}`);
    return found;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (arn) => owned(nameFromArn(arn)),
    find: async () => [await owned(p.name)].filter((r): r is T => r !== undefined),
    create,
    // Made by a run that did not live to record it, and not yet visible to the find.
    alreadyExists: (err) => hasCode(err, IamCode.alreadyExists),
    idOf: (r) => r.Arn!,
    attrs: () => ({ name: p.name }),
  };
}

/**
 * A role of this project, assumed by `trustPolicy`'s service: found by name, created with that policy,
 * a description saying what it is for, and its tags in the same call.
 */
export function roleSpec(
  ctx: Pick<AwsContext, 'model' | 'aws'>,
  p: PlannedResource,
  trustPolicy: object,
  purpose: string,
): ResourceSpec<Role> {
  return iamNamedSpec(
    ctx,
    p,
    (name) => findRole(ctx.aws.iam, name),
    async () =>
      (
        await ctx.aws.iam.send(
          new CreateRoleCommand({
            RoleName: p.name,
            AssumeRolePolicyDocument: JSON.stringify(trustPolicy),
            Description: `devenv ${ctx.model.project}: ${purpose}`,
            Tags: tagList(p.tags),
          }),
        )
      ).Role!,
  );
}

const isNoSuchEntity = (err: unknown) => hasCode(err, IamCode.noSuchEntity);

/**
 * A role or profile IAM has just made can be unknown to the next call for seconds (IAM is
 * eventually consistent [iam-ec]): that call's NoSuchEntity is retried within IAM_PROPAGATION.
 */
export async function afterPropagation<T>(
  ctx: Pick<AwsContext, 'clock' | 'signal' | 'report'>,
  what: string,
  call: () => Promise<T>,
): Promise<T> {
  try {
    return await retryWithin(IAM_PROPAGATION, isNoSuchEntity, call, {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`${what}: ${message}`),
    });
  } catch (err) {
    if (!isNoSuchEntity(err)) throw err;
    throw new DevenvError('aws', `${what} failed: IAM does not know the role or profile: ${messageOf(err)}`, {
      remedy:
        'check that both exist (aws iam get-role / get-instance-profile) and were not deleted meanwhile, then run ' +
        '`devenv up` again',
      cause: err,
    });
  }
}
