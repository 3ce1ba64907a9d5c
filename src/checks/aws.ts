import { DescribeInstanceStatusCommand, type InstanceStatus } from '@aws-sdk/client-ec2';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { TargetHealthDescription } from '@aws-sdk/client-elastic-load-balancing-v2';
import { targetHealth } from '../aws/elbv2/target-groups.js';
import { describeTarget, normalName, recordsNamed, recordsUnder } from '../aws/route53/records.js';
import { waitFor, WaitTimeoutError, waitOptions } from '../aws/wait.js';
import type { Developer } from '../config/model.js';
import { messageOf } from '../errors.js';
import type { AwsContext } from '../aws/context.js';
import type { PublicDns } from '../remote/reachability.js';
import { fail, pass, type TestCheckResult } from './result.js';

/** What AWS says about the host, each developer's target and each developer's DNS name. */

export const CHECK = { instance: 'instance status', target: 'target', dns: 'dns' } as const;

export function instanceVerdict(instanceId: string, s: InstanceStatus | undefined): TestCheckResult {
  const lookAt = `instance ${instanceId} in the EC2 console (Status checks, Get system log)`;
  if (!s)
    return fail(
      CHECK.instance,
      `${instanceId} is not running (no status reported)`,
      `${lookAt}; \`devenv up\` starts it`,
    );
  const state = s.InstanceState?.Name ?? 'unknown';
  const system = s.SystemStatus?.Status ?? 'not reported';
  const instance = s.InstanceStatus?.Status ?? 'not reported';
  const seen = `${instanceId} ${state}; system ${system}, instance ${instance}`;
  return state === 'running' && system === 'ok' && instance === 'ok'
    ? pass(CHECK.instance, seen)
    : fail(CHECK.instance, seen, lookAt);
}

/** Both EC2 status checks of the host (IncludeAllInstances: a stopped host is reported, not left out). */
export async function instanceCheck(ctx: Pick<AwsContext, 'aws'>, instanceId: string): Promise<TestCheckResult> {
  const out = await ctx.aws.ec2.send(
    new DescribeInstanceStatusCommand({ InstanceIds: [instanceId], IncludeAllInstances: true }),
  );
  return instanceVerdict(instanceId, out.InstanceStatuses?.[0]);
}

/** The host's entry in a developer's target group: the instance at the developer's port. */
const hostTarget = (health: TargetHealthDescription[], instanceId: string, port: number) =>
  health.find((h) => h.Target?.Id === instanceId && h.Target?.Port === port);

export function targetVerdict(
  d: Pick<Developer, 'name' | 'port'>,
  instanceId: string,
  health: TargetHealthDescription[] | undefined,
): TestCheckResult {
  const where = `target group of ${d.name}`;
  if (!health) return fail(CHECK.target, `the ${where} is missing`, '`devenv up` (alb phase) creates it');
  const mine = hostTarget(health, instanceId, d.port);
  if (!mine) {
    const others = health.map((h) => `${h.Target?.Id}:${h.Target?.Port}`).join(', ');
    return fail(
      CHECK.target,
      `${instanceId}:${d.port} is not registered${others ? ` (registered: ${others})` : ''}`,
      '`devenv up` (alb phase) registers the host',
    );
  }
  const state = mine.TargetHealth?.State ?? 'unknown';
  if (state === 'healthy') return pass(CHECK.target, `${instanceId}:${d.port} healthy`);
  const reason = [mine.TargetHealth?.Reason, mine.TargetHealth?.Description].filter(Boolean).join(': ');
  return fail(
    CHECK.target,
    `${instanceId}:${d.port} ${state}${reason ? ` (${reason})` : ''}`,
    `the container check; the health check GET /healthz on port ${d.port} from the load balancer's security group`,
  );
}

/** A just-registered target is `initial` until its health checks pass (about a minute): worth waiting for. */
export const TARGET_WAIT_MS = 3 * 60_000;
const TARGET_POLL_MS = 10_000;

/**
 * Each developer's target health, read once, and again every 10 s for as long as some target is
 * still `initial` (bounded): right after `up` registered the host, the checks are still running.
 */
