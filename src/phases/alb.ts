import type { LoadBalancer, TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../aws/concurrency.js';
import { runFixes, planChange } from '../aws/fix.js';
import {
  deleteListener,
  deleteRule,
  listenerAttributeFixes,
  listenerFixes,
  listenerSpec,
  type ListenerWant,
} from '../aws/elbv2/listeners.js';
import { deleteLoadBalancer, loadBalancerFixes, waitUntilActive } from '../aws/elbv2/load-balancer.js';
import {
  deleteTargetGroup,
  healthCheckFixes,
  listTargetGroups,
  targetFixes,
  targetGroupSpec,
  targetHealth,
} from '../aws/elbv2/target-groups.js';
import { tagsOf } from '../aws/elbv2/tags.js';
import { ignoring, isNotFound } from '../aws/errors.js';
import { ensureResource, inspectResource, probeResource, removeResource, rowOf } from '../aws/resource.js';
import { TAG, tagValue } from '../config/tags.js';
import { ensureTargetGroup, forgetRemoved, ruleRemovals, runRemovals, targetGroupRemovals } from './alb/developers.js';
import { recordedId } from '../state/recorded.js';
import {
  handOver,
  httpWant,
  lbSpec,
  planned,
  probeLoadBalancer,
  readWorld,
  sharedWorld,
  unwantedHttpListener,
  type AlbWorld,
} from './alb/world.js';
import type { Developer } from '../config/model.js';
import { fromInspection, joinInspections } from './inspection.js';
import type { Change, Context, Inspection, Phase } from './types.js';
import { LOAD_BALANCER, targetGroupId } from '../blueprint/edge.js';
import { INSTANCE } from '../blueprint/compute.js';

/**
 * alb: the internet-facing load balancer, one target group per developer with the host registered,
 * and HTTP → HTTPS. It needs no certificate, so it provisions while ACM validates; the https phase
 * adds what does. Everything is read once, compared, and only what differs is changed: a converged
 * run makes no mutating call. Removed developers' rules go here too, before their target groups.
 */

const LISTENERS: [string, (ctx: Context) => ListenerWant][] = [['listener/http', () => httpWant]];
/** The listeners the config asks for: port 80 only with alb.httpRedirect. */
const listenersOf = (ctx: Context) => LISTENERS.filter(() => ctx.config.alb.httpRedirect);

async function ensureListeners(ctx: Context, world: AlbWorld): Promise<void> {
  for (const [logicalId, want] of listenersOf(ctx)) {
    const w = want(ctx);
    const { resource, outcome } = await ensureResource(
      ctx,
      listenerSpec(ctx, planned(ctx, logicalId), world.listeners, world.lb!.LoadBalancerArn, w),
    );
    if (outcome === 'created') world.listeners.push(resource);
    const fixes = outcome === 'created' ? [] : listenerFixes(ctx, resource, w);
    await runFixes(ctx, [...fixes, ...(await listenerAttributeFixes(ctx, resource, w, outcome === 'created'))], {
      logicalId,
    });
  }
  await removeHttpListener(ctx, world);
}

/** alb.httpRedirect off: port 80 closes (the sg phase drops its rule). */
async function removeHttpListener(ctx: Context, world: AlbWorld): Promise<void> {
  const listener = unwantedHttpListener(ctx, world);
  if (listener && (await ignoring(isNotFound, () => deleteListener(ctx, listener.ListenerArn!)))) {
    ctx.report.resource({
      action: 'deleted',
      logicalId: 'listener/http',
      kind: 'listener',
      resourceId: listener.ListenerArn,
      message: 'deleted the HTTP listener on port 80 (alb.httpRedirect is false)',
    });
  }
  if (!ctx.config.alb.httpRedirect && ctx.state.resource('listener/http')) await ctx.state.forget('listener/http');
}

async function apply(ctx: Context): Promise<void> {
  const vpcId = recordedId(ctx, 'vpc', 'vpc');
  const placement = {
    subnetIds: [recordedId(ctx, 'subnet/a', 'vpc'), recordedId(ctx, 'subnet/b', 'vpc')],
    securityGroupId: recordedId(ctx, 'sg/alb', 'sg'),
  };
  const instanceId = recordedId(ctx, INSTANCE, 'ec2');
  const { resource: lb, outcome } = await ensureResource(ctx, lbSpec(ctx, placement));
  await runFixes(ctx, await loadBalancerFixes(ctx, lb, planned(ctx, 'alb'), placement.securityGroupId), {
    logicalId: LOAD_BALANCER,
    subject: `load balancer ${lb.LoadBalancerName}`,
  });
  const world = await readWorld(ctx, lb, outcome === 'created');
  await ensureListeners(ctx, world);
  const staleRules = ruleRemovals(ctx, world);
  await runRemovals(ctx, staleRules);
  handOver(
    ctx,
    world,
    staleRules.map((r) => r.id),
  );
  await mapLimit(ctx.model.developers, PER_DEVELOPER_CONCURRENCY, (d) =>
    ensureTargetGroup(ctx, d, world, vpcId, instanceId),
  );
  await runRemovals(ctx, targetGroupRemovals(ctx, world));
  await forgetRemoved(ctx);
  await waitUntilActive(ctx, lb);
}

/**
 * One read for `plan` and `status`: the load balancer, its listeners, rules and target groups (each
 * listed once, and shared with the https phase), and each developer's target health, the one call
 * per developer. A target that is not registered is drift (`up` registers it); one registered but not healthy is
 * unhealthy.
 */
async function inspect(ctx: Context): Promise<Inspection> {
  const probed = await probeLoadBalancer(ctx);
  const lbProbe = {
    phase: ctx.phase,
    action: probed.action,
    logicalId: LOAD_BALANCER,
    kind: planned(ctx, 'alb').kind,
    name: planned(ctx, 'alb').name,
    id: probed.id,
    resource: probed.resource,
  };
  const lb = lbProbe.resource;
  const world = await sharedWorld(ctx, lb);
  const lbRow = rowOf(
    lbProbe,
    (l) => l.State?.Code ?? 'unknown',
    (l) => l.DNSName,
  );
  if (lb && lb.State?.Code !== 'active')
    lbRow.problem = { verdict: 'unhealthy', message: `alb load balancer ${lb.LoadBalancerName} is ${lb.State?.Code}` };
  const parts: Inspection[] = [
    {
      changes: [
        planChange(lbProbe, planned(ctx, 'alb'), lb ? await loadBalancerFixes(ctx, lb, planned(ctx, 'alb')) : []),
      ],
      rows: [lbRow],
    },
  ];
  for (const [logicalId, want] of listenersOf(ctx)) {
    const probe = await inspectResource(
      ctx,
      listenerSpec(ctx, planned(ctx, logicalId), world.listeners, lb?.LoadBalancerArn, want(ctx)),
    );
    const fixes = probe.resource
      ? [
          ...listenerFixes(ctx, probe.resource, want(ctx)),
          ...(await listenerAttributeFixes(ctx, probe.resource, want(ctx))),
        ]
      : [];
    parts.push({
      changes: [planChange(probe, planned(ctx, logicalId), fixes)],
      rows: [
        rowOf(
          probe,
          (l) => `${l.Protocol} ${l.Port}`,
          (l) => l.SslPolicy,
        ),
      ],
    });
  }
  const http = unwantedHttpListener(ctx, world);
  if (http)
    parts.push({
      changes: [
        {
          phase: 'alb',
          action: 'delete',
          logicalId: 'listener/http',
          kind: 'listener',
          id: http.ListenerArn,
          detail: 'alb.httpRedirect is false: port 80 closes',
        },
      ],
      rows: [],
    });
  const instanceId = ctx.state.resource(INSTANCE)?.id;
  parts.push(
    ...(await mapLimit(ctx.model.developers, PER_DEVELOPER_CONCURRENCY, (d) =>
      inspectDeveloper(ctx, d, world, instanceId),
    )),
  );
  const removals = [...ruleRemovals(ctx, world), ...targetGroupRemovals(ctx, world)];
  parts.push({
    changes: removals.map(
      ({ logicalId, kind, id, description }): Change => ({
        phase: 'alb',
        action: 'delete',
        logicalId,
        kind,
        id,
        detail: description,
      }),
    ),
    rows: [],
  });
  return joinInspections(parts);
}

async function inspectDeveloper(
  ctx: Context,
  d: Developer,
  world: AlbWorld,
  instanceId: string | undefined,
): Promise<Inspection> {
  const tgPlanned = planned(ctx, targetGroupId(d.name));
  const tg = await inspectResource(ctx, targetGroupSpec(ctx, tgPlanned, world.groups), tgPlanned.name);
  const group = tg.resource;
  const health = group ? await targetHealth(ctx, group.TargetGroupArn!) : [];
  const registration = group && instanceId ? targetFixes(ctx, group.TargetGroupArn!, health, instanceId, d.port) : [];
  const tgRow = rowOf(
    tg,
    () => health[0]?.TargetHealth?.State ?? 'no target',
    () => health.map(describeTarget).join(', ') || undefined,
  );
  const sick = health.filter((h) => h.TargetHealth?.State !== 'healthy');
  if (sick.length)
    tgRow.problem = {
      verdict: 'unhealthy',
      message: `alb target group ${group!.TargetGroupName} of ${d.name}: ${sick.map(describeTarget).join(', ')}`,
    };
  return {
    changes: [planChange(tg, tgPlanned, group ? [...healthCheckFixes(ctx, group), ...registration] : [])],
    rows: [tgRow],
  };
}

const describeTarget = (h: TargetHealthDescription) =>
  `${h.Target?.Id}:${h.Target?.Port} ${h.TargetHealth?.State}` +
  `${h.TargetHealth?.Reason ? ` (${h.TargetHealth.Reason})` : ''}`;

/**
 * Rules and listeners first, then the load balancer (waited on until gone, so the sg phase can
 * delete its group), then every target group of this project, found by its tags (a lost state
 * leaves nothing behind).
 */
async function destroy(ctx: Context): Promise<void> {
  const lb: LoadBalancer | undefined = (await probeResource(ctx, lbSpec(ctx))).resource;
  if (lb) {
    const world = await readWorld(ctx, lb);
    for (const r of world.rules.filter((r) => !r.IsDefault))
      await ignoring(isNotFound, () => deleteRule(ctx, r.RuleArn!));
    for (const l of world.listeners) await ignoring(isNotFound, () => deleteListener(ctx, l.ListenerArn!));
  }
  await removeResource(ctx, lbSpec(ctx), (arn) => deleteLoadBalancer(ctx, arn));
  const groups = await listTargetGroups(ctx);
  const tags = await tagsOf(
    ctx,
    groups.map((g) => g.TargetGroupArn!),
  );
  const recordedArns = new Set(ctx.state.resourcesOf('alb').map(([, r]) => r.id));
  const ours = groups.filter(
    (g) =>
      recordedArns.has(g.TargetGroupArn) ||
      (tagValue(tags.get(g.TargetGroupArn!), TAG.project) === ctx.model.project &&
        tagValue(tags.get(g.TargetGroupArn!), TAG.resource)?.startsWith('tg/')),
  );
  for (const g of ours) {
    const logicalId = tagValue(tags.get(g.TargetGroupArn!), TAG.resource) ?? g.TargetGroupName!;
    if (await ignoring(isNotFound, () => deleteTargetGroup(ctx, g.TargetGroupArn!)))
      ctx.report.resource({
        action: 'deleted',
        logicalId,
        kind: 'target group',
        resourceId: g.TargetGroupArn,
        message: `deleted target group ${g.TargetGroupName}`,
      });
  }
  for (const [logicalId] of ctx.state.resourcesOf('alb')) await ctx.state.forget(logicalId);
}

const phase: Phase = { name: 'alb', apply, destroy, ...fromInspection(inspect) };
export default phase;
