import { CreateTagsCommand, type Tag } from '@aws-sdk/client-ec2';
import type { PlannedResource } from '../../blueprint/types.js';
import { resourceName } from '../../config/model.js';
import type { AwsContext } from '../context.js';
import { ensureResource, type ResourceSpec } from '../resource.js';
import { TAG, tagList, tagValue } from '../../config/tags.js';
import { waitFor, waitOptions } from '../wait.js';
import { describeById, findByTags, type Ec2Collection } from './collections.js';

// ---------------------------------------------------------------------------------------------
// The resource rule for EC2 resources.

export interface Ec2ResourceSpec<T> extends ResourceSpec<T> {
  collection: Ec2Collection<T>;
}

/** A ResourceSpec for an EC2 resource of the blueprint: described by id, found by its devenv tags. */
export function ec2Resource<T>(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  collection: Ec2Collection<T>,
  planned: PlannedResource,
  create: (token: string) => Promise<T>,
): Ec2ResourceSpec<T> {
  return {
    collection,
    logicalId: planned.logicalId,
    kind: planned.kind,
    ...(planned.developer ? { developer: planned.developer } : {}),
    describe: (id) => describeById(ctx.aws.ec2, collection, id),
    find: () => findByTags(ctx.aws.ec2, collection, ctx.model, planned.logicalId),
    create,
    idOf: collection.idOf,
  };
}

/**
 * How long a just-created EC2 resource may stay invisible to Describe calls (EC2 is eventually consistent [ec2-ec]).
 */
const NEW_RESOURCE_TIMEOUT_MS = 2 * 60_000;
const NEW_RESOURCE_POLL_MS = 2_000;

/**
 * `ensureResource`, then (like Terraform) waits until a resource it created is visible to
 * Describe and ready, so the next call that names its id does not get a NotFound.
 */
export async function ensureEc2Resource<T>(
  ctx: AwsContext,
  spec: Ec2ResourceSpec<T>,
  isReady: (resource: T) => boolean = () => true,
): Promise<T> {
  const { resource, outcome } = await ensureResource(ctx, spec);
  if (outcome !== 'created' && isReady(resource)) return resource;
  const id = spec.idOf(resource);
  return waitFor(
    async () => {
      const live = await describeById(ctx.aws.ec2, spec.collection, id);
      return {
        done: live !== undefined && isReady(live),
        value: live as T,
        seen: live ? 'visible, not ready' : 'not visible yet',
      };
    },
    {
      what: `${spec.kind} ${id} to be available`,
      timeoutMs: NEW_RESOURCE_TIMEOUT_MS,
      intervalMs: NEW_RESOURCE_POLL_MS,
      ...waitOptions(ctx),
    },
  );
}

/**
 * Points an EC2 resource's `devenv:resource` tag (and its Name) at another logical id, unless it
 * already is: a host or a data volume set aside (`instance/previous`, `volume/data-previous`).
 */
export async function retag(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  id: string,
  tags: Tag[] | undefined,
  logicalId: string,
): Promise<void> {
  if (tagValue(tags, TAG.resource) === logicalId) return;
  await ctx.aws.ec2.send(
    new CreateTagsCommand({
      Resources: [id],
      Tags: tagList({ Name: resourceName(ctx.model, logicalId), [TAG.resource]: logicalId }),
    }),
  );
}
