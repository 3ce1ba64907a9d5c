import { DescribeInstancesCommand, DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type DevenvError, InterruptedError } from '../../src/errors.js';
import { sdkWait, WaitTimeoutError } from '../../src/aws/wait.js';
import { waitForInstance, waitForStatusChecks } from '../../src/phases/ec2/waiters.js';
import { testContext } from '../helpers/context.js';

const ec2 = sdkMock(EC2Client);

const verdict = (name: string, result: object) => Object.assign(new Error(JSON.stringify(result)), { name });

describe('sdkWait', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns a waiter that ran out of time into one sentence saying what was last seen', async () => {
    const ctx = await testContext('ec2');
    const timeout = verdict('TimeoutError', {
      state: 'TIMEOUT',
      reason: 'Waiter has timed out',
      observedResponses: { '200: OK': 40 },
    });
    const err = (await sdkWait(ctx, ctx.aws.ec2, 'instance i-1 to be running', 600, () =>
      Promise.reject(timeout),
    ).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.message).toBe('timed out after 10m00s waiting for instance i-1 to be running (last seen: 200: OK)');
    expect(err.remedy).toMatch(/run the same command again/);
  });

  it('says so when the resource reached a state it cannot leave', async () => {
    const ctx = await testContext('ec2');
    const failure = verdict('Error', {
      state: 'FAILURE',
      reason: { Reservations: [] },
      observedResponses: { '200: OK': 1 },
    });
    await expect(
      sdkWait(ctx, ctx.aws.ec2, 'instance i-1 to be running', 600, () => Promise.reject(failure)),
    ).rejects.toThrow(/waiting for instance i-1 to be running: it reached a state it cannot leave/);
  });

  it('reports an abort as an interruption and passes API errors through', async () => {
    const ctx = await testContext('ec2');
    await expect(
      sdkWait(ctx, ctx.aws.ec2, 'x', 60, () => Promise.reject(verdict('AbortError', { state: 'ABORTED' }))),
    ).rejects.toBeInstanceOf(InterruptedError);
    const denied = Object.assign(new Error('not authorized'), { name: 'UnauthorizedOperation' });
    await expect(sdkWait(ctx, ctx.aws.ec2, 'x', 60, () => Promise.reject(denied))).rejects.toBe(denied);
  });

  it('passes the bound and the run signal to the waiter, and reports progress while it waits', async () => {
    vi.useFakeTimers();
    const ctx = await testContext('ec2');
    let params: { maxWaitTime: number; abortSignal: AbortSignal } | undefined;
    const waiting = sdkWait(ctx, ctx.aws.ec2, 'snapshot snap-1 to complete', 3600, (p) => {
      params = p;
      return new Promise((resolve) => setTimeout(resolve, 64_000));
    });
    await vi.advanceTimersByTimeAsync(64_000);
    await waiting;
    expect(params).toMatchObject({ maxWaitTime: 3600, abortSignal: ctx.signal });
    expect(ctx.events.filter((e) => e.type === 'progress')).toHaveLength(3); // at 3 s, 33 s, 63 s
  });

  it('stops at the first error no later poll can fix, instead of polling until the bound', async () => {
    const ctx = await testContext('ec2');
    const expired = Object.assign(new Error('The security token included in the request is expired'), {
      name: 'RequestExpired',
      $fault: 'client',
    });
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $fault: 'client' });
    const answers = [throttled, Object.assign(new Error('gone'), { name: 'InvalidInstanceID.NotFound' }), expired];
    let polls = 0;
    vi.spyOn(ctx.aws.ec2, 'send').mockImplementation(async () => {
      throw answers[polls++];
    });
    // A waiter in the SDK's manner: every error is a reason to poll again, until the signal aborts.
    const pollForever = async ({
      client,
      abortSignal,
    }: {
      client: { send(c: never): Promise<unknown> };
      abortSignal: AbortSignal;
    }) => {
      while (!abortSignal.aborted) await client.send({} as never).catch(() => undefined);
      throw verdict('AbortError', { state: 'ABORTED' });
    };
    const err = await sdkWait(ctx, ctx.aws.ec2, 'instance i-1 to terminate', 600, pollForever).catch((e: unknown) => e);
    expect(err).toBe(expired);
    expect(polls).toBe(3); // throttling and NotFound were polled through; the expired token stopped it
  });

  it('stays silent when the first poll already succeeds', async () => {
    const ctx = await testContext('ec2');
    await sdkWait(ctx, ctx.aws.ec2, 'instance i-1 to pass its status checks', 900, () => Promise.resolve());
    expect(ctx.events).toEqual([]);
  });
});

