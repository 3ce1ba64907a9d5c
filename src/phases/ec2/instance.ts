import {
  ModifyInstanceMetadataOptionsCommand,
  RunInstancesCommand,
  StartInstancesCommand,
  type _InstanceType,
  type Instance,
  type RunInstancesCommandInput,
  type RunInstancesCommandOutput,
} from '@aws-sdk/client-ec2';
import { Ec2Code, matches } from '../../aws/errors.js';
import { describeById, filter, findByTags, INSTANCES, stateOf } from '../../aws/ec2/collections.js';
import { describeImage } from '../../aws/find/images.js';
import { bumpGeneration, ensureResource, type ResourceSpec } from '../../aws/resource.js';
import { IAM_PROPAGATION, retryWithin } from '../../aws/retry.js';
import { tagSpecifications, tagsFor } from '../../config/tags.js';
import { ec2Blueprint, INSTANCE } from '../../blueprint/compute.js';
import { pick } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import { loadUserDataTemplate, renderUserData } from '../../remote/user-data.js';
import { recordedId } from '../../state/recorded.js';
import type { Context } from '../types.js';
import { describeSleep, sleepOf } from '../schedule/sleep.js';
import { waitForInstance, waitForStatusChecks } from './waiters.js';

/** The host a `--replace-host` run set aside (stopped, retagged) until the new one works. */
export const PREVIOUS = 'instance/previous';
/** States of an instance that is on its way out: the resource rule treats them as gone. */
export const GONE = ['shutting-down', 'terminated'];
const LIVE = ['pending', 'running', 'stopping', 'stopped'];

/** IMDSv2 only, one hop: a container (one hop further) gets no token, so it cannot borrow the host's role. */
export const METADATA_OPTIONS = {
  HttpTokens: 'required',
  HttpPutResponseHopLimit: 1,
  HttpEndpoint: 'enabled',
} as const;

const neverCreates = () => Promise.reject(new Error('planning never creates'));

/** The host (`instance`), or with `logicalId` PREVIOUS the one being replaced. */
export function instanceSpec(
  ctx: Context,
  create: (token: string) => Promise<Instance> = neverCreates,
  logicalId = INSTANCE,
): ResourceSpec<Instance> {
  // Until a replaced host is retagged it still carries `instance`: the id recorded as PREVIOUS is never the host.
  const setAside = logicalId === INSTANCE ? ctx.state.resource(PREVIOUS)?.id : undefined;
  return {
    logicalId,
    kind: pick(ec2Blueprint(ctx.model), INSTANCE).kind,
    describe: async (id) => {
      const i = await describeById(ctx.aws.ec2, INSTANCES, id);
      return i && !GONE.includes(stateOf(i)) ? i : undefined;
    },
    find: async () =>
      (await findByTags(ctx.aws.ec2, INSTANCES, ctx.model, logicalId, [filter('instance-state-name', ...LIVE)])).filter(
        (i) => i.InstanceId !== setAside,
      ),
    create,
    idOf: (i) => i.InstanceId!,
    attrs: instanceAttrs,
  };
}

function instanceAttrs(i: Instance): Record<string, string> {
  return {
    amiId: i.ImageId ?? '',
    instanceType: i.InstanceType ?? '',
    ...(i.Placement?.AvailabilityZone ? { availabilityZone: i.Placement.AvailabilityZone } : {}),
    ...(i.PublicIpAddress ? { publicIp: i.PublicIpAddress } : {}),
    ...(i.PublicDnsName ? { publicDns: i.PublicDnsName } : {}),
  };
}

/** The AMI a new host boots: the config's, else the one validate resolved (newest Ubuntu 22.04). */
export function desiredAmi(ctx: Context): string | undefined {
  const fromValidate = ctx.state.phase('validate')?.outputs?.amiId;
  return ctx.config.instance.amiId ?? (typeof fromValidate === 'string' && fromValidate ? fromValidate : undefined);
}

