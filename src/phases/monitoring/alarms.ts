import { createHash } from 'node:crypto';
import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../../aws/concurrency.js';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import {
  alarmSpec,
  alarmTags,
  alarmTagFixes,
  alarmFixes,
  deleteAlarms,
  listAlarms,
  type AlarmWant,
} from '../../aws/cloudwatch/alarms.js';
import { planChange, runFixes } from '../../aws/fix.js';
import { ensureResource, inspectResource, probeResource, removeResource, rowOf } from '../../aws/resource.js';
import { deleteTopic, subscriptionFixes, subscriptionsOf, subscriptionState, topicSpec } from '../../aws/sns/topic.js';
import { TAG, tagValue } from '../../config/tags.js';
import {
  ALARM_TOPIC,
  alarmDefinitions,
  alarmTopic,
  monitoringBlueprint,
  type AlarmDefinition,
  type DimensionSource,
} from '../../blueprint/monitoring.js';
import { pick, type PlannedResource } from '../../blueprint/types.js';
import { resourceName } from '../../config/model.js';
import { recordedId } from '../../state/recorded.js';
import type { Change, Context, Inspection, Row } from '../types.js';
import { LOAD_BALANCER, targetGroupId } from '../../blueprint/edge.js';
import { INSTANCE } from '../../blueprint/compute.js';

/**
 * The alarms (host CPU, status check, surplus credits, load balancer 5xx, each developer's
 * unhealthy target) and, with `monitoring.alarmEmail`, the SNS topic they notify with its e-mail
 * subscription. The alarms' dimensions come from what the ec2 and alb phases recorded.
 */

const planned = (ctx: Context, logicalId: string): PlannedResource => pick(monitoringBlueprint(ctx.model), logicalId);
/** Every alarm devenv names for this project starts with this. */
const alarmPrefix = (ctx: Context) => `${resourceName(ctx.model, 'alarm')}-`;
const topicSpecOf = (ctx: Context) => topicSpec(ctx, alarmTopic(ctx.model));
const removeTopic = (ctx: Context) =>
  removeResource(ctx, topicSpecOf(ctx), async (arn) => void (await deleteTopic(ctx, arn)));

/**
 * Ids for the alarms' dimensions, from the state; `undefined` for one whose phase has not recorded it (plan before the
 * first up).
 */
function dimensionValues(
  ctx: Context,
  strict: boolean,
): (source: DimensionSource, developer?: string) => string | undefined {
  const id = (logicalId: string, phase: string) =>
    strict ? recordedId(ctx, logicalId, phase) : ctx.state.resource(logicalId)?.id;
  return (source, developer) => {
    if (source === 'instance') return id(INSTANCE, 'ec2');
    // CloudWatch names a load balancer and a target group by the end of their ARNs: app/<name>/<id>,
    // targetgroup/<name>/<id>.
    if (source === 'loadBalancer') return id(LOAD_BALANCER, 'alb')?.replace(/^.*:loadbalancer\//, '');
    return id(targetGroupId(developer!), 'alb')?.replace(/^.*:(targetgroup\/)/, '$1');
  };
}

function alarmWant(
  a: AlarmDefinition,
  value: (source: DimensionSource, developer?: string) => string | undefined,
  topicArn: string | undefined,
): AlarmWant {
  return {
    Namespace: a.namespace,
    MetricName: a.metricName,
    Statistic: a.statistic,
    Period: a.periodSeconds,
    EvaluationPeriods: a.evaluationPeriods,
    Threshold: a.threshold,
    ComparisonOperator: a.comparison,
    TreatMissingData: a.treatMissingData,
    AlarmDescription: `devenv: ${a.description}`,
    Dimensions: a.dimensions.map(([Name, source]) => ({ Name, Value: value(source, a.developer) ?? `<${source}>` })),
    AlarmActions: topicArn ? [topicArn] : [],
  };
}

/**
 * The topic and its subscription when an e-mail is configured; the topic deleted when it no longer is. Returns the
 * topic's ARN.
 */
async function ensureTopic(ctx: Context): Promise<string | undefined> {
  const email = ctx.config.monitoring.alarmEmail;
  if (!email) {
    await removeTopic(ctx);
    if (ctx.state.resource(ALARM_TOPIC)) await ctx.state.forget(ALARM_TOPIC);
    return undefined;
  }
  const { resource: topic } = await ensureResource(ctx, topicSpecOf(ctx));
  await runFixes(ctx, subscriptionFixes(ctx, topic.arn, await subscriptionsOf(ctx, topic.arn), email), {
    logicalId: ALARM_TOPIC,
    subject: `topic ${planned(ctx, ALARM_TOPIC).name}`,
  });
  return topic.arn;
}

/**
 * What the state keeps of the tags devenv put on an alarm, to know without reading them that they are still the
 * config's.
 */
const tagsFingerprint = (tags: Record<string, string>) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(tags).sort()))
    .digest('hex')
    .slice(0, 16);

