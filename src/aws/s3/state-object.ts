import { GetObjectCommand, ListObjectVersionsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../../config/schema.js';
import { DevenvError, stateError } from '../../errors.js';
import type { State } from '../../state/schema.js';
import { parseState, type StateBackend } from '../../state/store.js';
import { hasCode } from '../errors.js';

/** Where a state in S3 lives: `state.s3` of the config. */
export interface S3Location {
  bucket: string;
  key: string;
  region: string;
}

/** The config's `state.s3` with its region filled in, or undefined for a local state. */
export function s3Location(config: Config): S3Location | undefined {
  const s3 = config.state.s3;
  return s3 && { bucket: s3.bucket, key: s3.key, region: s3.region ?? config.region };
}

export const s3Url = (loc: Pick<S3Location, 'bucket' | 'key'>, key = loc.key): string => `s3://${loc.bucket}/${key}`;

/** S3 refuses a conditional write: 412 when the ETag moved on (or the key exists), 409 when two raced. */
export const isConditionFailure = (err: unknown): boolean =>
  hasCode(err, 'PreconditionFailed', 'ConditionalRequestConflict');

export const noSuchBucket = (bucket: string, key: string): DevenvError =>
  stateError(
    `${s3Url({ bucket, key })}: the bucket ${bucket} does not exist`,
    'create it with `devenv state bootstrap`, or fix state.s3.bucket in the config',
  );

/** The text of an object and the version and ETag read with it; `undefined` when there is no such key. */
export async function getText(
  s3: S3Client,
  bucket: string,
  key: string,
): Promise<{ text: string; etag?: string; versionId?: string } | undefined> {
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return { text: (await got.Body?.transformToString('utf8')) ?? '', etag: got.ETag, versionId: got.VersionId };
  } catch (err) {
    if (hasCode(err, 'NoSuchKey', 'NotFound')) return undefined;
    if (hasCode(err, 'NoSuchBucket')) throw noSuchBucket(bucket, key);
    throw err;
  }
}

/**
 * The state as one S3 object. Every write is conditional on what this run last read or wrote:
 * `If-Match` on its ETag, or `If-None-Match: *` when there was none. A write based on a stale read
 * (another run saved in between) is refused by S3 and stops this run, rather than overwrite theirs.
 */
export class S3StateBackend implements StateBackend {
  /** The ETag of the version this run read or wrote last; undefined while the object does not exist. */
  private etag: string | undefined;

  constructor(
    private readonly s3: S3Client,
    readonly location: S3Location,
  ) {}

  get where(): string {
    return s3Url(this.location);
  }

  async read(): Promise<State | undefined> {
    const got = await getText(this.s3, this.location.bucket, this.location.key);
    this.etag = got?.etag;
    if (!got) return undefined;
    try {
      return parseState(got.text, this.where, 'see the fix below');
    } catch (err) {
      throw await this.rollbackError(err as DevenvError, got.versionId);
    }
  }

  async write(text: string): Promise<void> {
    const { bucket, key } = this.location;
    const condition = this.etag ? { IfMatch: this.etag } : { IfNoneMatch: '*' };
    try {
      const put = await this.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: text, ContentType: 'application/json', ...condition }),
      );
      this.etag = put.ETag;
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      throw new DevenvError(
        'locked',
        `${this.where} was changed by another run since this one read it: S3 refused to save over it, so this ` +
          `run's last change is not in it`,
        {
          remedy:
            'run the command again: it reads the newer state first and finds what this run made by its tags ' +
            '(`devenv lock status` shows who else is running)',
        },
      );
    }
  }

  /** A state that does not parse: name the newest earlier version, which versioning keeps, to roll back to. */
  private async rollbackError(err: DevenvError, current: string | undefined): Promise<DevenvError> {
    const { bucket, key } = this.location;
    const listed = await this.s3
      .send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }))
      .catch(() => undefined);
    const earlier = (listed?.Versions ?? [])
      .filter((v) => v.Key === key && v.VersionId !== current && v.VersionId && v.VersionId !== 'null')
      .sort((a, b) => (b.LastModified?.getTime() ?? 0) - (a.LastModified?.getTime() ?? 0))[0];
    const remedy = earlier
      ? `roll back to the version before it, ${earlier.VersionId} (saved ${earlier.LastModified?.toISOString()}): ` +
        `aws s3api copy-object --bucket ${bucket} --key ${key} --copy-source ` +
        `'${bucket}/${key}?versionId=${earlier.VersionId}'`
      : `no earlier version is kept (is versioning on? \`devenv state bootstrap\` turns it on): ` +
        `delete ${this.where} and run \`devenv up\` again; devenv finds its resources by their tags and adopts them`;
    return stateError(`${err.message}${current ? ` (version ${current})` : ''}`, remedy);
  }
}