export async function targetChecks(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  targets: { developer: Developer; groupArn?: string }[],
  instanceId: string,
): Promise<TestCheckResult[]> {
  const read = () => Promise.all(targets.map(async (t) => (t.groupArn ? targetHealth(ctx, t.groupArn) : undefined)));
  let health = await read();
  const initial = () =>
    targets
      .filter((t, i) => hostTarget(health[i] ?? [], instanceId, t.developer.port)?.TargetHealth?.State === 'initial')
      .map((t) => t.developer.name);
  if (initial().length > 0) {
    try {
      await waitFor(
        async () => {
          health = await read();
          return { done: initial().length === 0, value: undefined, seen: `initial: ${initial().join(', ')}` };
        },
        {
          what: "the targets' first health checks",
          timeoutMs: TARGET_WAIT_MS,
          intervalMs: TARGET_POLL_MS,
          ...waitOptions(ctx),
        },
      );
    } catch (err) {
      // Out of time: the targets still `initial` fail their check below.
      if (!(err instanceof WaitTimeoutError)) throw err;
    }
  }
  return targets.map((t, i) => ({ developer: t.developer.name, ...targetVerdict(t.developer, instanceId, health[i]) }));
}

export interface LoadBalancerName {
  dnsName: string;
}

/** `dualstack.` is how AWS sometimes writes an ALB's alias name. */
const aliasOf = (r: ResourceRecordSet) => normalName(r.AliasTarget?.DNSName ?? '').replace(/^dualstack\./, '');

/** The record in Route 53: an A alias of the hostname to this load balancer. */
export function recordVerdict(
  d: Pick<Developer, 'hostname'>,
  records: ResourceRecordSet[],
  lb: LoadBalancerName,
  zoneId: string,
): TestCheckResult | undefined {
  const here = recordsNamed(records, d.hostname).filter((r) => ['A', 'AAAA', 'CNAME'].includes(r.Type ?? ''));
  const fix = '`devenv up` (dns phase) writes it';
  if (here.length === 0) return fail(CHECK.dns, `no record for ${d.hostname} in hosted zone ${zoneId}`, fix);
  if (!here.some((r) => r.Type === 'A' && aliasOf(r) === normalName(lb.dnsName))) {
    return fail(
      CHECK.dns,
      `${d.hostname} does not alias the load balancer (${here.map(describeTarget).join('; ')})`,
      `${fix}; \`--take-over-dns\` if another record holds the name`,
    );
  }
  return undefined;
}

/** Public resolution: the hostname must reach the load balancer's addresses from here. */
export function resolutionVerdict(
  d: Pick<Developer, 'hostname'>,
  mine: string[] | Error,
  lbAddresses: string[] | Error,
): TestCheckResult {
  const wait =
    'public DNS may not have the record yet (or the domain is not delegated to this hosted zone): try again in a ' +
    'few minutes, or check now with `--resolve <load balancer IP>`';
  if (mine instanceof Error)
    return fail(
      CHECK.dns,
      `the record is in Route 53, but ${d.hostname} does not resolve from here (${messageOf(mine)})`,
      wait,
    );
  if (lbAddresses instanceof Error)
    return pass(
      CHECK.dns,
      `${d.hostname} → ${mine.join(', ')} (the load balancer's own name did not resolve to compare)`,
    );
  if (!mine.some((a) => lbAddresses.includes(a))) {
    return fail(
      CHECK.dns,
      `${d.hostname} resolves to ${mine.join(', ')}, not to the load balancer (${lbAddresses.join(', ')})`,
      `${wait}; or an /etc/hosts entry overrides it`,
    );
  }
  return pass(CHECK.dns, `${d.hostname} → ${mine.join(', ')} (the load balancer)`);
}

const lookup = (ctx: { dns: PublicDns }, name: string): Promise<string[] | Error> =>
  ctx.dns.lookup(name).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));

/**
 * Each developer's hostname: the Route 53 record (one listing for all), then, unless `--resolve`
 * names the address to use, what this machine's resolver answers compared with the load balancer's
 * addresses. With `--resolve`, public DNS is not asked: the record itself is what is checked.
 */
export async function dnsChecks(
  ctx: Pick<AwsContext, 'aws' | 'config'> & { dns: PublicDns; options: { resolve?: string } },
  developers: Developer[],
  lb: LoadBalancerName,
): Promise<TestCheckResult[]> {
  const records = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const lbAddresses = ctx.options.resolve ? [] : await lookup(ctx, lb.dnsName);
  return Promise.all(
    developers.map(async (d): Promise<TestCheckResult> => {
      const record = recordVerdict(d, records, lb, ctx.config.hostedZoneId);
      if (record) return { developer: d.name, ...record };
      if (ctx.options.resolve)
        return {
          developer: d.name,
          ...pass(
            CHECK.dns,
            `${d.hostname} aliases ${normalName(lb.dnsName)} (public DNS not asked: --resolve ${ctx.options.resolve})`,
          ),
        };
      return { developer: d.name, ...resolutionVerdict(d, await lookup(ctx, d.hostname), lbAddresses) };
    }),
  );
}
