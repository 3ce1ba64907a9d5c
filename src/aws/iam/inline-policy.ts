import { PutRolePolicyCommand } from '@aws-sdk/client-iam';
import type { AwsContext } from '../context.js';
import { findInlinePolicy, samePolicy } from '../find/iam.js';
import type { Fix } from '../fix.js';
import { afterPropagation } from './named.js';

/**
 * A role's inline policy against the one wanted: whether the role has a policy of that name at all, and the fix
 * that puts `want` (none when it grants the same). The put is retried while IAM does not know a new role yet.
 */
export async function inlinePolicyFixes(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  names: { role: string; policy: string },
  want: object,
  description: string,
): Promise<{ exists: boolean; fixes: Fix[] }> {
  const current = await findInlinePolicy(ctx.aws.iam, names.role, names.policy);
  if (samePolicy(current, want)) return { exists: true, fixes: [] };
  const put = () =>
    ctx.aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: names.role,
        PolicyName: names.policy,
        PolicyDocument: JSON.stringify(want),
      }),
    );
  const fix = {
    description,
    run: () => afterPropagation(ctx, `putting inline policy ${names.policy} on role ${names.role}`, put),
  };
  return { exists: current !== undefined, fixes: [fix] };
}
