/**
 * The state in S3 against moto (which implements S3's conditional writes): `state bootstrap` (twice,
 * settings read back), a run that keeps its state in S3, a write based on a stale read refused,
 * push and pull refusing to overwrite a newer state, and a state that does not parse naming the
 * version to roll back to.
 */
import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetPublicAccessBlockCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { S3StateBackend } from '../../src/aws/s3/state-object.js';
import { describeResult, newWorkspace, PROJECT, REGION, type CliResult, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

/** Bootstrapped: its TLS-only policy refuses moto's plain HTTP to the objects, as AWS would. */
const BOOTSTRAPPED = 'itest-devenv-bootstrap';
/** Made here, versioned, with no policy: the bucket the state lives in for the rest of the file. */
const BUCKET = 'itest-devenv-state';
const KEY = 'itest/devenv.state.json';

describeMoto('state in S3', (moto) => {
  let ws: Workspace;
  let s3: S3Client;
  const expectOk = (r: CliResult) => expect(r.code, describeResult(r)).toBe(0);
  const remoteText = async (key = KEY) =>
    await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!.transformToString();

  beforeAll(async () => {
    ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: (c) => {
        c.state = { s3: { bucket: BUCKET, key: KEY } };
      },
    });
    s3 = new S3Client({ region: REGION, endpoint: moto.server.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
  }, 60_000);

  it('bootstrap creates the bucket as it should be, and a second run changes nothing', async () => {
    const config = JSON.parse(await readFile(ws.configPath, 'utf8'));
    const bootConfig = join(ws.dir, 'bootstrap.config.json');
    await writeFile(bootConfig, JSON.stringify({ ...config, state: { s3: { bucket: BOOTSTRAPPED, key: KEY } } }));
    const bootstrap = () =>
      ws.cli(['state', 'bootstrap', '--config', bootConfig, '--state', ws.statePath], { bare: true });
    const first = await bootstrap();
    expectOk(first);
    expect(first.calls.changed).toContain('s3:CreateBucket');
    expect(first.stderr).toContain(`created the state bucket ${BOOTSTRAPPED}`);
    expect((await s3.send(new GetBucketVersioningCommand({ Bucket: BOOTSTRAPPED }))).Status).toBe('Enabled');
    const rules =
      (await s3.send(new GetBucketEncryptionCommand({ Bucket: BOOTSTRAPPED }))).ServerSideEncryptionConfiguration
        ?.Rules ?? [];
    expect(rules[0]?.ApplyServerSideEncryptionByDefault?.SSEAlgorithm).toBeDefined();
    expect(
      (await s3.send(new GetPublicAccessBlockCommand({ Bucket: BOOTSTRAPPED }))).PublicAccessBlockConfiguration,
    ).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
    const policy = JSON.parse((await s3.send(new GetBucketPolicyCommand({ Bucket: BOOTSTRAPPED }))).Policy!);
    expect(policy.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    const tags = (await s3.send(new GetBucketTaggingCommand({ Bucket: BOOTSTRAPPED }))).TagSet ?? [];
    expect(tags).toContainEqual({ Key: 'devenv:project', Value: PROJECT });

    const again = await bootstrap();
    expectOk(again);
    expect(again.calls.changed, 'a second bootstrap changes nothing').toEqual([]);
    expect(again.stderr).toContain('nothing to change');
  });

  it('a run keeps its state in S3 (not in the local file), read back by the next; validate warns of what the bucket lacks', async () => {
    const first = await ws.cli(['phase', 'validate']);
    expectOk(first);
    expect(first.stderr).toContain(
      `the state bucket ${BUCKET} lacks default encryption, public access block, TLS-only policy, tags`,
    );
    await expect(stat(ws.statePath)).rejects.toThrow();
    const saved = JSON.parse(await remoteText());
    expect(saved.project).toBe(PROJECT);
    expect(saved.phases.validate.status).toBe('complete');
    const again = await ws.cli(['phase', 'validate']);
    expectOk(again);
    const s3Writes = again.calls.changed.filter((c) => c.startsWith('s3:'));
    expect(s3Writes.length).toBeGreaterThan(0);
    // the state's saves and the lock (taken with PutObject, released with DeleteObject)
    expect(new Set(s3Writes)).toEqual(new Set(['s3:PutObject', 's3:DeleteObject']));
  });

  it('a write based on a stale read is refused by S3, and what the other run saved stays', async () => {
    const loc = { bucket: BUCKET, key: KEY, region: REGION };
    const mine = new S3StateBackend(s3, loc);
    const state = (await mine.read())!;
    const theirs = new S3StateBackend(s3, loc);
    const other = (await theirs.read())!;
    await theirs.write(
      JSON.stringify({
        ...other,
        updatedAt: new Date().toISOString(),
        hostKey: undefined,
        phases: { ...other.phases, x: other.phases.validate },
      }),
    );
    const err = await mine.write(JSON.stringify(state)).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain('was changed by another run since this one read it');
    expect(JSON.parse(await remoteText()).phases.x, "the other run's save is kept").toBeDefined();
    await theirs.write(JSON.stringify(state)); // put it back as it was for the next tests
  });

  it('pull copies the state to the local file (0600); push refuses to overwrite a newer one; pull refuses a newer local', async () => {
    expectOk(await ws.cli(['state', 'pull']));
    expect((await stat(ws.statePath)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(ws.statePath, 'utf8'))).toEqual(JSON.parse(await remoteText()));

    expectOk(await ws.cli(['phase', 'validate'])); // S3's copy is now newer than the local one
    const push = await ws.cli(['state', 'push']);
    expect(push.code, describeResult(push)).toBe(2);
    expect(push.stderr).toContain('is newer');
    expect(push.calls.changed, 'only the lock, taken and released: the state is not written').toEqual([
      's3:PutObject',
      's3:DeleteObject',
    ]);

    const local = JSON.parse(await readFile(ws.statePath, 'utf8'));
    await writeFile(ws.statePath, JSON.stringify({ ...local, updatedAt: new Date(Date.now() + 60_000).toISOString() }));
    const pull = await ws.cli(['state', 'pull']);
    expect(pull.code, describeResult(pull)).toBe(2);
    expect(pull.stderr).toContain('is newer');
    const pushed = await ws.cli(['state', 'push']);
    expectOk(pushed);
    expect(pushed.calls.changed, "the lock, the state, the lock released, the run's audit record").toEqual([
      's3:PutObject',
      's3:PutObject',
      's3:DeleteObject',
      's3:PutObject',
    ]);
    expect(JSON.parse(await remoteText()).updatedAt).toBe(JSON.parse(await readFile(ws.statePath, 'utf8')).updatedAt);
  });

  it('a state in S3 that does not parse stops the run naming the version to roll back to', async () => {
    const good = (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))).VersionId!;
    await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: KEY, Body: '{"truncated":' }));
    const r = await ws.cli(['phase', 'validate']);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain('is not valid JSON');
    expect(r.stderr).toContain(`Roll back to the version before it, ${good}`);
    expect(r.calls.changed, 'only the lock, taken and released').toEqual(['s3:PutObject', 's3:DeleteObject']);
  });
});
