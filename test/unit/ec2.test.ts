import {
  AttachVolumeCommand,
  CreateVolumeCommand,
  ImportKeyPairCommand,
  RunInstancesCommand,
} from '@aws-sdk/client-ec2';
import { statSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { deriveToken } from '../../src/aws/resource.js';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import {
  AMI,
  ec2,
  ec2Context,
  existingResources,
  inputsOf,
  launched,
  messages,
  mutatingCalls,
  newWorld,
  PROFILE_ARN,
  serve,
  type World,
} from './ec2-fixtures.js';
import { generateEd25519, publicKeyOf, writePrivateKey } from '../../src/ssh/keys.js';

let world: World;
beforeEach(() => {
  world = newWorld();
  serve(world);
});

const profileError = (message: string) => Object.assign(new Error(message), { name: 'InvalidParameterValue' });

describe('ec2 apply: nothing exists', () => {
  it('imports a new key, creates the volume, launches the host and attaches the volume', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);

    expect(mutatingCalls()).toEqual(['ImportKeyPair', 'CreateVolume', 'RunInstances', 'AttachVolume']);

    const [kp] = inputsOf(ImportKeyPairCommand);
    expect(kp.KeyName).toBe('demo-admin-key');
    expect(Buffer.from(kp.PublicKeyMaterial!).toString()).toMatch(/^ssh-ed25519 AAAA/);
    expect(kp.TagSpecifications?.[0]?.ResourceType).toBe('key-pair');

    const [vol] = inputsOf(CreateVolumeCommand);
    expect(vol).toMatchObject({ VolumeType: 'gp3', Encrypted: true, Size: 500, AvailabilityZone: 'us-east-1a' });
    expect(vol.ClientToken).toBe(ctx.state.resource('volume/data')!.token);
    expect(vol.TagSpecifications?.[0]?.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'devenv:resource', Value: 'volume/data' },
        { Key: 'devenv:project', Value: 'demo' },
      ]),
    );

    const [run] = inputsOf(RunInstancesCommand);
    expect(run.ClientToken).toBe(ctx.state.resource('instance')!.token);
    expect(run.ClientToken).toBe(deriveToken(ctx, 'instance', 0));
    expect(run.MetadataOptions).toEqual({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
      HttpEndpoint: 'enabled',
    });
    expect(run.BlockDeviceMappings).toEqual([
      {
        DeviceName: '/dev/sda1',
        Ebs: { VolumeSize: 50, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ]);
    expect(run).toMatchObject({
      ImageId: AMI,
      InstanceType: 't3.2xlarge',
      KeyName: 'demo-admin-key',
      SubnetId: 'subnet-0aaa',
      SecurityGroupIds: ['sg-0host'],
      IamInstanceProfile: { Arn: PROFILE_ARN },
    });
    expect(run.TagSpecifications?.map((t) => t.ResourceType)).toEqual(['instance', 'volume']);
    const userData = Buffer.from(run.UserData!, 'base64').toString();
    expect(userData).toContain('set -euo pipefail');
    expect(userData).not.toMatch(/\{\{/);

    const [attach] = inputsOf(AttachVolumeCommand);
    const instance = ctx.state.resource('instance')!;
    expect(attach).toEqual({
      VolumeId: ctx.state.resource('volume/data')!.id,
      InstanceId: instance.id,
      Device: '/dev/sdf',
    });
    expect(instance.attrs).toMatchObject({
      amiId: AMI,
      instanceType: 't3.2xlarge',
      publicIp: '198.51.100.7',
      publicDns: 'ec2-198-51-100-7.compute-1.amazonaws.com',
    });
  });

  it('writes the private key 0600 in a new 0700 folder, and the imported key is its public half', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);
    const path = ctx.model.privateKeyPath;
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(dirname(path)).mode & 0o777).toBe(0o700);
    const imported = Buffer.from(inputsOf(ImportKeyPairCommand)[0].PublicKeyMaterial!).toString();
    expect(imported.split(' ').slice(0, 2).join(' ')).toBe(publicKeyOf(readFileSync(path)));
    expect(JSON.stringify(ctx.state.data)).not.toContain('PRIVATE KEY');
  });
});