const currentAlarmNames = (ctx: Context) =>
  new Set(alarmDefinitions(ctx.model).map((a) => planned(ctx, a.logicalId).name));

/**
 * Live alarms of developers no longer in the config: recorded in the state, or named like one and
 * tagged as this project's (a lost state). Only live ones: DeleteAlarms deletes nothing when one
 * name is wrong [cw-api].
 */
async function staleAlarms(ctx: Context, alarms: MetricAlarm[]): Promise<{ logicalId: string; name: string }[]> {
  const current = currentAlarmNames(ctx);
  const live = new Set(alarms.map((a) => a.AlarmName!));
  const stale = new Map<string, string>();
  for (const [logicalId, r] of ctx.state.resourcesOf('monitoring')) {
    const name = r.attrs?.name;
    if (r.kind === 'CloudWatch alarm' && typeof name === 'string' && !current.has(name) && live.has(name))
      stale.set(name, logicalId);
  }
  for (const a of alarms.filter((x) => !current.has(x.AlarmName!) && !stale.has(x.AlarmName!))) {
    const tags = await alarmTags(ctx, a.AlarmArn!);
    if (tagValue(tags, TAG.project) === ctx.model.project)
      stale.set(a.AlarmName!, tagValue(tags, TAG.resource) ?? a.AlarmName!);
  }
  return [...stale].map(([name, logicalId]) => ({ name, logicalId }));
}

/** Deletes these alarms (none: no call) and reports each; `why` ends the message. */
async function deleteReported(ctx: Context, alarms: { name: string; logicalId: string }[], why = ''): Promise<void> {
  if (alarms.length)
    await deleteAlarms(
      ctx,
      alarms.map((a) => a.name),
    );
  for (const a of alarms)
    ctx.report.resource({
      action: 'deleted',
      logicalId: a.logicalId,
      kind: 'CloudWatch alarm',
      resourceId: a.name,
      message: `deleted CloudWatch alarm ${a.name}${why}`,
    });
}
export async function ensureAlarms(ctx: Context): Promise<void> {
  const topicArn = await ensureTopic(ctx);
  const value = dimensionValues(ctx, true);
  const alarms = await listAlarms(ctx, alarmPrefix(ctx));
  await mapLimit(alarmDefinitions(ctx.model), PER_DEVELOPER_CONCURRENCY, async (a) => {
    const p = planned(ctx, a.logicalId);
    const want = alarmWant(a, value, topicArn);
    // DescribeAlarms gives no tags: read them (a call per alarm) only when the state does not say these tags were put.
    const tags = tagsFingerprint(p.tags);
    let tagged = ctx.state.resource(p.logicalId)?.attrs?.tags === tags;
    const spec = alarmSpec(ctx, p, alarms, want);
    const create = async (token: string) => {
      const made = await spec.create(token);
      tagged = true; // created with its tags
      return made;
    };
    const { resource, outcome } = await ensureResource(ctx, {
      ...spec,
      create,
      attrs: () => ({ name: p.name, ...(tagged ? { tags } : {}) }),
    });
    if (outcome === 'created') return;
    const tagFixes =
      outcome === 'kept' && tagged
        ? []
        : alarmTagFixes(ctx, resource.AlarmArn!, await alarmTags(ctx, resource.AlarmArn!), p.tags);
    await runFixes(ctx, [...alarmFixes(ctx, resource, want), ...tagFixes], {
      logicalId: p.logicalId,
      subject: `alarm ${p.name}`,
    });
    const record = ctx.state.resource(p.logicalId);
    if (record && record.attrs?.tags !== tags)
      await ctx.state.setResource(p.logicalId, { ...record, attrs: { ...record.attrs, tags } });
  });
  const stale = await staleAlarms(ctx, alarms);
  await deleteReported(ctx, stale, ' (no longer a developer)');
  const current = currentAlarmNames(ctx);
  for (const [logicalId, r] of ctx.state.resourcesOf('monitoring'))
    if (r.kind === 'CloudWatch alarm' && !current.has(String(r.attrs?.name))) await ctx.state.forget(logicalId);
}

