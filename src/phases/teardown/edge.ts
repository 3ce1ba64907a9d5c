import { ListTagsForCertificateCommand, paginateListCertificates, type CertificateDetail } from '@aws-sdk/client-acm';
import {
  paginateDescribeLoadBalancers,
  type LoadBalancer,
  type TargetGroup,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { albBlueprint, LOAD_BALANCER } from '../../blueprint/edge.js';
import { pick } from '../../blueprint/types.js';
import { deleteValidationRecords, deleteWhenReleased, VALIDATION } from '../cert.js';
import { describeCertificate, validationRecords } from '../../aws/acm/certificate.js';
import { deleteListener, deleteRule, listListeners, listRules } from '../../aws/elbv2/listeners.js';
import { deleteLoadBalancer } from '../../aws/elbv2/load-balancer.js';
import { tagsOf } from '../../aws/elbv2/tags.js';
import { deleteTargetGroup, listTargetGroups } from '../../aws/elbv2/target-groups.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { changeRecords, deletion, normalName, recordsUnder } from '../../aws/route53/records.js';
import { TAG, tagValue } from '../../config/tags.js';
import { sweeper, type Found, type SweepContext, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// The edge: developers' DNS records, load balancers (with their listeners and rules), target
// groups, the certificate and its validation records.

const ours = (ctx: SweepContext, tags: { Key?: string; Value?: string }[] | undefined) =>
  tagValue(tags, TAG.project) === ctx.model.project;

/** This project's load balancers, by their tags: read once, for the DNS records and the load balancers. */
const projectLoadBalancers = (ctx: SweepContext): Promise<LoadBalancer[]> =>
  ctx.once('load-balancers', async () => {
    const all: LoadBalancer[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: ctx.aws.elbv2 }, {}))
      all.push(...(page.LoadBalancers ?? []));
    const tags = await tagsOf(
      ctx,
      all.map((lb) => lb.LoadBalancerArn!),
    );
    return all.filter((lb) => ours(ctx, tags.get(lb.LoadBalancerArn!)));
  });

/** `dualstack.` is how AWS sometimes writes an ALB's alias name. */
const aliasName = (r: ResourceRecordSet) => normalName(r.AliasTarget?.DNSName ?? '').replace(/^dualstack\./, '');

/**
 * Whether a record is one devenv made for a developer: an alias A record named `<name>.<baseDomain>`
 * that points to this project's load balancer, live (tagged), recorded in the state, or (deleted
 * already) named as devenv names it: ELB DNS names are `<lb name>-<digits>.<region>.elb.amazonaws.com`.
 * Route 53 records carry no tags; anything else in the zone is never touched.
 */
