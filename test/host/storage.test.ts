/**
 * The storage phase on a real host (./lab.ts): a volume that may hold data is never formatted, and
 * containers start only on the mounted data volume. In order, on one host with two developers:
 * a device whose reads fail (blkid exits 2 on it, silently: what the old script took for "empty"),
 * then the new empty data volume, then the volume unmounted before `containers`, then a restored
 * volume that looks empty.
 */
import { CreateSnapshotCommand, CreateVolumeCommand } from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { describeResult, REGION, type CliResult, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

describeOnHost('storage: a volume that may hold data is never formatted; containers only on the mounted volume', () => {
  let world: World;
  let ws: Workspace;
  let volumeId: string;
  let instanceId: string;
  let mkfsCalls: () => Promise<string[]>;
  const output = (r: CliResult) => r.stdout + r.stderr;
  /** What the host says of a device: blkid's exit and stderr, wipefs's listing, and a checksum of what backs it. */
  const look = (device: string, backing = device) =>
    world.lab.exec(
      `blkid -p ${device} 2>&1; echo "blkid exit $?"; wipefs --no-act ${device} 2>&1; md5sum < ${backing} | cut -d' ' -f1`,
    );

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice', 'bob']);
    await world.provision(ws);
    const state = await ws.state();
    volumeId = state.resources['volume/data'].id;
    instanceId = state.resources.instance.id;
    mkfsCalls = await world.lab.recordCalls('mkfs.ext4');
  });

  it('a device whose reads fail stops storage, naming the device and the error; nothing is written', async () => {
    // The new data volume, never formatted: the state allows a filesystem on it. Its device now fails every read.
    expect((await ws.state()).resources['volume/data'].attrs).toMatchObject({ origin: 'created-empty' });
    const { device, image } = await world.lab.unreadableDevice();
    await world.lab.presentAs(volumeId, device);
    // What fooled the old script: blkid finds "nothing" (exit 2, no message), wipefs lists nothing.
    const before = await look(device, image);
    expect(before).toMatch(/^blkid exit 2\n[0-9a-f]{32}\n$/);

    const r = await ws.cli(['phase', 'storage']);

    expect(r.code).toBe(1);
    expect(output(r)).toContain(
      `cannot tell what ${device} (volume ${volumeId}) holds: reading 1 MiB at byte 0 failed: dd: error reading '${device}': Input/output error. Nothing was written to it.`,
    );
    expect(await mkfsCalls()).toEqual([]);
    expect(await look(device, image)).toBe(before);
    expect(await world.lab.exec('findmnt -n /mnt/ebs-data || echo "not mounted"')).toBe('not mounted\n');
    expect((await ws.state()).phases.storage?.status).toBe('failed');
  }, 300_000);

  it('the new, empty data volume is formatted, once, and its UUID recorded', async () => {
    await world.lab.attachVolume(volumeId);
    const r = await ws.cli(['phase', 'storage']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(output(r)).toContain(`made an ext4 filesystem`);
    expect(await mkfsCalls()).toEqual([`-q -L devenv-data ${world.lab.loopDevice}`]);
    const uuid = (await world.lab.exec(`blkid -p -o value -s UUID ${world.lab.loopDevice}`)).trim();
    const state = await ws.state();
    expect(state.resources['volume/data'].attrs).toMatchObject({ origin: 'created-empty', filesystemUuid: uuid });
    expect(state.phases.storage.outputs).toMatchObject({ filesystemUuid: uuid, volumeId, instanceId });
    expect((await world.lab.exec('findmnt -n -o SOURCE /mnt/ebs-data')).trim()).toBe(world.lab.loopDevice);

    // A rerun keeps it.
    expect((await ws.cli(['phase', 'storage'])).code).toBe(0);
    expect(await mkfsCalls()).toHaveLength(1);
  }, 300_000);

  it('with the data volume unmounted, containers refuses: no container started, nothing made on the root volume', async () => {
    await world.lab.exec('umount /mnt/ebs-data');
    const r = await ws.cli(['phase', 'containers']);
    expect(r.code).toBe(1);
    const uuid = (await ws.state()).phases.storage.outputs.filesystemUuid;
    expect(output(r)).toContain(
      `nothing is mounted at /mnt/ebs-data: the data volume (filesystem ${uuid}) is not mounted; started nothing`,
    );
    expect(output(r)).toContain('devenv phase storage');
    expect(await world.lab.exec('docker ps -aq')).toBe('');
    expect(await world.lab.exec('find /mnt/ebs-data -mindepth 1')).toBe('');

    // Mounted again by storage, the same command starts both.
    expect((await ws.cli(['phase', 'storage'])).code).toBe(0);
    const again = await ws.cli(['phase', 'containers']);
    expect(again.code, describeResult(again)).toBe(0);
    expect((await world.lab.exec('docker ps --format "{{.Names}}" | sort')).trim().split('\n')).toEqual([
      'code-server-alice',
      'code-server-bob',
    ]);
  }, 600_000);

  it('a volume restored from a snapshot that looks empty is not formatted, and nothing is written to it', async () => {
    const { ec2 } = await world.moto.clients();
    // A snapshot of a volume that never held anything, and a volume restored from it.
    const blank = (
      await ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1, VolumeType: 'gp3', Encrypted: true }),
      )
    ).VolumeId!;
    await world.lab.createVolume(blank, { sizeGiB: 1 });
    const snapshotId = (await ec2.send(new CreateSnapshotCommand({ VolumeId: blank }))).SnapshotId!;
    await world.syncVolumes(instanceId);
    const restored = (
      await ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: `${REGION}a`,
          SnapshotId: snapshotId,
          VolumeType: 'gp3',
          Encrypted: true,
        }),
      )
    ).VolumeId!;
    await world.syncVolumes(instanceId);
    const device = world.lab.deviceOf(restored)!;
    const before = await look(device);
    expect(before).toMatch(/^blkid exit 2\n[0-9a-f]{32}\n$/);

    const stop = world.followVolumes(instanceId);
    let r: CliResult;
    try {
      r = await ws.cli(['up', '--adopt-data-volume', restored, '--skip', 'test']);
    } finally {
      await stop();
    }
    expect(r.code, describeResult(r)).toBe(1);
    expect(output(r)).toContain(
      `${device} (volume ${restored}) looks empty, but devenv does not format it: it was adopted with --adopt-data-volume`,
    );
    expect(output(r)).toContain('Nothing was written to it');
    expect(await mkfsCalls()).toHaveLength(1); // the new volume's, in the test above
    expect(await look(device)).toBe(before);
    expect(await world.lab.exec('findmnt -n /mnt/ebs-data || echo "not mounted"')).toBe('not mounted\n');
    expect(await world.lab.exec('docker ps -q')).toBe('');
  }, 600_000);
});
