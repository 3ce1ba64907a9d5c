/**
 * The lock of a state in S3, against moto (which implements S3's conditional writes): two `up`s
 * started together from two state folders pointing at one state in S3 — with --lock-wait the second
 * waits and then converges with no mutating call; without, it exits 3 naming the first —, a stale
 * lock shown with its age, and a forced release recorded with who broke it.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import type { CallHook } from '../../src/aws/clients.js';
import { describeResult, newWorkspace, REGION, type CliResult, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const BUCKET = 'itest-devenv-lock';
const KEY = 'itest/devenv.state.json';
const LOCK = `${KEY}.lock`;
/** The caller moto answers GetCallerIdentity with. */
const CALLER = /arn:aws:(iam|sts)::\d{12}:\S+/;

describeMoto('the lock of a state in S3', (moto) => {
  let ws: Workspace;
  let s3: S3Client;
  let otherState: string;
  /** `up` from a second state folder: the same config, so the same state in S3. */
  const otherUp = (...flags: string[]) =>
    ws.cli(['up', '--skip', 'storage,containers,test', ...flags, '--config', ws.configPath, '--state', otherState], {
      bare: true,
    });
  const lockObject = () =>
    s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: LOCK })).then(
      async (o) => JSON.parse(await o.Body!.transformToString()),
      () => undefined,
    );
  /** What a run changed besides the state and its lock (both in S3). */
  const changedInAws = (r: CliResult) => r.calls.changed.filter((c) => !c.startsWith('s3:'));

  beforeAll(async () => {
    ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: (c) => {
        c.state = { s3: { bucket: BUCKET, key: KEY } };
      },
    });
    otherState = join(ws.dir, 'other', 'devenv.state.json');
    await mkdir(join(ws.dir, 'other'));
    s3 = new S3Client({ region: REGION, endpoint: moto.server.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  }, 60_000);

  it('two ups at once with --lock-wait: one builds, the other waits for it and then changes nothing', async () => {
    let locked!: () => void;
    const lockTaken = new Promise<void>((r) => {
      locked = r;
    });
    // The second starts once the first holds the lock (its first S3 write), so which one waits is known.
    const firstWrite: CallHook = {
      after: (c) => (c.service === 's3' && c.operation === 'PutObject' ? locked() : undefined),
    };
    const [first, second] = await Promise.all([
      ws.cli(['up', '--lock-message', 'adding alice'], { hooks: [firstWrite] }),
      lockTaken.then(() => otherUp('--lock-wait', '5m')),
    ]);
    expect(first.code, describeResult(first)).toBe(0);
    expect(second.code, describeResult(second)).toBe(0);
    expect(changedInAws(first).length, 'the first built the environment').toBeGreaterThan(0);
    expect(second.stderr).toMatch(
      /waiting for the lock held by arn:aws:\S+ \(devenv up, pid \d+ on \S+: "adding alice"\)/,
    );
    expect(changedInAws(second), 'the second read the state the first saved, after it').toEqual([]);
    expect(await lockObject(), 'both released the lock').toBeUndefined();
  });

  it('two ups at once without --lock-wait: one runs, the other exits 3 naming the first and changes nothing', async () => {
    const [a, b] = await Promise.all([ws.cli(['up']), otherUp()]);
    const [ran, refused] = a.code === 3 ? [b, a] : [a, b];
    expect(ran.code, describeResult(ran)).toBe(0);
    expect(refused.code, describeResult(refused)).toBe(3);
    expect(refused.stderr).toMatch(CALLER);
    expect(refused.stderr).toMatch(/is locked by arn:aws:\S+ \(devenv up, pid \d+ on \S+\) since \d{4}-\d\d-\d\dT/);
    expect(refused.stderr).toContain('--lock-wait');
    expect(refused.calls.changed, 'the refused run changed nothing, not even the state').toEqual([]);
    expect(await lockObject()).toBeUndefined();
  });

  it('a stale lock refuses with its age, lock status shows it, and release --force asks, breaks it and says who', async () => {
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const crashed = {
      who: 'arn:aws:iam::123456789012:user/bob',
      host: 'bobs-laptop',
      command: 'up',
      pid: 4242,
      since: old,
      renewedAt: old,
    };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: LOCK, Body: JSON.stringify(crashed) }));

    const refused = await ws.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(3);
    expect(refused.stderr).toContain(
      'is locked by arn:aws:iam::123456789012:user/bob (devenv up, pid 4242 on bobs-laptop)',
    );
    expect(refused.stderr).toMatch(/stale: not renewed for 10m0\ds/);
    expect(refused.stderr).toContain('devenv lock release --force');

    const status = await ws.cli(['lock', 'status']);
    expect(status.code, describeResult(status)).toBe(0);
    expect(status.stdout).toMatch(/locked by arn:aws:iam::123456789012:user\/bob .*stale: not renewed for 10m/);
    expect(status.calls.changed).toEqual([]);
    const json = JSON.parse((await ws.cli(['lock', 'status', '--json'])).stdout.split('\n')[0]!);
    expect(json).toMatchObject({ locked: true, lock: { who: crashed.who, stale: true } });
    expect(json.lock.ageSeconds).toBeGreaterThanOrEqual(600);

    const noForce = await ws.cli(['lock', 'release']);
    expect(noForce.code, describeResult(noForce)).toBe(2);
    expect(await lockObject()).toEqual(crashed);

    const declined = await ws.cli(['lock', 'release', '--force'], { answer: 'no' });
    expect(declined.code).not.toBe(0);
    expect(await lockObject(), 'a "no" keeps the lock').toEqual(crashed);

    const released = await ws.cli(['lock', 'release', '--force'], { answer: 'yes' });
    expect(released.code, describeResult(released)).toBe(0);
    expect(await lockObject()).toBeUndefined();
    const broken = JSON.parse(
      await (
        await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: `${KEY}.lock.broken` }))
      ).Body!.transformToString(),
    );
    expect(broken.by).toMatch(CALLER);
    expect(broken.lock).toEqual(crashed);
    expect(Date.parse(broken.at)).toBeGreaterThan(Date.now() - 60_000);

    const after = await ws.cli(['lock', 'status']);
    expect(after.stdout).toContain('is not locked');
    expect(after.stdout).toContain(`last forced release: by ${broken.by}`);
    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(0);
    expect(changedInAws(up)).toEqual([]);
  });

  it('read-only commands take no lock: plan and status run while another run holds it', async () => {
    const now = new Date().toISOString();
    const live = {
      who: 'arn:aws:iam::123456789012:user/bob',
      host: 'h',
      command: 'up',
      pid: 1,
      since: now,
      renewedAt: now,
    };
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: LOCK, Body: JSON.stringify(live) }));
    for (const command of ['plan', 'status']) {
      const r = await ws.cli([command]);
      // status exits 1 here for what it finds (no host in this workspace): never 3 for the lock
      expect(r.code, describeResult(r)).toBe(command === 'plan' ? 0 : 1);
      expect(r.stderr).not.toContain('is locked');
      expect(r.calls.mutating).toEqual([]);
    }
    const up = await ws.cli(['up']);
    expect(up.code).toBe(3);
    expect(up.stderr).not.toContain('stale');
    expect(await lockObject(), "a refused run leaves the holder's lock").toEqual(live);
    expect((await ws.cli(['lock', 'release', '--force', '--yes'])).code).toBe(0);
  });
});