export function isDevelopersRecord(
  r: ResourceRecordSet,
  o: { baseDomain: string; region: string; albName: string; targets: string[] },
): boolean {
  const name = normalName(r.Name ?? '');
  const suffix = `.${normalName(o.baseDomain)}`;
  if (r.Type !== 'A' || !r.AliasTarget || !name.endsWith(suffix) || name.slice(0, -suffix.length).includes('.'))
    return false;
  const target = aliasName(r);
  if (o.targets.map((t) => normalName(t).replace(/^dualstack\./, '')).includes(target)) return true;
  const escaped = o.albName.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escaped}-\\d+\\.${o.region}\\.elb\\.amazonaws\\.com$`).test(target);
}

const dnsRecords = sweeper<ResourceRecordSet>({
  name: 'dns-records',
  needs: [],
  list: async (ctx) => {
    const recorded = ctx.state.resource(LOAD_BALANCER)?.attrs?.dnsName;
    const targets = [
      ...(await projectLoadBalancers(ctx)).map((lb) => lb.DNSName!),
      ...(typeof recorded === 'string' ? [recorded] : []),
    ];
    const o = {
      baseDomain: ctx.config.baseDomain,
      region: ctx.model.region,
      albName: pick(albBlueprint(ctx.model), 'alb').name,
      targets,
    };
    const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
    return live
      .filter((r) => isDevelopersRecord(r, o))
      .map((r) => ({ kind: 'DNS record', id: normalName(r.Name!), resource: r }));
  },
  // One batch (Route 53 applies it all or nothing), one wait for it to be applied.
  removeAll: (ctx, found) =>
    changeRecords(
      ctx,
      ctx.config.hostedZoneId,
      found.map((f) => deletion(f.resource)),
      `devenv ${ctx.model.project}: developer records removed`,
    ),
});

/** Rules and listeners first (so the certificate is let go of), then the load balancer, waited on until it is gone. */
const loadBalancers = sweeper<LoadBalancer>({
  name: 'load-balancers',
  needs: ['dns-records'],
  list: async (ctx) =>
    (await projectLoadBalancers(ctx)).map((lb) => ({
      kind: 'load balancer',
      id: lb.LoadBalancerArn!,
      label: lb.LoadBalancerName,
      resource: lb,
    })),
  remove: async (ctx, f) => {
    for (const listener of await listListeners(ctx, f.id)) {
      for (const rule of (await listRules(ctx, listener.ListenerArn!)).filter((r) => !r.IsDefault))
        await ignoring(isNotFound, () => deleteRule(ctx, rule.RuleArn!));
      await ignoring(isNotFound, () => deleteListener(ctx, listener.ListenerArn!));
    }
    await deleteLoadBalancer(ctx, f.id);
  },
});

const targetGroups = sweeper<TargetGroup>({
  name: 'target-groups',
  needs: ['load-balancers'],
  list: async (ctx) => {
    const all = await listTargetGroups(ctx);
    const tags = await tagsOf(
      ctx,
      all.map((g) => g.TargetGroupArn!),
    );
    return all
      .filter((g) => ours(ctx, tags.get(g.TargetGroupArn!)))
      .map((g) => ({ kind: 'target group', id: g.TargetGroupArn!, label: g.TargetGroupName, resource: g }));
  },
  remove: async (ctx, f) => void (await deleteTargetGroup(ctx, f.id)),
});

/**
 * Certificates of the config's domain (in any status) tagged as this project's; ListCertificates
 * filters by status only, so the domain bounds the tag reads. Once they are deleted, their
 * validation records go too (and those the state recorded), unless another certificate uses them.
 */
const certificates = sweeper<CertificateDetail>({
  name: 'certificates',
  needs: ['load-balancers'],
  list: async (ctx) => {
    const domain = normalName(ctx.config.baseDomain);
    const arns: string[] = [];
    const statuses = [
      'PENDING_VALIDATION',
      'ISSUED',
      'INACTIVE',
      'EXPIRED',
      'VALIDATION_TIMED_OUT',
      'REVOKED',
      'FAILED',
    ] as const;
    for await (const page of paginateListCertificates(
      { client: ctx.aws.acm },
      { CertificateStatuses: [...statuses] },
    )) {
      for (const c of page.CertificateSummaryList ?? []) {
        const name = normalName(c.DomainName ?? '');
        if (c.CertificateArn && (name === domain || name.endsWith(`.${domain}`))) arns.push(c.CertificateArn);
      }
    }
    const found: Found<CertificateDetail>[] = [];
    for (const arn of arns) {
      const { Tags } = await ctx.aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }));
      const cert = ours(ctx, Tags) ? await describeCertificate(ctx, arn) : undefined;
      if (cert)
        found.push({
          kind: 'ACM certificate',
          id: arn,
          label: `${arn} (${cert.DomainName}, ${cert.Status})`,
          resource: cert,
        });
    }
    return found;
  },
  removeAll: async (ctx, found) => {
    const names = new Set((ctx.state.resource(VALIDATION)?.attrs?.names as string[] | undefined) ?? []);
    for (const f of found) {
      for (const r of validationRecords(f.resource)) names.add(normalName(r.Name!));
      await ignoring(isNotFound, () => deleteWhenReleased(ctx, f.id));
    }
    await deleteValidationRecords(ctx, names, `*.${ctx.config.baseDomain}`, new Set(found.map((f) => f.id)));
  },
});

export const EDGE_SWEEPERS: Sweeper[] = [dnsRecords, loadBalancers, targetGroups, certificates];
