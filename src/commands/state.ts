import type { AwsClients, CallHook } from '../aws/clients.js';
import { bootstrapBucket, stateBucketTags } from '../aws/s3/state-bucket.js';
import { S3StateBackend, s3Location, s3Url, type S3Location } from '../aws/s3/state-object.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { configError, stateError } from '../errors.js';
import type { State } from '../state/schema.js';
import { readState, writeAtomic } from '../state/store.js';
import type { Reporter } from '../ui/events.js';
import type { AuditTrail } from './audit-trail.js';
import { callerName, commandClients } from './clients.js';
import { lockS3State } from './state-location.js';

export interface StateCommandOptions {
  configPath: string;
  statePath: string;
  reporter: Reporter;
  signal: AbortSignal;
  env: Record<string, string | undefined>;
  hooks?: CallHook[];
  /** `state push` takes the lock as any run that changes the state: --lock-wait, --lock-message. */
  lockWaitMs?: number;
  lockMessage?: string;
  /** This run's audit record, for the commands that change something: armed once they start to. */
  audit?: AuditTrail;
}

/** The config, its `state.s3` (required: these commands are about it) and an S3 client in the bucket's region. */
async function open(o: StateCommandOptions): Promise<{ config: Config; loc: S3Location; aws: AwsClients }> {
  const config = await loadConfig(o.configPath);
  const loc = s3Location(config);
  if (!loc) {
    throw configError(
      `${o.configPath} names no state.s3: the state is the local file ${o.statePath}`,
      `add "state": { "s3": { "bucket": "…", "key": "${config.project}/devenv.state.json" } } to ${o.configPath}`,
    );
  }
  const aws = commandClients(config.region, o);
  return { config, loc, aws };
}

export async function withS3<T>(
  o: StateCommandOptions,
  fn: (s: { config: Config; loc: S3Location; aws: AwsClients }) => Promise<T>,
): Promise<T> {
  const s = await open(o);
  try {
    return await fn(s);
  } finally {
    s.aws.destroy();
  }
}

/** `devenv state bootstrap`: the bucket with versioning, default encryption, no public access, TLS only and tags. */
export function bootstrap(o: StateCommandOptions): Promise<void> {
  return withS3(o, async ({ config, loc, aws }) => {
    o.audit?.arm({ config, statePath: o.statePath });
    const { created, set } = await bootstrapBucket(
      await aws.s3In(loc.region),
      loc.bucket,
      loc.region,
      stateBucketTags(config),
    );
    const what = set.length > 0 ? `; set ${set.join(', ')}` : '';
    if (created || set.length > 0) {
      const action = created ? 'created' : 'updated';
      o.reporter.emit({ type: 'resource', phase: 'state', action, kind: 'S3 bucket', resourceId: loc.bucket });
    }
    o.reporter.emit({
      type: 'step',
      message: created
        ? `created the state bucket ${loc.bucket} in ${loc.region}${what}`
        : set.length > 0
          ? `the state bucket ${loc.bucket} existed${what}`
          : `the state bucket ${loc.bucket} is as it should be: nothing to change`,
    });
  });
}

const newer = (a: { updatedAt: string }, b: { updatedAt: string }): boolean =>
  Date.parse(a.updatedAt) > Date.parse(b.updatedAt);

/** `devenv state push`: the local state file into S3, unless the one in S3 is newer. */
export function push(o: StateCommandOptions): Promise<void> {
  return withS3(o, async ({ config, loc, aws }) => {
    const local = await readState(o.statePath);
    if (!local) throw stateError(`${o.statePath}: no such state file to push`, 'pass the state file with --state');
    if (local.project !== config.project || local.region !== config.region) {
      throw stateError(
        `${o.statePath} belongs to project "${local.project}" in ${local.region}, but the config says ` +
          `"${config.project}" in ${config.region}`,
        'pass the matching --config, or choose another state file with --state',
      );
    }
    const who = await callerName(aws, o.env);
    const lock = await lockS3State(config, { ...o, who, command: 'state push' });
    o.audit?.arm({ config, statePath: o.statePath, who });
    try {
      await pushLocked(o, loc, local, new S3StateBackend(await aws.s3In(loc.region), loc));
    } finally {
      await lock.release();
    }
  });
}

/** Under the lock: the local state into S3, unless the one there is newer. */
async function pushLocked(o: StateCommandOptions, loc: S3Location, local: State, remote: S3StateBackend) {
  const there = await remote.read();
  if (there && newer(there, local)) {
    throw stateError(
      `${s3Url(loc)} is newer (saved ${there.updatedAt}) than ${o.statePath} (saved ${local.updatedAt}): ` +
        'pushing would lose its changes',
      `run \`devenv state pull\` to get it, or move ${s3Url(loc)} aside first if the local file is the one to keep`,
    );
  }
  await remote.write(`${JSON.stringify(local, null, 2)}\n`);
  o.reporter.emit({ type: 'step', message: `pushed ${o.statePath} to ${s3Url(loc)}` });
}

/** `devenv state pull`: the state in S3 into the local file (0600), unless the local one is newer. */
export function pull(o: StateCommandOptions): Promise<void> {
  return withS3(o, async ({ loc, aws }) => {
    const there = await new S3StateBackend(await aws.s3In(loc.region), loc).read();
    if (!there)
      throw stateError(
        `${s3Url(loc)}: no state there to pull`,
        'check state.s3 in the config, or push a local state first with `devenv state push`',
      );
    const local = await readState(o.statePath);
    if (local && newer(local, there)) {
      throw stateError(
        `${o.statePath} is newer (saved ${local.updatedAt}) than ${s3Url(loc)} (saved ${there.updatedAt}): ` +
          `pulling would lose its changes`,
        `run \`devenv state push\` to put it in S3, or move ${o.statePath} aside first if the one in S3 is the ` +
          `one to keep`,
      );
    }
    await writeAtomic(o.statePath, `${JSON.stringify(there, null, 2)}\n`);
    o.reporter.emit({ type: 'step', message: `pulled ${s3Url(loc)} into ${o.statePath}` });
  });
}