async function launchInput(ctx: Context, token: string, amiId: string): Promise<RunInstancesCommandInput> {
  const { instance } = ctx.config;
  const profile = recordedId(ctx, 'iam/profile', 'iam');
  const image = await describeImage(ctx.aws.ec2, amiId);
  if (!image)
    throw new DevenvError(
      'config',
      `AMI ${amiId} does not exist in ${ctx.model.region} or is not visible to this account`,
      {
        remedy:
          'set instance.amiId to an AMI of this region, or run `devenv phase validate` to pick the newest Ubuntu 22.04',
      },
    );
  return {
    ClientToken: token,
    ImageId: amiId,
    InstanceType: instance.type as _InstanceType,
    MinCount: 1,
    MaxCount: 1,
    KeyName: ctx.model.keyName,
    SubnetId: recordedId(ctx, 'subnet/a', 'vpc'),
    SecurityGroupIds: [recordedId(ctx, 'sg/host', 'sg')],
    IamInstanceProfile: profile.startsWith('arn:') ? { Arn: profile } : { Name: profile },
    MetadataOptions: METADATA_OPTIONS,
    BlockDeviceMappings: [
      {
        // The root device's name comes from the image: a mapping under any other name would add a second, unencrypted
        // disk.
        DeviceName: image.RootDeviceName ?? '/dev/sda1',
        Ebs: { VolumeSize: instance.rootVolumeGiB, VolumeType: 'gp3', Encrypted: true, DeleteOnTermination: true },
      },
    ],
    UserData: Buffer.from(renderUserData(await loadUserDataTemplate(), ctx.model)).toString('base64'),
    TagSpecifications: [
      ...tagSpecifications('instance', tagsFor(ctx.model, INSTANCE)),
      ...tagSpecifications('volume', tagsFor(ctx.model, 'volume/root')),
    ],
  };
}

/**
 * RunInstances refuses a profile IAM has just made ([tf-ec2]: "Invalid IAM Instance Profile", "has no associated IAM
 * Roles").
 */
export const isProfileNotYetUsable = (err: unknown): boolean =>
  matches(err, Ec2Code.invalidParameterValue, 'Invalid IAM Instance Profile') ||
  matches(err, Ec2Code.invalidParameterValue, 'has no associated IAM Roles');

/** A ClientToken used within 24 h of its instance's termination returns that dead instance [ec2-runidem]. */
class StaleTokenError extends Error {}

async function launch(ctx: Context, token: string, savedAmi: string | undefined): Promise<Instance> {
  const amiId = savedAmi || desiredAmi(ctx);
  if (!amiId)
    throw new DevenvError('phase', 'ec2: no AMI to launch: the config names none and validate has not resolved one', {
      remedy: 'run `devenv phase validate` first, or set instance.amiId',
    });
  // Saved before the call: a rerun must send the same parameters with this token, or AWS answers
  // IdempotentParameterMismatch.
  const record = ctx.state.resource(INSTANCE)!;
  await ctx.state.setResource(INSTANCE, { ...record, attrs: { ...record.attrs, amiId } });
  const input = await launchInput(ctx, token, amiId);
  let out: RunInstancesCommandOutput;
  try {
    out = await retryWithin(
      IAM_PROPAGATION,
      isProfileNotYetUsable,
      () => ctx.aws.ec2.send(new RunInstancesCommand(input)),
      {
        clock: ctx.clock,
        signal: ctx.signal,
        onRetry: (message) => ctx.report.progress(`launching the host: instance profile not usable yet, ${message}`),
      },
    );
  } catch (err) {
    if (!isProfileNotYetUsable(err)) throw err;
    throw new DevenvError(
      'aws',
      'EC2 does not accept instance profile ' +
        `${input.IamInstanceProfile?.Arn ?? input.IamInstanceProfile?.Name}: ${messageOf(err)}`,
      {
        remedy:
          'check that the profile exists and holds the host role (`devenv phase iam`), then run ' +
          '`devenv up` again: the launch resumes with the same token',
        cause: err,
      },
    );
  }
  const instance = out.Instances?.[0];
  if (!instance?.InstanceId) throw new DevenvError('aws', 'RunInstances returned no instance');
  if (GONE.includes(stateOf(instance)))
    throw new StaleTokenError(
      `launch token of generation ${record.generation ?? 0} belongs to ${instance.InstanceId}, now ` +
        `${stateOf(instance)}`,
    );
  return instance;
}

