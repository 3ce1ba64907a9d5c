/**
 * The lock of a state in S3 over time, which the emulator tests cannot wait for: renewed every
 * minute with If-Match on its ETag, released with the same condition, never deleted once someone
 * broke it; and the cleanup a second Ctrl-C runs before it quits.
 */
import { DeleteObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { acquireS3Lock, describeLock, LOCK_RENEW_MS, type LockRecord } from '../../src/aws/s3/state-lock.js';
import { parseDuration } from '../../src/duration.js';
import { beforeQuit, runBeforeQuit } from '../../src/state/quit.js';

const loc = { bucket: 'acme-devenv-state', key: 'demo/devenv.state.json', region: 'us-east-1' };
const now = new Date().toISOString();
const me: LockRecord = { who: 'arn:aws:iam::1:user/al', host: 'h', command: 'up', pid: 7, since: now, renewedAt: now };
const preconditionFailed = () =>
  new S3ServiceException({ name: 'PreconditionFailed', $fault: 'client', $metadata: { httpStatusCode: 412 } });

describe('a lock held in S3', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => {
    s3.reset();
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it('is created only if absent, renewed each minute on its ETag, and deleted on that ETag', async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).resolvesOnce({ ETag: '"e2"' });
    s3.on(DeleteObjectCommand).resolves({});
    const lock = await acquireS3Lock(new S3Client({ region: 'us-east-1' }), loc, me, { waitMs: 0 });
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Key: `${loc.key}.lock`,
      IfNoneMatch: '*',
    });
    await vi.advanceTimersByTimeAsync(LOCK_RENEW_MS);
    const renewal = s3.commandCalls(PutObjectCommand)[1]!.args[0].input;
    expect(renewal).toMatchObject({ Key: `${loc.key}.lock`, IfMatch: '"e1"' });
    expect(Date.parse(JSON.parse(renewal.Body as string).renewedAt)).toBeGreaterThan(Date.parse(me.renewedAt));
    await lock.release();
    expect(s3.commandCalls(DeleteObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: loc.bucket, Key: `${loc.key}.lock`, IfMatch: '"e2"' },
    ]);
    await vi.advanceTimersByTimeAsync(3 * LOCK_RENEW_MS);
    expect(s3.commandCalls(PutObjectCommand), 'no renewal after the release').toHaveLength(2);
  });

  it('once someone broke it, a renewal says so and the release deletes nothing (the lock may be theirs now)', async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).rejects(preconditionFailed());
    const lost: string[] = [];
    const lock = await acquireS3Lock(new S3Client({ region: 'us-east-1' }), loc, me, {
      waitMs: 0,
      onLost: (m) => lost.push(m),
    });
    await vi.advanceTimersByTimeAsync(LOCK_RENEW_MS);
    expect(lost[0]).toContain('was broken by someone else');
    await lock.release();
    expect(s3.commandCalls(DeleteObjectCommand)).toEqual([]);
  });

  it('is described with its holder, and as stale with its age once not renewed for 5 minutes', () => {
    const old = new Date(Date.now() - 7 * 60_000).toISOString();
    expect(describeLock({ ...me, message: 'adding bob' })).toBe(
      `arn:aws:iam::1:user/al (devenv up, pid 7 on h: "adding bob") since ${now}`,
    );
    expect(describeLock({ ...me, renewedAt: old })).toMatch(/; stale: not renewed for 7m00s$/);
  });
});

describe('before a second Ctrl-C quits', () => {
  it('runs the registered cleanups, but no unregistered one, and waits for none longer than its limit', async () => {
    const done: string[] = [];
    const off = beforeQuit(async () => void done.push('released'));
    const gone = beforeQuit(async () => void done.push('unregistered'));
    gone();
    const stuck = beforeQuit(() => new Promise(() => undefined));
    await runBeforeQuit(50);
    expect(done).toEqual(['released']);
    off();
    stuck();
  });
});

it('--lock-wait durations', () => {
  expect(parseDuration('5m')).toBe(300_000);
  expect(parseDuration('90s')).toBe(90_000);
  expect(parseDuration('1h30m')).toBe(5_400_000);
  expect(parseDuration('45')).toBe(45_000);
  expect(parseDuration('soon')).toBeUndefined();
  expect(parseDuration('')).toBeUndefined();
});