describe('waitForInstance', () => {
  beforeEach(() => {
    resetSdkMocks();
  });

  /** DescribeInstances answers these states in turn (the last one from then on); `undefined` is NotFound. */
  function states(...names: (string | undefined)[]) {
    let i = 0;
    ec2.on(DescribeInstancesCommand).callsFake(() => {
      const name = names[Math.min(i++, names.length - 1)];
      if (name === undefined)
        throw Object.assign(new Error("The instance ID 'i-1' does not exist"), { name: 'InvalidInstanceID.NotFound' });
      return { Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: name } }] }] };
    });
  }

  it('waits through pending and stopping until stopped (the SDK waiter fails at once on pending), with progress naming the state', async () => {
    const ctx = await testContext('ec2');
    states('pending', 'running', 'stopping', 'stopped');
    await waitForInstance(ctx, 'i-1', 'stopped');
    const progress = ctx.events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message);
    expect(progress).toEqual([
      'waiting for instance i-1 to be stopped (0s; pending)',
      'waiting for instance i-1 to be stopped (5s; running)',
      'waiting for instance i-1 to be stopped (10s; stopping)',
    ]);
  });

  it('counts an instance that is gone as terminated, and waits through running and shutting-down first', async () => {
    const ctx = await testContext('ec2');
    states('running', 'shutting-down', undefined);
    await waitForInstance(ctx, 'i-1', 'terminated');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(3);
  });

  it('waits while a just-launched instance is not visible yet', async () => {
    const ctx = await testContext('ec2');
    states(undefined, 'pending', 'running');
    await waitForInstance(ctx, 'i-1', 'running');
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(3);
  });

  it('names the state last seen when the bound runs out', async () => {
    const ctx = await testContext('ec2');
    states('stopping');
    const err = await waitForInstance(ctx, 'i-1', 'stopped').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect((err as Error).message).toBe(
      'timed out after 10m00s waiting for instance i-1 to be stopped (last seen: stopping)',
    );
  });

  it('stops at once when the instance can no longer get there', async () => {
    const ctx = await testContext('ec2');
    states('pending', 'terminated');
    await expect(waitForInstance(ctx, 'i-1', 'running')).rejects.toThrow(
      'instance i-1 is terminated: it will not become running',
    );
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(2);
  });
});

describe('waitForStatusChecks', () => {
  const statuses = (...list: [string, string][]) => {
    let i = 0;
    ec2.on(DescribeInstanceStatusCommand).callsFake(() => {
      const [system, instance] = list[Math.min(i++, list.length - 1)]!;
      return {
        InstanceStatuses: [
          { InstanceId: 'i-1', SystemStatus: { Status: system }, InstanceStatus: { Status: instance } },
        ],
      };
    });
  };

  it('waits while the checks initialize, until both say ok', async () => {
    resetSdkMocks();
    const ctx = await testContext('ec2');
    statuses(['initializing', 'initializing'], ['ok', 'initializing'], ['ok', 'ok']);
    await waitForStatusChecks(ctx, 'i-1');
    expect(ec2.commandCalls(DescribeInstanceStatusCommand)).toHaveLength(3);
  });

  it('fails at once when a check says impaired, naming both', async () => {
    resetSdkMocks();
    const ctx = await testContext('ec2');
    statuses(['initializing', 'initializing'], ['impaired', 'ok']);
    await expect(waitForStatusChecks(ctx, 'i-1')).rejects.toThrow(
      'instance i-1 failed its status checks (system impaired, instance ok)',
    );
  });
});
