import {
  StopInstancesCommand, TerminateInstancesCommand, waitUntilInstanceRunning, waitUntilInstanceStopped, waitUntilInstanceTerminated, type Instance,
} from '@aws-sdk/client-ec2';
import { bumpGeneration, planResource, probeResource, removeResource, statusOf } from '../../aws/resource.js';
import { ec2Blueprint } from '../../blueprint/compute.js';
import { pick } from '../../blueprint/types.js';
import { DevenvError } from '../../errors.js';
import type { Change, Context, Row } from '../types.js';
import { desiredAmi, INSTANCE, instanceSpec, stateOf } from './instance.js';
import { detachDataVolume } from './volume.js';
import { sdkWait, WAIT_S } from './waiters.js';

/**
 * How the live host differs from what a new one would be. `required`: the config asks for another
 * type or AMI. `optional`: validate found a newer default image; moving to it is the user's call.
 */
export interface HostDrift {
  required: string[];
  optional: string[];
}

export function hostDrift(ctx: Context, host: Instance): HostDrift {
  const { type, amiId } = ctx.config.instance;
  const drift: HostDrift = { required: [], optional: [] };
  if (host.InstanceType !== type) drift.required.push(`instance type ${host.InstanceType} → ${type}`);
  if (amiId && host.ImageId !== amiId) drift.required.push(`AMI ${host.ImageId} → ${amiId}`);
  const newer = desiredAmi(ctx);
  if (!amiId && newer && host.ImageId !== newer) drift.optional.push(`AMI ${host.ImageId} → ${newer} (newer default image)`);
  return drift;
}

/** Whether this run replaces the host: always needs `--replace-host`; without it, required drift stops the run. */
export function mustReplace(ctx: Context, host: Instance, drift = hostDrift(ctx, host)): boolean {
  if (ctx.options.replaceHost) return drift.required.length + drift.optional.length > 0;
  if (drift.required.length === 0) return false;
  throw new DevenvError('phase', `the host ${host.InstanceId} differs from the config: ${drift.required.join('; ')}`, {
    remedy: 'replacing it stops it, moves the data volume to a new instance and terminates the old one; '
      + 'run `devenv up --replace-host` to do that, or put the old value back in the config',
  });
}

/** The host as it stands (recorded, or found by its tags); `undefined` when there is none. */
export async function currentHost(ctx: Context): Promise<Instance | undefined> {
  return (await probeResource(ctx, instanceSpec(ctx))).resource;
}

/**
 * Replaces the host: stops it (so its OS unmounts the data volume cleanly), detaches the data
 * volume, terminates it, and starts a new generation so the next launch gets a new ClientToken.
 */
export async function replaceHost(ctx: Context, host: Instance, dataVolumeId: string): Promise<void> {
  const id = host.InstanceId!;
  const drift = hostDrift(ctx, host);
  ctx.report.step(`replacing host ${id} (--replace-host): ${[...drift.required, ...drift.optional].join('; ')}`);
  if (stateOf(host) === 'pending') await sdkWait(ctx, `instance ${id} to be running`, WAIT_S.instanceRunning, (w) => waitUntilInstanceRunning(w, { InstanceIds: [id] }));
  if (['pending', 'running'].includes(stateOf(host))) {
    await ctx.aws.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    ctx.report.step(`stopping ${id}`);
  }
  await sdkWait(ctx, `instance ${id} to stop`, WAIT_S.instanceStopped, (w) => waitUntilInstanceStopped(w, { InstanceIds: [id] }));
  await detachDataVolume(ctx, dataVolumeId, id);
  await terminate(ctx, id);
}

async function terminate(ctx: Context, id: string): Promise<void> {
  await ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
  await bumpGeneration(ctx, INSTANCE);
  await sdkWait(ctx, `instance ${id} to terminate`, WAIT_S.instanceTerminated, (w) => waitUntilInstanceTerminated(w, { InstanceIds: [id] }));
}

/**
 * Terminates the host (the recorded one and any other carrying its tags) and waits. The record
 * stays with a new generation (removeResource does that): a launch token reused within 24 h
 * would return the dead instance.
 */
export async function terminateHost(ctx: Context): Promise<void> {
  await removeResource(ctx, instanceSpec(ctx), async (id) => {
    await ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await sdkWait(ctx, `instance ${id} to terminate`, WAIT_S.instanceTerminated, (w) => waitUntilInstanceTerminated(w, { InstanceIds: [id] }));
  });
}

const describeHostLine = (i: Instance) =>
  `${i.InstanceType} ${i.ImageId}; ${i.PublicIpAddress ?? 'no public IP'}${i.PublicDnsName ? ` (${i.PublicDnsName})` : ''}`;

export async function planHost(ctx: Context): Promise<Change> {
  const { resource: host, ...change } = await planResource(ctx, instanceSpec(ctx), pick(ec2Blueprint(ctx.model), INSTANCE).name);
  const { type, rootVolumeGiB } = ctx.config.instance;
  if (!host) {
    return { ...change, detail: `${type} from ${desiredAmi(ctx) ?? 'the AMI validate resolves'}; ${rootVolumeGiB} GiB encrypted gp3 root; IMDSv2 only, hop limit 1` };
  }
  const drift = hostDrift(ctx, host);
  if (drift.required.length > 0 || (ctx.options.replaceHost && drift.optional.length > 0)) {
    const all = [...drift.required, ...drift.optional].join('; ');
    return { ...change, action: 'replace', detail: ctx.options.replaceHost ? `${all}; data volume moves to the new host` : `${all}; up stops unless run with --replace-host` };
  }
  const note = drift.optional.length ? `; ${drift.optional.join('; ')}: \`devenv up --replace-host\` moves to it` : '';
  return { ...change, detail: `${stateOf(host)}, ${describeHostLine(host)}${note}` };
}

export const hostStatus = (ctx: Context): Promise<Row> => statusOf(ctx, instanceSpec(ctx), stateOf, describeHostLine);
