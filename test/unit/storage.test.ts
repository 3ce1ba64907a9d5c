/**
 * Where the data volume came from decides whether storage may ever format it: only a volume the
 * ec2 phase created empty, on which storage has never seen a filesystem. A restored, adopted or
 * merely found volume is never formatted. And containers start only where storage mounted the
 * volume: a new host resets what storage recorded for the old one.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import containersPhase from '../../src/phases/containers.js';
import ec2Phase from '../../src/phases/ec2.js';
import { formatPermission } from '../../src/phases/ec2/provenance.js';
import storagePhase from '../../src/phases/storage.js';
import type { RemoteHost } from '../../src/remote/host.js';
import type { TestContext } from '../helpers/context.js';
import {
  convergedWorld,
  crashAfter,
  ec2Context,
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

const volumeRecord = (ctx: TestContext) => ctx.state.resource('volume/data')!;
const mayFormat = (ctx: TestContext) => formatPermission(volumeRecord(ctx), volumeRecord(ctx).id!);

/** A host whose storage.sh reports this filesystem; the scripts it was given are kept. */
function fakeHost(ctx: TestContext, report = 'filesystem 0b5c1e7a-1111-4222-8333-944445555666 ext4 made'): string[] {
  const scripts: string[] = [];
  ctx.ssh = async () =>
    ({
      runScript: async (_name: string, script: string) => {
        scripts.push(script);
        return `storage: ...\n${report}\n`;
      },
    }) as unknown as RemoteHost;
  return scripts;
}

async function asPhase(ctx: TestContext, phase: 'storage' | 'containers', run: () => Promise<void>): Promise<void> {
  const before = ctx.phase;
  ctx.phase = phase;
  try {
    await run();
  } finally {
    ctx.phase = before;
  }
}

describe('ec2 records how the data volume came to be; only a volume it created empty may be formatted', () => {
  it('a volume devenv creates is created-empty, and stays so on every rerun (no extra call)', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);
    expect(volumeRecord(ctx).attrs).toMatchObject({ origin: 'created-empty' });
    expect(mayFormat(ctx).mayFormat).toBe(true);
    const calls = mutatingCalls().length;
    await ec2Phase.apply(ctx);
    expect(mutatingCalls()).toHaveLength(calls);
    expect(volumeRecord(ctx).attrs).toMatchObject({ origin: 'created-empty' });
  });

  it('a volume found by its tags (a lost state, or a run killed before it recorded the create) is never formatted', async () => {
    const ctx = await ec2Context();
    const crash = crashAfter(ctx, 2); // ImportKeyPair, CreateVolume: AWS made it, the state never heard
    await expect(ec2Phase.apply(ctx)).rejects.toThrow();
    expect(crash.crashed()).toBe(true);
    rerunContext(ctx);
    await ec2Phase.apply(ctx);
    expect(volumeRecord(ctx).attrs).toMatchObject({ origin: 'found' });
    expect(mayFormat(ctx)).toMatchObject({
      mayFormat: false,
      reason: expect.stringContaining('no record of creating it empty'),
    });

    world = newWorld();
    serve(world);
    const lost = await ec2Context();
    await convergedWorld(lost, world);
    await lost.state.forget('volume/data');
    await ec2Phase.apply(lost);
    expect(mayFormat(lost).mayFormat).toBe(false);
  });

  it('a volume made from a snapshot, or adopted with --adopt-data-volume, is never formatted', async () => {
    const ctx = await ec2Context();
    const { volumeId } = await convergedWorld(ctx, world);
    await ctx.state.forget('volume/data');
    world.volumes.find((v) => v.VolumeId === volumeId)!.SnapshotId = 'snap-0backup';
    await ec2Phase.apply(ctx);
    expect(volumeRecord(ctx).attrs).toMatchObject({ origin: 'snapshot', snapshotId: 'snap-0backup' });
    expect(mayFormat(ctx)).toMatchObject({
      mayFormat: false,
      reason: "it was created from snapshot snap-0backup and holds that snapshot's data",
    });

    // Adopted in place of a data volume deleted by hand (an empty-looking one too: it was never created empty by devenv).
    world.volumes = [];
    const restored = 'vol-0restored000000001';
    world.volumes.push({
      VolumeId: restored,
      AvailabilityZone: 'us-east-1a',
      Size: 500,
      VolumeType: 'gp3',
      Encrypted: true,
      State: 'available',
      Attachments: [],
      Tags: [],
    });
    ctx.options = { adoptDataVolume: restored };
    await ec2Phase.apply(ctx);
    expect(volumeRecord(ctx)).toMatchObject({ id: restored, attrs: { origin: 'adopted' } });
    expect(mayFormat(ctx).mayFormat).toBe(false);
  });

  it('--new-data-volume in place of a vanished one: created empty', async () => {
    const ctx = await ec2Context({}, { newDataVolume: true });
    await convergedWorld(ctx, world);
    world.volumes = [];
    await ec2Phase.apply(ctx);
    expect(mayFormat(ctx).mayFormat).toBe(true);
  });
});

