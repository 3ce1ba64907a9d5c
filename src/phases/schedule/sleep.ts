import { DescribeAlarmHistoryCommand } from '@aws-sdk/client-cloudwatch';
import type { Instance } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES, stateOf } from '../../aws/ec2/collections.js';
import type { AwsContext } from '../../aws/context.js';
import { INSTANCE } from '../../blueprint/compute.js';
import {
  describeInstant,
  nextOccurrence,
  officeHoursOf,
  previousOccurrence,
  type OfficeHours,
} from '../../config/office-hours.js';
import { tagValue } from '../../config/tags.js';
import { resourceName } from '../../config/model.js';

/**
 * Whether a stopped host is asleep on purpose, and who put it to sleep. EC2 says only "User initiated
 * (<time>)" for every stop [ec2-reason], and the Scheduler's universal target cannot tag in the same
 * call, so each cause is told by what it leaves behind, each checked against the time of the stop:
 * - by hand: `devenv sleep` tags the host `devenv:asleep = by-hand <time>` just before it stops it;
 * - idle: the idle alarm's history has its stop action at that time;
 * - schedule: the office hours have a stop at that time (the Scheduler runs within the minute, its
 *   retries within the hour).
 * A host stopped otherwise (by someone in the console, by AWS) is not asleep: `status` reports it.
 */

export const ASLEEP_TAG = 'devenv:asleep';
export type SleepCause = 'by hand' | 'schedule' | 'idle';

const MINUTE = 60_000;
/** A stop up to this long after its cause still belongs to it (the Scheduler's retries, EC2's own delay). */
const SLACK_MS = 60 * MINUTE;

/** The time in EC2's `User initiated (2026-12-06 20:00:01 GMT)` (moto writes UTC); `undefined` without one. */
export function stoppedAt(reason: string | undefined): number | undefined {
  const m = /\((\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) (?:GMT|UTC)\)/.exec(reason ?? '');
  return m ? Date.parse(`${m[1]}T${m[2]}Z`) : undefined;
}

export const asleepTagValue = (now: number) => `by-hand ${new Date(now).toISOString()}`;
const taggedAt = (value: string | undefined) =>
  value?.startsWith('by-hand ') ? Date.parse(value.slice('by-hand '.length)) : undefined;

const near = (cause: number | undefined, stop: number) =>
  cause !== undefined && cause <= stop + MINUTE && stop - cause <= SLACK_MS;

/** What stopped the host at `stop`, from what each cause leaves; `undefined` when none of them did. */
export function causeOf(o: {
  stop: number | undefined;
  taggedAt?: number;
  idleActionAt?: number;
  hours?: OfficeHours;
}): SleepCause | undefined {
  if (o.stop === undefined) return o.taggedAt !== undefined ? 'by hand' : undefined;
  if (near(o.taggedAt, o.stop)) return 'by hand';
  if (near(o.idleActionAt, o.stop)) return 'idle';
  if (o.hours && near(previousOccurrence(o.hours.timezone, o.hours.stop, o.stop + MINUTE), o.stop)) return 'schedule';
  return undefined;
}

export interface HostSleep {
  instanceId: string;
  /** EC2's state: running, stopped … */
  state: string;
  /** Set when the host is stopped on purpose. */
  asleep?: { cause: SleepCause; since?: number };
  /** The office hours' next start (when asleep) or stop (when awake). */
  wakesAt?: number;
  sleepsAt?: number;
  timezone: string;
}

/** The last time the idle alarm ran its stop action; `undefined` when it never did (or the history cannot be read). */
async function idleActionAt(ctx: Pick<AwsContext, 'aws' | 'model'>): Promise<number | undefined> {
  try {
    const history = await ctx.aws.cloudwatch.send(
      new DescribeAlarmHistoryCommand({
        AlarmName: resourceName(ctx.model, 'idle-stop'),
        HistoryItemType: 'Action',
        ScanBy: 'TimestampDescending',
        MaxRecords: 1,
      }),
    );
    return history.AlarmHistoryItems?.[0]?.Timestamp?.getTime();
  } catch {
    return undefined;
  }
}

/** The sleep of this host as read now: one DescribeInstances, and the alarm's history when idle stop is on. */
export function sleepOf(
  ctx: Pick<AwsContext, 'config' | 'model'>,
  host: Instance,
  now: number,
  idleAt: number | undefined,
): HostSleep {
  const hours = officeHoursOf(ctx.config.schedule);
  const state = stateOf(host);
  const base = { instanceId: host.InstanceId!, state, timezone: hours?.timezone ?? 'UTC' };
  if (state === 'running' || state === 'pending')
    return { ...base, ...(hours ? { sleepsAt: nextOccurrence(hours.timezone, hours.stop, now) } : {}) };
  if (state !== 'stopped' && state !== 'stopping') return base;
  const stop = stoppedAt(host.StateTransitionReason);
  const cause = causeOf({
    stop,
    taggedAt: taggedAt(tagValue(host.Tags, ASLEEP_TAG)),
    idleActionAt: idleAt,
    hours,
  });
  return {
    ...base,
    ...(cause ? { asleep: { cause, ...(stop !== undefined ? { since: stop } : {}) } } : {}),
    ...(hours ? { wakesAt: nextOccurrence(hours.timezone, hours.start, now) } : {}),
  };
}

export async function readSleep(
  ctx: Pick<AwsContext, 'aws' | 'config' | 'model' | 'state'>,
  now: number,
): Promise<HostSleep | undefined> {
  const id = ctx.state.resource(INSTANCE)?.id;
  if (!id) return undefined;
  const host = await describeById(ctx.aws.ec2, INSTANCES, id);
  if (!host) return undefined;
  const stopped = ['stopped', 'stopping'].includes(stateOf(host));
  const idle = stopped && ctx.config.schedule?.idleStopMinutes ? await idleActionAt(ctx) : undefined;
  return sleepOf(ctx, host, now, idle);
}

/** `asleep since …, wakes at …` / `awake, sleeps at …`, as `status` says it. */
export function describeSleep(s: HostSleep): string {
  const at = (t: number) => describeInstant(s.timezone, t);
  if (s.asleep) {
    const since = s.asleep.since !== undefined ? ` since ${at(s.asleep.since)}` : '';
    const wakes = s.wakesAt !== undefined ? `, wakes at ${at(s.wakesAt)}` : ', until `devenv wake`';
    return `asleep${since} (${s.asleep.cause})${wakes}`;
  }
  if (s.state === 'running') return `awake${s.sleepsAt !== undefined ? `, sleeps at ${at(s.sleepsAt)}` : ''}`;
  return `${s.state}, not by devenv (no schedule, idle stop or \`devenv sleep\` stopped it)`;
}
