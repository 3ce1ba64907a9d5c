/**
 * The README's restore, followed line by line on a real host: a developer's file is in a snapshot,
 * then changed and deleted; the lines of the README's restore section (read from README.md, so the
 * two cannot drift) bring it back, ending in `devenv up --adopt-data-volume`. Then a volume with
 * another filesystem (another UUID) is swapped in the same way.
 *
 * The lab's disks follow moto (World.syncVolumes): a snapshot is a copy of the volume's file, a
 * volume created from it a copy of that on a new loop device, shown to the host while attached.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { CreateSnapshotCommand, CreateVolumeCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { describeResult, REGION, type CliResult, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

const run = promisify(execFile);
/**
 * The lab has no public DNS and no load balancer in front of it here: the test phase's checks
 * through the edge run in test-phase.test.ts; this file logs in on the developer's port itself.
 */
const NO_TEST_PHASE = ['--skip', 'test'];
/** The shell lines of the README's restore section: the fenced block after its `restore-steps` marker. */
async function restoreSteps(): Promise<string[]> {
  const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /<!-- restore-steps[^>]*-->\s*```sh\n([\s\S]*?)```/.exec(readme)?.[1];
  if (!block) throw new Error('README.md has no restore-steps block');
  return block
    .split('\n')
    .map((l) => l.replace(/\s+#\s.*$/, '').trim())
    .filter((l) => l && !l.startsWith('#'));
}

describeOnHost('restoring the data volume from a snapshot, as the README says', () => {
  let world: World;
  let ws: Workspace;
  let instanceId: string;
  const workspace = '/mnt/ebs-data/alice/home/workspace';
  const inContainer = (command: string) => world.lab.exec(`docker exec code-server-alice sh -c '${command}'`);
  const fstabLines = async () =>
    (await world.lab.exec('cat /etc/fstab')).split('\n').filter((l) => l.includes('/mnt/ebs-data'));
  const uuidOf = async (device: string) => (await world.lab.exec(`blkid -p -o value -s UUID ${device}`)).trim();

  /** `devenv up …` while the lab's disks follow what devenv attaches and detaches. */
  async function upFollowingVolumes(args: string[]): Promise<CliResult> {
    const stop = world.followVolumes(instanceId);
    try {
      return await ws.cli(args);
    } finally {
      await stop();
    }
  }

  /** Runs one README line: `NAME=value`, `NAME=$(command)`, a `devenv …` line (in-process, on this workspace) or any other command (bash). */
  async function runStep(line: string, vars: Record<string, string>): Promise<void> {
    const env = { ...process.env, ...vars, AWS_DEFAULT_REGION: REGION };
    const assignment = /^([A-Z_]+)=(.*)$/.exec(line);
    if (assignment && !assignment[2]!.startsWith('$(')) {
      vars[assignment[1]!] = assignment[2]!;
    } else if (assignment) {
      const command = /^\$\((.*)\)$/.exec(assignment[2]!)?.[1];
      if (!command) throw new Error(`README restore line not understood: ${line}`);
      vars[assignment[1]!] = (await run('bash', ['-c', command], { env })).stdout.trim();
    } else if (line.startsWith('devenv ')) {
      const args = line
        .slice('devenv '.length)
        .replace(/\$([A-Z_]+)/g, (_, name: string) => vars[name] ?? '')
        .split(/\s+/);
      const r = await upFollowingVolumes([...args, ...NO_TEST_PHASE]);
      expect(r.code, `${line}: ${describeResult(r)}`).toBe(0);
    } else {
      await run('bash', ['-c', line], { env });
    }
    await world.syncVolumes(instanceId);
  }

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice']);
    await world.provision(ws);
    await world.up(ws, NO_TEST_PHASE);
    instanceId = (await ws.state()).resources.instance.id;
  });

  it('brings back a file changed and a file deleted since the snapshot; the old volume is kept with them', async () => {
    await inContainer(
      `echo "draft one" > ${'/home/coder/workspace'}/notes.txt && echo "the plan" > /home/coder/workspace/plan.txt`,
    );
    const oldVolume = (await ws.state()).resources['volume/data'].id;
    const uuid = await uuidOf(world.lab.deviceOf(oldVolume)!);
    // AWS Backup's daily job, as far as the restore is concerned: a completed snapshot of the data volume.
    const { ec2 } = await world.moto.clients();
    await ec2.send(new CreateSnapshotCommand({ VolumeId: oldVolume, Description: 'AWS Backup stand-in' }));
    await world.syncVolumes(instanceId);
    await inContainer('echo "broken" > /home/coder/workspace/notes.txt && rm /home/coder/workspace/plan.txt');

    const steps = await restoreSteps();
    expect(steps.at(-1)).toBe('devenv up --adopt-data-volume $NEW');
    const vars: Record<string, string> = {};
    for (const line of steps) await runStep(line.replace('<project>', (await ws.config()).project), vars);

    const restored = vars.NEW!;
    expect(restored).toMatch(/^vol-/);
    expect((await ws.state()).resources['volume/data'].id).toBe(restored);
    expect(await world.lab.exec(`cat ${workspace}/notes.txt ${workspace}/plan.txt`)).toBe('draft one\nthe plan\n');
    expect(await inContainer('cat /home/coder/workspace/notes.txt')).toBe('draft one\n');
    const { port } = (await ws.state()).allocations.alice;
    expect((await world.login(port, await world.password(ws, 'alice'))).status).toBe(302);
    // The restored filesystem has the original's UUID: the one fstab line stays as it was.
    expect(await uuidOf(world.lab.deviceOf(restored)!)).toBe(uuid);
    expect(await fstabLines()).toEqual([`UUID=${uuid} /mnt/ebs-data ext4 defaults,nofail 0 2`]);

    // The replaced volume: detached, kept, and still holding what was there before the restore.
    const old = (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [oldVolume] }))).Volumes![0]!;
    expect([old.State, old.Tags?.find((t) => t.Key === 'devenv:resource')?.Value]).toEqual([
      'available',
      'volume/data-previous',
    ]);
    const oldDevice = world.lab.deviceOf(oldVolume)!;
    expect(await world.lab.exec(`findmnt -n -S ${oldDevice} || echo "not mounted"`)).toBe('not mounted\n');
    expect(
      await world.lab.exec(
        `mkdir -p /tmp/old && mount -o ro ${oldDevice} /tmp/old && cat /tmp/old/alice/home/workspace/notes.txt; umount /tmp/old`,
      ),
    ).toBe('broken\n');
  }, 600_000);

  it('swaps in a volume with another filesystem too: fstab gets its UUID, the containers run on it', async () => {
    const { ec2 } = await world.moto.clients();
    const other = (
      await ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 1, VolumeType: 'gp3', Encrypted: true }),
      )
    ).VolumeId!;
    await world.lab.createVolume(other, { sizeGiB: 1 });
    const device = world.lab.deviceOf(other)!;
    await world.lab.exec(
      `mkfs.ext4 -q ${device} && mkdir -p /tmp/new && mount ${device} /tmp/new && mkdir -p /tmp/new/alice/workspace ` +
        '&& echo "from elsewhere" > /tmp/new/alice/workspace/notes.txt && chown -R 1000:1000 /tmp/new/alice && umount /tmp/new',
    );
    const uuid = await uuidOf(device);

    const r = await upFollowingVolumes(['up', '--adopt-data-volume', other, ...NO_TEST_PHASE]);
    expect(r.code, describeResult(r)).toBe(0);

    expect(await fstabLines()).toEqual([`UUID=${uuid} /mnt/ebs-data ext4 defaults,nofail 0 2`]);
    expect(await inContainer('cat /home/coder/workspace/notes.txt')).toBe('from elsewhere\n');
    expect((await ws.state()).resources['volume/data-previous'].attrs).toMatchObject({
      replacedBy: other,
      swapped: true,
    });
  }, 600_000);
});
