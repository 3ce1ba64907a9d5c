import { StopInstancesCommand, TerminateInstancesCommand, type Instance } from '@aws-sdk/client-ec2';
import { stateOf } from '../../aws/ec2/collections.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { bumpGeneration, inspectResource, probeResource, removeResource, rowOf } from '../../aws/resource.js';
import { retag } from '../../aws/ec2/resource.js';
import { ec2Blueprint, INSTANCE } from '../../blueprint/compute.js';
import { pick } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import type { Change, Context, Inspection } from '../types.js';
import { desiredAmi, ensureHost, instanceSpec, PREVIOUS } from './instance.js';
import { attachDataVolume, detachDataVolume } from './volume.js';
import { waitForInstance } from './waiters.js';

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
  if (!amiId && newer && host.ImageId !== newer)
    drift.optional.push(`AMI ${host.ImageId} → ${newer} (newer default image)`);
  return drift;
}

/** Whether this run replaces the host: always needs `--replace-host`; without it, required drift stops the run. */
export function mustReplace(ctx: Context, host: Instance, drift = hostDrift(ctx, host)): boolean {
  if (ctx.options.replaceHost) return drift.required.length + drift.optional.length > 0;
  if (drift.required.length === 0) return false;
  throw new DevenvError('phase', `the host ${host.InstanceId} differs from the config: ${drift.required.join('; ')}`, {
    remedy:
      'replacing it stops it, moves the data volume to a new instance and terminates the old one ' +
      'once the new one works; ' +
      'run `devenv up --replace-host` to do that, or put the old value back in the config',
  });
}

/** The host as it stands (recorded, or found by its tags); `undefined` when there is none. */
export async function currentHost(ctx: Context): Promise<Instance | undefined> {
  return (await probeResource(ctx, instanceSpec(ctx))).resource;
}

const previousSpec = (ctx: Context) => instanceSpec(ctx, undefined, PREVIOUS);

/**
 * The old host of a replacement a killed run left unfinished (recorded as `instance/previous`, or
 * found by that tag when the state is lost); a record whose instance is gone is forgotten.
 */
export async function hostBeingReplaced(ctx: Context): Promise<Instance | undefined> {
  const { resource } = await probeResource(ctx, previousSpec(ctx));
  if (!resource && ctx.state.resource(PREVIOUS)) await ctx.state.forget(PREVIOUS);
  return resource;
}

/**
 * Replaces the host and keeps the old one until the new one works: the old host is set aside
 * (recorded as `instance/previous`, retagged) and stopped, the data volume moves to a new host
 * launched with a new token, and only once that host runs, holds the volume and passes its status
 * checks is the old one terminated. If the new host fails, the old one serves again
 * (`rollBack`). Every step is checked before it is done, so a rerun after a crash resumes here.
 */
export async function replaceHost(ctx: Context, old: Instance, volumeId: string): Promise<void> {
  const drift = hostDrift(ctx, old);
  ctx.report.step(
    `replacing host ${old.InstanceId} (--replace-host): ${[...drift.required, ...drift.optional].join('; ')}`,
  );
  await finishReplacement(ctx, old, volumeId);
}

/** Carries on a replacement from wherever it stands; `old` is the host recorded as PREVIOUS. */
export async function finishReplacement(ctx: Context, old: Instance, volumeId: string): Promise<void> {
  const oldId = old.InstanceId!;
  // Set aside, the old host is no longer `instance`; only a roll-back makes it that again while it is still PREVIOUS.
  if (ctx.state.resource(PREVIOUS)?.id === oldId && ctx.state.resource(INSTANCE)?.id === oldId)
    return finishRollBack(ctx, old, volumeId);
  await setAside(ctx, old);
  await stop(ctx, old);
  await detachDataVolume(ctx, volumeId, oldId);
  let host: Instance;
  try {
    host = await ensureHost(ctx);
    await attachDataVolume(ctx, volumeId, host);
  } catch (err) {
    if (ctx.signal.aborted) throw err; // interrupted: the rerun resumes the replacement
    return rollBack(ctx, old, volumeId, err);
  }
  await ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [oldId] }));
  await waitForInstance(ctx, oldId, 'terminated');
  await ctx.state.forget(PREVIOUS);
  ctx.report.step(
    `replaced host ${oldId} by ${host.InstanceId}, which now holds data volume ${volumeId}; terminated ${oldId}`,
  );
}

/**
 * Records the old host as PREVIOUS, starts a new generation of `instance` (a new launch token), and
 * retags the old host. The two state writes come with no AWS call between them, so a crash leaves both or neither.
 */
async function setAside(ctx: Context, old: Instance): Promise<void> {
  const id = old.InstanceId!;
  if (ctx.state.resource(PREVIOUS)?.id !== id)
    await ctx.state.setResource(PREVIOUS, { kind: instanceSpec(ctx).kind, phase: ctx.phase, id });
  if (ctx.state.resource(INSTANCE)?.id === id) await bumpGeneration(ctx, INSTANCE);
  await retag(ctx, old.InstanceId!, old.Tags, PREVIOUS);
}

