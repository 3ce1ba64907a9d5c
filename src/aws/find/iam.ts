import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  type IAMClient,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { orUndefined } from '../errors.js';

/** IAM names are unique in an account, so a name finds at most one: `undefined` when there is none. */
export async function findRole(iam: IAMClient, roleName: string): Promise<Role | undefined> {
  return orUndefined(async () => (await iam.send(new GetRoleCommand({ RoleName: roleName }))).Role);
}

export async function findInstanceProfile(iam: IAMClient, profileName: string): Promise<InstanceProfile | undefined> {
  return orUndefined(
    async () => (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: profileName }))).InstanceProfile,
  );
}

/** A role's inline policy, decoded; `undefined` when the role has no policy of that name. */
export async function findInlinePolicy(iam: IAMClient, roleName: string, policyName: string): Promise<unknown> {
  const found = await orUndefined(() =>
    iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })),
  );
  return found && parsePolicyDocument(found.PolicyDocument);
}

/** IAM returns policy documents URL-encoded (RFC 3986); `undefined` when it cannot be read (compares as different). */
export function parsePolicyDocument(text: string | undefined): unknown {
  if (!text) return undefined;
  for (const candidate of [() => decodeURIComponent(text), () => text]) {
    try {
      return JSON.parse(candidate());
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

/**
 * Whether two policy documents grant the same: key order, statement order, and a single value
 * written as a string or as a one-element list do not matter.
 */
export const samePolicy = (a: unknown, b: unknown): boolean =>
  a !== undefined && JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(canonical);
    return items.length === 1 ? items[0] : items.sort((x, y) => JSON.stringify(x).localeCompare(JSON.stringify(y)));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([x], [y]) => x.localeCompare(y))
        .map(([k, v]) => [k, canonical(v)]),
    );
  }
  return value;
}

export const nameFromArn = (arn: string): string => arn.slice(arn.lastIndexOf('/') + 1);
