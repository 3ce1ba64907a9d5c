import type { LoadBalancer } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../aws/concurrency.js';
import { runFixes, planChange } from '../aws/ec2/fixes.js';
import { deleteListener, deleteRule, listenerFixes, listenerSpec, ruleFixes, ruleSpec, type ListenerWant } from '../aws/elbv2/listeners.js';
import { deleteLoadBalancer, loadBalancerFixes, waitUntilActive } from '../aws/elbv2/load-balancer.js';
import { deleteTargetGroup, healthCheckFixes, listTargetGroups, targetGroupSpec, targetHealth } from '../aws/elbv2/target-groups.js';
import { tagsOf } from '../aws/elbv2/tags.js';
import { ignoring, isNotFound } from '../aws/errors.js';
import { ensureResource, planResource, probeResource, removeResource } from '../aws/resource.js';
import { TAG, tagValue } from '../aws/tags.js';
import { ensureRule, ensureTargetGroup, forgetRemoved, ruleRemovals, runRemovals, targetGroupRemovals } from './alb/developers.js';
import { certificateArn, httpsListener, httpsWant, httpWant, lbSpec, planned, readWorld, recorded, ruleWant, type AlbWorld } from './alb/world.js';
import type { Change, Context, Phase, Row } from './types.js';

/**
 * alb: the internet-facing load balancer, one target group and one host rule per developer, the
 * HTTPS listener (TLS policy from the config, a fixed 404 by default) and HTTP → HTTPS. Everything
 * is read once, compared, and only what differs is changed: a converged run makes no mutating call.
 */

const LISTENERS: [string, (ctx: Context) => ListenerWant][] = [
  ['listener/https', (ctx) => httpsWant(ctx, certificateArn(ctx))],
  ['listener/http', () => httpWant],
];

async function ensureListeners(ctx: Context, world: AlbWorld): Promise<void> {
  for (const [logicalId, want] of LISTENERS) {
    const w = want(ctx);
    const { resource, outcome } = await ensureResource(ctx, listenerSpec(ctx, planned(ctx, logicalId), world.listeners, world.lb!.LoadBalancerArn, w));
    if (outcome === 'created') world.listeners.push(resource);
    else await runFixes(ctx, listenerFixes(ctx, resource, w), { logicalId });
  }
}

async function apply(ctx: Context): Promise<void> {
  const vpcId = recorded(ctx, 'vpc', 'vpc');
  const placement = { subnetIds: [recorded(ctx, 'subnet/a', 'vpc'), recorded(ctx, 'subnet/b', 'vpc')], securityGroupId: recorded(ctx, 'sg/alb', 'sg') };
  const instanceId = recorded(ctx, 'instance', 'ec2');
  if (!certificateArn(ctx)) recorded(ctx, 'cert', 'cert');
  const { resource: lb, outcome } = await ensureResource(ctx, lbSpec(ctx, placement));
  await runFixes(ctx, await loadBalancerFixes(ctx, lb, planned(ctx, 'alb'), placement.securityGroupId), { logicalId: 'alb', subject: `load balancer ${lb.LoadBalancerName}` });
  const world = await readWorld(ctx, lb, outcome === 'created');
  await ensureListeners(ctx, world);
  await runRemovals(ctx, ruleRemovals(ctx, world));
  const listenerArn = httpsListener(world)!.ListenerArn!;
  await mapLimit(ctx.model.developers, PER_DEVELOPER_CONCURRENCY, async (d) => {
    const targetGroupArn = await ensureTargetGroup(ctx, d, world, vpcId, instanceId);
    await ensureRule(ctx, d, world, listenerArn, targetGroupArn);
  });
  await runRemovals(ctx, targetGroupRemovals(ctx, world));
  await forgetRemoved(ctx);
  await waitUntilActive(ctx, lb);
}

async function plan(ctx: Context): Promise<Change[]> {
  const { resource: lb, ...lbChange } = await planResource(ctx, lbSpec(ctx), planned(ctx, 'alb').name);
  const world = await readWorld(ctx, lb);
  const changes = [planChange(lbChange, planned(ctx, 'alb'), lb ? await loadBalancerFixes(ctx, lb, planned(ctx, 'alb')) : [])];
  for (const [logicalId, want] of LISTENERS) {
    const { resource, ...c } = await planResource(ctx, listenerSpec(ctx, planned(ctx, logicalId), world.listeners, lb?.LoadBalancerArn, want(ctx)));
    changes.push(planChange(c, planned(ctx, logicalId), resource ? listenerFixes(ctx, resource, want(ctx)) : []));
  }
  for (const d of ctx.model.developers) {
    const tgPlanned = planned(ctx, `tg/${d.name}`);
    const { resource: group, ...tg } = await planResource(ctx, targetGroupSpec(ctx, tgPlanned, world.groups), tgPlanned.name);
    changes.push(planChange(tg, tgPlanned, group ? healthCheckFixes(ctx, group) : []));
    const rulePlanned = planned(ctx, `rule/${d.name}`);
    const { resource: rule, ...r } = await planResource(ctx, ruleSpec(ctx, rulePlanned, world.rules, undefined, ruleWant(d)), d.hostname);
    changes.push(planChange(r, rulePlanned, rule ? ruleFixes(ctx, rule, ruleWant(d, group?.TargetGroupArn)) : []));
  }
  const removals = [...ruleRemovals(ctx, world), ...targetGroupRemovals(ctx, world)];
  return [...changes, ...removals.map(({ logicalId, kind, id, description }): Change => ({ phase: 'alb', action: 'delete', logicalId, kind, id, detail: description }))];
}

