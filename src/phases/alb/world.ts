import type { LoadBalancer, Listener, Rule, TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { describeCertificate } from '../../aws/acm/certificate.js';
import {
  HSTS_ATTRIBUTE,
  listListeners,
  listRulesOnce,
  NOT_FOUND_ACTION,
  REDIRECT_ACTION,
  type ListenerWant,
  type RuleAuth,
  type RuleWant,
} from '../../aws/elbv2/listeners.js';
import { loadBalancerSpec } from '../../aws/elbv2/load-balancer.js';
import { readOnce } from '../../aws/read-once.js';
import { probeResource } from '../../aws/resource.js';
import { listTargetGroups } from '../../aws/elbv2/target-groups.js';
import { albBlueprint, CERTIFICATE, hstsHeader, httpsBlueprint } from '../../blueprint/edge.js';
import { pick, type PlannedResource } from '../../blueprint/types.js';
import type { Developer, Model } from '../../config/model.js';
import { usesWakePage, wakeTargetGroupName } from '../../blueprint/wake.js';
import { DevenvError } from '../../errors.js';
import type { Context } from '../types.js';

/**
 * What the alb phase reads before it decides anything, in as few calls as the APIs allow: the
 * load balancer, its listeners, every rule of the HTTPS listener and every target group, each
 * listed once for all developers. The resource specs then look things up here.
 */
export interface AlbWorld {
  lb?: LoadBalancer;
  listeners: Listener[];
  rules: Rule[];
  groups: TargetGroup[];
}

export const planned = (ctx: Context, logicalId: string): PlannedResource =>
  pick([...albBlueprint(ctx.model), ...httpsBlueprint(ctx.model)], logicalId);
export const lbSpec = (ctx: Context, placement?: Parameters<typeof loadBalancerSpec>[2]) =>
  loadBalancerSpec(ctx, planned(ctx, 'alb'), placement);

export const httpsListener = (world: AlbWorld) => world.listeners.find((l) => l.Port === 443);
/** Port 80 when alb.httpRedirect is off: the listener there (devenv's, or one left on its load balancer) is deleted. */
export const unwantedHttpListener = (ctx: Context, world: AlbWorld) =>
  ctx.config.alb.httpRedirect ? undefined : world.listeners.find((l) => l.Port === 80);

export async function readWorld(ctx: Context, lb: LoadBalancer | undefined, fresh = false): Promise<AlbWorld> {
  const listeners = lb && !fresh ? await listListeners(ctx, lb.LoadBalancerArn!) : [];
  const https = listeners.find((l) => l.Port === 443);
  return {
    lb,
    listeners,
    rules: https ? await listRulesOnce(ctx, https.ListenerArn!) : [],
    groups: await listTargetGroups(ctx),
  };
}

/** The load balancer as `plan` and `status` see it, and what is on it: read once for alb and https. */
export const probeLoadBalancer = (ctx: Context) => readOnce(ctx, 'alb/lb', () => probeResource(ctx, lbSpec(ctx)));
export const sharedWorld = (ctx: Context, lb: LoadBalancer | undefined) =>
  readOnce(ctx, 'alb/world', () => readWorld(ctx, lb));

const HANDOVER = 'alb/applied';
type Handover = Pick<AlbWorld, 'listeners' | 'rules'>;
/**
 * What alb's `apply` read and left in place (the listeners, the HTTPS listener's rules but those it
 * deleted), for the https phase of the same run: nothing changes them in between, so it reads them no more.
 */
export function handOver(ctx: Context, world: AlbWorld, deletedRules: string[]): void {
  ctx.reads?.set(
    HANDOVER,
    Promise.resolve({
      listeners: world.listeners,
      rules: world.rules.filter((r) => !deletedRules.includes(r.RuleArn!)),
    }),
  );
}
export const takeOver = (ctx: Context) => ctx.reads?.get(HANDOVER) as Promise<Handover> | undefined;

export const certificateArn = (ctx: Context): string | undefined => {
  const arn = ctx.state.phase('cert')?.outputs?.certificateArn ?? ctx.state.resource(CERTIFICATE)?.id;
  return typeof arn === 'string' ? arn : undefined;
};

/**
 * AWS refuses an HTTPS listener with a certificate that is not issued yet (moto accepts it:
 * docs/aws-behaviour.md#moto-differences).
 */
export async function requireIssued(ctx: Context, arn: string): Promise<void> {
  const cert = await describeCertificate(ctx, arn);
  if (cert?.Status === 'ISSUED') return;
  throw new DevenvError(
    'phase',
    `the HTTPS listener needs certificate ${arn} to be ISSUED, but it is ${cert?.Status ?? 'missing'}`,
    {
      remedy: 'run `devenv phase cert` (it waits for the validation), then `devenv up` again',
    },
  );
}

export function httpsWant(ctx: Context, certArn: string | undefined): ListenerWant {
  return {
    port: 443,
    protocol: 'HTTPS',
    defaultAction: NOT_FOUND_ACTION,
    sslPolicy: ctx.config.alb.sslPolicy,
    certificateArn: certArn,
    beforeCertificateUse: certArn ? () => requireIssued(ctx, certArn) : undefined,
    attributes: { [HSTS_ATTRIBUTE]: hstsHeader(ctx.config.alb.hsts) },
  };
}

export const httpWant: ListenerWant = { port: 80, protocol: 'HTTP', defaultAction: REDIRECT_ACTION };

export const ruleWant = (d: Developer, targetGroupArn?: string, auth?: RuleAuth, model?: Model): RuleWant => ({
  host: d.hostname,
  priority: d.priority,
  targetGroupArn,
  ...(auth ? { auth } : {}),
  ...(model && usesWakePage(model) ? { asleepGroupName: wakeTargetGroupName(model) } : {}),
});
