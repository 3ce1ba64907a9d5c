import type { InstanceProfile, Role } from '@aws-sdk/client-iam';
import type { PlannedResource } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import type { AwsContext } from '../context.js';
import { hasCode, IamCode } from '../errors.js';
import { nameFromArn } from '../find/iam.js';
import type { ResourceSpec } from '../resource.js';
import { IAM_PROPAGATION, retryWithin } from '../retry.js';
import { requireProjectTag } from '../../config/tags.js';

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