async function status(ctx: Context): Promise<Row[]> {
  const { resource: lb, id, action } = await probeResource(ctx, lbSpec(ctx));
  const lbRow: Row = { phase: 'alb', logicalId: 'alb', kind: 'load balancer', id, state: lb ? `${lb.State?.Code}${action === 'adopt' ? ' (not in state)' : ''}` : 'missing', detail: lb?.DNSName };
  if (!lb) return [lbRow];
  const world = await readWorld(ctx, lb);
  const listenerRows = world.listeners.map((l): Row => ({ phase: 'alb', logicalId: `listener/${l.Protocol?.toLowerCase()}`, kind: 'listener', id: l.ListenerArn, state: `${l.Protocol} ${l.Port}`, detail: l.SslPolicy }));
  const developerRows: Row[] = [];
  for (const d of ctx.model.developers) {
    const group = (await probeResource(ctx, targetGroupSpec(ctx, planned(ctx, `tg/${d.name}`), world.groups))).resource;
    const health = group ? await targetHealth(ctx, group.TargetGroupArn!) : [];
    const targets = health.map((h) => `${h.Target?.Id}:${h.Target?.Port} ${h.TargetHealth?.State}${h.TargetHealth?.Reason ? ` (${h.TargetHealth.Reason})` : ''}`);
    developerRows.push({ phase: 'alb', logicalId: `tg/${d.name}`, kind: 'target group', id: group?.TargetGroupArn, state: group ? (health[0]?.TargetHealth?.State ?? 'no target') : 'missing', detail: targets.join(', ') || undefined });
    const rule = (await probeResource(ctx, ruleSpec(ctx, planned(ctx, `rule/${d.name}`), world.rules, undefined, ruleWant(d)))).resource;
    developerRows.push({ phase: 'alb', logicalId: `rule/${d.name}`, kind: 'listener rule', id: rule?.RuleArn, state: rule ? `priority ${rule.Priority}` : 'missing', detail: d.hostname });
  }
  return [lbRow, ...listenerRows, ...developerRows];
}

/**
 * Rules and listeners first, then the load balancer (waited on until gone, so the sg phase can
 * delete its group), then every target group of this project, found by its tags (a lost state
 * leaves nothing behind).
 */
async function destroy(ctx: Context): Promise<void> {
  const lb: LoadBalancer | undefined = (await probeResource(ctx, lbSpec(ctx))).resource;
  if (lb) {
    const world = await readWorld(ctx, lb);
    for (const r of world.rules.filter((r) => !r.IsDefault)) await ignoring(isNotFound, () => deleteRule(ctx, r.RuleArn!));
    for (const l of world.listeners) await ignoring(isNotFound, () => deleteListener(ctx, l.ListenerArn!));
  }
  await removeResource(ctx, lbSpec(ctx), (arn) => deleteLoadBalancer(ctx, arn));
  const groups = await listTargetGroups(ctx);
  const tags = await tagsOf(ctx, groups.map((g) => g.TargetGroupArn!));
  const recordedArns = new Set(ctx.state.resourcesOf('alb').map(([, r]) => r.id));
  const ours = groups.filter((g) => recordedArns.has(g.TargetGroupArn) || (tagValue(tags.get(g.TargetGroupArn!), TAG.project) === ctx.model.project && tagValue(tags.get(g.TargetGroupArn!), TAG.resource)?.startsWith('tg/')));
  for (const g of ours) {
    const logicalId = tagValue(tags.get(g.TargetGroupArn!), TAG.resource) ?? g.TargetGroupName!;
    if (await ignoring(isNotFound, () => deleteTargetGroup(ctx, g.TargetGroupArn!))) ctx.report.resource({ action: 'deleted', logicalId, kind: 'target group', resourceId: g.TargetGroupArn, message: `deleted target group ${g.TargetGroupName}` });
  }
  for (const [logicalId] of ctx.state.resourcesOf('alb')) await ctx.state.forget(logicalId);
}

const phase: Phase = { name: 'alb', apply, destroy, plan, status };
export default phase;
