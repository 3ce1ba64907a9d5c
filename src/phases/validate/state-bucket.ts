import { messageOf } from '../../errors.js';
import type { Context } from '../types.js';
import { pass, type ValidationResult } from './result.js';

/**
 * The S3 bucket holding the state has what `devenv state bootstrap` sets. Only ever a warning: the
 * state in it was read already, and the bucket is the admins' to configure.
 */
export async function checkStateBucket(ctx: Context): Promise<ValidationResult> {
  // Only a config with state.s3 loads the S3 client.
  const { missingBucketSettings, stateBucketTags } = await import('../../aws/s3/state-bucket.js');
  const { s3Location } = await import('../../aws/s3/state-object.js');
  const loc = s3Location(ctx.config)!;
  let missing: Awaited<ReturnType<typeof missingBucketSettings>>;
  try {
    missing = await missingBucketSettings(await ctx.aws.s3In(loc.region), loc.bucket, stateBucketTags(ctx.config));
  } catch (err) {
    return pass('state bucket', `state bucket ${loc.bucket}`, {
      warnings: [`could not read the settings of the state bucket ${loc.bucket} (${messageOf(err)})`],
    });
  }
  if (missing === undefined) {
    return pass('state bucket', `state bucket ${loc.bucket}`, {
      warnings: [`the state bucket ${loc.bucket} does not exist: run \`devenv state bootstrap\``],
    });
  }
  const warnings =
    missing.length > 0
      ? [`the state bucket ${loc.bucket} lacks ${missing.join(', ')}: run \`devenv state bootstrap\` to set them`]
      : [];
  return pass('state bucket', `state bucket ${loc.bucket}: versioned, encrypted, private, TLS only, tagged`, {
    id: loc.bucket,
    warnings,
  });
}