/**
 * One read for `plan` and `status`: the topic and its subscription (with an e-mail configured, or
 * a topic left over without), every alarm of the project in one listing, and the stale ones.
 */
export async function inspectAlarms(ctx: Context): Promise<Inspection> {
  const changes: Change[] = [];
  const rows: Row[] = [];
  const email = ctx.config.monitoring.alarmEmail;
  const topic = await probeResource(ctx, topicSpecOf(ctx));
  if (email) {
    const p = planned(ctx, ALARM_TOPIC);
    const subs = topic.resource ? await subscriptionsOf(ctx, topic.resource.arn) : [];
    const fixes = topic.resource ? subscriptionFixes(ctx, topic.resource.arn, subs, email) : [];
    changes.push(
      planChange(
        { phase: 'monitoring', action: topic.action, logicalId: ALARM_TOPIC, kind: p.kind, name: p.name, id: topic.id },
        p,
        fixes,
      ),
    );
    const state = subscriptionState(subs.find((s) => s.Protocol === 'email' && s.Endpoint === email));
    rows.push({
      phase: 'monitoring',
      logicalId: ALARM_TOPIC,
      kind: p.kind,
      id: topic.id,
      state: topic.resource ? `subscription ${state}` : 'missing',
      detail:
        state === 'PendingConfirmation'
          ? `${email} has not confirmed yet: alarms reach nobody until the link in SNS's e-mail is clicked`
          : email,
    });
  } else if (topic.id) {
    changes.push({
      phase: 'monitoring',
      action: 'delete',
      logicalId: ALARM_TOPIC,
      kind: 'SNS topic',
      id: topic.id,
      detail: 'monitoring.alarmEmail is no longer set',
    });
  }
  const value = dimensionValues(ctx, false);
  const alarms = await listAlarms(ctx, alarmPrefix(ctx));
  for (const a of alarmDefinitions(ctx.model)) {
    const p = planned(ctx, a.logicalId);
    const want = alarmWant(a, value, email ? (topic.id ?? '<alarm/topic>') : undefined);
    const probed = await inspectResource(ctx, alarmSpec(ctx, p, alarms, want), p.name);
    changes.push(planChange(probed, p, probed.resource ? alarmFixes(ctx, probed.resource, want) : []));
    const row = rowOf(
      probed,
      (live) => live.StateValue ?? 'unknown',
      (live) => live.StateReason,
    );
    rows.push({ ...row, id: probed.resource?.AlarmArn, detail: row.detail ?? p.name });
  }
  for (const s of await staleAlarms(ctx, alarms))
    changes.push({
      phase: 'monitoring',
      action: 'delete',
      logicalId: s.logicalId,
      kind: 'CloudWatch alarm',
      name: s.name,
      detail: 'no longer a developer',
    });
  return { changes, rows };
}

export async function removeAlarms(ctx: Context): Promise<void> {
  const alarms = await listAlarms(ctx, alarmPrefix(ctx));
  const current = new Map(alarmDefinitions(ctx.model).map((a) => [planned(ctx, a.logicalId).name, a.logicalId]));
  const ours = [...current]
    .filter(([name]) => alarms.some((a) => a.AlarmName === name))
    .map(([name, logicalId]) => ({ name, logicalId }));
  ours.push(...(await staleAlarms(ctx, alarms)));
  await deleteReported(ctx, ours);
  for (const [logicalId, r] of ctx.state.resourcesOf('monitoring'))
    if (r.kind === 'CloudWatch alarm') await ctx.state.forget(logicalId);
  await removeTopic(ctx);
  if (ctx.state.resource(ALARM_TOPIC)) await ctx.state.forget(ALARM_TOPIC);
}
