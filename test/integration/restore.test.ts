/**
 * Restoring the data volume from a snapshot against moto, the AWS side: `up --adopt-data-volume`
 * while the data volume is live swaps the restored volume in and keeps the old one (detached,
 * retagged volume/data-previous, recorded), also when killed after any of its mutating calls and
 * run again; destroy keeps both volumes.
 *
 * The host is stopped before the restore: moto's instances have no SSH, and a stopped host has
 * nothing mounted, so devenv does not log in. Releasing a running host's mount over SSH is
 * unit-tested (test/unit/ec2-restore.test.ts) and done for real in the host lab (test/host/restore.test.ts).
 */
import {
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DescribeVolumesCommand,
  StopInstancesCommand,
  type Volume,
} from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { crashAfterCall, crashPoints } from './crash.js';
import { expectConverged } from './expect.js';
import { describeResult, newWorkspace, REGION, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

describeMoto('restoring the data volume from a snapshot', (moto) => {
  /** A converged environment with its host stopped, and a volume created from a snapshot of its data volume. */
  async function snapshotRestored(): Promise<{ ws: Workspace; instanceId: string; oldId: string; restored: string }> {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await ws.cli(['up']));
    const state = await ws.state();
    const oldId = state.resources['volume/data'].id;
    const instanceId = state.resources.instance.id;
    const { ec2 } = await moto.server.clients();
    const snapshot = await ec2.send(new CreateSnapshotCommand({ VolumeId: oldId }));
    const restored = (
      await ec2.send(
        new CreateVolumeCommand({
          SnapshotId: snapshot.SnapshotId,
          AvailabilityZone: `${REGION}a`,
          VolumeType: 'gp3',
          Encrypted: true,
        }),
      )
    ).VolumeId!;
    await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    return { ws, instanceId, oldId, restored };
  }

  const volume = async (id: string): Promise<Volume> => {
    const { ec2 } = await moto.server.clients();
    return (await ec2.send(new DescribeVolumesCommand({ VolumeIds: [id] }))).Volumes![0]!;
  };
  const tag = (v: Volume, key: string) => v.Tags?.find((t) => t.Key === key)?.Value;

  /** The restored volume on the host as the data volume; the old one detached, retagged and recorded as the previous one. */
  async function expectSwapped(
    ws: Workspace,
    o: { instanceId: string; oldId: string; restored: string },
    label = '',
  ): Promise<void> {
    const state = await ws.state();
    expect(state.resources['volume/data'].id, label).toBe(o.restored);
    expect(state.resources['volume/data-previous'], label).toMatchObject({
      id: o.oldId,
      attrs: { replacedBy: o.restored, swapped: true },
    });
    const restored = await volume(o.restored);
    expect(
      restored.Attachments?.map((a) => [a.InstanceId, a.Device]),
      label,
    ).toEqual([[o.instanceId, '/dev/sdf']]);
    expect(tag(restored, 'devenv:resource'), label).toBe('volume/data');
    const old = await volume(o.oldId);
    expect([old.State, old.Attachments ?? []], label).toEqual(['available', []]);
    expect(tag(old, 'devenv:resource'), label).toBe('volume/data-previous');
  }

  it('up --adopt-data-volume swaps the restored volume in and keeps the old one; a second up changes nothing', async () => {
    const { ws, ...ids } = await snapshotRestored();
    const r = await ws.cli(['up', '--adopt-data-volume', ids.restored]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.calls.changed.filter((c) => c.startsWith('ec2:'))).toEqual([
      'ec2:CreateTags',
      'ec2:CreateTags',
      'ec2:DetachVolume',
      'ec2:StartInstances',
      'ec2:AttachVolume',
    ]);
    expect(r.stderr).toContain(`kept the previous data volume ${ids.oldId}`);
    expect(r.stderr).toContain(`aws ec2 delete-volume --volume-id ${ids.oldId}`);
    await expectSwapped(ws, ids);

    const again = await ws.cli(['up']);
    expect(again.code === 0 && again.calls.mutating.length === 0, describeResult(again)).toBe(true);

    const destroyed = await ws.cli(['destroy', '--yes']);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    expect(destroyed.stderr).toContain(
      `previous data volume ${ids.oldId} (the data volume a restore replaced; --delete-data deletes it)`,
    );
    expect((await volume(ids.oldId)).State).toBe('available');
    expect((await volume(ids.restored)).State).toBe('available');
  }, 180_000);

  it('killed after every mutating call of the swap, then run again → the same end as a clean run', async () => {
    const { ws: clean, ...first } = await snapshotRestored();
    const swapped = await clean.cli(['up', '--adopt-data-volume', first.restored]);
    expect(swapped.code, describeResult(swapped)).toBe(0);
    await clean.remove();

    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of crashPoints(swapped.calls.changed).entries()) {
      const label = `k=${k + 1} (after ${operation})`;
      const { ws, ...ids } = await snapshotRestored();
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['up', '--adopt-data-volume', ids.restored], {
        hooks: [injector],
        signals: injector.signals,
      });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: the run did not crash there (${describeResult(crashed)})`);
        continue;
      }
      const rerun = await ws.cli(['up', '--adopt-data-volume', ids.restored]);
      if (rerun.code !== 0) {
        problems.push(`${label}: the rerun did not converge: ${describeResult(rerun)}`);
        continue;
      }
      try {
        await expectSwapped(ws, ids, label);
      } catch (err) {
        problems.push(`${label}: ${(err as Error).message}`);
      }
      const third = await ws.cli(['up']);
      if (third.code !== 0 || third.calls.mutating.length > 0)
        problems.push(`${label}: a third up made ${third.calls.mutating.join(', ')}`);
      await ws.remove();
    }
    expect(problems, problems.join('\n')).toEqual([]);
  }, 600_000);
});
