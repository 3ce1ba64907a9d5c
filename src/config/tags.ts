import type { Allocation, Model } from './model.js';
import { DevenvError } from '../errors.js';
import { resourceName } from './model.js';

export const TAG = {
  project: 'devenv:project',
  resource: 'devenv:resource',
  developer: 'devenv:developer',
  port: 'devenv:port',
  priority: 'devenv:priority',
} as const;

export type Tags = Record<string, string>;

/**
 * The tags every resource gets: Name, Project, Environment, ManagedBy, the devenv keys, and the config's extra tags.
 */
export function tagsFor(model: Model, logicalId: string, developer?: string): Tags {
  return {
    ...model.config.tags,
    Name: resourceName(model, logicalId),
    Project: model.project,
    Environment: model.config.environment,
    ManagedBy: 'devenv',
    [TAG.project]: model.project,
    [TAG.resource]: logicalId,
    ...(developer ? { [TAG.developer]: developer } : {}),
  };
}

export const tagList = (tags: Tags): { Key: string; Value: string }[] =>
  Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

/** EC2 `TagSpecifications` for a create call. */
export const tagSpecifications = <T extends string>(resourceType: T, tags: Tags) => [
  { ResourceType: resourceType, Tags: tagList(tags) },
];

/** EC2 `Filters` that find a resource by its devenv tags. */
export function tagFilters(model: Pick<Model, 'project'>, logicalId?: string): { Name: string; Values: string[] }[] {
  return [
    { Name: `tag:${TAG.project}`, Values: [model.project] },
    ...(logicalId ? [{ Name: `tag:${TAG.resource}`, Values: [logicalId] }] : []),
  ];
}

export function tagValue(tags: { Key?: string; Value?: string }[] | undefined, key: string): string | undefined {
  return tags?.find((t) => t.Key === key)?.Value;
}

/**
 * Refuses to adopt a resource that only shares devenv's name: its policy would be overwritten
 * and `destroy` would delete it.
 */
export function requireProjectTag(
  project: string,
  tags: { Key?: string; Value?: string }[] | undefined,
  what: string,
): void {
  const owner = tagValue(tags, TAG.project);
  if (owner === project) return;
  throw new DevenvError(
    'aws',
    `${what} already exists but is not devenv's for project ${project} (its ${TAG.project} tag ` +
      `is ${owner ? `"${owner}"` : 'missing'})`,
    {
      remedy:
        `delete or rename it if nothing uses it, or tag it ${TAG.project}=${project} to let devenv manage ` +
        `(and later delete) it`,
    },
  );
}

type TagList = { Key?: string; Value?: string }[] | undefined;

/**
 * The resources of a listing named `name` (a name unique per region: an alarm, a target group, a
 * log group, a load balancer), each refused unless it carries this project's tag: a same-named one
 * of another project is never adopted. `tagsOf` reads the tags of those found, in their order.
 */
export async function ownedByName<T>(
  project: string,
  what: string,
  listed: T[],
  name: string,
  o: { nameOf(r: T): string | undefined; tagsOf(found: T[]): Promise<TagList[]> },
): Promise<T[]> {
  const found = listed.filter((r) => o.nameOf(r) === name);
  if (found.length === 0) return [];
  const tags = await o.tagsOf(found);
  for (const i of found.keys()) requireProjectTag(project, tags[i], `${what} ${name}`);
  return found;
}

/** A developer's allocation as tags on a resource they own: what recovers it when the state is lost. */
export const allocationTags = (a: Allocation): Tags => ({
  [TAG.port]: String(a.port),
  [TAG.priority]: String(a.priority),
});

/** The allocation a resource's tags record; `undefined` when they record none (or a malformed one). */
export function allocationFromTags(tags: { Key?: string; Value?: string }[] | undefined): Allocation | undefined {
  const number = (key: string) => {
    const value = tagValue(tags, key);
    return value !== undefined && /^[1-9]\d{0,4}$/.test(value) ? Number(value) : undefined;
  };
  const port = number(TAG.port);
  const priority = number(TAG.priority);
  return port !== undefined && priority !== undefined ? { port, priority } : undefined;
}
