/**
 * The audit trail against moto, with the state in S3 and in a local file: `up`, a developer added,
 * one removed, `destroy` — each run's record read back (`devenv audit --json`, and the S3 objects
 * or the JSON-lines file themselves) and compared with what the run's call hooks saw it do and what
 * it left in the state. Then a run stopped by Ctrl-C, the filters, and the runs that leave no record.
 */
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import { expect, it } from 'vitest';
import type { CallHook } from '../../src/aws/clients.js';
import type { AuditRecord } from '../../src/state/audit.js';
import { describeResult, newWorkspace, REGION, type CliResult } from './moto.js';
import { describeMoto } from './suite.js';

const BUCKET = 'itest-devenv-audit';
const KEY = 'itest/devenv.state.json';
const CALLER = /^arn:aws:(iam|sts)::\d{12}:\S+$/;

/**
 * The kind of resource each mutating call of adding or removing a developer works on: every such
 * call the hooks see must be explained by a resource of that kind in the run's record, and each
 * resource in the record by a call.
 */
const KIND_OF_CALL: Record<string, string> = {
  'secretsmanager:CreateSecret': 'secret',
  'secretsmanager:DeleteSecret': 'secret',
  'elbv2:CreateTargetGroup': 'target group',
  'elbv2:ModifyTargetGroupAttributes': 'target group',
  'elbv2:RegisterTargets': 'target group',
  'elbv2:DeleteTargetGroup': 'target group',
  'elbv2:CreateRule': 'listener rule',
  'elbv2:DeleteRule': 'listener rule',
  'route53:ChangeResourceRecordSets': 'DNS record',
  'logs:CreateLogGroup': 'log group',
  'logs:PutRetentionPolicy': 'log group',
  'cloudwatch:PutMetricAlarm': 'CloudWatch alarm',
  'cloudwatch:DeleteAlarms': 'CloudWatch alarm',
  'ec2:AuthorizeSecurityGroupIngress': 'security group',
  'ec2:RevokeSecurityGroupIngress': 'security group',
};

/** What a run changed in AWS, as its hooks saw it: mutating calls answered, the state's and the trail's own left out. */
const awsChanges = (r: CliResult) => r.calls.changed.filter((c) => !c.startsWith('s3:'));

