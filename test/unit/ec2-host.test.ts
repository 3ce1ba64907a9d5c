import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  DeleteVolumeCommand,
  DetachVolumeCommand,
  RunInstancesCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../../src/aws/resource.js';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import type { TestContext } from '../helpers/context.js';
import {
  AMI,
  convergedWorld,
  ec2,
  ec2Context,
  inputsOf,
  messages,
  mutatingCalls,
  newWorld,
  serve,
  type World,
} from './ec2-fixtures.js';

const NEW_AMI = 'ami-0fedcba9876543210';

let world: World;
beforeEach(() => {
  world = newWorld();
  serve(world);
});

const converged = (ctx: TestContext, opts: { ami?: string; type?: string } = {}) => convergedWorld(ctx, world, opts);

describe('ec2: the config asks for another AMI or instance type', () => {
  it('plan shows a replace; apply stops naming --replace-host and changes nothing', async () => {
    const ctx = await ec2Context({ instance: { amiId: NEW_AMI } });
    const { instanceId } = await converged(ctx, { ami: AMI });

    const host = (await ec2Phase.plan(ctx)).find((c) => c.logicalId === 'instance')!;
    expect(host).toMatchObject({ action: 'replace', id: instanceId });
    expect(host.detail).toContain(`AMI ${AMI} → ${NEW_AMI}`);
    expect(host.detail).toContain('--replace-host');

    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toContain(`AMI ${AMI} → ${NEW_AMI}`);
    expect(err.remedy).toContain('devenv up --replace-host');
    expect(mutatingCalls()).toEqual([]);
  });

  it('treats a changed instance type the same way', async () => {
    const ctx = await ec2Context({ instance: { type: 't3.xlarge' } });
    await converged(ctx, { type: 't3.2xlarge' });
    expect((await ec2Phase.plan(ctx)).find((c) => c.logicalId === 'instance')).toMatchObject({ action: 'replace' });
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(/instance type t3\.2xlarge → t3\.xlarge/);
    expect(mutatingCalls()).toEqual([]);
  });

  it('does not replace a host just because validate found a newer default image; plan says how to move', async () => {
    const ctx = await ec2Context();
    ctx.config.instance.amiId = undefined; // no override: validate's newest Ubuntu applies
    await ctx.state.setOutputs('validate', { amiId: NEW_AMI });
    await converged(ctx, { ami: AMI });
    const host = (await ec2Phase.plan(ctx)).find((c) => c.logicalId === 'instance')!;
    expect(host.action).toBe('keep');
    expect(host.detail).toContain('--replace-host');
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual([]);
  });

  it('with --replace-host: sets the old host aside, stops it, moves the volume to a new host launched with a new token, and only then terminates the old one', async () => {
    const ctx = await ec2Context({ instance: { amiId: NEW_AMI } }, { replaceHost: true });
    const { instanceId, volumeId } = await converged(ctx, { ami: AMI });

    await ec2Phase.apply(ctx);

    expect(mutatingCalls()).toEqual([
      'CreateTags',
      'StopInstances',
      'DetachVolume',
      'RunInstances',
      'AttachVolume',
      'TerminateInstances',
    ]);
    expect(inputsOf(CreateTagsCommand)[0]).toMatchObject({
      Resources: [instanceId],
      Tags: expect.arrayContaining([{ Key: 'devenv:resource', Value: 'instance/previous' }]),
    });
    expect(ctx.state.resource('instance/previous')).toBeUndefined();
    expect(inputsOf(DetachVolumeCommand)[0]).toEqual({ VolumeId: volumeId, InstanceId: instanceId });
    expect(inputsOf(TerminateInstancesCommand)[0]).toEqual({ InstanceIds: [instanceId] });
    const [run] = inputsOf(RunInstancesCommand);
    expect(run.ClientToken).toBe(deriveToken(ctx, 'instance', 1));
    expect(run.ClientToken).not.toBe(deriveToken(ctx, 'instance', 0));
    expect(run.ImageId).toBe(NEW_AMI);
    const record = ctx.state.resource('instance')!;
    expect(record).toMatchObject({ generation: 1, token: run.ClientToken, attrs: { amiId: NEW_AMI } });
    expect(record.id).not.toBe(instanceId);
    expect(inputsOf(AttachVolumeCommand)[0]).toEqual({ VolumeId: volumeId, InstanceId: record.id, Device: '/dev/sdf' });
    expect(ctx.state.resource('volume/data')?.id).toBe(volumeId);
  });
});

