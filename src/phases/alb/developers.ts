import type { Rule } from '@aws-sdk/client-elastic-load-balancing-v2';
import { deleteRule, hostOf, ruleFixes, ruleSpec, type RuleAuth } from '../../aws/elbv2/listeners.js';
import {
  attributeFixes,
  deleteTargetGroup,
  healthCheckFixes,
  targetFixes,
  targetGroupSpec,
  targetHealth,
} from '../../aws/elbv2/target-groups.js';
import { runFixes, type Fix } from '../../aws/fix.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { ensureResource } from '../../aws/resource.js';
import type { Developer } from '../../config/model.js';
import type { Context } from '../types.js';
import { planned, ruleWant, type AlbWorld } from './world.js';
import { targetGroupId } from '../../blueprint/edge.js';

/** Developers who had a target group or rule here and are no longer in the config (from the state). */
export function removedDevelopers(ctx: Context): string[] {
  const current = new Set(ctx.model.developers.map((d) => d.name));
  const names = [...ctx.state.resourcesOf('alb'), ...ctx.state.resourcesOf('https')]
    .map(([id]) => /^(tg|rule)\/(.+)$/.exec(id)?.[2])
    .filter((n): n is string => n !== undefined);
  return [...new Set(names)].filter((n) => !current.has(n));
}

/** Host rules on devenv's listener for a name under baseDomain that is no developer's now (the state may be lost). */
export function staleRules(ctx: Context, world: AlbWorld): Rule[] {
  const hosts = new Set(ctx.model.developers.map((d) => d.hostname));
  const suffix = `.${ctx.config.baseDomain}`;
  return world.rules.filter((r) => !r.IsDefault && hostOf(r)?.endsWith(suffix) && !hosts.has(hostOf(r)!));
}

/** The developer's target group, kept in line, with the host registered at the developer's port. */
export async function ensureTargetGroup(
  ctx: Context,
  d: Developer,
  world: AlbWorld,
  vpcId: string,
  instanceId: string,
): Promise<string> {
  const p = planned(ctx, targetGroupId(d.name));
  const { resource: group, outcome } = await ensureResource(ctx, targetGroupSpec(ctx, p, world.groups, vpcId));
  const arn = group.TargetGroupArn!;
  const live = outcome === 'created' ? [] : await targetHealth(ctx, arn);
  const attributes = await attributeFixes(ctx, p.logicalId, arn, outcome === 'created');
  await runFixes(
    ctx,
    [...healthCheckFixes(ctx, group), ...attributes, ...targetFixes(ctx, arn, live, instanceId, d.port)],
    { logicalId: p.logicalId, subject: `target group ${group.TargetGroupName}` },
  );
  return arn;
}

export async function ensureRule(
  ctx: Context,
  d: Developer,
  rules: Rule[],
  listenerArn: string,
  targetGroupArn: string,
  auth?: RuleAuth,
): Promise<void> {
  const want = ruleWant(d, targetGroupArn, auth, ctx.model);
  const { resource: rule } = await ensureResource(
    ctx,
    ruleSpec(ctx, planned(ctx, `rule/${d.name}`), rules, listenerArn, want),
  );
  await runFixes(ctx, ruleFixes(ctx, rule, want), { logicalId: `rule/${d.name}`, subject: `rule for ${d.hostname}` });
}

/** Deleting what a developer no longer in the config had: `plan` shows it, `apply` runs it. */
export interface Removal extends Fix {
  logicalId: string;
  kind: string;
  id: string;
}

/** Deleting a removed developer's rule: before any new rule (it may hold the priority a new developer gets). */
export function ruleRemovals(ctx: Context, world: AlbWorld): Removal[] {
  const stale = new Map(staleRules(ctx, world).map((r) => [r.RuleArn!, hostOf(r)!]));
  for (const name of removedDevelopers(ctx)) {
    const arn = ctx.state.resource(`rule/${name}`)?.id;
    if (arn && !stale.has(arn) && world.rules.some((r) => r.RuleArn === arn))
      stale.set(arn, `${name}.${ctx.config.baseDomain}`);
  }
  return [...stale].map(([arn, host]) => ({
    logicalId: `rule/${host.split('.')[0]}`,
    kind: 'listener rule',
    id: arn,
    description: `delete the rule for ${host} (no longer a developer)`,
    run: () => ignoring(isNotFound, () => deleteRule(ctx, arn)),
  }));
}

/** Deleting a removed developer's target group: after its rule is gone (AWS refuses one in use). */
export function targetGroupRemovals(ctx: Context, world: AlbWorld): Removal[] {
  return removedDevelopers(ctx).flatMap((name) => {
    const arn = ctx.state.resource(targetGroupId(name))?.id;
    if (!arn || !world.groups.some((g) => g.TargetGroupArn === arn)) return [];
    return [
      {
        logicalId: targetGroupId(name),
        kind: 'target group',
        id: arn,
        description: `delete the target group of ${name} (no longer a developer)`,
        run: () => ignoring(isNotFound, () => deleteTargetGroup(ctx, arn)),
      },
    ];
  });
}

export async function runRemovals(ctx: Context, removals: Removal[]): Promise<void> {
  for (const r of removals) {
    await r.run();
    ctx.report.resource({
      action: 'deleted',
      logicalId: r.logicalId,
      kind: r.kind,
      resourceId: r.id,
      message: r.description,
    });
  }
}

/**
 * Forgets the records of removed developers once their resources are gone (the rules too: alb deletes them before the
 * groups).
 */
export async function forgetRemoved(ctx: Context): Promise<void> {
  for (const name of removedDevelopers(ctx)) {
    for (const id of [`rule/${name}`, targetGroupId(name)]) if (ctx.state.resource(id)) await ctx.state.forget(id);
  }
}
