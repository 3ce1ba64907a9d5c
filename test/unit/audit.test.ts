/**
 * The audit trail's decisions: what a run's record lists (from its resource events and the state),
 * which flags it keeps (an allow-list), whom it concerns, where it is kept and how (a JSON-lines
 * file 0600 appended to; an S3 object per run written only if absent, listed from `--since`), and
 * when it is written (on the way out, on a second Ctrl-C, never for a run that changed nothing).
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { appendFile, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { listAuditRecords, putAuditRecord } from '../../src/aws/s3/audit-log.js';
import { parseSince } from '../../src/commands/audit.js';
import { AuditTrail, recordedFlags } from '../../src/commands/audit-trail.js';
import { parseConfig } from '../../src/config/load.js';
import { DevenvError } from '../../src/errors.js';
import type { ResourceEvent } from '../../src/report.js';
import {
  appendLocalAudit,
  auditId,
  auditResources,
  concerns,
  localAuditPath,
  readLocalAudit,
  type AuditRecord,
} from '../../src/state/audit.js';
import { runBeforeQuit } from '../../src/state/quit.js';
import { Reporter, type UiEvent } from '../../src/ui/events.js';
import { baseConfig } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

const ev = (e: Omit<ResourceEvent, 'type'>): ResourceEvent => ({ type: 'resource', ...e });

const record = (over: Partial<AuditRecord> = {}): AuditRecord => ({
  id: auditId('2026-12-06T07:49:58.123Z', 'abcd0123'),
  who: 'arn:aws:iam::123456789012:user/al',
  host: 'laptop',
  startedAt: '2026-12-06T07:49:58.123Z',
  finishedAt: '2026-12-06T07:50:30.000Z',
  command: 'up',
  args: [],
  flags: {},
  exitCode: 0,
  state: 'devenv.state.json',
  resources: [],
  ...over,
});

describe('what a record lists', () => {
  it('each resource once by its strongest action, kept ones left out, kind, id and developer from the state', () => {
    const before = { 'tg/bob': { kind: 'target group', phase: 'alb', id: 'arn:tg-bob', developer: 'bob' } };
    const listed = auditResources(
      [
        ev({ phase: 'vpc', action: 'kept', logicalId: 'vpc', kind: 'VPC', resourceId: 'vpc-1' }),
        ev({ phase: 'sg', action: 'created', logicalId: 'sg/host', kind: 'security group', resourceId: 'sg-1' }),
        ev({ phase: 'sg', action: 'updated', logicalId: 'sg/host', message: 'ingress fixed' }),
        ev({ phase: 'alb', action: 'deleted', logicalId: 'tg/bob', kind: 'target group' }),
      ],
      before,
      { 'sg/host': { kind: 'security group', phase: 'sg', id: 'sg-1' } },
    );
    expect(listed).toEqual([
      { action: 'created', phase: 'sg', kind: 'security group', logicalId: 'sg/host', resourceId: 'sg-1' },
      {
        action: 'deleted',
        phase: 'alb',
        kind: 'target group',
        logicalId: 'tg/bob',
        resourceId: 'arn:tg-bob',
        developer: 'bob',
      },
    ]);
  });

  it('what the state shows made, gone or replaced without an event is listed from the state', () => {
    const secret = { kind: 'secret', phase: 'secrets', developer: 'bob' };
    const listed = auditResources(
      [],
      {
        'secret/bob/password': { ...secret, id: 'arn:s1' },
        instance: { kind: 'EC2 instance', phase: 'ec2', id: 'i-1' },
        vpc: { kind: 'VPC', phase: 'vpc', id: 'vpc-1' },
      },
      {
        'secret/bob/password': { ...secret, generation: 1 },
        instance: { kind: 'EC2 instance', phase: 'ec2', id: 'i-2' },
        vpc: { kind: 'VPC', phase: 'vpc', id: 'vpc-1' },
        'subnet/a': { kind: 'subnet', phase: 'vpc', token: 't' },
        'subnet/b': { kind: 'subnet', phase: 'vpc', id: 'subnet-2' },
      },
    );
    expect(listed).toEqual([
      {
        action: 'deleted',
        phase: 'secrets',
        kind: 'secret',
        logicalId: 'secret/bob/password',
        resourceId: 'arn:s1',
        developer: 'bob',
      },
      { action: 'replaced', phase: 'ec2', kind: 'EC2 instance', logicalId: 'instance', resourceId: 'i-2' },
      { action: 'created', phase: 'vpc', kind: 'subnet', logicalId: 'subnet/b', resourceId: 'subnet-2' },
    ]);
  });

  it('concerns a developer whose resource changed, or whom an argument or a flag names', () => {
    const bobs = record({ resources: [{ action: 'deleted', phase: 'alb', logicalId: 'tg/bob', developer: 'bob' }] });
    expect(concerns(bobs, 'bob')).toBe(true);
    expect(concerns(bobs, 'alice')).toBe(false);
    expect(concerns(record({ command: 'credentials rotate', args: ['alice'] }), 'alice')).toBe(true);
    expect(concerns(record({ flags: { developer: 'carol' } }), 'carol')).toBe(true);
  });

  it('keeps only the flags of the allow-list, with string or boolean values', () => {
    expect(
      recordedFlags({
        yes: true,
        skip: 'dns',
        finalSnapshot: false,
        lockMessage: 'why',
        password: 'hunter2',
        apiKey: 'sk-1',
        resolve: ['1.2.3.4'],
      }),
    ).toEqual({ yes: true, skip: 'dns', finalSnapshot: false, lockMessage: 'why' });
  });

  it('ids sort by start time', () => {
    const a = auditId('2026-12-06T09:59:59.999Z', 'ffffffff');
    const b = auditId('2026-12-06T10:00:00.000Z', '00000000');
    expect(a).toBe('20261206T095959999Z-ffffffff');
    expect([b, a].sort()).toEqual([a, b]);
  });
});

describe('--since', () => {
  const now = Date.parse('2026-12-06T12:00:00Z');
  it('takes days, hours, minutes and dates', () => {
    expect(parseSince('7d', now).toISOString()).toBe('2026-11-29T12:00:00.000Z');
    expect(parseSince('12h', now).toISOString()).toBe('2026-12-06T00:00:00.000Z');
    expect(parseSince('2026-12-01', now).toISOString()).toBe('2026-12-01T00:00:00.000Z');
  });
  it('refuses anything else as bad input', () => {
    const err = (() => {
      try {
        parseSince('last week', now);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).exitCode).toBe(2);
    expect((err as DevenvError).message).toContain('--since: "last week"');
  });
});

describe('a local trail', () => {
  it('is a JSON-lines file beside the state, appended to, 0600; a line that is no record is skipped and counted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-audit-'));
    const path = localAuditPath(join(dir, 'devenv.state.json'));
    expect(path).toBe(join(dir, 'devenv.state.audit.jsonl'));
    expect(localAuditPath('team.state')).toBe('team.state.audit.jsonl');
    await appendLocalAudit(path, record());
    await appendFile(path, 'not json\n');
    await appendLocalAudit(path, record({ command: 'destroy' }));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const read = await readLocalAudit(path);
    expect(read.records.map((r) => r.command)).toEqual(['up', 'destroy']);
    expect(read.unreadable).toBe(1);
    expect(await readLocalAudit(join(dir, 'none.jsonl'))).toEqual({ records: [], unreadable: 0 });
  });
});

describe('a trail in S3', () => {
  const s3 = sdkMock(S3Client);
  const loc = { bucket: 'acme-state', key: 'demo/devenv.state.json', region: 'us-east-1' };
  beforeEach(() => resetSdkMocks());

  it('writes a new object per run under <key>.audit/, only if none is there (If-None-Match: *)', async () => {
    s3.on(PutObjectCommand).resolves({});
    const key = await putAuditRecord(new S3Client({ region: 'us-east-1' }), loc, record());
    expect(key).toBe('demo/devenv.state.json.audit/20261206T074958123Z-abcd0123.json');
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'acme-state',
      Key: key,
      IfNoneMatch: '*',
      Body: JSON.stringify(record()),
    });
  });

  it('lists from --since on (StartAfter) and reads each; an object that is no record is counted', async () => {
    const prefix = 'demo/devenv.state.json.audit/';
    s3.on(ListObjectsV2Command).resolves({
      Contents: [{ Key: `${prefix}20261206T074958123Z-abcd0123.json` }, { Key: `${prefix}20261206T080000000Z-x.json` }],
    });
    const body = (text: string) => ({ transformToString: async () => text }) as never;
    s3.on(GetObjectCommand, { Key: `${prefix}20261206T074958123Z-abcd0123.json` }).resolves({
      Body: body(JSON.stringify(record())),
    });
    s3.on(GetObjectCommand, { Key: `${prefix}20261206T080000000Z-x.json` }).resolves({ Body: body('{"x":1}') });
    const got = await listAuditRecords(new S3Client({ region: 'us-east-1' }), loc, new Date('2026-12-06T07:00:00Z'));
    expect(s3.commandCalls(ListObjectsV2Command)[0]!.args[0].input).toMatchObject({
      Prefix: prefix,
      StartAfter: `${prefix}20261206T070000000Z`,
    });
    expect(got.records).toEqual([record()]);
    expect(got.unreadable).toBe(1);
  });
});

describe('a trail in a bucket that does not exist', () => {
  const s3 = sdkMock(S3Client);
  beforeEach(() => resetSdkMocks());
  it('is bad input naming the bucket and how to make it', async () => {
    s3.on(ListObjectsV2Command).rejects(
      new S3ServiceException({ name: 'NoSuchBucket', $fault: 'client', $metadata: { httpStatusCode: 404 } }),
    );
    const loc = { bucket: 'acme-gone', key: 'demo/devenv.state.json', region: 'us-east-1' };
    const err = await listAuditRecords(new S3Client({ region: 'us-east-1' }), loc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).exitCode).toBe(2);
    expect((err as DevenvError).message).toContain('the bucket acme-gone does not exist');
    expect((err as DevenvError).remedy).toContain('devenv state bootstrap');
  });
});

describe('when a record is written', () => {
  const setup = () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-audit-'));
    const statePath = join(dir, 'devenv.state.json');
    writeFileSync(join(dir, 'keep'), '');
    const events: UiEvent[] = [];
    const reporter = new Reporter({ render: (e) => events.push(e), close: () => undefined });
    const config = parseConfig(JSON.stringify(baseConfig));
    const reads = new Map([['sts:GetCallerIdentity', Promise.resolve({ Arn: 'arn:aws:iam::123456789012:user/al' })]]);
    const trail = new AuditTrail(
      { command: 'up', args: [], flags: { yes: true, token: 'secret' } },
      { reporter, env: {} },
    );
    const lines = async () =>
      (await readFile(localAuditPath(statePath), 'utf8').catch(() => ''))
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditRecord);
    return { statePath, reporter, config, reads, trail, lines, events };
  };

  it('once, on the way out, for a run that took its lock', async () => {
    const { statePath, reporter, config, reads, trail, lines } = setup();
    trail.arm({ config, statePath, reads });
    reporter.emit(ev({ phase: 'vpc', action: 'created', logicalId: 'vpc', kind: 'VPC', resourceId: 'vpc-1' }));
    await trail.finish(0);
    await trail.finish(1);
    const written = await lines();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatchObject({
      who: 'arn:aws:iam::123456789012:user/al',
      command: 'up',
      flags: { yes: true },
      exitCode: 0,
      state: statePath,
      resources: [{ action: 'created', logicalId: 'vpc', resourceId: 'vpc-1' }],
    });
    expect(written[0]!.flags).not.toHaveProperty('token');
  });

  it('not for a run that never took its lock, nor for bad input that changed nothing', async () => {
    const a = setup();
    await a.trail.finish(3);
    expect(await a.lines()).toEqual([]);
    const b = setup();
    b.trail.arm({ config: b.config, statePath: b.statePath, reads: b.reads });
    await b.trail.finish(2);
    expect(await b.lines()).toEqual([]);
  });

  it('on a second Ctrl-C, with exit 130, before the process quits', async () => {
    const { statePath, config, reads, trail, lines } = setup();
    trail.arm({ config, statePath, reads });
    await runBeforeQuit();
    expect((await lines()).map((r) => r.exitCode)).toEqual([130]);
    await trail.finish(130);
    expect(await lines(), 'written once').toHaveLength(1);
  });

  it('a record that cannot be written is a warning, not a failure of the run', async () => {
    const { config, reads, trail, events } = setup();
    trail.arm({ config, statePath: '/nonexistent-dir/devenv.state.json', reads });
    await trail.finish(0);
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'warn', message: expect.stringContaining("could not write this run's audit") }),
    );
  });
});
