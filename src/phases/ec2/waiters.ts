import { DescribeInstanceStatusCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES } from '../../aws/ec2/collections.js';
import { DevenvError, InterruptedError } from '../../errors.js';
import { isNotFound, isThrottling } from '../../aws/errors.js';
import { formatDuration, waitFor } from '../../aws/wait.js';
import type { Context } from '../types.js';

type WaiterParams = { client: EC2Client; maxWaitTime: number; abortSignal: AbortSignal };

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

/** The first progress line waits a little, so a wait that is over at the first poll (a converged run) stays silent. */
const FIRST_PROGRESS_MS = 3_000;
const PROGRESS_EVERY_MS = 30_000;

/**
 * Runs one of the SDK's EC2 waiters with a bound, the run's abort signal and a progress line
 * after 3 s, then every 30 s (the waiters have no callback of their own, and a silent wait looks
 * like a hang).
 * Their errors, JSON blobs, become one sentence naming what we waited for.
 */
export async function sdkWait(
  ctx: Pick<Context, 'aws' | 'report' | 'signal' | 'clock'>,
  what: string,
  maxWaitTime: number,
  wait: (params: WaiterParams) => Promise<unknown>,
): Promise<void> {
  const started = ctx.clock.now();
  const tell = () => ctx.report.progress(`waiting for ${what} (${formatDuration(ctx.clock.now() - started)})`);
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tell();
    ticker = setInterval(tell, PROGRESS_EVERY_MS).unref();
  }, FIRST_PROGRESS_MS).unref();
  const stop = stopOnLastingError(ctx.aws.ec2, ctx.signal);
  try {
    await wait({ client: stop.client, maxWaitTime, abortSignal: stop.signal });
  } catch (err) {
    throw stop.error ?? waiterError(err, what, ctx.clock.now() - started, maxWaitTime);
  } finally {
    clearTimeout(first);
    clearInterval(ticker);
  }
}

/** Errors a later poll can outlive: throttling, a 5xx, a NotFound just after a create. */
const isPassing = (err: unknown) => isThrottling(err) || isNotFound(err) || (err as { $fault?: string }).$fault === 'server';

/**
 * The SDK's waiters retry every error their acceptors do not name (docs/aws-behaviour.md#waiters), so expired
 * credentials or an AccessDenied would poll until the bound, up to hours. This client stops the
 * waiter at the first error no later poll can fix, and keeps it to throw instead.
 */
function stopOnLastingError(ec2: EC2Client, runSignal: AbortSignal): { client: EC2Client; signal: AbortSignal; error?: unknown } {
  const lasting = new AbortController();
  const stop: { client: EC2Client; signal: AbortSignal; error?: unknown } = {
    signal: AbortSignal.any([runSignal, lasting.signal]),
    client: new Proxy(ec2, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<EC2Client['send']>) => {
          try {
            return await target.send(...args);
          } catch (err) {
            if (!isPassing(err)) {
              stop.error = err;
              lasting.abort();
            }
            throw err;
          }
        };
      },
    }),
  };
  return stop;
}

function waiterError(err: unknown, what: string, elapsedMs: number, maxWaitTime: number): Error {
  const e = err as Error;
  if (e.name === 'AbortError') return new InterruptedError();
  const seen = lastSeen(e.message);
  const suffix = seen ? ` (last seen: ${seen})` : '';
  if (e.name === 'TimeoutError') {
    return new DevenvError('aws', `timed out after ${formatDuration(maxWaitTime * 1000)} waiting for ${what}${suffix}`, {
      remedy: 'check it in the EC2 console, then run the same command again: devenv resumes where it stopped',
      cause: err,
    });
  }
  if (looksLikeWaiterResult(e.message)) {
    return new DevenvError('aws', `gave up after ${formatDuration(elapsedMs)} waiting for ${what}: it reached a state it cannot leave${suffix}`, { cause: err });
  }
  return err as Error; // a real API error (AccessDenied …), not a waiter verdict
}

const looksLikeWaiterResult = (message: string) => message.startsWith('{"state":');

/** The most recent response the waiter recorded, from the JSON it puts in its error message. */
function lastSeen(message: string): string | undefined {
  if (!looksLikeWaiterResult(message)) return undefined;
  try {
    const result = JSON.parse(message) as { observedResponses?: Record<string, number> };
    return Object.keys(result.observedResponses ?? {}).at(-1);
  } catch {
    return undefined;
  }
}

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
export async function waitForInstance(ctx: Pick<Context, 'aws' | 'report' | 'signal' | 'clock'>, instanceId: string, target: InstanceTarget): Promise<void> {
  const what = `instance ${instanceId} to be ${target}`;
  await waitFor(async () => {
    const state = (await describeById(ctx.aws.ec2, INSTANCES, instanceId))?.State?.Name ?? 'not found';
    if (state === 'not found' && target === 'terminated') return { done: true, value: undefined, seen: state };
    if (DEAD_ENDS[target].includes(state)) throw new DevenvError('aws', `instance ${instanceId} is ${state}: it will not become ${target}`);
    return { done: state === target, value: undefined, seen: state };
  }, {
    what,
    timeoutMs: WAIT_S[INSTANCE_WAIT[target]] * 1000,
    intervalMs: INSTANCE_POLL_MS,
    clock: ctx.clock,
    signal: ctx.signal,
    onWait: (elapsed, seen) => ctx.report.progress(`waiting for ${what} (${formatDuration(elapsed)}; ${seen})`),
  });
}

const INSTANCE_WAIT = { running: 'instanceRunning', stopped: 'instanceStopped', terminated: 'instanceTerminated' } as const;

/**
 * Waits until both status checks of a running instance say `ok`. A check that says `impaired`
 * fails at once (the SDK's waiter would poll on until its bound): the host will not come up.
 */
export async function waitForStatusChecks(ctx: Pick<Context, 'aws' | 'report' | 'signal' | 'clock'>, instanceId: string): Promise<void> {
  const what = `instance ${instanceId} to pass its status checks`;
  await waitFor(async () => {
    const out = await ctx.aws.ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: [instanceId] }));
    const s = out.InstanceStatuses?.[0];
    const system = s?.SystemStatus?.Status ?? 'not reported';
    const instance = s?.InstanceStatus?.Status ?? 'not reported';
    if (system === 'impaired' || instance === 'impaired') {
      throw new DevenvError('aws', `instance ${instanceId} failed its status checks (system ${system}, instance ${instance})`);
    }
    return { done: system === 'ok' && instance === 'ok', value: undefined, seen: `system ${system}, instance ${instance}` };
  }, {
    what,
    timeoutMs: WAIT_S.instanceStatusOk * 1000,
    intervalMs: 15_000,
    clock: ctx.clock,
    signal: ctx.signal,
    onWait: (elapsed, seen) => ctx.report.progress(`waiting for ${what} (${formatDuration(elapsed)}; ${seen})`),
  });
}
