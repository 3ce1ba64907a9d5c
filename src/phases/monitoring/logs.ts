import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../../aws/concurrency.js';
import { planChange, runFixes } from '../../aws/ec2/fixes.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { deleteLogGroup, listLogGroups, logGroupSpec, logGroupTags, retentionFixes } from '../../aws/logs/log-groups.js';
import { ensureResource, planResource } from '../../aws/resource.js';
import { TAG } from '../../aws/tags.js';
import { logGroupPrefix } from '../../blueprint/identity.js';
import { monitoringBlueprint } from '../../blueprint/monitoring.js';
import type { PlannedResource } from '../../blueprint/types.js';
import type { Change, Context, Row } from '../types.js';

/**
 * The log groups the host's CloudWatch agent ships to (the agent may not create them): the system
 * log, Docker's, one per developer, each with the configured retention. A removed developer's
 * group is kept (its events expire with the retention); `destroy` deletes every group of the project.
 */

const plannedGroups = (ctx: Context): PlannedResource[] => monitoringBlueprint(ctx.model).filter((p) => p.kind === 'log group');
/** The trailing slash keeps another project whose name starts with this one's out. */
const prefixOf = (ctx: Context) => `${logGroupPrefix(ctx.model)}/`;

/** The log groups this phase has made (or adopted): the only ones the host's agent may ship to. */
export function recordedLogGroups(ctx: Pick<Context, 'state'>): Set<string> {
  return new Set(ctx.state.resourcesOf('monitoring').filter(([, r]) => r.kind === 'log group' && r.id).map(([, r]) => r.id!));
}

export async function ensureLogGroups(ctx: Context): Promise<void> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  await mapLimit(plannedGroups(ctx), PER_DEVELOPER_CONCURRENCY, async (p) => {
    const { resource } = await ensureResource(ctx, logGroupSpec(ctx, p, groups));
    await runFixes(ctx, retentionFixes(ctx, resource, ctx.config.monitoring.logRetentionDays), { logicalId: p.logicalId, subject: `log group ${p.name}` });
  });
}

export async function planLogGroups(ctx: Context): Promise<Change[]> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  const changes: Change[] = [];
  for (const p of plannedGroups(ctx)) {
    const probed = await planResource(ctx, logGroupSpec(ctx, p, groups), p.name);
    changes.push(planChange(probed, p, probed.resource ? retentionFixes(ctx, probed.resource, ctx.config.monitoring.logRetentionDays) : []));
  }
  return changes;
}

export async function logGroupRows(ctx: Context): Promise<Row[]> {
  const groups = new Map((await listLogGroups(ctx, prefixOf(ctx))).map((g) => [g.logGroupName!, g]));
  return plannedGroups(ctx).map((p): Row => {
    const g = groups.get(p.name);
    const retention = g?.retentionInDays ? `${g.retentionInDays} days` : 'kept forever';
    const drift = g && g.retentionInDays !== ctx.config.monitoring.logRetentionDays ? ` (config: ${ctx.config.monitoring.logRetentionDays} days)` : '';
    return { phase: 'monitoring', logicalId: p.logicalId, kind: p.kind, id: g ? p.name : undefined, state: g ? 'exists' : 'missing', detail: g ? `retention ${retention}${drift}` : p.name };
  });
}

/** Every log group of this project: those the state records and those under its prefix that carry its tag (a lost state, a removed developer). */
export async function removeLogGroups(ctx: Context): Promise<void> {
  const groups = await listLogGroups(ctx, prefixOf(ctx));
  const recorded = new Map(ctx.state.resourcesOf('monitoring').filter(([, r]) => r.kind === 'log group' && r.id).map(([logicalId, r]) => [r.id!, logicalId]));
  for (const g of groups) {
    const name = g.logGroupName!;
    const tags = recorded.has(name) ? undefined : await logGroupTags(ctx, g);
    if (!recorded.has(name) && tags?.[TAG.project] !== ctx.model.project) continue;
    const logicalId = recorded.get(name) ?? tags?.[TAG.resource] ?? name;
    if (await ignoring(isNotFound, () => deleteLogGroup(ctx, name))) ctx.report.resource({ action: 'deleted', logicalId, kind: 'log group', resourceId: name, message: `deleted log group ${name}` });
  }
  for (const logicalId of recorded.values()) await ctx.state.forget(logicalId);
}
