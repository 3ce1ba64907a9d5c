import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../aws/concurrency.js';
import { runFixes, planChange } from '../aws/fix.js';
import {
  deleteListener,
  deleteRule,
  listenerAttributeFixes,
  listenerFixes,
  listenerSpec,
  listListeners,
  listRules,
  ruleFixes,
  ruleSpec,
} from '../aws/elbv2/listeners.js';
import { ignoring, isNotFound } from '../aws/errors.js';
import { ensureResource, inspectResource, probeResource, rowOf } from '../aws/resource.js';
import { CERTIFICATE, HTTPS_LISTENER, LOAD_BALANCER, targetGroupId } from '../blueprint/edge.js';
import { callbackUrl } from '../blueprint/sign-in.js';
import { recordedId } from '../state/recorded.js';
import { ruleAuth } from './alb/auth.js';
import { ensureRule } from './alb/developers.js';
import {
  certificateArn,
  httpsWant,
  lbSpec,
  planned,
  probeLoadBalancer,
  ruleWant,
  sharedWorld,
  takeOver,
} from './alb/world.js';
import { fromInspection, joinInspections } from './inspection.js';
import type { Context, Inspection, Phase } from './types.js';

/**
 * https: what needs the issued certificate, on the load balancer the alb phase made while ACM
 * validated — the HTTPS listener (TLS policy from the config, a fixed 404 by default, HSTS) and
 * one host rule per developer forwarding to their target group. The listener is never created
 * with a certificate that is not ISSUED (AWS refuses it): this phase needs cert, and checks again.
 */

async function apply(ctx: Context): Promise<void> {
  const lbArn = recordedId(ctx, LOAD_BALANCER, 'alb');
  const want = httpsWant(ctx, certificateArn(ctx) ?? recordedId(ctx, CERTIFICATE, 'cert'));
  const seen = await takeOver(ctx);
  const listeners = seen?.listeners ?? (await listListeners(ctx, lbArn));
  const { resource: listener, outcome } = await ensureResource(
    ctx,
    listenerSpec(ctx, planned(ctx, HTTPS_LISTENER), listeners, lbArn, want),
  );
  const fixes = outcome === 'created' ? [] : listenerFixes(ctx, listener, want);
  await runFixes(ctx, [...fixes, ...(await listenerAttributeFixes(ctx, listener, want, outcome === 'created'))], {
    logicalId: HTTPS_LISTENER,
  });
  const listenerArn = listener.ListenerArn!;
  const rules = outcome === 'created' ? [] : seen ? seen.rules : await listRules(ctx, listenerArn);
  const auth = await ruleAuth(ctx);
  await mapLimit(ctx.model.developers, PER_DEVELOPER_CONCURRENCY, (d) =>
    ensureRule(ctx, d, rules, listenerArn, recordedId(ctx, targetGroupId(d.name), 'alb'), auth),
  );
}

/** One read for `plan` and `status`, shared with the alb phase's: the load balancer, its listeners and rules. */
async function inspect(ctx: Context): Promise<Inspection> {
  const lb = (await probeLoadBalancer(ctx)).resource;
  const world = await sharedWorld(ctx, lb);
  const want = httpsWant(ctx, certificateArn(ctx));
  const probe = await inspectResource(
    ctx,
    listenerSpec(ctx, planned(ctx, HTTPS_LISTENER), world.listeners, lb?.LoadBalancerArn, want),
  );
  const fixes = probe.resource
    ? [...listenerFixes(ctx, probe.resource, want), ...(await listenerAttributeFixes(ctx, probe.resource, want))]
    : [];
  const parts: Inspection[] = [
    {
      changes: [planChange(probe, planned(ctx, HTTPS_LISTENER), fixes)],
      rows: [
        rowOf(
          probe,
          (l) => `${l.Protocol} ${l.Port}`,
          (l) => l.SslPolicy,
        ),
      ],
    },
  ];
  const auth = await ruleAuth(ctx, true);
  for (const d of ctx.model.developers) {
    const rulePlanned = planned(ctx, `rule/${d.name}`);
    const rule = await inspectResource(
      ctx,
      ruleSpec(ctx, rulePlanned, world.rules, undefined, ruleWant(d)),
      d.hostname,
    );
    const group = world.groups.find((g) => g.TargetGroupName === planned(ctx, targetGroupId(d.name)).name);
    const change = planChange(
      rule,
      rulePlanned,
      rule.resource ? ruleFixes(ctx, rule.resource, ruleWant(d, group?.TargetGroupArn, auth, ctx.model)) : [],
    );
    const register = auth?.type === 'authenticate-oidc' && !rule.resource?.Actions?.some((a) => a.Type === auth.type);
    parts.push({
      changes: [register ? { ...change, warnings: [callbackWarning(d.name, d.hostname)] } : change],
      rows: [
        rowOf(
          rule,
          (r) => `priority ${r.Priority}`,
          (r) =>
            [
              d.hostname,
              ...(r.Actions ?? []).filter((a) => a.Type?.startsWith('authenticate-')).map((a) => a.Type),
            ].join(' · '),
        ),
      ],
    });
  }
  return joinInspections(parts);
}

/** A developer whose rule starts signing in with OIDC: the provider must know their callback URL first. */
const callbackWarning = (name: string, hostname: string) =>
  `register ${callbackUrl(hostname)} at your identity provider before ${name} signs in ` +
  "(`devenv auth callbacks` lists every developer's)";

/** The rules and the HTTPS listener first, so ACM can let go of the certificate while the load balancer is deleted. */
async function destroy(ctx: Context): Promise<void> {
  const lb = (await probeResource(ctx, lbSpec(ctx))).resource;
  const https = lb ? (await listListeners(ctx, lb.LoadBalancerArn!)).find((l) => l.Port === 443) : undefined;
  if (https) {
    for (const r of (await listRules(ctx, https.ListenerArn!)).filter((r) => !r.IsDefault))
      await ignoring(isNotFound, () => deleteRule(ctx, r.RuleArn!));
    await ignoring(isNotFound, () => deleteListener(ctx, https.ListenerArn!));
  }
  const ids = [HTTPS_LISTENER, ...ctx.model.developers.map((d) => `rule/${d.name}`)];
  for (const [logicalId] of ctx.state.resourcesOf('https')) if (!ids.includes(logicalId)) ids.push(logicalId);
  for (const id of ids) if (ctx.state.resource(id)) await ctx.state.forget(id);
}

const phase: Phase = { name: 'https', apply, destroy, ...fromInspection(inspect) };
export default phase;