describe('ec2 apply: everything exists', () => {
  it('makes no mutating call on a second run', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);
    ec2.resetHistory();
    const before = JSON.stringify(ctx.state.data.resources);
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual([]);
    expect(JSON.stringify(ctx.state.data.resources)).toBe(before);
  });

  it('adopts key pair, volume and host with the state file gone, creating nothing', async () => {
    const ctx = await ec2Context();
    const key = generateEd25519('test');
    await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
    const ids = existingResources(ctx, world, key.publicKey);
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual([]);
    expect(ctx.state.resource('keypair')?.id).toBe(ids.keyPairId);
    expect(ctx.state.resource('volume/data')?.id).toBe(ids.volumeId);
    expect(ctx.state.resource('instance')?.id).toBe(ids.instanceId);
    expect(messages(ctx, 'step').filter((m) => m.startsWith('adopted'))).toHaveLength(3);
  });

  it('puts IMDS back to v2-only with hop limit 1 when someone loosened it', async () => {
    const ctx = await ec2Context();
    const key = generateEd25519('test');
    await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
    const { instanceId } = existingResources(ctx, world, key.publicKey);
    world.instances[0]!.MetadataOptions = {
      HttpTokens: 'optional',
      HttpPutResponseHopLimit: 2,
      HttpEndpoint: 'enabled',
    };
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['ModifyInstanceMetadataOptions']);
    expect(world.instances.find((i) => i.InstanceId === instanceId)?.MetadataOptions).toMatchObject({
      HttpTokens: 'required',
      HttpPutResponseHopLimit: 1,
    });
  });
});

describe('ec2 apply: instance profile not usable yet', () => {
  it('retries RunInstances with the same token until IAM has propagated', async () => {
    const ctx = await ec2Context();
    let attempts = 0;
    world.runInstances = (input) => {
      attempts++;
      if (attempts === 1)
        throw profileError(
          `Value (${PROFILE_ARN}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`,
        );
      if (attempts === 2) throw profileError('The instance profile demo-ec2-profile has no associated IAM Roles');
      const instance = launched(input);
      world.instances.push(instance);
      return { Instances: [instance] };
    };
    await ec2Phase.apply(ctx);
    const tokens = inputsOf(RunInstancesCommand).map((i) => i.ClientToken);
    expect(tokens).toHaveLength(3);
    expect(new Set(tokens)).toEqual(new Set([ctx.state.resource('instance')!.token]));
    expect((ctx.clock as unknown as { slept: number[] }).slept).toEqual([5000, 5000]);
    expect(messages(ctx, 'progress').filter((m) => m.includes('instance profile not usable yet'))).toHaveLength(2);
    expect(ctx.state.resource('instance')?.id).toBe(world.instances[0]!.InstanceId);
  });

  it('gives up after the IAM propagation window with a clear message', async () => {
    const ctx = await ec2Context();
    world.runInstances = () => {
      throw profileError(
        'Value (demo-ec2-profile) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name',
      );
    };
    const err = await ec2Phase.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toMatch(
      /EC2 does not accept instance profile .*Invalid IAM Instance Profile name \(still failing after 2m00s of waiting for IAM propagation\)/,
    );
    expect((err as DevenvError).remedy).toMatch(/devenv phase iam/);
    const tokens = new Set(inputsOf(RunInstancesCommand).map((i) => i.ClientToken));
    expect(tokens.size).toBe(1);
    expect(inputsOf(RunInstancesCommand)).toHaveLength(25);
    expect(ctx.state.resource('instance')?.id).toBeUndefined();
    expect(ctx.state.resource('instance')?.token).toBe([...tokens][0]);
  });

  it('does not retry other launch errors', async () => {
    const ctx = await ec2Context();
    world.runInstances = () => {
      throw Object.assign(new Error('You have requested more vCPU capacity than your current vCPU limit'), {
        name: 'VcpuLimitExceeded',
      });
    };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(/vCPU limit/);
    expect(inputsOf(RunInstancesCommand)).toHaveLength(1);
  });
});

describe('ec2 apply: a launch token that belongs to a terminated host', () => {
  it('starts a new generation and launches with a new token', async () => {
    const ctx = await ec2Context();
    let first = true;
    world.runInstances = (input) => {
      if (first) {
        first = false;
        return { Instances: [{ ...launched(input), State: { Name: 'terminated' } }] };
      }
      const instance = launched(input);
      world.instances.push(instance);
      return { Instances: [instance] };
    };
    await ec2Phase.apply(ctx);
    const tokens = inputsOf(RunInstancesCommand).map((i) => i.ClientToken);
    expect(tokens).toEqual([deriveToken(ctx, 'instance', 0), deriveToken(ctx, 'instance', 1)]);
    expect(ctx.state.resource('instance')).toMatchObject({ generation: 1, id: world.instances[0]!.InstanceId });
  });
});

