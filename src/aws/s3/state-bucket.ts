import {
  CreateBucketCommand,
  GetBucketEncryptionCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  PutBucketEncryptionCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutPublicAccessBlockCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { hasCode } from '../errors.js';
import { buildModel } from '../../config/model.js';
import type { Config } from '../../config/schema.js';
import { tagList, tagsFor, type Tags } from '../../config/tags.js';

/** What a state bucket must have: each is checked by `validate` and set by `devenv state bootstrap`. */
export const BUCKET_SETTINGS = [
  'versioning',
  'default encryption',
  'public access block',
  'TLS-only policy',
  'tags',
] as const;
export type BucketSetting = (typeof BUCKET_SETTINGS)[number];

/** The logical id the state bucket's tags carry; it is not in the state (it holds the state). */
export const STATE_BUCKET = 'state-bucket';

export const stateBucketTags = (config: Config): Tags => tagsFor(buildModel(config), STATE_BUCKET);

const TLS_ONLY_SID = 'DevenvDenyInsecureTransport';

/** Each read answers NoSuch… when the setting was never made: that is "missing", not a failure. */
const unlessMissing = <T>(call: Promise<T>, ...codes: string[]): Promise<T | undefined> =>
  call.catch((err: unknown) => {
    if (hasCode(err, ...codes)) return undefined;
    throw err;
  });

interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Condition?: { Bool?: Record<string, unknown> };
}

const isTlsOnly = (s: PolicyStatement): boolean =>
  s.Effect === 'Deny' && String(s.Condition?.Bool?.['aws:SecureTransport']) === 'false';

const tlsOnlyStatement = (bucket: string) => ({
  Sid: TLS_ONLY_SID,
  Effect: 'Deny',
  Principal: '*',
  Action: 's3:*',
  Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`],
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** What the bucket has now, as read from S3; `undefined` when there is no such bucket. */
interface BucketNow {
  versioning: boolean;
  encryption: boolean;
  publicAccessBlock: boolean;
  policy?: { Version?: string; Statement?: PolicyStatement[] };
  tags: { Key?: string; Value?: string }[];
}

async function readBucket(s3: S3Client, bucket: string): Promise<BucketNow | undefined> {
  const exists = await unlessMissing(s3.send(new HeadBucketCommand({ Bucket: bucket })), 'NotFound', 'NoSuchBucket');
  if (!exists) return undefined;
  const [versioning, encryption, block, policy, tagging] = await Promise.all([
    s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
    unlessMissing(
      s3.send(new GetBucketEncryptionCommand({ Bucket: bucket })),
      'ServerSideEncryptionConfigurationNotFoundError',
    ),
    unlessMissing(s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })), 'NoSuchPublicAccessBlockConfiguration'),
    unlessMissing(s3.send(new GetBucketPolicyCommand({ Bucket: bucket })), 'NoSuchBucketPolicy'),
    unlessMissing(s3.send(new GetBucketTaggingCommand({ Bucket: bucket })), 'NoSuchTagSet', 'NoSuchTagSetError'),
  ]);
  const b = block?.PublicAccessBlockConfiguration;
  return {
    versioning: versioning.Status === 'Enabled',
    encryption: (encryption?.ServerSideEncryptionConfiguration?.Rules ?? []).some(
      (r) => r.ApplyServerSideEncryptionByDefault?.SSEAlgorithm,
    ),
    publicAccessBlock: Boolean(
      b?.BlockPublicAcls && b.IgnorePublicAcls && b.BlockPublicPolicy && b.RestrictPublicBuckets,
    ),
    policy: policy?.Policy ? (JSON.parse(policy.Policy) as BucketNow['policy']) : undefined,
    tags: tagging?.TagSet ?? [],
  };
}

function missingOf(now: BucketNow, tags: Tags): BucketSetting[] {
  const has: Record<BucketSetting, boolean> = {
    versioning: now.versioning,
    'default encryption': now.encryption,
    'public access block': now.publicAccessBlock,
    'TLS-only policy': (now.policy?.Statement ?? []).some(isTlsOnly),
    tags: Object.entries(tags).every(([k, v]) => now.tags.some((t) => t.Key === k && t.Value === v)),
  };
  return BUCKET_SETTINGS.filter((s) => !has[s]);
}

/** The settings an existing state bucket lacks; `undefined` when the bucket does not exist. */
export async function missingBucketSettings(
  s3: S3Client,
  bucket: string,
  tags: Tags,
): Promise<BucketSetting[] | undefined> {
  const now = await readBucket(s3, bucket);
  return now && missingOf(now, tags);
}

/**
 * Creates the state bucket, or completes an existing one: only what is missing is set, so a second
 * run makes no change. An existing policy and existing tags are kept, ours added to them.
 */
export async function bootstrapBucket(
  s3: S3Client,
  bucket: string,
  region: string,
  tags: Tags,
): Promise<{ created: boolean; set: BucketSetting[] }> {
  let now = await readBucket(s3, bucket);
  const created = !now;
  if (!now) {
    // Tagged in the create call. us-east-1 takes no LocationConstraint (and refuses one).
    const where = region === 'us-east-1' ? {} : { LocationConstraint: region as BucketLocationConstraint };
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        ObjectOwnership: 'BucketOwnerEnforced',
        CreateBucketConfiguration: { ...where, Tags: tagList(tags) },
      }),
    );
    // Read back: what S3 sets by itself (encryption since 2023, the public access block) is not set twice.
    now = (await readBucket(s3, bucket)) ?? {
      versioning: false,
      encryption: false,
      publicAccessBlock: false,
      tags: [],
    };
  }
  const set = missingOf(now, tags);
  const apply: Record<BucketSetting, () => Promise<unknown>> = {
    versioning: () =>
      s3.send(new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } })),
    'default encryption': () =>
      s3.send(
        new PutBucketEncryptionCommand({
          Bucket: bucket,
          ServerSideEncryptionConfiguration: {
            Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' }, BucketKeyEnabled: true }],
          },
        }),
      ),
    'public access block': () =>
      s3.send(
        new PutPublicAccessBlockCommand({
          Bucket: bucket,
          PublicAccessBlockConfiguration: {
            BlockPublicAcls: true,
            IgnorePublicAcls: true,
            BlockPublicPolicy: true,
            RestrictPublicBuckets: true,
          },
        }),
      ),
    'TLS-only policy': () => {
      const statements = (now.policy?.Statement ?? []).filter((s) => s.Sid !== TLS_ONLY_SID);
      const policy = {
        Version: now.policy?.Version ?? '2012-10-17',
        Statement: [...statements, tlsOnlyStatement(bucket)],
      };
      return s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
    },
    tags: () => {
      const kept = now.tags.filter((t) => t.Key !== undefined && !(t.Key in tags));
      return s3.send(
        new PutBucketTaggingCommand({
          Bucket: bucket,
          Tagging: { TagSet: [...kept, ...tagList(tags)] as { Key: string; Value: string }[] },
        }),
      );
    },
  };
  // One after another: S3 answers OperationAborted to concurrent changes of one bucket's configuration.
  for (const s of set) await apply[s]();
  return { created, set };
}
