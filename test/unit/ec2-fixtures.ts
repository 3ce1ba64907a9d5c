/**
 * A small in-memory EC2 for the ec2 phase's unit tests, behind aws-sdk-client-mock: every command
 * the phase uses is answered from `world`, anything else is rejected (an unmocked call fails).
 * Describe* read the world, mutating calls change it; instances run and pass their checks at once,
 * so the SDK waiters succeed on their first poll and no test sleeps.
 */
import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DeleteKeyPairCommand,
  DeleteVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeInstanceStatusCommand,
  DescribeKeyPairsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  DetachVolumeCommand,
  EC2Client,
  ImportKeyPairCommand,
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type Filter,
  type Instance,
  type KeyPairInfo,
  type Snapshot,
  type Tag,
  type Volume,
} from '@aws-sdk/client-ec2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { tagList, tagsFor } from '../../src/config/tags.js';
import type { TestContext } from '../helpers/context.js';
import { testContext } from '../helpers/context.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { RunOptions } from '../../src/phases/types.js';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mutatingOperations } from '../helpers/calls.js';
import { isMutating } from '../../src/aws/clients.js';
import { deriveToken } from '../../src/aws/resource.js';
import { generateEd25519, writePrivateKey } from '../../src/ssh/keys.js';

export const ec2 = sdkMock(EC2Client);

export const AMI = 'ami-0123456789abcdef0';
export const PROFILE_ARN = 'arn:aws:iam::123456789012:instance-profile/demo-ec2-profile';

export interface World {
  keyPairs: KeyPairInfo[];
  volumes: Volume[];
  instances: Instance[];
  snapshots: Snapshot[];
  /** Answers RunInstances instead of the world when set (faults). */
  runInstances?: (input: RunInstancesCommand['input']) => Promise<unknown> | unknown;
  /** A running instance's status checks; `ok` unless set. */
  statusChecks?: (instanceId: string) => 'ok' | 'impaired' | 'initializing';
}

