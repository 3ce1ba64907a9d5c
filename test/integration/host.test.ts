/**
 * The host and its data volume against moto: `up --replace-host` crashed after every mutating call
 * of the replacement and run again, a replacement whose launch fails, a data volume deleted outside
 * devenv (up stops; --new-data-volume; --adopt-data-volume), and what destroy says it keeps.
 *
 * What moto 5.2.1 cannot show (unit-tested in test/unit/ec2-replace.test.ts and ec2-waiters.test.ts):
 * instances stop and terminate at once and pass their status checks at once, so the waits through
 * transitional states and a host failing its checks are not exercised here; a launch refused for
 * capacity is injected (moto launches any instance type).
 */
import {
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeInstancesCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  type Instance,
} from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import type { CallHook } from '../../src/aws/clients.js';
import { crashAfterCall, crashPoints } from './crash.js';
import { expectConverged } from './expect.js';
import { describeResult, newWorkspace, REGION, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const OLD_TYPE = 't3.2xlarge';
const NEW_TYPE = 't3.xlarge';

describeMoto('the host and its data volume', (moto) => {
  /** A converged environment whose config then asks for another instance type. */
  async function upThenNewType(): Promise<{ ws: Workspace; oldId: string; volumeId: string }> {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await ws.cli(['up']));
    const state = await ws.state();
    await ws.editConfig((c) => (c.instance.type = NEW_TYPE));
    return { ws, oldId: state.resources.instance.id, volumeId: state.resources['volume/data'].id };
  }

  async function instances(): Promise<Instance[]> {
    const aws = await moto.server.clients();
    const out = await aws.ec2.send(
      new DescribeInstancesCommand({ Filters: [{ Name: 'tag:devenv:project', Values: ['itest'] }] }),
    );
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).filter((i) => i.State?.Name !== 'terminated');
  }

  /** Exactly one instance alive, running, of `type`, holding the data volume at /dev/sdf; returns its id. */
  async function expectOneHostWithVolume(volumeId: string, type: string, label = ''): Promise<string> {
    const alive = await instances();
    expect(
      alive.map((i) => [i.State?.Name, i.InstanceType]),
      `${label} instances`,
    ).toEqual([['running', type]]);
    const aws = await moto.server.clients();
    const volume = (await aws.ec2.send(new DescribeVolumesCommand({ VolumeIds: [volumeId] }))).Volumes![0]!;
    expect(
      volume.Attachments?.map((a) => [a.InstanceId, a.Device]),
      `${label} data volume`,
    ).toEqual([[alive[0]!.InstanceId, '/dev/sdf']]);
    return alive[0]!.InstanceId!;
  }

  it('up --replace-host crashed after every mutating call of the replacement, then run again → one running host of the new type holding the volume', async () => {
    const { ws: clean, oldId, volumeId } = await upThenNewType();
    const replaced = await clean.cli(['up', '--replace-host', '--yes']);
    expect(replaced.code, describeResult(replaced)).toBe(0);
    expect(replaced.calls.changed.filter((c) => c.startsWith('ec2:'))).toEqual([
      'ec2:CreateTags',
      'ec2:StopInstances',
      'ec2:DetachVolume',
      'ec2:RunInstances',
      'ec2:AttachVolume',
      'ec2:TerminateInstances',
    ]);
    // The alb phase registers the new host on the developer's target group (moto no longer lists the
    // terminated one there, so there is nothing to deregister; the unit tests cover AWS, which does).
    // The monitoring phase points the host's three alarms (CPU, status check, CPU credits) at the new instance.
    expect(replaced.calls.changed.filter((c) => !c.startsWith('ec2:'))).toEqual([
      'elbv2:RegisterTargets',
      ...Array(3).fill('cloudwatch:PutMetricAlarm'),
    ]);
    expect(await expectOneHostWithVolume(volumeId, NEW_TYPE)).not.toBe(oldId);
    await clean.remove();

    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of crashPoints(replaced.calls.changed).entries()) {
      const label = `k=${k + 1} (after ${operation})`;
      const { ws, volumeId: volume } = await upThenNewType();
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['up', '--replace-host', '--yes'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: the run did not crash there (${describeResult(crashed)})`);
        continue;
      }
      const rerun = await ws.cli(['up', '--replace-host', '--yes']);
      if (rerun.code !== 0) {
        problems.push(`${label}: the rerun did not converge: ${describeResult(rerun)}`);
        continue;
      }
      try {
        await expectOneHostWithVolume(volume, NEW_TYPE, label);
      } catch (err) {
        problems.push(`${label}: ${(err as Error).message}`);
      }
      const state = await ws.state();
      if (state.resources['instance/previous']) problems.push(`${label}: the state still records instance/previous`);
      const third = await ws.cli(['up']);
      if (third.code !== 0 || third.calls.mutating.length > 0)
        problems.push(`${label}: a third up made ${third.calls.mutating.join(', ')}`);
      await ws.remove();
    }
    expect(problems, problems.join('\n')).toEqual([]);
  }, 600_000);

  it('a replacement whose launch is refused leaves the old host running with the volume, says so, exit 1', async () => {
    const { ws, oldId, volumeId } = await upThenNewType();
    const noCapacity: CallHook = {
      before: (call) => {
        if (call.operation !== 'RunInstances') return;
        throw Object.assign(
          new Error(
            `We currently do not have sufficient ${NEW_TYPE} capacity in the Availability Zone you requested (${REGION}a).`,
          ),
          { name: 'InsufficientInstanceCapacity' },
        );
      },
    };
    const r = await ws.cli(['up', '--replace-host', '--yes'], { hooks: [noCapacity] });
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain(`sufficient ${NEW_TYPE} capacity`);
    expect(r.stderr).toContain(`the old host ${oldId} is serving again, with data volume ${volumeId}`);
    expect(await expectOneHostWithVolume(volumeId, OLD_TYPE)).toBe(oldId);
    const state = await ws.state();
    expect(state.resources.instance.id).toBe(oldId);
    expect(state.resources['instance/previous']).toBeUndefined();

    // Without the fault, the same command then replaces it.
    const again = await ws.cli(['up', '--replace-host', '--yes']);
    expect(again.code, describeResult(again)).toBe(0);
    expect(await expectOneHostWithVolume(volumeId, NEW_TYPE)).not.toBe(oldId);
  }, 120_000);

  /** A converged environment whose data volume was then detached and deleted outside devenv. */
  async function volumeDeletedOutOfBand(): Promise<{ ws: Workspace; volumeId: string; instanceId: string }> {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await ws.cli(['up']));
    const state = await ws.state();
    const volumeId = state.resources['volume/data'].id;
    const aws = await moto.server.clients();
    await aws.ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: state.resources.instance.id }));
    await aws.ec2.send(new DeleteVolumeCommand({ VolumeId: volumeId }));
    return { ws, volumeId, instanceId: state.resources.instance.id };
  }

  it('a data volume deleted outside devenv: up stops, names it and the ways on, and changes nothing; --new-data-volume then makes an empty one', async () => {
    const { ws, volumeId } = await volumeDeletedOutOfBand();
    const r = await ws.cli(['up']);
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain(`data volume ${volumeId} recorded in the state no longer exists`);
    expect(r.stderr).toContain('--adopt-data-volume');
    expect(r.stderr).toContain('--new-data-volume');
    expect(r.calls.changed).toEqual([]);

    const fresh = await ws.cli(['up', '--new-data-volume']);
    expect(fresh.code, describeResult(fresh)).toBe(0);
    // AWS Backup's selection cannot be updated: the one of the old volume is replaced by one of the new.
    expect(fresh.calls.changed).toEqual([
      'ec2:CreateVolume',
      'ec2:AttachVolume',
      'backup:DeleteBackupSelection',
      'backup:CreateBackupSelection',
    ]);
    const created = (await ws.state()).resources['volume/data'].id;
    expect(created).not.toBe(volumeId);
    await expectOneHostWithVolume(created, OLD_TYPE);
  }, 120_000);

  it('--adopt-data-volume takes a restored volume: tagged, recorded, attached; a later up keeps it', async () => {
    const { ws, instanceId } = await volumeDeletedOutOfBand();
    const aws = await moto.server.clients();
    const restored = (
      await aws.ec2.send(
        new CreateVolumeCommand({ AvailabilityZone: `${REGION}a`, Size: 500, VolumeType: 'gp3', Encrypted: true }),
      )
    ).VolumeId!;

    const bad = await ws.cli(['up', '--adopt-data-volume', 'vol-0notavolume']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"vol-0notavolume" is not an EBS volume id');

    const r = await ws.cli(['up', '--adopt-data-volume', restored]);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.calls.changed).toEqual([
      'ec2:CreateTags',
      'ec2:AttachVolume',
      'backup:DeleteBackupSelection',
      'backup:CreateBackupSelection',
    ]);
    expect((await ws.state()).resources['volume/data'].id).toBe(restored);
    expect(await expectOneHostWithVolume(restored, OLD_TYPE)).toBe(instanceId);
    const tags = (await aws.ec2.send(new DescribeVolumesCommand({ VolumeIds: [restored] }))).Volumes![0]!.Tags;
    expect(tags).toEqual(
      expect.arrayContaining([
        { Key: 'devenv:resource', Value: 'volume/data' },
        { Key: 'devenv:project', Value: 'itest' },
      ]),
    );

    const again = await ws.cli(['up']);
    expect(again.code === 0 && again.calls.mutating.length === 0, describeResult(again)).toBe(true);
  }, 120_000);

  it('destroy lists what it deletes and keeps before it starts; with --delete-data its last line names the final snapshot', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await ws.cli(['up']));
    const volumeId = (await ws.state()).resources['volume/data'].id;
    const r = await ws.cli(['destroy', '--yes', '--delete-data']);
    expect(r.code, describeResult(r)).toBe(0);
    const lines = r.stderr.trim().split('\n');
    const willDelete = lines.findIndex((l) => l.includes('will delete: '));
    for (const item of [
      'VPC itest-vpc',
      '2 subnets',
      'EC2 instance itest-instance',
      `data volume ${volumeId}`,
      'key pair itest-',
    ])
      expect(lines[willDelete]).toContain(item);
    expect(lines[willDelete + 1]).toContain(`will keep: a final snapshot of data volume ${volumeId}`);
    expect(lines[willDelete + 1]).toMatch(/secret itest\/alice\/password \(in a 7-day recovery window/);
    expect(lines.findIndex((l) => /terminat|deleted/.test(l))).toBeGreaterThan(willDelete);
    const snapshotId = (await ws.state()).resources['snapshot/data-final'].id;
    expect(snapshotId).toMatch(/^snap-/);
    expect(lines.at(-1)).toMatch(
      new RegExp(
        `kept: EBS snapshot ${snapshotId} of ${volumeId} \\(final snapshot of the data volume; .*\\); secret itest/alice/password \\(in a 7-day recovery window`,
      ),
    );
    expect(r.stderr).not.toMatch(/nothing of itest is left/);
  }, 120_000);
});
