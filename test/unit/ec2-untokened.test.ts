/**
 * The ec2 phase's creates that take no idempotency token or whose name is unique: the final
 * snapshot (CreateSnapshot, no token) and the key pair (ImportKeyPair, InvalidKeyPair.Duplicate).
 */
import { CreateSnapshotCommand, ImportKeyPairCommand, type CreateSnapshotCommandInput } from '@aws-sdk/client-ec2';
import { beforeEach, describe, expect, it } from 'vitest';
import { tagList, tagsFor } from '../../src/config/tags.js';
import { DevenvError } from '../../src/errors.js';
import ec2Phase from '../../src/phases/ec2.js';
import { ensureKeyPair } from '../../src/phases/ec2/keypair.js';
import { generateEd25519, writePrivateKey } from '../../src/ssh/keys.js';
import type { TestContext } from '../helpers/context.js';
import { deriveToken } from '../../src/aws/resource.js';
import {
  AMI,
  ec2,
  ec2Context,
  existingResources,
  inputsOf,
  messages,
  newWorld,
  serve,
  type World,
} from './ec2-fixtures.js';

let world: World;
beforeEach(() => {
  world = newWorld();
  serve(world);
});

const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

async function converged(ctx: TestContext) {
  const key = generateEd25519('test');
  await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
  const ids = existingResources(ctx, world, key.publicKey);
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
    attrs: { amiId: AMI },
  });
  ec2.resetHistory();
  return ids;
}

/** CreateSnapshot whose first answer is lost in transit (`made`: EC2 started the snapshot anyway); later calls answer. */
function snapshotAnswerLost(made: boolean) {
  let calls = 0;
  ec2.on(CreateSnapshotCommand).callsFake((input: CreateSnapshotCommandInput) => {
    const snapshot = {
      SnapshotId: `snap-0call${++calls}`,
      VolumeId: input.VolumeId,
      State: 'completed' as const,
      Tags: input.TagSpecifications?.[0]?.Tags ?? [],
    };
    if (calls > 1 || made) world.snapshots.push(snapshot);
    if (calls === 1) throw timedOut();
    return { ...snapshot, State: 'pending' };
  });
}

describe('destroy --delete-data: the final snapshot (CreateSnapshot takes no token)', () => {
  it('adopts the snapshot a timed-out CreateSnapshot started, found by its tags: sent once, one snapshot', async () => {
    const ctx = await ec2Context({}, { deleteData: true });
    const { volumeId } = await converged(ctx);
    snapshotAnswerLost(true);
    await ec2Phase.destroy(ctx);
    expect(inputsOf(CreateSnapshotCommand)).toHaveLength(1);
    expect(world.snapshots.map((s) => s.SnapshotId)).toEqual(['snap-0call1']);
    expect(
      messages(ctx, 'step').some((m) => m.startsWith(`kept final snapshot snap-0call1 of data volume ${volumeId}`)),
    ).toBe(true);
    expect(ec2.commandCalls(CreateSnapshotCommand)[0]!.thisValue).toBe(ctx.aws.ec2Untokened);
  });

  it('starts it once more when the timed-out call made nothing the tags find, and only then deletes the volume', async () => {
    const ctx = await ec2Context({}, { deleteData: true });
    await converged(ctx);
    snapshotAnswerLost(false);
    await ec2Phase.destroy(ctx);
    expect(inputsOf(CreateSnapshotCommand)).toHaveLength(2);
    expect(world.snapshots.map((s) => s.SnapshotId)).toEqual(['snap-0call2']);
    expect(world.volumes).toEqual([]);
  });
});

describe('the key pair: InvalidKeyPair.Duplicate means "find it again"', () => {
  /** A key pair of devenv's name that a killed run imported and the search before the import did not show yet. */
  async function unseenKeyPair(ctx: TestContext, project: string) {
    const key = generateEd25519('test');
    await writePrivateKey(ctx.model.privateKeyPath, key.privateKey);
    ec2.on(ImportKeyPairCommand).callsFakeOnce(() => {
      world.keyPairs.push({
        KeyPairId: 'key-0unseen',
        KeyName: ctx.model.keyName,
        PublicKey: `${key.publicKey} ${ctx.model.keyName}`,
        Tags: tagList({ ...tagsFor(ctx.model, 'keypair'), 'devenv:project': project }),
      });
      throw Object.assign(new Error(`The keypair '${ctx.model.keyName}' already exists.`), {
        name: 'InvalidKeyPair.Duplicate',
      });
    });
  }

  it('adopts our key pair that the import says exists but the search did not show yet', async () => {
    const ctx = await ec2Context();
    await unseenKeyPair(ctx, 'demo');
    const kp = await ensureKeyPair(ctx);
    expect(kp.KeyPairId).toBe('key-0unseen');
    expect(inputsOf(ImportKeyPairCommand)).toHaveLength(1);
    expect(ctx.state.resource('keypair')?.id).toBe('key-0unseen');
    expect(world.keyPairs).toHaveLength(1);
  });

  it("still refuses another project's key pair found that way", async () => {
    const ctx = await ec2Context();
    await unseenKeyPair(ctx, 'alpha');
    const err = (await ensureKeyPair(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(/key pair "demo-admin-key" exists in AWS, but it belongs to devenv project "alpha"/);
    expect(ctx.state.resource('keypair')?.id).toBeUndefined();
  });
});
