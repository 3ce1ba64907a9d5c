import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../../aws/concurrency.js';
import { planChange, runFixes } from '../../aws/fix.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import {
  deleteLogGroup,
  listLogGroups,
  logGroupSpec,
  logGroupTags,
  retentionFixes,
} from '../../aws/logs/log-groups.js';
import { ensureResource, inspectResource, rowOf } from '../../aws/resource.js';
import { TAG } from '../../config/tags.js';
import { logGroupPrefix } from '../../blueprint/identity.js';
import { monitoringBlueprint } from '../../blueprint/monitoring.js';
import type { PlannedResource } from '../../blueprint/types.js';
import { joinInspections } from '../inspection.js';
import type { Context, Inspection } from '../types.js';

/**
 * The log groups the host's CloudWatch agent ships to (the agent may not create them): the system
 * log, Docker's, one per developer, each with the configured retention. A removed developer's
 * group is kept (its events expire with the retention); `destroy` deletes every group of the project.
 */

const plannedGroups = (ctx: Context): PlannedResource[] =>
  monitoringBlueprint(ctx.model).filter((p) => p.kind === 'log group');
/** The trailing slash keeps another project whose name starts with this one's out. */
const prefixOf = (ctx: Context) => `${logGroupPrefix(ctx.model)}/`;

/** The log groups this phase has made (or adopted): the only ones the host's agent may ship to. */
export function recordedLogGroups(ctx: Pick<Context, 'state'>): Set<string> {
  return new Set(
    ctx.state
      .resourcesOf('monitoring')
      .filter(([, r]) => r.kind === 'log group' && r.id)
      .map(([, r]) => r.id!),
  );
}

export async function ensureLogGroups(ctx: Context): Promise<void> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  await mapLimit(plannedGroups(ctx), PER_DEVELOPER_CONCURRENCY, async (p) => {
    const { resource } = await ensureResource(ctx, logGroupSpec(ctx, p, groups));
    await runFixes(ctx, retentionFixes(ctx, resource, ctx.config.monitoring.logRetentionDays), {
      logicalId: p.logicalId,
      subject: `log group ${p.name}`,
    });
  });
}

/** One listing for `plan` and `status`: each group's change (create, adopt, its retention) and its row. */
export async function inspectLogGroups(ctx: Context): Promise<Inspection> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  const days = ctx.config.monitoring.logRetentionDays;
  const parts = await mapLimit(plannedGroups(ctx), PER_DEVELOPER_CONCURRENCY, async (p): Promise<Inspection> => {
    const probed = await inspectResource(ctx, logGroupSpec(ctx, p, groups), p.name);
    const row = rowOf(
      probed,
      () => 'exists',
      (g) =>
        `retention ${g.retentionInDays ? `${g.retentionInDays} days` : 'kept forever'}` +
        `${g.retentionInDays !== days ? ` (config: ${days} days)` : ''}`,
    );
    return {
      changes: [planChange(probed, p, probed.resource ? retentionFixes(ctx, probed.resource, days) : [])],
      rows: [row.id ? row : { ...row, detail: p.name }],
    };
  });
  return joinInspections(parts);
}

/**
 * Every log group of this project: those the state records and those under its prefix that carry its tag (a lost state,
 * a removed developer).
 */
export async function removeLogGroups(ctx: Context): Promise<void> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  const recorded = new Map(
    ctx.state
      .resourcesOf('monitoring')
      .filter(([, r]) => r.kind === 'log group' && r.id)
      .map(([logicalId, r]) => [r.id!, logicalId]),
  );
  for (const g of groups) {
    const name = g.logGroupName!;
    const tags = recorded.has(name) ? undefined : await logGroupTags(ctx, g);
    if (!recorded.has(name) && tags?.[TAG.project] !== ctx.model.project) continue;
    const logicalId = recorded.get(name) ?? tags?.[TAG.resource] ?? name;
    if (await ignoring(isNotFound, () => deleteLogGroup(ctx, name)))
      ctx.report.resource({
        action: 'deleted',
        logicalId,
        kind: 'log group',
        resourceId: name,
        message: `deleted log group ${name}`,
      });
  }
  for (const logicalId of recorded.values()) await ctx.state.forget(logicalId);
}