/** `ensureResource` for the host; a dead token or one AWS says was used differently gets a new generation. */
async function ensureInstance(ctx: Context): Promise<Instance> {
  for (let attempt = 0; ; attempt++) {
    const record = ctx.state.resource(INSTANCE);
    // A launch in flight (token saved, no id yet) must resume with the AMI it saved; a vanished host is replaced by a
    // current one.
    const saved = record && !record.id && typeof record.attrs?.amiId === 'string' ? record.attrs.amiId : undefined;
    try {
      const spec = instanceSpec(ctx, (token) => launch(ctx, token, saved));
      return (await ensureResource(ctx, spec)).resource;
    } catch (err) {
      // Any live instance with the old token carries our tags, so the find just before would have kept it.
      const retryable = err instanceof StaleTokenError || matches(err, Ec2Code.idempotentParameterMismatch);
      if (!retryable || attempt >= 3) throw err;
      ctx.report.warn(`${messageOf(err)}; launching with a new token`);
      await bumpGeneration(ctx, INSTANCE);
    }
  }
}

/**
 * Ensures the host: kept, adopted or launched; started when stopped; then waits until it runs and
 * passes its status checks, records its address, and puts IMDS back to v2-only if it drifted.
 */
export async function ensureHost(ctx: Context): Promise<Instance> {
  let host = await ensureInstance(ctx);
  const id = host.InstanceId!;
  if (stateOf(host) === 'stopping') await waitForInstance(ctx, id, 'stopped');
  if (['stopping', 'stopped'].includes(stateOf(host))) {
    await ctx.aws.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
    const sleep = sleepOf(ctx, host, ctx.clock.now(), undefined);
    ctx.report.step(`woke the host first: started instance ${id} (it was ${describeSleep(sleep)})`);
  }
  if (stateOf(host) !== 'running') {
    await waitForInstance(ctx, id, 'running');
    host = (await describeById(ctx.aws.ec2, INSTANCES, id)) ?? host; // the public address exists only once it runs
  }
  await waitForStatusChecks(ctx, id);
  await recordAttrs(ctx, host);
  await enforceMetadataOptions(ctx, host);
  return host;
}

async function recordAttrs(ctx: Context, host: Instance): Promise<void> {
  const record = ctx.state.resource(INSTANCE);
  const attrs = instanceAttrs(host);
  if (record && JSON.stringify(record.attrs) !== JSON.stringify(attrs))
    await ctx.state.setResource(INSTANCE, { ...record, attrs });
}

async function enforceMetadataOptions(ctx: Context, host: Instance): Promise<void> {
  const m = host.MetadataOptions;
  if (!m) return;
  if (
    m.HttpTokens === METADATA_OPTIONS.HttpTokens &&
    m.HttpPutResponseHopLimit === METADATA_OPTIONS.HttpPutResponseHopLimit &&
    m.HttpEndpoint === METADATA_OPTIONS.HttpEndpoint
  )
    return;
  await ctx.aws.ec2.send(
    new ModifyInstanceMetadataOptionsCommand({ InstanceId: host.InstanceId, ...METADATA_OPTIONS }),
  );
  ctx.report.warn(
    `instance ${host.InstanceId} allowed IMDS tokens ${m.HttpTokens}, hop limit ` +
      `${m.HttpPutResponseHopLimit}: set back to required, 1, so containers cannot use the host's role`,
  );
}