describe('ec2 apply: the local key and the AWS key pair', () => {
  it('stops with a clear error when the AWS key pair does not match the local private key', async () => {
    const ctx = await ec2Context();
    await writePrivateKey(ctx.model.privateKeyPath, generateEd25519('mine').privateKey);
    existingResources(ctx, world, generateEd25519('theirs').publicKey);
    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err.message).toBe(
      `key pair "demo-admin-key" exists in AWS, but it does not match the private key ${ctx.model.privateKeyPath}`,
    );
    expect(err.remedy).toMatch(/instance\.privateKeyPath/);
    expect(err.remedy).toMatch(/aws ec2 delete-key-pair --key-name demo-admin-key/);
    expect(mutatingCalls()).toEqual([]);
    expect(ctx.state.resource('keypair')).toBeUndefined();
  });

  it("refuses another devenv project's key pair of the same name, even with the matching private key", async () => {
    const ctx = await ec2Context();
    const mine = generateEd25519('shared');
    await writePrivateKey(ctx.model.privateKeyPath, mine.privateKey);
    world.keyPairs.push({
      KeyPairId: 'key-0alpha',
      KeyName: ctx.model.keyName,
      PublicKey: mine.publicKey,
      Tags: [{ Key: 'devenv:project', Value: 'alpha' }],
    });
    const err = (await ec2Phase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err.message).toBe(`key pair "demo-admin-key" exists in AWS, but it belongs to devenv project "alpha"`);
    expect(err.remedy).toMatch(/instance\.keyName/);
    expect(mutatingCalls()).toEqual([]);
  });

  it('stops when AWS has the key pair but the private key is not here, and writes no new key', async () => {
    const ctx = await ec2Context();
    existingResources(ctx, world, generateEd25519('theirs').publicKey);
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(`its private key is not at ${ctx.model.privateKeyPath}`);
    expect(() => statSync(ctx.model.privateKeyPath)).toThrow(/ENOENT/);
    expect(mutatingCalls()).toEqual([]);
  });

  it('imports the public half of an existing local key and never overwrites it', async () => {
    const ctx = await ec2Context();
    const key = generateEd25519('mine');
    await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
    await ec2Phase.apply(ctx);
    expect(readFileSync(ctx.model.privateKeyPath, 'utf8')).toBe(key.privateKey);
    expect(Buffer.from(inputsOf(ImportKeyPairCommand)[0].PublicKeyMaterial!).toString()).toBe(
      publicKeyOf(key.privateKey),
    );
  });

  it('refuses a file that is not a private key', async () => {
    const ctx = await ec2Context();
    await writePrivateKey(ctx.model.privateKeyPath, 'not a key\n');
    await expect(ec2Phase.apply(ctx)).rejects.toThrow(/is not a private key devenv can use/);
    expect(readFileSync(ctx.model.privateKeyPath, 'utf8')).toBe('not a key\n');
    expect(mutatingCalls()).toEqual([]);
  });
});

describe('ec2 apply: a run killed half way', () => {
  it('killed after RunInstances answered but before the id was saved: the rerun adopts the tagged host', async () => {
    const ctx = await ec2Context();
    world.runInstances = (input) => {
      world.instances.push(launched(input));
      throw new Error('killed');
    };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow('killed');
    expect(ctx.state.resource('instance')).toMatchObject({
      token: deriveToken(ctx, 'instance', 0),
      attrs: { amiId: AMI },
    });
    expect(ctx.state.resource('instance')?.id).toBeUndefined();

    world.runInstances = undefined;
    ec2.resetHistory();
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['AttachVolume']);
    expect(ctx.state.resource('instance')?.id).toBe(world.instances[0]!.InstanceId);
    expect(world.instances).toHaveLength(1);
  });

  it('killed before RunInstances: the rerun launches with the saved token and the saved AMI, though validate now names a newer one', async () => {
    const ctx = await ec2Context();
    ctx.config.instance.amiId = undefined;
    world.runInstances = () => {
      throw new Error('killed');
    };
    await expect(ec2Phase.apply(ctx)).rejects.toThrow('killed');
    await ctx.state.setOutputs('validate', { amiId: 'ami-0newer0000000000' });

    world.runInstances = undefined;
    ec2.resetHistory();
    await ec2Phase.apply(ctx);
    const [run] = inputsOf(RunInstancesCommand);
    expect(run).toMatchObject({ ClientToken: deriveToken(ctx, 'instance', 0), ImageId: AMI });
  });

  it('killed after CreateVolume answered: the rerun adopts the tagged volume', async () => {
    const ctx = await ec2Context();
    ec2.on(CreateVolumeCommand).callsFakeOnce((input) => {
      world.volumes.push({
        VolumeId: 'vol-0orphan',
        AvailabilityZone: input.AvailabilityZone,
        Size: input.Size,
        VolumeType: 'gp3',
        Encrypted: true,
        State: 'available',
        Attachments: [],
        Tags: input.TagSpecifications?.[0]?.Tags,
      });
      throw new Error('killed');
    });
    await expect(ec2Phase.apply(ctx)).rejects.toThrow('killed');
    serve(world);
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toEqual(['RunInstances', 'AttachVolume']);
    expect(ctx.state.resource('volume/data')?.id).toBe('vol-0orphan');
    expect(world.volumes.filter((v) => v.Tags?.some((t) => t.Value === 'volume/data'))).toHaveLength(1);
  });
});
