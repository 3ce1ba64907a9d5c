/**
 * A data volume is never silently replaced by an empty one: a recorded volume that is gone stops
 * `up`, naming its newest snapshot and the two ways on (--adopt-data-volume, --new-data-volume).
 */
import { AttachVolumeCommand, CreateTagsCommand } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import type { RunOptions } from '../../src/phases/types.js';
import type { TestContext } from '../helpers/context.js';
import {
  convergedWorld,
  ec2Context,
  inputsOf,
  messages,
  mutatingCalls,
  newWorld,
  serve,
  type World,
} from './ec2-fixtures.js';

let world: World;
beforeEach(() => {
  world = newWorld();
  serve(world);
});

/** A converged environment whose data volume was then deleted outside devenv. */
async function volumeDeleted(
  options: RunOptions = {},
): Promise<{ ctx: TestContext; instanceId: string; volumeId: string }> {
  const ctx = await ec2Context({}, options);
  const ids = await convergedWorld(ctx, world);
  world.volumes = [];
  return { ctx, ...ids };
}

/** A volume restored from a backup: untagged, available, in the host's zone unless told. */
function restoredVolume(o: { az?: string; attachedTo?: string } = {}): string {
  const id = 'vol-0restored000000001';
  world.volumes.push({
    VolumeId: id,
    AvailabilityZone: o.az ?? 'us-east-1a',
    Size: 500,
    VolumeType: 'gp3',
    Encrypted: true,
    State: o.attachedTo ? 'in-use' : 'available',
    Attachments: o.attachedTo ? [{ InstanceId: o.attachedTo, State: 'attached', VolumeId: id }] : [],
    Tags: [],
  });
  return id;
}

describe('ec2: the recorded data volume is gone', () => {
  it('up stops, creates nothing, and names the volume, its newest snapshot and both ways on', async () => {
    const { ctx, volumeId } = await volumeDeleted();
    world.snapshots.push(
      {
        SnapshotId: 'snap-0older',
        VolumeId: volumeId,
        State: 'completed',
        StartTime: new Date('2026-11-01T00:00:00Z'),
        Tags: [],
      },
      {
        SnapshotId: 'snap-0newest',
        VolumeId: volumeId,
        State: 'completed',
        StartTime: new Date('2026-12-01T00:00:00Z'),
        Tags: [],
      },
      {
        SnapshotId: 'snap-0other',
        VolumeId: 'vol-0someoneelse',
        State: 'completed',
        StartTime: new Date('2026-12-02T00:00:00Z'),
        Tags: [],
      },
    );

    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;

    expect(err).toBeInstanceOf(DevenvError);
    expect(err.exitCode).toBe(1);
    expect(err.message).toContain(`data volume ${volumeId} recorded in the state no longer exists`);
    expect(err.message).toContain('Its newest snapshot: snap-0newest (completed, 2026-12-01T00:00:00.000Z)');
    expect(err.remedy).toContain('aws ec2 create-volume --snapshot-id snap-0newest --availability-zone us-east-1a');
    expect(err.remedy).toContain('devenv up --adopt-data-volume');
    expect(err.remedy).toContain('devenv up --new-data-volume');
    expect(mutatingCalls()).toEqual([]);
    expect(ctx.state.resource('volume/data')?.id).toBe(volumeId);
  });

  it('says so when no snapshot of it exists; plan warns of the stop', async () => {
    const { ctx, volumeId } = await volumeDeleted();
    const plan = (await ec2Phase.plan(ctx)).find((c) => c.logicalId === 'volume/data')!;
    expect(plan.detail).toContain(
      `the recorded ${volumeId} is gone: up stops unless run with --adopt-data-volume <vol-id> or --new-data-volume`,
    );
    await expect(ec2Phase.apply(ctx)).rejects.toThrow('No snapshot of it was found');
    expect(mutatingCalls()).toEqual([]);
  });

  it('with --new-data-volume: creates an empty one, with a warning, and attaches it', async () => {
    const { ctx, volumeId } = await volumeDeleted({ newDataVolume: true });
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['CreateVolume', 'AttachVolume']);
    const created = ctx.state.resource('volume/data')!;
    expect(created.id).not.toBe(volumeId);
    expect(created.generation).toBe(1);
    expect(messages(ctx, 'warn').some((m) => m.includes(`${volumeId} no longer exists`))).toBe(true);
  });

  it("with --adopt-data-volume: tags the restored volume as devenv's, records it and attaches it to the host", async () => {
    const { ctx, instanceId } = await volumeDeleted();
    const restored = restoredVolume();
    ctx.options = { adoptDataVolume: restored };

    await ec2Phase.apply(ctx);

    expect(mutatingCalls()).toEqual(['CreateTags', 'AttachVolume']);
    expect(inputsOf(CreateTagsCommand)[0]!.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'devenv:resource', Value: 'volume/data' },
        { Key: 'devenv:project', Value: 'demo' },
      ]),
    );
    expect(inputsOf(AttachVolumeCommand)[0]).toEqual({
      VolumeId: restored,
      InstanceId: instanceId,
      Device: '/dev/sdf',
    });
    expect(ctx.state.resource('volume/data')?.id).toBe(restored);
    expect(messages(ctx, 'step')).toContain(
      `adopted volume ${restored} as the data volume (--adopt-data-volume ${restored})`,
    );

    // Run again with the same flag: nothing more to do.
    const calls = mutatingCalls().length;
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toHaveLength(calls);
  });

  it('--adopt-data-volume refuses a volume that does not exist, is in another zone, or is attached elsewhere; nothing changes', async () => {
    const { ctx, volumeId } = await volumeDeleted();
    ctx.options = { adoptDataVolume: 'vol-0doesnotexist0000' };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(
      '--adopt-data-volume vol-0doesnotexist0000: volume vol-0doesnotexist0000 does not exist in us-east-1',
    );

    const elsewhere = restoredVolume({ az: 'us-east-1b' });
    ctx.options = { adoptDataVolume: elsewhere };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(
      `volume ${elsewhere} is in us-east-1b, but the host's zone is us-east-1a`,
    );

    world.volumes = [];
    const busy = restoredVolume({ attachedTo: 'i-0somebodyelse' });
    ctx.options = { adoptDataVolume: busy };
    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err.message).toContain(`volume ${busy} is attached to i-0somebodyelse, which is not this project's host`);
    expect(err.exitCode).toBe(2);

    expect(mutatingCalls()).toEqual([]);
    expect(ctx.state.resource('volume/data')?.id).toBe(volumeId);
  });

  it('a first run (nothing recorded, nothing found) creates the data volume without asking', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['ImportKeyPair', 'CreateVolume', 'RunInstances', 'AttachVolume']);
  });
});