/** Stops a host (so its OS lets go of the data volume cleanly) and waits until it is stopped. */
async function stop(ctx: Context, host: Instance): Promise<void> {
  const id = host.InstanceId!;
  if (stateOf(host) === 'pending') await waitForInstance(ctx, id, 'running'); // a pending instance cannot be stopped
  if (['pending', 'running'].includes(stateOf(host))) {
    await ctx.aws.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
    ctx.report.step(`stopping ${id}`);
  }
  await waitForInstance(ctx, id, 'stopped');
}

/**
 * The new host did not come up: terminates it if it was launched, makes the old host `instance`
 * again (with a new generation, so the next try gets a new token), starts it with the data volume
 * and stops the run saying so.
 */
async function rollBack(ctx: Context, old: Instance, volumeId: string, cause: unknown): Promise<never> {
  const oldId = old.InstanceId!;
  ctx.report.warn(
    `the new host did not come up (${messageOf(cause)}); putting data volume ${volumeId} back on ${oldId}`,
  );
  try {
    const failed = ctx.state.resource(INSTANCE);
    if (failed?.id)
      await ignoring(isNotFound, () => ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [failed.id!] })));
    await ctx.state.setResource(INSTANCE, {
      kind: instanceSpec(ctx).kind,
      phase: ctx.phase,
      id: oldId,
      generation: (failed?.generation ?? 0) + 1,
    });
    await finishRollBack(ctx, old, volumeId);
  } catch (err) {
    if (ctx.signal.aborted) throw err;
    throw new DevenvError(
      'aws',
      `the new host did not come up (${messageOf(cause)}), and putting the old host ${oldId} back ` +
        `failed too: ${messageOf(err)}`,
      {
        remedy: 'run the same command again: it resumes putting the old host back',
        cause: err,
      },
    );
  }
  throw new DevenvError(
    'aws',
    `could not replace the host: ${messageOf(cause)}; the old host ${oldId} is serving again, with ` +
      `data volume ${volumeId}`,
    {
      remedy:
        'nothing was lost; try `devenv up --replace-host` again later, or another instance type or ' +
        'AMI (InsufficientInstanceCapacity: another size or zone; VcpuLimitExceeded: ask for a ' +
        'higher vCPU quota)',
      cause,
    },
  );
}

/** The old host is `instance` again: tagged so, no longer set aside, started and holding the data volume. */
async function finishRollBack(ctx: Context, old: Instance, volumeId: string): Promise<void> {
  await retag(ctx, old.InstanceId!, old.Tags, INSTANCE);
  await ctx.state.forget(PREVIOUS);
  const host = await ensureHost(ctx);
  await attachDataVolume(ctx, volumeId, host);
  ctx.report.step(`host ${old.InstanceId} is running again with data volume ${volumeId}`);
}

/**
 * Terminates the host (the recorded one and any other carrying its tags) and a host set aside
 * by an unfinished replacement, and waits. The record stays with a new generation
 * (removeResource does that): a launch token reused within 24 h would return the dead instance.
 */
export async function terminateHost(ctx: Context): Promise<void> {
  const terminate = async (id: string) => {
    await ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    await waitForInstance(ctx, id, 'terminated');
  };
  await removeResource(ctx, instanceSpec(ctx), terminate);
  await removeResource(ctx, previousSpec(ctx), terminate);
  await ctx.state.forget(PREVIOUS);
}

const describeHostLine = (i: Instance) =>
  `${i.InstanceType} ${i.ImageId}; ${i.PublicIpAddress ?? 'no public IP'}` +
  `${i.PublicDnsName ? ` (${i.PublicDnsName})` : ''}`;

/** The host's plan line and status row, from one read; a host that is not running is unhealthy. */
export async function inspectHost(ctx: Context): Promise<Inspection> {
  const probed = await inspectResource(ctx, instanceSpec(ctx), pick(ec2Blueprint(ctx.model), INSTANCE).name);
  const row = rowOf(probed, stateOf, describeHostLine);
  if (probed.resource && stateOf(probed.resource) !== 'running')
    row.problem = {
      verdict: 'unhealthy',
      message: `ec2 host ${probed.id} is ${stateOf(probed.resource)} (up starts it)`,
    };
  return { changes: [hostChange(ctx, probed)], rows: [row] };
}

function hostChange(ctx: Context, probed: Change & { resource?: Instance }): Change {
  const { resource: host, ...change } = probed;
  const { type, rootVolumeGiB } = ctx.config.instance;
  if (!host) {
    return {
      ...change,
      detail:
        `${type} from ${desiredAmi(ctx) ?? 'the AMI validate resolves'}; ${rootVolumeGiB} GiB ` +
        'encrypted gp3 root; IMDSv2 only, hop limit 1',
    };
  }
  const drift = hostDrift(ctx, host);
  if (drift.required.length > 0 || (ctx.options.replaceHost && drift.optional.length > 0)) {
    const all = [...drift.required, ...drift.optional].join('; ');
    return {
      ...change,
      action: 'replace',
      detail: ctx.options.replaceHost
        ? `${all}; data volume moves to the new host`
        : `${all}; up stops unless run with --replace-host`,
    };
  }
  const note = drift.optional.length ? `; ${drift.optional.join('; ')}: \`devenv up --replace-host\` moves to it` : '';
  return { ...change, detail: `${stateOf(host)}, ${describeHostLine(host)}${note}` };
}
