import { GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { CreateTagsCommand, DeleteTagsCommand, StartInstancesCommand, StopInstancesCommand } from '@aws-sdk/client-ec2';
import { waitFor, waitOptions } from '../aws/wait.js';
import { LOAD_BALANCER, targetGroupId } from '../blueprint/edge.js';
import { DevenvError } from '../errors.js';
import { targetHealth } from '../aws/elbv2/target-groups.js';
import { waitForInstance } from '../phases/ec2/waiters.js';
import { ASLEEP_TAG, asleepTagValue, describeSleep, readSleep, type HostSleep } from '../phases/schedule/sleep.js';
import type { Context } from '../phases/types.js';
import type { Io } from '../ui/io.js';
import { ask } from '../ui/prompt.js';
import type { Session } from './session.js';

/**
 * `devenv sleep` stops the host now (asks unless --yes, saying who has used their editor lately);
 * `devenv wake [--wait]` starts it, and with --wait returns once every developer's target is healthy.
 * Both tag the host so that `status` knows it sleeps on purpose (src/phases/schedule/sleep.ts).
 */

/** How long `wake --wait` waits for every developer's target to be healthy after the host runs. */
export const WAKE_HEALTH_TIMEOUT_MS = 10 * 60_000;
const HEALTH_POLL_MS = 10_000;
/** The window `sleep` looks back on for who used their editor. */
const RECENT_MS = 15 * 60_000;

async function hostOf(session: Session, ctx: Context): Promise<HostSleep> {
  await session.verifyAccount();
  const sleep = await readSleep(ctx, ctx.clock.now());
  if (!sleep)
    throw new DevenvError('state', 'there is no host to put to sleep or wake: the state records no instance', {
      remedy: 'run `devenv up` first',
    });
  return sleep;
}

/**
 * Who used their editor in the last 15 minutes: the load balancer's requests per developer's target
 * group, in one GetMetricData. Read from CloudWatch, not from the host, so it answers while the host is
 * out of reach; an editor open all that time sends requests (its WebSocket pings go through the
 * same connection, but every reload, file save and extension call is a request).
 */
export async function recentUse(ctx: Context): Promise<Map<string, number>> {
  const lb = ctx.state.resource(LOAD_BALANCER)?.id?.replace(/^.*:loadbalancer\//, '');
  const now = ctx.clock.now();
  const developers = ctx.model.developers.filter((d) => ctx.state.resource(targetGroupId(d.name))?.id);
  if (!lb || developers.length === 0) return new Map();
  const answer = await ctx.aws.cloudwatch.send(
    new GetMetricDataCommand({
      StartTime: new Date(now - RECENT_MS),
      EndTime: new Date(now),
      MetricDataQueries: developers.map((d, i) => ({
        Id: `d${i}`,
        Label: d.name,
        MetricStat: {
          Metric: {
            Namespace: 'AWS/ApplicationELB',
            MetricName: 'RequestCount',
            Dimensions: [
              { Name: 'LoadBalancer', Value: lb },
              {
                Name: 'TargetGroup',
                Value: ctx.state.resource(targetGroupId(d.name))!.id!.replace(/^.*:(targetgroup\/)/, '$1'),
              },
            ],
          },
          Period: 300,
          Stat: 'Sum',
        },
      })),
    }),
  );
  return new Map((answer.MetricDataResults ?? []).map((r) => [r.Label!, (r.Values ?? []).reduce((a, b) => a + b, 0)]));
}

export const describeUse = (use: Map<string, number>): string => {
  const active = [...use].filter(([, n]) => n > 0);
  return active.length
    ? `in the last 15 minutes: ${active.map(([name, n]) => `${name} (${n} requests)`).join(', ')}`
    : 'nobody has used their editor in the last 15 minutes';
};

export async function sleep(session: Session, o: { yes: boolean; io: Io }): Promise<string> {
  const ctx = session.context('schedule');
  const host = await hostOf(session, ctx);
  if (host.state !== 'running' && host.state !== 'pending')
    return `the host ${host.instanceId} is ${host.state} already: ${describeSleep(host)}`;
  const use = describeUse(await recentUse(ctx));
  ctx.report.step(use);
  if (!o.yes) {
    const answer = await ask(
      o.io,
      `Stop the host ${host.instanceId} now (every editor closes; their work on the data volume stays)? ` +
        'Type yes to confirm: ',
      'sleep',
    );
    if (answer.trim() !== 'yes') throw new DevenvError('phase', 'sleep cancelled: the host keeps running');
  }
  // Tagged first: a stop without its tag would look like one by someone else.
  await ctx.aws.ec2.send(
    new CreateTagsCommand({
      Resources: [host.instanceId],
      Tags: [{ Key: ASLEEP_TAG, Value: asleepTagValue(ctx.clock.now()) }],
    }),
  );
  await ctx.aws.ec2.send(new StopInstancesCommand({ InstanceIds: [host.instanceId] }));
  const wakes = host.sleepsAt !== undefined ? ' (the office hours start it again)' : '';
  return `asleep: stopping ${host.instanceId}${wakes}; \`devenv wake\` starts it`;
}

/** Starts the host when it is not running; returns whether it did. Shared with `up` (which says so). */
export async function wakeHost(ctx: Context, host: HostSleep): Promise<boolean> {
  if (host.state === 'running' || host.state === 'pending') return false;
  if (host.state === 'stopping') await waitForInstance(ctx, host.instanceId, 'stopped');
  await ctx.aws.ec2.send(new StartInstancesCommand({ InstanceIds: [host.instanceId] }));
  await ctx.aws.ec2.send(new DeleteTagsCommand({ Resources: [host.instanceId], Tags: [{ Key: ASLEEP_TAG }] }));
  return true;
}

/** Every developer's target healthy, polled every 10 s for at most WAKE_HEALTH_TIMEOUT_MS. */
async function waitForTargets(ctx: Context): Promise<void> {
  const groups = ctx.model.developers
    .map((d) => [d.name, ctx.state.resource(targetGroupId(d.name))?.id] as const)
    .filter((g): g is readonly [string, string] => g[1] !== undefined);
  await waitFor(
    async () => {
      const sick: string[] = [];
      for (const [name, arn] of groups) {
        const state = (await targetHealth(ctx, arn))[0]?.TargetHealth?.State ?? 'no target';
        if (state !== 'healthy') sick.push(`${name} ${state}`);
      }
      return { done: sick.length === 0, value: undefined, seen: sick.join(', ') };
    },
    {
      what: "every developer's target to be healthy",
      timeoutMs: WAKE_HEALTH_TIMEOUT_MS,
      intervalMs: HEALTH_POLL_MS,
      ...waitOptions(ctx),
      remedy: '`devenv status` shows what is unhealthy; `devenv up` checks and repairs the containers',
    },
  );
}

export async function wake(session: Session, o: { wait: boolean }): Promise<string> {
  const ctx = session.context('schedule');
  const host = await hostOf(session, ctx);
  const started = await wakeHost(ctx, host);
  if (!o.wait)
    return started
      ? `waking: starting ${host.instanceId}; \`devenv wake --wait\` or \`devenv status\` says when it is back`
      : `the host ${host.instanceId} is ${host.state} already`;
  await waitForInstance(ctx, host.instanceId, 'running');
  await waitForTargets(ctx);
  return `awake: ${host.instanceId} runs and every developer's editor answers`;
}