describe('ec2 destroy', () => {
  it('terminates the host, keeps the data volume and its record, deletes the AWS key pair and leaves the private key', async () => {
    const ctx = await ec2Context();
    const { instanceId, volumeId } = await converged(ctx);

    await ec2Phase.destroy(ctx);

    expect(mutatingCalls()).toEqual(['TerminateInstances', 'DeleteKeyPair']);
    expect(inputsOf(TerminateInstancesCommand)[0]).toEqual({ InstanceIds: [instanceId] });
    expect(world.volumes.map((v) => v.VolumeId)).toEqual([volumeId]);
    expect(world.keyPairs).toEqual([]);
    const steps = messages(ctx, 'step');
    expect(steps).toContain(`kept data volume ${volumeId}; delete it with \`devenv destroy --delete-data\``);
    expect(steps).toContain(
      `left the private key ${ctx.model.privateKeyPath} on this machine; delete it when you no longer need it`,
    );
    expect(ctx.state.resource('volume/data')?.id).toBe(volumeId);
    expect(ctx.state.resource('keypair')?.id).toBeUndefined();
    // The next host must not reuse the dead one's token (AWS would answer with the terminated instance).
    expect(ctx.state.resource('instance')).toEqual({ kind: 'EC2 instance', phase: 'ec2', generation: 1 });
  });

  it('a second destroy changes nothing and reports the kept volume again', async () => {
    const ctx = await ec2Context();
    const { volumeId } = await converged(ctx);
    await ec2Phase.destroy(ctx);
    ec2.resetHistory();
    ctx.events.length = 0;
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).toEqual([]);
    expect(messages(ctx, 'step')).toContain(
      `kept data volume ${volumeId}; delete it with \`devenv destroy --delete-data\``,
    );
    expect(ctx.state.resource('instance')?.generation).toBe(1);
  });

  it('then up launches a new host with a new token and attaches the kept volume', async () => {
    const ctx = await ec2Context();
    const { volumeId } = await converged(ctx);
    await ec2Phase.destroy(ctx);
    ec2.resetHistory();
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['ImportKeyPair', 'RunInstances', 'AttachVolume']);
    expect(inputsOf(RunInstancesCommand)[0]!.ClientToken).toBe(deriveToken(ctx, 'instance', 1));
    expect(inputsOf(AttachVolumeCommand)[0]).toMatchObject({ VolumeId: volumeId });
  });

  it('with --delete-data: snapshots the volume first (tagged), then deletes it', async () => {
    const ctx = await ec2Context({}, { deleteData: true });
    const { volumeId } = await converged(ctx);
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).toEqual(['TerminateInstances', 'CreateSnapshot', 'DeleteVolume', 'DeleteKeyPair']);
    const [snap] = inputsOf(CreateSnapshotCommand);
    expect(snap.VolumeId).toBe(volumeId);
    expect(snap.TagSpecifications?.[0]?.Tags).toEqual(
      expect.arrayContaining([{ Key: 'devenv:resource', Value: 'snapshot/data-final' }]),
    );
    expect(inputsOf(DeleteVolumeCommand)[0]).toEqual({ VolumeId: volumeId });
    expect(
      messages(ctx, 'step').some((m) =>
        m.startsWith(`kept final snapshot ${world.snapshots[0]!.SnapshotId} of data volume ${volumeId}`),
      ),
    ).toBe(true);
    // Recorded, so destroy's summary names it and a later destroy finds it.
    expect(ctx.state.resource('snapshot/data-final')).toMatchObject({
      id: world.snapshots[0]!.SnapshotId,
      attrs: { volumeId },
    });
    expect(world.volumes).toEqual([]);
    expect(ctx.state.resource('volume/data')?.id).toBeUndefined();
  });

  it('a rerun of --delete-data reuses the snapshot a killed run started', async () => {
    const ctx = await ec2Context({}, { deleteData: true });
    const { volumeId } = await converged(ctx);
    world.snapshots.push({
      SnapshotId: 'snap-0earlier',
      VolumeId: volumeId,
      State: 'completed',
      Tags: [
        { Key: 'devenv:project', Value: 'demo' },
        { Key: 'devenv:resource', Value: 'snapshot/data-final' },
      ],
    });
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).not.toContain('CreateSnapshot');
    expect(messages(ctx, 'step').some((m) => m.startsWith('kept final snapshot snap-0earlier'))).toBe(true);
  });

  it('with --delete-data --no-final-snapshot: deletes without a snapshot', async () => {
    const ctx = await ec2Context({}, { deleteData: true, noFinalSnapshot: true });
    await converged(ctx);
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).toEqual(['TerminateInstances', 'DeleteVolume', 'DeleteKeyPair']);
  });

  it("leaves another project's key pair even when this state recorded it", async () => {
    const ctx = await ec2Context();
    world.keyPairs.push({
      KeyPairId: 'key-0alpha',
      KeyName: ctx.model.keyName,
      Tags: [{ Key: 'devenv:project', Value: 'alpha' }],
    });
    await ctx.state.setResource('keypair', { kind: 'key pair', phase: 'ec2', id: 'key-0alpha' });
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).toEqual([]);
    expect(world.keyPairs).toHaveLength(1);
    expect(ctx.events.some((e) => e.type === 'warn' && e.message.includes('belongs to devenv project "alpha"'))).toBe(
      true,
    );
  });

  it('leaves a key pair of the same name that devenv neither recorded nor tagged', async () => {
    const ctx = await ec2Context();
    world.keyPairs.push({ KeyPairId: 'key-0foreign', KeyName: ctx.model.keyName, Tags: [] });
    await ec2Phase.destroy(ctx);
    expect(mutatingCalls()).toEqual([]);
    expect(world.keyPairs).toHaveLength(1);
  });
});

describe('ec2 status', () => {
  it('shows the key pair, the volume with its attachment and the host with its address', async () => {
    const ctx = await ec2Context();
    const { instanceId, volumeId } = await converged(ctx);
    const rows = await ec2Phase.status(ctx);
    expect(rows.map((r) => [r.logicalId, r.state])).toEqual([
      ['keypair', 'present'],
      ['volume/data', 'in-use'],
      ['instance', 'running'],
    ]);
    expect(rows[1]!.detail).toContain(`attached to ${instanceId} at /dev/sdf`);
    expect(rows[2]!.detail).toContain('198.51.100.7');
    expect(rows[1]!.id).toBe(volumeId);
    expect(mutatingCalls()).toEqual([]);
  });
});
