import { DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatDuration } from '../../duration.js';
import { DevenvError } from '../../errors.js';
import { hasCode } from '../errors.js';
import { getText, isConditionFailure, noSuchBucket, s3Url, type S3Location } from './state-object.js';

/** What the lock object `<key>.lock` says: who holds it, where, for which command, and since when. */
export interface LockRecord {
  /** The holder's ARN (STS GetCallerIdentity). */
  who: string;
  host: string;
  command: string;
  pid: number;
  since: string;
  /** Rewritten every minute while the run lasts: a lock not renewed for LOCK_STALE_MS is stale. */
  renewedAt: string;
  message?: string;
}

/** Who broke a lock with `devenv lock release --force`, kept beside it (`<key>.lock.broken`). */
export interface BrokenRecord {
  by: string;
  host: string;
  at: string;
  lock?: LockRecord;
}

export const LOCK_RENEW_MS = 60_000;
export const LOCK_STALE_MS = 5 * 60_000;
/** How often a run waiting with --lock-wait asks again. */
const POLL_MS = 2_000;

export const lockKey = (loc: S3Location): string => `${loc.key}.lock`;
export const brokenKey = (loc: S3Location): string => `${loc.key}.lock.broken`;

/** The lock object as it is now, with its ETag; `undefined` when nobody holds it. */
export async function readLock(
  s3: S3Client,
  loc: S3Location,
): Promise<{ record: LockRecord; etag?: string } | undefined> {
  const got = await getText(s3, loc.bucket, lockKey(loc));
  if (!got) return undefined;
  let record: LockRecord;
  try {
    record = JSON.parse(got.text) as LockRecord;
  } catch {
    record = {
      who: 'unknown (the lock object is not JSON)',
      host: '?',
      command: '?',
      pid: 0,
      since: '?',
      renewedAt: '',
    };
  }
  return { record, etag: got.etag };
}

/** How long since the holder last renewed it; a lock whose time does not parse counts as stale. */
export const lockAge = (record: LockRecord, now = Date.now()): number =>
  now - Date.parse(record.renewedAt || record.since);
export const isStale = (record: LockRecord, now = Date.now()): boolean => !(lockAge(record, now) < LOCK_STALE_MS);

/** `arn:… (devenv up, pid 42 on laptop: "message") since <time>`, and `stale: not renewed for 7m00s` when it is. */
export function describeLock(record: LockRecord, now = Date.now()): string {
  const note = record.message ? `: "${record.message}"` : '';
  const stale = isStale(record, now) ? `; stale: not renewed for ${formatDuration(lockAge(record, now))}` : '';
  const what = `devenv ${record.command}, pid ${record.pid} on ${record.host}${note}`;
  return `${record.who} (${what}) since ${record.since}${stale}`;
}

export interface HeldS3Lock {
  release(): Promise<void>;
}

export interface AcquireOptions {
  /** How long to wait for a held lock (--lock-wait); 0 refuses at once. */
  waitMs: number;
  signal?: AbortSignal;
  /** Told once when this run starts waiting. */
  onWait?: (holder: string) => void;
  /** Told when a renewal finds the lock no longer ours (broken with --force). */
  onLost?: (message: string) => void;
}

/**
 * Takes `<key>.lock` with a PutObject conditional on `If-None-Match: *`: S3 lets exactly one of two
 * runs create it. A held lock refuses (exit 3, naming its holder) or, with `waitMs`, is asked again
 * until it is released. A stale one is never taken over silently: `devenv lock release --force` breaks it.
 */
export async function acquireS3Lock(
  s3: S3Client,
  loc: S3Location,
  me: LockRecord,
  o: AcquireOptions,
): Promise<HeldS3Lock> {
  const deadline = Date.now() + o.waitMs;
  let waiting = false;
  for (;;) {
    try {
      const put = await s3.send(
        new PutObjectCommand({
          Bucket: loc.bucket,
          Key: lockKey(loc),
          Body: JSON.stringify(me),
          ContentType: 'application/json',
          IfNoneMatch: '*',
        }),
      );
      return holdLock(s3, loc, me, put.ETag, o.onLost);
    } catch (err) {
      if (hasCode(err, 'NoSuchBucket')) throw noSuchBucket(loc.bucket, lockKey(loc));
      if (!isConditionFailure(err)) throw err;
    }
    const held = await readLock(s3, loc);
    if (!held) continue; // released in between: try again at once
    if (Date.now() >= deadline || o.signal?.aborted) throw lockedError(loc, held.record);
    if (!waiting) o.onWait?.(describeLock(held.record));
    waiting = true;
    await new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - Date.now())));
  }
}

function lockedError(loc: S3Location, record: LockRecord): DevenvError {
  const stale = isStale(record);
  return new DevenvError('locked', `${s3Url(loc)} is locked by ${describeLock(record)}`, {
    remedy: stale
      ? 'its holder stopped renewing it (a crashed run?): if no devenv run is active, `devenv lock release --force`'
      : 'wait for it to finish, or pass --lock-wait 5m to wait; `devenv lock status` shows the lock',
  });
}

/** The lock this run holds: renewed every minute with `If-Match` on its ETag, deleted (same condition) on release. */
function holdLock(
  s3: S3Client,
  loc: S3Location,
  me: LockRecord,
  etag: string | undefined,
  onLost?: (message: string) => void,
): HeldS3Lock {
  let current = etag;
  let lost = false;
  let renewing: Promise<void> = Promise.resolve();
  const renew = async () => {
    const body = JSON.stringify({ ...me, renewedAt: new Date().toISOString() });
    try {
      const put = await s3.send(
        new PutObjectCommand({ Bucket: loc.bucket, Key: lockKey(loc), Body: body, IfMatch: current }),
      );
      current = put.ETag;
    } catch (err) {
      if (!isConditionFailure(err) && !hasCode(err, 'NoSuchKey', 'NotFound')) return; // retried next minute
      lost = true;
      clearInterval(timer);
      onLost?.(`the lock on ${s3Url(loc)} was broken by someone else (devenv lock release --force)`);
    }
  };
  const timer = setInterval(() => (renewing = renew()), LOCK_RENEW_MS);
  timer.unref();
  let released: Promise<void> | undefined;
  return {
    release: () =>
      (released ??= (async () => {
        clearInterval(timer);
        await renewing;
        if (lost) return;
        await s3
          .send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: lockKey(loc), IfMatch: current }))
          .catch((err: unknown) => {
            // no longer ours: someone broke it and may hold a new one
            if (!isConditionFailure(err) && !hasCode(err, 'NoSuchKey', 'NotFound')) throw err;
          });
      })()),
  };
}

/** Deletes the lock whoever holds it, and records who did so in `<key>.lock.broken` (versioning keeps each). */
export async function breakLock(s3: S3Client, loc: S3Location, by: BrokenRecord): Promise<void> {
  await s3.send(
    new PutObjectCommand({
      Bucket: loc.bucket,
      Key: brokenKey(loc),
      Body: JSON.stringify(by),
      ContentType: 'application/json',
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: lockKey(loc) }));
}

/** The last forced release, if any. */
export async function readBroken(s3: S3Client, loc: S3Location): Promise<BrokenRecord | undefined> {
  const got = await getText(s3, loc.bucket, brokenKey(loc));
  try {
    return got && (JSON.parse(got.text) as BrokenRecord);
  } catch {
    return undefined;
  }
}
