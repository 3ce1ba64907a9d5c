import { DescribeTagsCommand, type Tag } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { AwsContext } from '../context.js';

/** DescribeTags takes at most 20 ARNs a call [elb-lb]. */
const PER_CALL = 20;

/** The tags of each ARN, in as few calls as the API allows. */
export async function tagsOf(ctx: Pick<AwsContext, 'aws'>, arns: string[]): Promise<Map<string, Tag[]>> {
  const out = new Map<string, Tag[]>();
  for (let i = 0; i < arns.length; i += PER_CALL) {
    const page = await ctx.aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: arns.slice(i, i + PER_CALL) }));
    for (const d of page.TagDescriptions ?? []) out.set(d.ResourceArn!, d.Tags ?? []);
  }
  return out;
}

/** The tags of each of `resources`, in their order (one DescribeTags per 20). */
export async function tagsIn<T>(
  ctx: Pick<AwsContext, 'aws'>,
  resources: T[],
  arnOf: (r: T) => string,
): Promise<(Tag[] | undefined)[]> {
  const tags = await tagsOf(ctx, resources.map(arnOf));
  return resources.map((r) => tags.get(arnOf(r)));
}
