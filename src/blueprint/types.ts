import type { Tags } from '../config/tags.js';
import { tagsFor } from '../config/tags.js';
import { resourceName, type Model } from '../config/model.js';
import { awsName, type AwsKind } from './names.js';

export type PropertyValue = string | number | boolean | string[];

/**
 * One resource a phase will own, derived from the config alone. Phases take names, tags and
 * settings from here, so `plan --offline` shows exactly what `up` creates.
 */
export interface PlannedResource {
  logicalId: string;
  kind: string;
  name: string;
  developer?: string;
  properties: Record<string, PropertyValue>;
  /** Empty for things that are not AWS resources (a container, a directory on the host). */
  tags: Tags;
}

/**
 * A planned AWS resource with devenv's tags and its full name (`<project>-<logical id>` unless
 * given) in the Name tag; its AWS name is the full name made valid for its kind's API (awsName).
 */
export function awsResource(
  model: Model,
  logicalId: string,
  kind: AwsKind,
  properties: Record<string, PropertyValue>,
  developer?: string,
  fullName = resourceName(model, logicalId),
): PlannedResource {
  return {
    logicalId,
    kind,
    name: awsName(kind, fullName),
    developer,
    properties,
    tags: { ...tagsFor(model, logicalId, developer), Name: fullName },
  };
}

/** Finds a planned resource by logical id; a missing one is a programming error. */
export function pick(resources: PlannedResource[], logicalId: string): PlannedResource {
  const r = resources.find((p) => p.logicalId === logicalId);
  if (!r) throw new Error(`blueprint has no resource ${logicalId}`);
  return r;
}
