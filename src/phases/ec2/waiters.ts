import { DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES } from '../../aws/ec2/collections.js';
import { DevenvError } from '../../errors.js';
import { waitFor, waitOptions } from '../../aws/wait.js';
import type { Context } from '../types.js';

/** Bounds, in seconds, of the SDK waiters the ec2 phase uses. */
export const WAIT_S = {
  volumeAvailable: 5 * 60,
  instanceRunning: 10 * 60,
  instanceStatusOk: 15 * 60,
  instanceStopped: 10 * 60,
  instanceTerminated: 10 * 60,
  // A first snapshot copies every written block: hours for a large, full volume.
  snapshotCompleted: 6 * 60 * 60,
} as const;

export type InstanceTarget = 'running' | 'stopped' | 'terminated';

/** States from which an instance never reaches the target: waiting on would only run into the bound. */
const DEAD_ENDS: Record<InstanceTarget, string[]> = {
  running: ['shutting-down', 'terminated'],
  stopped: ['shutting-down', 'terminated'],
  terminated: [],
};

const INSTANCE_POLL_MS = 5_000;

/**
 * Polls an instance's state until it is `target`. Unlike the SDK's waiters (docs/aws-behaviour.md#waiters), a
 * transitional state (`pending` or `running` just after StopInstances or TerminateInstances,
 * `stopping`) means "not yet", never failure; a missing instance counts as terminated (and as not
 * visible yet otherwise). A timeout names the state last seen.
 */
export async function waitForInstance(
  ctx: Pick<Context, 'aws' | 'report' | 'signal' | 'clock'>,
  instanceId: string,
  target: InstanceTarget,
): Promise<void> {
  const what = `instance ${instanceId} to be ${target}`;
  await waitFor(
    async () => {
      const state = (await describeById(ctx.aws.ec2, INSTANCES, instanceId))?.State?.Name ?? 'not found';
      if (state === 'not found' && target === 'terminated') return { done: true, value: undefined, seen: state };
      if (DEAD_ENDS[target].includes(state))
        throw new DevenvError('aws', `instance ${instanceId} is ${state}: it will not become ${target}`);
      return { done: state === target, value: undefined, seen: state };
    },
    {
      what,
      timeoutMs: WAIT_S[INSTANCE_WAIT[target]] * 1000,
      intervalMs: INSTANCE_POLL_MS,
      ...waitOptions(ctx),
    },
  );
}

const INSTANCE_WAIT = {
  running: 'instanceRunning',
  stopped: 'instanceStopped',
  terminated: 'instanceTerminated',
} as const;

/**
 * Waits until both status checks of a running instance say `ok`. A check that says `impaired`
 * fails at once (the SDK's waiter would poll on until its bound): the host will not come up.
 */
export async function waitForStatusChecks(
  ctx: Pick<Context, 'aws' | 'report' | 'signal' | 'clock'>,
  instanceId: string,
): Promise<void> {
  const what = `instance ${instanceId} to pass its status checks`;
  await waitFor(
    async () => {
      const out = await ctx.aws.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId] }));
      const s = out.InstanceStatuses?.[0];
      const system = s?.SystemStatus?.Status ?? 'not reported';
      const instance = s?.InstanceStatus?.Status ?? 'not reported';
      if (system === 'impaired' || instance === 'impaired') {
        throw new DevenvError(
          'aws',
          `instance ${instanceId} failed its status checks (system ${system}, instance ${instance})`,
        );
      }
      return {
        done: system === 'ok' && instance === 'ok',
        value: undefined,
        seen: `system ${system}, instance ${instance}`,
      };
    },
    {
      what,
      timeoutMs: WAIT_S.instanceStatusOk * 1000,
      intervalMs: 15_000,
      ...waitOptions(ctx),
    },
  );
}
