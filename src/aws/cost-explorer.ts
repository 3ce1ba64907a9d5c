import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';

/** The tag Cost Explorer groups devenv's costs by: `Project`, on every resource (src/config/tags.ts). */
export const COST_TAG = 'Project';

export interface ServiceCost {
  service: string;
  usd: number;
}

/**
 * What the resources tagged `Project=<project>` cost between `start` and `end` (end exclusive,
 * `YYYY-MM-DD`), by service: one GetCostAndUsage request per page (each costs $0.01).
 */
export async function costByService(
  ce: CostExplorerClient,
  project: string,
  start: string,
  end: string,
): Promise<ServiceCost[]> {
  const { GetCostAndUsageCommand } = await import('@aws-sdk/client-cost-explorer');
  const totals = new Map<string, number>();
  let token: string | undefined;
  do {
    const page = await ce.send(
      new GetCostAndUsageCommand({
        TimePeriod: { Start: start, End: end },
        Granularity: 'MONTHLY',
        Metrics: ['UnblendedCost'],
        Filter: { Tags: { Key: COST_TAG, Values: [project], MatchOptions: ['EQUALS'] } },
        GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
        NextPageToken: token,
      }),
    );
    for (const period of page.ResultsByTime ?? [])
      for (const group of period.Groups ?? []) {
        const service = group.Keys?.[0] ?? 'unknown';
        totals.set(service, (totals.get(service) ?? 0) + Number(group.Metrics?.UnblendedCost?.Amount ?? 0));
      }
    token = page.NextPageToken;
  } while (token);
  return [...totals].map(([service, usd]) => ({ service, usd })).sort((a, b) => b.usd - a.usd);
}

/** Whether the `Project` tag is active for cost allocation: `Active`, `Inactive`, or undefined when not seen yet. */
export async function costTagStatus(ce: CostExplorerClient): Promise<string | undefined> {
  const { ListCostAllocationTagsCommand } = await import('@aws-sdk/client-cost-explorer');
  const answer = await ce.send(new ListCostAllocationTagsCommand({ TagKeys: [COST_TAG], Type: 'UserDefined' }));
  return answer.CostAllocationTags?.find((t) => t.TagKey === COST_TAG)?.Status;
}