describe("storage passes the state's decision to the host and records the filesystem", () => {
  it('may format a created-empty volume once; once a filesystem was seen, never again', async () => {
    const ctx = await ec2Context();
    await ec2Phase.apply(ctx);
    const scripts = fakeHost(ctx);
    await asPhase(ctx, 'storage', () => storagePhase.apply(ctx));
    expect(scripts[0]).toContain("MAY_FORMAT='true'");
    expect(volumeRecord(ctx).attrs).toMatchObject({
      origin: 'created-empty',
      filesystemUuid: '0b5c1e7a-1111-4222-8333-944445555666',
    });
    expect(ctx.state.phase('storage')?.outputs).toMatchObject({
      filesystemUuid: '0b5c1e7a-1111-4222-8333-944445555666',
      instanceId: ctx.state.resource('instance')!.id,
      volumeId: volumeRecord(ctx).id,
    });

    const again = fakeHost(ctx, 'filesystem 0b5c1e7a-1111-4222-8333-944445555666 ext4 kept');
    await asPhase(ctx, 'storage', () => storagePhase.apply(ctx));
    expect(again[0]).toContain("MAY_FORMAT='false'");
    expect(again[0]).toContain('devenv has seen a filesystem on it before (UUID 0b5c1e7a-1111-4222-8333-944445555666)');
    // The ec2 phase keeps what storage recorded on the volume.
    await ec2Phase.apply(ctx);
    expect(volumeRecord(ctx).attrs).toMatchObject({
      origin: 'created-empty',
      filesystemUuid: '0b5c1e7a-1111-4222-8333-944445555666',
    });
  });

  it('an adopted volume: the script is told never to format, and why', async () => {
    const ctx = await ec2Context();
    await convergedWorld(ctx, world);
    world.volumes = [];
    const restored = 'vol-0restored000000001';
    world.volumes.push({
      VolumeId: restored,
      AvailabilityZone: 'us-east-1a',
      Size: 500,
      VolumeType: 'gp3',
      Encrypted: true,
      State: 'available',
      Attachments: [],
      Tags: [],
      SnapshotId: 'snap-0backup',
    });
    ctx.options = { adoptDataVolume: restored };
    await ec2Phase.apply(ctx);
    const scripts = fakeHost(ctx, 'filesystem 1111-2222 ext4 kept');
    await asPhase(ctx, 'storage', () => storagePhase.apply(ctx));
    expect(scripts[0]).toContain("MAY_FORMAT='false'");
    expect(scripts[0]).toContain(
      "NO_FORMAT_REASON='it was adopted with --adopt-data-volume (a restored or existing volume)'",
    );
  });
});

describe('containers run only where storage mounted the data volume', () => {
  async function mounted(): Promise<TestContext> {
    const ctx = await ec2Context({ instance: { type: 't3.xlarge' } }, {});
    await convergedWorld(ctx, world, { type: 't3.2xlarge' });
    ctx.options = { replaceHost: true };
    fakeHost(ctx, 'filesystem 0b5c1e7a-1111-4222-8333-944445555666 ext4 kept');
    await asPhase(ctx, 'storage', () => storagePhase.apply(ctx));
    await ctx.state.setPhase('storage', 'complete');
    return ctx;
  }

  it('a replaced host resets what storage recorded for the old one', async () => {
    const ctx = await mounted();
    const oldHost = ctx.state.resource('instance')!.id;
    await ec2Phase.apply(ctx);
    expect(ctx.state.resource('instance')!.id).not.toBe(oldHost);
    expect(ctx.state.phase('storage')).toBeUndefined();
  });

  it('refuses before touching the host when storage last ran for another host; says what to run', async () => {
    const ctx = await mounted();
    await ctx.state.setResource('instance', { ...ctx.state.resource('instance')!, id: 'i-0newhost' });
    let connected = false;
    ctx.ssh = async () => {
      connected = true;
      return {} as RemoteHost;
    };
    const err = (await asPhase(ctx, 'containers', () => containersPhase.apply(ctx)).catch(
      (e: unknown) => e,
    )) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toContain(
      `storage has not mounted data volume ${volumeRecord(ctx).id} on the current host i-0newhost`,
    );
    expect(err.message).toContain('no container was started');
    expect(err.remedy).toContain('devenv phase storage');
    expect(connected).toBe(false);
  });
});