export const newWorld = (): World => ({ keyPairs: [], volumes: [], instances: [], snapshots: [] });

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(17, '0')}`;

function matchesFilters(
  tags: Tag[] | undefined,
  fields: Record<string, string | undefined>,
  filters: Filter[] | undefined,
): boolean {
  return (filters ?? []).every((f) => {
    const value = f.Name!.startsWith('tag:') ? tags?.find((t) => t.Key === f.Name!.slice(4))?.Value : fields[f.Name!];
    return value !== undefined && (f.Values ?? []).includes(value);
  });
}

const notFound = (code: string, id: string) =>
  Object.assign(new Error(`The id '${id}' does not exist`), { name: code });

function byIds<T>(items: T[], ids: string[] | undefined, idOf: (t: T) => string, code: string): T[] {
  if (!ids?.length) return items;
  const missing = ids.find((id) => !items.some((i) => idOf(i) === id));
  if (missing) throw notFound(code, missing);
  return items.filter((i) => ids.includes(idOf(i)));
}

const tagsOf = (specs: { ResourceType?: string; Tags?: Tag[] }[] | undefined, type: string) =>
  specs?.find((s) => s.ResourceType === type)?.Tags ?? [];

/** Points the mocked EC2 client at `world`. */
export function serve(world: World): void {
  resetSdkMocks();
  ec2.onAnyCommand().callsFake((input) => Promise.reject(new Error(`unmocked EC2 call: ${JSON.stringify(input)}`)));
  ec2.on(DescribeKeyPairsCommand).callsFake((input) => ({
    KeyPairs: world.keyPairs
      .filter((k) => matchesFilters(k.Tags, { 'key-name': k.KeyName, 'key-pair-id': k.KeyPairId }, input.Filters))
      .map((k) => (input.IncludePublicKey ? k : { ...k, PublicKey: undefined })),
  }));
  ec2.on(ImportKeyPairCommand).callsFake((input) => {
    if (world.keyPairs.some((k) => k.KeyName === input.KeyName))
      throw Object.assign(new Error('duplicate'), { name: 'InvalidKeyPair.Duplicate' });
    const kp: KeyPairInfo = {
      KeyPairId: nextId('key'),
      KeyName: input.KeyName,
      PublicKey: `${Buffer.from(input.PublicKeyMaterial).toString().trim()} ${input.KeyName}`,
      Tags: tagsOf(input.TagSpecifications, 'key-pair'),
    };
    world.keyPairs.push(kp);
    return { KeyPairId: kp.KeyPairId, KeyName: kp.KeyName, KeyFingerprint: 'fp' };
  });
  ec2.on(DeleteKeyPairCommand).callsFake((input) => {
    world.keyPairs = world.keyPairs.filter((k) => k.KeyName !== input.KeyName && k.KeyPairId !== input.KeyPairId);
    return {};
  });
  ec2.on(DescribeVolumesCommand).callsFake((input) => ({
    Volumes: byIds(world.volumes, input.VolumeIds, (v) => v.VolumeId!, 'InvalidVolume.NotFound').filter((v) =>
      matchesFilters(v.Tags, { status: v.State }, input.Filters),
    ),
  }));
  ec2.on(CreateVolumeCommand).callsFake((input) => {
    const v: Volume = {
      VolumeId: nextId('vol'),
      AvailabilityZone: input.AvailabilityZone,
      Size: input.Size,
      VolumeType: input.VolumeType,
      Encrypted: input.Encrypted,
      State: 'creating',
      Attachments: [],
      Tags: tagsOf(input.TagSpecifications, 'volume'),
    };
    world.volumes.push({ ...v, State: 'available' });
    return v;
  });
  ec2.on(AttachVolumeCommand).callsFake((input) => {
    const v = world.volumes.find((x) => x.VolumeId === input.VolumeId)!;
    Object.assign(v, {
      State: 'in-use',
      Attachments: [{ InstanceId: input.InstanceId, Device: input.Device, State: 'attached', VolumeId: v.VolumeId }],
    });
    return { State: 'attaching' };
  });
  ec2.on(DetachVolumeCommand).callsFake((input) => {
    const v = world.volumes.find((x) => x.VolumeId === input.VolumeId)!;
    Object.assign(v, { State: 'available', Attachments: [] });
    return { State: 'detaching' };
  });
  ec2.on(DeleteVolumeCommand).callsFake((input) => {
    byIds(world.volumes, [input.VolumeId!], (v) => v.VolumeId!, 'InvalidVolume.NotFound');
    world.volumes = world.volumes.filter((v) => v.VolumeId !== input.VolumeId);
    return {};
  });
  ec2.on(DescribeSnapshotsCommand).callsFake((input) => ({
    Snapshots: byIds(world.snapshots, input.SnapshotIds, (s) => s.SnapshotId!, 'InvalidSnapshot.NotFound').filter((s) =>
      matchesFilters(s.Tags, { 'volume-id': s.VolumeId }, input.Filters),
    ),
  }));
  ec2.on(CreateSnapshotCommand).callsFake((input) => {
    const s: Snapshot = {
      SnapshotId: nextId('snap'),
      VolumeId: input.VolumeId,
      State: 'completed',
      Tags: tagsOf(input.TagSpecifications, 'snapshot'),
    };
    world.snapshots.push(s);
    return { ...s, State: 'pending' };
  });
  ec2.on(DescribeImagesCommand).callsFake((input) => ({
    Images: (input.ImageIds ?? []).map((id: string) => ({
      ImageId: id,
      RootDeviceName: '/dev/sda1',
      State: 'available',
    })),
  }));
  ec2.on(DescribeInstancesCommand).callsFake((input) => ({
    Reservations: [
      {
        Instances: byIds(world.instances, input.InstanceIds, (i) => i.InstanceId!, 'InvalidInstanceID.NotFound').filter(
          (i) => matchesFilters(i.Tags, { 'instance-state-name': i.State?.Name }, input.Filters),
        ),
      },
    ],
  }));
  ec2.on(DescribeInstanceStatusCommand).callsFake((input) => ({
    InstanceStatuses: world.instances
      .filter((i) => input.InstanceIds?.includes(i.InstanceId!) && i.State?.Name === 'running')
      .map((i) => ({
        InstanceId: i.InstanceId,
        InstanceStatus: { Status: world.statusChecks?.(i.InstanceId!) ?? 'ok' },
        SystemStatus: { Status: 'ok' },
      })),
  }));
  ec2.on(RunInstancesCommand).callsFake(async (input) => {
    if (world.runInstances) return world.runInstances(input);
    const instance = launched(input);
    world.instances.push(instance);
    return { Instances: [{ ...instance, State: { Name: 'pending' }, PublicIpAddress: undefined, PublicDnsName: '' }] };
  });
  ec2.on(StopInstancesCommand).callsFake((input) => setState(world, input.InstanceIds!, 'stopped'));
  ec2.on(StartInstancesCommand).callsFake((input) => setState(world, input.InstanceIds!, 'running'));
  ec2.on(TerminateInstancesCommand).callsFake((input) => {
    for (const v of world.volumes)
      if (v.Attachments?.some((a) => input.InstanceIds!.includes(a.InstanceId!)))
        Object.assign(v, { State: 'available', Attachments: [] });
    return setState(world, input.InstanceIds!, 'terminated');
  });
  ec2.on(CreateTagsCommand).callsFake((input) => {
    for (const id of input.Resources!) {
      const item: { Tags?: Tag[] } | undefined =
        world.instances.find((i) => i.InstanceId === id) ?? world.volumes.find((v) => v.VolumeId === id);
      if (!item) throw notFound(id.startsWith('vol-') ? 'InvalidVolume.NotFound' : 'InvalidInstanceID.NotFound', id);
      item.Tags = [...(item.Tags ?? []).filter((t) => !input.Tags!.some((n: Tag) => n.Key === t.Key)), ...input.Tags!];
    }
    return {};
  });
  ec2.on(ModifyInstanceMetadataOptionsCommand).callsFake((input) => {
    const i = world.instances.find((x) => x.InstanceId === input.InstanceId)!;
    i.MetadataOptions = {
      HttpTokens: input.HttpTokens,
      HttpPutResponseHopLimit: input.HttpPutResponseHopLimit,
      HttpEndpoint: input.HttpEndpoint,
    };
    return {};
  });
}

function setState(world: World, ids: string[], name: string) {
  for (const i of world.instances) if (ids.includes(i.InstanceId!)) i.State = { Name: name as 'running' };
  return {};
}

/** The running instance a RunInstances call makes. */
export function launched(input: RunInstancesCommand['input'], id = nextId('i')): Instance {
  return {
    InstanceId: id,
    ImageId: input.ImageId,
    InstanceType: input.InstanceType,
    State: { Name: 'running' },
    Placement: { AvailabilityZone: 'us-east-1a' },
    PublicIpAddress: '198.51.100.7',
    PublicDnsName: 'ec2-198-51-100-7.compute-1.amazonaws.com',
    MetadataOptions: {
      HttpTokens: input.MetadataOptions?.HttpTokens,
      HttpPutResponseHopLimit: input.MetadataOptions?.HttpPutResponseHopLimit,
      HttpEndpoint: input.MetadataOptions?.HttpEndpoint,
    },
    Tags: tagsOf(input.TagSpecifications, 'instance'),
  };
}

/** A unit-test context for the ec2 phase whose prerequisites (subnet, host SG, profile, AMI) are in the state. */
export async function ec2Context(overrides: Partial<ConfigInput> = {}, options: RunOptions = {}): Promise<TestContext> {
  const keyDir = mkdtempSync(join(tmpdir(), 'devenv-ec2-key-'));
  const instance = { amiId: AMI, privateKeyPath: join(keyDir, 'ssh', 'demo.pem'), ...overrides.instance };
  const ctx = await testContext('ec2', { ...overrides, instance }, options);
  await ctx.state.setResource('subnet/a', { kind: 'subnet', phase: 'vpc', id: 'subnet-0aaa' });
  await ctx.state.setResource('sg/host', { kind: 'security group', phase: 'sg', id: 'sg-0host' });
  await ctx.state.setResource('iam/profile', { kind: 'instance profile', phase: 'iam', id: PROFILE_ARN });
  await ctx.state.setOutputs('validate', { amiId: instance.amiId ?? AMI });
  return ctx;
}

/** What a converged phase looks like in AWS, tagged as devenv tags it. */
export function existingResources(
  ctx: TestContext,
  world: World,
  publicKey: string,
  opts: { ami?: string; type?: string } = {},
): { keyPairId: string; volumeId: string; instanceId: string } {
  const model = ctx.model;
  const keyPairId = nextId('key');
  world.keyPairs.push({
    KeyPairId: keyPairId,
    KeyName: ctx.model.keyName,
    PublicKey: `${publicKey} ${ctx.model.keyName}`,
    Tags: tagList(tagsFor(model, 'keypair')),
  });
  const instance = launched({
    ImageId: opts.ami ?? AMI,
    InstanceType: (opts.type ?? ctx.config.instance.type) as 't3.2xlarge',
    MinCount: 1,
    MaxCount: 1,
    MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' },
    TagSpecifications: [{ ResourceType: 'instance', Tags: tagList(tagsFor(model, 'instance')) }],
  });
  world.instances.push(instance);
  const volumeId = nextId('vol');
  world.volumes.push({
    VolumeId: volumeId,
    AvailabilityZone: model.hostAz,
    Size: ctx.config.instance.dataVolumeGiB,
    VolumeType: 'gp3',
    Encrypted: true,
    State: 'in-use',
    Attachments: [{ InstanceId: instance.InstanceId, Device: '/dev/sdf', State: 'attached', VolumeId: volumeId }],
    Tags: tagList(tagsFor(model, 'volume/data')),
  });
  return { keyPairId, volumeId, instanceId: instance.InstanceId! };
}

/** A converged environment: AWS has the three resources, the state records them. */
export async function convergedWorld(ctx: TestContext, world: World, opts: { ami?: string; type?: string } = {}) {
  const key = generateEd25519('test');
  await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
  const ids = existingResources(ctx, world, key.publicKey, opts);
  await ctx.state.setResource('keypair', { kind: 'key pair', phase: 'ec2', id: ids.keyPairId });
  await ctx.state.setResource('volume/data', {
    kind: 'EBS volume',
    phase: 'ec2',
    id: ids.volumeId,
    token: deriveToken(ctx, 'volume/data', 0),
  });
  await ctx.state.setResource('instance', {
    kind: 'EC2 instance',
    phase: 'ec2',
    id: ids.instanceId,
    token: deriveToken(ctx, 'instance', 0),
    attrs: { amiId: opts.ami ?? AMI },
  });
  ec2.resetHistory();
  return ids;
}

/** Names of the mutating EC2 calls made so far, in order. */
export const mutatingCalls = (): string[] => mutatingOperations(ec2);

export const inputsOf = <T extends abstract new (...args: never[]) => { input: object }>(
  command: T,
): InstanceType<T>['input'][] =>
  ec2.commandCalls(command as never).map((c) => (c.args[0] as { input: InstanceType<T>['input'] }).input);

/** The lines a user reads, of one type; `step` includes what happened to each resource (created, adopted …). */
export const messages = (ctx: TestContext, type?: string): string[] =>
  ctx.events
    .filter(
      (e) =>
        'message' in e &&
        e.message !== undefined &&
        (!type || e.type === type || (type === 'step' && e.type === 'resource')),
    )
    .map((e) => (e as { message: string }).message);

/**
 * Kills the run right after its k-th mutating call succeeded (AWS did it, devenv never heard):
 * the call throws and the run's signal is aborted, as the crash injector of the moto suite does.
 */
export function crashAfter(ctx: TestContext, k: number): { crashed: () => boolean } {
  const client = ctx.aws.ec2 as EC2Client & { send: EC2Client['send'] };
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  const controller = new AbortController();
  ctx.signal = controller.signal;
  let n = 0;
  let crashed = false;
  (client as { send: unknown }).send = async (command: { constructor: { name: string } }) => {
    if (crashed) throw new Error('the process is dead');
    const out = await send(command);
    if (isMutating(command.constructor.name.replace(/Command$/, '')) && ++n === k) {
      crashed = true;
      controller.abort();
      throw new Error(`crash after mutating call #${k}`);
    }
    return out;
  };
  return { crashed: () => crashed };
}

/** The context of the rerun after `crashAfter`: the mocked client's own send, a fresh signal. */
export function rerunContext(ctx: TestContext): void {
  delete (ctx.aws.ec2 as { send?: unknown }).send; // the prototype's (mocked) send again
  ctx.signal = new AbortController().signal;
}
