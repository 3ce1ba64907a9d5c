/**
 * `up --replace-host` on the in-memory EC2: the old host stays until the new one works, a failed
 * launch or failed status checks put the old host back with the data volume, and a run killed
 * after any mutating call of either path is finished by a rerun.
 */
import { DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import { attachDataVolume } from '../../src/phases/ec2/volume.js';
import type { TestContext } from '../helpers/context.js';
import {
  convergedWorld,
  crashAfter,
  ec2,
  ec2Context,
  messages,
  mutatingCalls,
  newWorld,
  rerunContext,
  serve,
  type World,
} from './ec2-fixtures.js';

let world: World;
beforeEach(() => {
  world = newWorld();
  serve(world);
});

const NEW_TYPE = 't3.xlarge';
const noCapacity = () => {
  throw Object.assign(
    new Error(`We currently do not have sufficient ${NEW_TYPE} capacity in the Availability Zone you requested`),
    { name: 'InsufficientInstanceCapacity' },
  );
};

/** A converged t3.2xlarge host whose config now asks for t3.xlarge, run with --replace-host. */
async function replacing(): Promise<{ ctx: TestContext; instanceId: string; volumeId: string }> {
  const ctx = await ec2Context({ instance: { type: NEW_TYPE } }, { replaceHost: true });
  const { instanceId, volumeId } = await convergedWorld(ctx, world, { type: 't3.2xlarge' });
  return { ctx, instanceId, volumeId };
}

const live = () => world.instances.filter((i) => !['shutting-down', 'terminated'].includes(i.State!.Name!));
const tagOf = (id: string) =>
  world.instances.find((i) => i.InstanceId === id)?.Tags?.find((t) => t.Key === 'devenv:resource')?.Value;

/** The end every path must reach: exactly one instance alive, running, holding the data volume, recorded as the host. */
function expectOneHostWithVolume(ctx: TestContext, volumeId: string, type: string): void {
  const alive = live();
  expect(alive.map((i) => [i.State!.Name, i.InstanceType])).toEqual([['running', type]]);
  const host = alive[0]!.InstanceId!;
  expect(world.volumes.find((v) => v.VolumeId === volumeId)?.Attachments).toMatchObject([
    { InstanceId: host, State: 'attached' },
  ]);
  expect(ctx.state.resource('instance')?.id).toBe(host);
  expect(ctx.state.resource('instance/previous')).toBeUndefined();
  expect(tagOf(host)).toBe('instance');
}

describe('--replace-host when the new host fails', () => {
  it('a launch refused for capacity puts the volume back on the old host, starts it, and says so', async () => {
    const { ctx, instanceId, volumeId } = await replacing();
    world.runInstances = noCapacity;

    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;

    expect(err).toBeInstanceOf(DevenvError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(`sufficient ${NEW_TYPE} capacity`);
    expect(err.message).toContain(`the old host ${instanceId} is serving again, with data volume ${volumeId}`);
    expect(err.remedy).toMatch(/InsufficientInstanceCapacity/);
    expect(mutatingCalls()).toEqual([
      'CreateTags',
      'StopInstances',
      'DetachVolume',
      'RunInstances',
      'CreateTags',
      'StartInstances',
      'AttachVolume',
    ]);
    expectOneHostWithVolume(ctx, volumeId, 't3.2xlarge');
    expect(ctx.state.resource('instance')?.id).toBe(instanceId);
    // The next try must not send the refused launch's token again.
    expect(ctx.state.resource('instance')?.generation).toBe(2);
    expect(messages(ctx, 'warn').some((m) => m.includes(`putting data volume ${volumeId} back on ${instanceId}`))).toBe(
      true,
    );
  });

  it('a new host that fails its status checks is terminated and the old one serves again', async () => {
    const { ctx, instanceId, volumeId } = await replacing();
    world.statusChecks = (id) => (id === instanceId ? 'ok' : 'impaired');

    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;

    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(/failed its status checks \(system ok, instance impaired\)/);
    expect(err.message).toContain(`the old host ${instanceId} is serving again`);
    expect(mutatingCalls()).toEqual([
      'CreateTags',
      'StopInstances',
      'DetachVolume',
      'RunInstances',
      'TerminateInstances',
      'CreateTags',
      'StartInstances',
      'AttachVolume',
    ]);
    expect(world.instances.filter((i) => i.InstanceType === NEW_TYPE).map((i) => i.State!.Name)).toEqual([
      'terminated',
    ]);
    expectOneHostWithVolume(ctx, volumeId, 't3.2xlarge');
  });

  it('does not roll back when the run is interrupted: the rerun finishes the replacement', async () => {
    const { ctx, instanceId, volumeId } = await replacing();
    const interrupt = new AbortController();
    ctx.signal = interrupt.signal;
    world.runInstances = () => {
      interrupt.abort();
      throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError' });
    };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow();
    expect(mutatingCalls()).toEqual(['CreateTags', 'StopInstances', 'DetachVolume', 'RunInstances']);
    expect(ctx.state.resource('instance/previous')?.id).toBe(instanceId);

    world.runInstances = undefined;
    ctx.signal = new AbortController().signal;
    ctx.options = {}; // a plain `up` finishes what the killed `up --replace-host` began
    await ec2Phase.apply(ctx);
    expectOneHostWithVolume(ctx, volumeId, NEW_TYPE);
    expect(world.instances.find((i) => i.InstanceId === instanceId)?.State?.Name).toBe('terminated');
  });
});

describe('--replace-host killed after every mutating call, then run again', () => {
  it('a replacement that works: the rerun ends with the new host holding the volume and the old one terminated', async () => {
    const { ctx: clean } = await replacing();
    await ec2Phase.apply(clean);
    const n = mutatingCalls().length;
    expect(n).toBe(6);
    for (let k = 1; k <= n; k++) {
      world = newWorld();
      serve(world);
      const { ctx, instanceId, volumeId } = await replacing();
      const crash = crashAfter(ctx, k);
      await expect(ec2Phase.apply(ctx), `k=${k}`).rejects.toThrow();
      expect(crash.crashed(), `k=${k}`).toBe(true);
      rerunContext(ctx);
      await ec2Phase.apply(ctx);
      expectOneHostWithVolume(ctx, volumeId, NEW_TYPE);
      expect(world.instances.find((i) => i.InstanceId === instanceId)?.State?.Name, `k=${k}`).toBe('terminated');
    }
  });

  it('a replacement whose launch keeps failing: every rerun ends with the old host running and holding the volume', async () => {
    const { ctx: clean } = await replacing();
    world.runInstances = noCapacity;
    await ec2Phase.apply(clean).catch(() => undefined);
    expect(mutatingCalls()).toHaveLength(7);
    const n = 6; // the refused RunInstances changed nothing: no crash point
    for (let k = 1; k <= n; k++) {
      world = newWorld();
      serve(world);
      world.runInstances = noCapacity;
      const { ctx, instanceId, volumeId } = await replacing();
      const crash = crashAfter(ctx, k);
      await expect(ec2Phase.apply(ctx), `k=${k}`).rejects.toThrow();
      expect(crash.crashed(), `k=${k}`).toBe(true);
      rerunContext(ctx);
      await expect(ec2Phase.apply(ctx), `k=${k}`).rejects.toThrow(`the old host ${instanceId} is serving again`);
      expectOneHostWithVolume(ctx, volumeId, 't3.2xlarge');
    }
  });
});

describe('attaching the data volume', () => {
  it('waits for a volume still held by a shutting-down instance instead of refusing', async () => {
    const ctx = await ec2Context();
    const { instanceId, volumeId } = await convergedWorld(ctx, world);
    const dying = { ...world.instances[0]!, InstanceId: 'i-0dying', State: { Name: 'shutting-down' as const } };
    world.instances.push(dying);
    const volume = world.volumes.find((v) => v.VolumeId === volumeId)!;
    volume.Attachments = [{ InstanceId: 'i-0dying', State: 'attached', VolumeId: volumeId, Device: '/dev/sdf' }];
    let describes = 0;
    ec2.on(DescribeVolumesCommand).callsFake(() => {
      if (++describes === 2) Object.assign(volume, { State: 'available', Attachments: [] }); // released once the attach looked
      return { Volumes: [volume] };
    });

    await attachDataVolume(ctx, volumeId, world.instances[0]!);

    expect(mutatingCalls()).toEqual(['AttachVolume']);
    expect(volume.Attachments).toMatchObject([{ InstanceId: instanceId, State: 'attached' }]);
  });

  it('still refuses a volume attached to another instance that is alive', async () => {
    const ctx = await ec2Context();
    const { volumeId } = await convergedWorld(ctx, world);
    world.instances.push({ ...world.instances[0]!, InstanceId: 'i-0other', State: { Name: 'running' } });
    world.volumes[0]!.Attachments = [{ InstanceId: 'i-0other', State: 'attached', VolumeId: volumeId }];
    await expect(attachDataVolume(ctx, volumeId, world.instances[0]!)).rejects.toThrow(
      `data volume ${volumeId} is attached to i-0other (running)`,
    );
    expect(mutatingCalls()).toEqual([]);
  });
});
