/**
 * `up --adopt-data-volume <vol>` while the data volume is live: a restore from a backup. The old
 * volume is released on the host (containers stopped, unmounted) before it is detached, kept,
 * retagged and recorded; the restored one is tagged, recorded and attached. A run killed after any
 * mutating call is finished by a rerun, with the same flag or without it.
 */
import { AttachVolumeCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import type { RemoteHost } from '../../src/remote/host.js';
import type { TestContext } from '../helpers/context.js';
import {
  convergedWorld,
  crashAfter,
  ec2Context,
  inputsOf,
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

const RESTORED = 'vol-0restored000000001';

/** A volume created from a snapshot: untagged, available, in the host's zone. */
function restoredVolume(id = RESTORED): string {
  world.volumes.push({
    VolumeId: id,
    AvailabilityZone: 'us-east-1a',
    Size: 500,
    VolumeType: 'gp3',
    Encrypted: true,
    State: 'available',
    Attachments: [],
    Tags: [],
  });
  return id;
}

const volume = (id: string) => world.volumes.find((v) => v.VolumeId === id)!;
const tagOf = (id: string, key: string) => volume(id).Tags?.find((t) => t.Key === key)?.Value;

/**
 * The host over SSH, as far as the swap uses it: the release script, which must run while the
 * volume it names is still attached (after a detach, writes in flight would be lost).
 */
function fakeHost(ctx: TestContext): { released: string[] } {
  const released: string[] = [];
  const host = {
    runScript: async (name: string, script: string) => {
      const id = /^VOLUME_ID='(vol-[0-9a-z]+)'$/m.exec(script)?.[1];
      expect(name).toBe('release-data-volume.sh');
      expect(volume(id!).Attachments?.[0]?.State, `${id} released while attached`).toBe('attached');
      released.push(id!);
      return `released ${id}`;
    },
  };
  ctx.ssh = () => Promise.resolve(host as unknown as RemoteHost);
  return { released };
}

/** A converged environment and a restored volume, run with --adopt-data-volume. */
async function restoring(): Promise<{
  ctx: TestContext;
  instanceId: string;
  volumeId: string;
  host: { released: string[] };
}> {
  const ctx = await ec2Context({}, { adoptDataVolume: restoredVolume() });
  const ids = await convergedWorld(ctx, world);
  return { ctx, ...ids, host: fakeHost(ctx) };
}

/** The end every path must reach: the restored volume is the data volume on the host, the old one kept beside it. */
function expectSwapped(ctx: TestContext, instanceId: string, oldId: string): void {
  expect(ctx.state.resource('volume/data')?.id).toBe(RESTORED);
  expect(volume(RESTORED).Attachments).toMatchObject([
    { InstanceId: instanceId, Device: '/dev/sdf', State: 'attached' },
  ]);
  expect(tagOf(RESTORED, 'devenv:resource')).toBe('volume/data');
  expect(tagOf(RESTORED, 'devenv:project')).toBe('demo');
  expect(volume(oldId)).toMatchObject({ State: 'available', Attachments: [] });
  expect(tagOf(oldId, 'devenv:resource')).toBe('volume/data-previous');
  expect(tagOf(oldId, 'Name')).toBe('demo-volume-data-previous');
  expect(ctx.state.resource('volume/data-previous')).toMatchObject({
    id: oldId,
    attrs: { replacedBy: RESTORED, swapped: true },
  });
  expect(world.volumes).toHaveLength(2);
}

describe('up --adopt-data-volume while the data volume is live', () => {
  it('releases the old volume on the host, detaches and keeps it, and attaches the restored one', async () => {
    const { ctx, instanceId, volumeId, host } = await restoring();

    await ec2Phase.apply(ctx);

    expect(mutatingCalls()).toEqual(['CreateTags', 'CreateTags', 'DetachVolume', 'AttachVolume']);
    expect(host.released).toEqual([volumeId]);
    expect(inputsOf(AttachVolumeCommand)[0]).toEqual({
      VolumeId: RESTORED,
      InstanceId: instanceId,
      Device: '/dev/sdf',
    });
    expectSwapped(ctx, instanceId, volumeId);
    expect(messages(ctx, 'step')).toContain(
      `kept the previous data volume ${volumeId} (detached, tagged volume/data-previous); ` +
        `once the restored data is right, delete it: aws ec2 delete-volume --volume-id ${volumeId}`,
    );

    // The same command again, and a plain up: nothing more to do, no login to the host.
    const calls = mutatingCalls().length;
    await ec2Phase.apply(ctx);
    ctx.options = {};
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toHaveLength(calls);
    expect(host.released).toHaveLength(1);
  });

  it('a stopped host has nothing mounted: no login, the volumes are swapped and the host started', async () => {
    const { ctx, instanceId, volumeId } = await restoring();
    world.instances[0]!.State = { Name: 'stopped' };
    ctx.ssh = () => Promise.reject(new Error('a stopped host cannot be logged in to'));

    await ec2Phase.apply(ctx);

    expect(mutatingCalls()).toEqual(['CreateTags', 'CreateTags', 'DetachVolume', 'StartInstances', 'AttachVolume']);
    expectSwapped(ctx, instanceId, volumeId);
  });

  it('a release that fails on the host stops the run before the volume is detached; a rerun finishes', async () => {
    const { ctx, instanceId, volumeId } = await restoring();
    ctx.ssh = () =>
      Promise.resolve({
        runScript: () => Promise.reject(new DevenvError('phase', 'cannot unmount /mnt/ebs-data')),
      } as unknown as RemoteHost);

    await expect(ec2Phase.apply(ctx)).rejects.toThrow('cannot unmount /mnt/ebs-data');
    expect(mutatingCalls()).toEqual(['CreateTags']);
    expect(volume(volumeId).Attachments).toMatchObject([{ InstanceId: instanceId, State: 'attached' }]);

    const host = fakeHost(ctx);
    ctx.options = {};
    await ec2Phase.apply(ctx);
    expect(host.released).toEqual([volumeId]);
    expectSwapped(ctx, instanceId, volumeId);
  });

  it("refuses the host's own root volume, and a second swap while one is under way; nothing changes", async () => {
    const { ctx, instanceId, volumeId } = await restoring();
    world.volumes.push({
      VolumeId: 'vol-0root',
      AvailabilityZone: 'us-east-1a',
      State: 'in-use',
      Attachments: [{ InstanceId: instanceId, Device: '/dev/sda1', State: 'attached' }],
    });
    ctx.options = { adoptDataVolume: 'vol-0root' };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(
      "volume vol-0root is attached to this project's host at /dev/sda1 (not the data volume's /dev/sdf)",
    );
    expect(mutatingCalls()).toEqual([]);

    await ctx.state.setResource('volume/data-previous', {
      kind: 'EBS volume',
      phase: 'ec2',
      id: volumeId,
      attrs: { replacedBy: RESTORED, swapped: false },
    });
    const other = restoredVolume('vol-0another000000002');
    ctx.options = { adoptDataVolume: other };
    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err.message).toContain(`a swap of data volume ${volumeId} for ${RESTORED} is still under way`);
    expect(err.remedy).toContain(`devenv up --adopt-data-volume ${RESTORED}`);
    expect(err.exitCode).toBe(2);
    expect(mutatingCalls()).toEqual([]);
  });

  it('a second restore keeps the volume it replaces, and says the first kept one is no longer recorded', async () => {
    const { ctx, instanceId, volumeId } = await restoring();
    await ec2Phase.apply(ctx);
    const again = restoredVolume('vol-0again0000000003');
    ctx.options = { adoptDataVolume: again };

    await ec2Phase.apply(ctx);

    expect(ctx.state.resource('volume/data')?.id).toBe(again);
    expect(volume(again).Attachments).toMatchObject([{ InstanceId: instanceId, State: 'attached' }]);
    expect(ctx.state.resource('volume/data-previous')).toMatchObject({
      id: RESTORED,
      attrs: { replacedBy: again, swapped: true },
    });
    expect(tagOf(volumeId, 'devenv:resource')).toBe('volume/data-previous');
    expect(
      messages(ctx, 'warn').some((m) =>
        m.includes(`volume ${volumeId}, kept by an earlier restore, is no longer recorded`),
      ),
    ).toBe(true);
  });
});

describe('up --adopt-data-volume killed after every mutating call, then run again', () => {
  for (const rerun of ['the same command', 'a plain up'] as const) {
    it(`${rerun} finishes the swap: the old volume released before its detach, kept; the restored one attached`, async () => {
      const { ctx: clean } = await restoring();
      await ec2Phase.apply(clean);
      const n = mutatingCalls().length;
      expect(n).toBe(4);
      for (let k = 1; k <= n; k++) {
        world = newWorld();
        serve(world);
        const { ctx, instanceId, volumeId } = await restoring();
        const crash = crashAfter(ctx, k);
        await expect(ec2Phase.apply(ctx), `k=${k}`).rejects.toThrow();
        expect(crash.crashed(), `k=${k}`).toBe(true);
        rerunContext(ctx);
        const host = fakeHost(ctx); // asserts each release happens while the volume is attached
        if (rerun === 'a plain up') ctx.options = {};
        await ec2Phase.apply(ctx);
        expectSwapped(ctx, instanceId, volumeId);
        expect(inputsOf(CreateTagsCommand).length, `k=${k}`).toBeLessThanOrEqual(3);
        expect(host.released.length, `k=${k}`).toBeLessThanOrEqual(1);
      }
    });
  }
});

describe('the kept previous data volume afterwards', () => {
  it('status shows it while it exists; once the user deletes it, status drops the row and up forgets it', async () => {
    const { ctx, volumeId } = await restoring();
    await ec2Phase.apply(ctx);
    ctx.options = {};
    const row = (await ec2Phase.status(ctx)).find((r) => r.logicalId === 'volume/data-previous');
    expect(row).toMatchObject({ id: volumeId, state: 'available' });
    expect(row?.detail).toContain(`aws ec2 delete-volume --volume-id ${volumeId}`);

    world.volumes = world.volumes.filter((v) => v.VolumeId !== volumeId);
    expect((await ec2Phase.status(ctx)).map((r) => r.logicalId)).toEqual(['keypair', 'volume/data', 'instance']);
    await ec2Phase.apply(ctx);
    expect(ctx.state.resource('volume/data-previous')).toBeUndefined();
    expect(messages(ctx, 'step')).toContain(
      `the previous data volume ${volumeId} has been deleted: no longer recorded`,
    );
  });
});

describe('destroy after a restore', () => {
  it('keeps the previous data volume and says so; --delete-data deletes it', async () => {
    const { ctx, volumeId } = await restoring();
    await ec2Phase.apply(ctx);
    ctx.options = {};
    await ec2Phase.destroy(ctx);
    expect(volume(volumeId).State).toBe('available');
    expect(
      messages(ctx, 'step').some((m) =>
        m.startsWith(`kept the previous data volume ${volumeId} (set aside by a restore)`),
      ),
    ).toBe(true);

    ctx.options = { deleteData: true, noFinalSnapshot: true };
    await ec2Phase.destroy(ctx);
    expect(world.volumes.map((v) => v.VolumeId)).toEqual([]);
    expect(ctx.state.resource('volume/data-previous')).toBeUndefined();
  });
});