describeMoto('the audit trail', (moto) => {
  for (const where of ['local', 's3'] as const) {
    it(`${where} state: up, a developer added, one removed, destroy — each run's record matches what it did`, async () => {
      const ws = await newWorkspace(moto.server, {
        developers: ['alice'],
        ...(where === 's3' ? { patch: (c) => (c.state = { s3: { bucket: BUCKET, key: KEY } }) } : {}),
      });
      const s3 = new S3Client({ region: REGION, endpoint: moto.server.endpoint, forcePathStyle: true });
      if (where === 's3') {
        await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
        await s3.send(
          new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }),
        );
      }
      const state = async (): Promise<{ resources: Record<string, { id?: string }> }> =>
        where === 's3'
          ? JSON.parse(
              await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: KEY }))).Body!.transformToString(),
            )
          : ((await ws.state()) as { resources: Record<string, { id?: string }> });
      const trail = async (...flags: string[]): Promise<AuditRecord[]> => {
        const r = await ws.cli(['audit', '--json', ...flags]);
        expect(r.code, describeResult(r)).toBe(0);
        return r.stdout
          .split('\n')
          .filter((l) => l.trim())
          .map((l) => JSON.parse(l) as AuditRecord);
      };
      const ok = (r: CliResult) => expect(r.code, describeResult(r)).toBe(0);

      const first = await ws.cli(['up']);
      ok(first);
      const [built] = await trail();
      expect(built).toMatchObject({ command: 'up', args: [], exitCode: 0, flags: { skip: 'storage,containers,test' } });
      expect(built!.who).toMatch(CALLER);
      const made = new Set(built!.resources.filter((r) => r.action === 'created').map((r) => r.logicalId));
      const recorded = Object.entries((await state()).resources).filter(([, r]) => r.id);
      expect(
        recorded.map(([id]) => id).filter((id) => !made.has(id)),
        'in the state after the first up, not in its record as created',
      ).toEqual([]);

      // bob joins: the record lists his resources, and the calls the hooks saw are all about them.
      await ws.editConfig((c) => (c.developers = ['alice', 'bob']));
      const added = await ws.cli(['up']);
      ok(added);
      const [add] = await trail();
      expect(add!.id > built!.id, 'newest first').toBe(true);
      expectExplains(add!, added);
      const addedIds = (await state()).resources;
      for (const r of add!.resources.filter((r) => r.action === 'created')) {
        expect(r.developer, `${r.logicalId} is bob's`).toBe('bob');
        expect(r.resourceId, `${r.logicalId}: the id the state recorded`).toBe(addedIds[r.logicalId!]?.id);
      }
      expect(add!.resources.filter((r) => r.action === 'updated').map((r) => r.logicalId)).toEqual(['sg/host']);

      // bob leaves.
      await ws.editConfig((c) => (c.developers = ['alice']));
      const removed = await ws.cli(['up', '--yes']);
      ok(removed);
      const [remove] = await trail();
      expect(remove).toMatchObject({ command: 'up', exitCode: 0, flags: { yes: true } });
      expectExplains(remove!, removed);
      const gone = remove!.resources.filter((r) => r.action === 'deleted');
      expect(gone.length).toBeGreaterThan(0);
      for (const r of gone) {
        expect(r.developer, `${r.logicalId} was bob's`).toBe('bob');
        // the state records an alarm by its ARN, the run names it by its name (DeleteAlarms takes names)
        expect(addedIds[r.logicalId!]?.id, `${r.logicalId}: the id bob's resource had`).toContain(r.resourceId);
      }
      expect(gone.map((r) => r.kind).sort()).toEqual([
        'CloudWatch alarm',
        'DNS record',
        'listener rule',
        'secret',
        'target group',
      ]);

      // destroy: everything the state held is in its record as deleted.
      const held = Object.entries((await state()).resources).filter(([, r]) => r.id);
      const destroyed = await ws.cli(['destroy', '--yes']);
      ok(destroyed);
      const [destroy] = await trail();
      expect(destroy).toMatchObject({ command: 'destroy', exitCode: 0, flags: { yes: true } });
      expect(destroy!.resources.every((r) => r.action === 'deleted')).toBe(true);
      const deleted = new Map(destroy!.resources.map((r) => [r.logicalId, r.resourceId]));
      expect(
        held.filter(([id, r]) => !r.id!.includes(deleted.get(id) ?? '\0')).map(([id]) => id),
        'held by the state before destroy, not in its record as deleted',
      ).toEqual(['volume/data']); // destroy keeps the data volume without --delete-data
      expect(deleted.has('volume/data')).toBe(false);
      expect(awsChanges(destroyed).length).toBeGreaterThanOrEqual(held.length / 2);

      // Read back where they are kept: four records, each as `audit --json` says, written with If-None-Match.
      const all = await trail();
      expect(all.map((r) => r.command)).toEqual(['destroy', 'up', 'up', 'up']);
      if (where === 's3') {
        const listed = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${KEY}.audit/` }));
        const keys = (listed.Contents ?? []).map((o) => o.Key!);
        expect(keys).toEqual(all.map((r) => `${KEY}.audit/${r.id}.json`).reverse());
        for (const [i, key] of keys.entries()) {
          const body = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))).Body!;
          expect(JSON.parse(await body.transformToString())).toEqual(all[all.length - 1 - i]);
        }
        const rewrite = await s3
          .send(new PutObjectCommand({ Bucket: BUCKET, Key: keys[0], Body: '{}', IfNoneMatch: '*' }))
          .then(
            () => 'written',
            (e: Error) => e.name,
          );
        expect(rewrite, 'a record is never written over').toBe('PreconditionFailed');
      } else {
        const path = ws.statePath.replace(/\.json$/, '.audit.jsonl');
        expect((await stat(path)).mode & 0o777).toBe(0o600);
        const lines = (await readFile(path, 'utf8')).trim().split('\n');
        expect(lines.map((l) => JSON.parse(l))).toEqual([...all].reverse());
      }

      // The filters: bob's runs (his join, his leaving, and destroy, which deleted his log group).
      expect((await trail('--developer', 'bob')).map((r) => r.id)).toEqual([destroy!.id, remove!.id, add!.id]);
      expect((await trail('--developer', 'alice')).map((r) => r.id)).toEqual([destroy!.id, built!.id]);
      expect((await trail('--since', remove!.startedAt)).map((r) => r.id)).toEqual([destroy!.id, remove!.id]);
      expect((await trail('--since', '1h')).length).toBe(4);
      const table = await ws.cli(['audit']);
      expect(table.stdout).toContain('deleted 5 (');
      expect(table.stdout).toMatch(/up --yes --skip storage,containers,test\s+0\s+/);
      await ws.remove();
    }, 300_000);
  }

  it('a run stopped by Ctrl-C is recorded with exit 130 and what it made; a refused or bad-input run leaves none', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    const signals = new EventEmitter();
    let pressed = false;
    const ctrlC: CallHook = {
      after: (call) => {
        if (!pressed && call.operation === 'CreateSubnet') {
          pressed = true;
          signals.emit('SIGINT');
        }
      },
    };
    const stopped = await ws.cli(['up'], { hooks: [ctrlC], signals });
    expect(stopped.code, describeResult(stopped)).toBe(130);
    const path = ws.statePath.replace(/\.json$/, '.audit.jsonl');
    const records = (await readFile(path, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ command: 'up', exitCode: 130 });
    const created = records[0]!.resources.filter((r) => r.action === 'created').map((r) => r.logicalId);
    expect(created).toContain('vpc');
    const state = await ws.state();
    for (const id of created) expect(state.resources[id!]?.id, `${id} made and recorded`).toBeDefined();

    // Bad input changes nothing: no record.
    const badPhase = await ws.cli(['phase', 'nosuch']);
    expect(badPhase.code).toBe(2);
    await ws.editConfig((c) => (c.developers = []));
    const refused = await ws.cli(['up']); // would delete alice's resources without --yes and without a terminal
    expect(refused.code, describeResult(refused)).toBe(2);
    // Read-only commands leave none either.
    await ws.cli(['plan']);
    await ws.cli(['status']);
    expect((await readFile(path, 'utf8')).trim().split('\n')).toHaveLength(1);
    await ws.remove();
  }, 300_000);

  it('S3: a run refused by the lock leaves no record; a forced release is recorded with its flags', async () => {
    const bucket = `${BUCKET}-lock`;
    const ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: (c) => (c.state = { s3: { bucket, key: KEY } }),
    });
    const s3 = new S3Client({ region: REGION, endpoint: moto.server.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    const old = new Date(Date.now() - 10 * 60_000).toISOString();
    const lock = {
      who: 'arn:aws:iam::123456789012:user/bob',
      host: 'h',
      command: 'up',
      pid: 1,
      since: old,
      renewedAt: old,
    };
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${KEY}.lock`, Body: JSON.stringify(lock) }));
    const refused = await ws.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(3);
    const records = async () =>
      (await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${KEY}.audit/` }))).Contents ?? [];
    expect(await records()).toEqual([]);
    const released = await ws.cli(['lock', 'release', '--force', '--yes', '--lock-message', 'bob left at 6']);
    expect(released.code, describeResult(released)).toBe(0);
    const [record] = (await ws.cli(['audit', '--json'])).stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as AuditRecord);
    expect(record).toMatchObject({
      command: 'lock release',
      exitCode: 0,
      flags: { force: true, yes: true, lockMessage: 'bob left at 6' },
      resources: [],
    });
    expect(record!.who).toMatch(CALLER);
    expect(await records()).toHaveLength(1);
    await ws.remove();
  }, 120_000);
});

/** Every AWS change the hooks saw is one the record names a resource of that kind for, and the other way round. */
function expectExplains(record: AuditRecord, r: CliResult): void {
  expect(record.exitCode).toBe(r.code);
  const calls = awsChanges(r);
  const unexplained = calls.filter((c) => !KIND_OF_CALL[c]);
  expect(unexplained, 'calls no resource kind of a developer explains').toEqual([]);
  const kindsCalled = new Set(calls.map((c) => KIND_OF_CALL[c]));
  const kindsRecorded = new Set(record.resources.map((res) => res.kind));
  expect([...kindsRecorded].sort(), 'kinds in the record vs kinds the calls changed').toEqual([...kindsCalled].sort());
}
