import {
  AttachVolumeCommand,
  CreateSnapshotCommand,
  CreateVolumeCommand,
  DeleteVolumeCommand,
  DescribeSnapshotsCommand,
  DetachVolumeCommand,
  waitUntilSnapshotCompleted,
  waitUntilVolumeAvailable,
  type Instance,
  type Snapshot,
  type Volume,
} from '@aws-sdk/client-ec2';
import { describeById, filter, findByTags, INSTANCES, SNAPSHOTS, stateOf, VOLUMES } from '../../aws/ec2/collections.js';
import {
  createOrFind,
  ensureResource,
  inspectResource,
  probeResource,
  removeResource,
  rowOf,
  type ResourceSpec,
} from '../../aws/resource.js';
import { tagFilters, tagSpecifications, tagsFor } from '../../config/tags.js';
import { sdkWait, waitFor, waitOptions } from '../../aws/wait.js';
import { ec2Blueprint } from '../../blueprint/compute.js';
import { pick } from '../../blueprint/types.js';
import { DevenvError } from '../../errors.js';
import type { Context, Inspection } from '../types.js';
import { GONE } from './instance.js';
import { dataVolumeAttrs } from './provenance.js';
import { WAIT_S } from './waiters.js';

/** The data volume's device name on the host (an NVMe device on Nitro; the storage phase finds it by serial). */
export const DATA_DEVICE = '/dev/sdf';

export const DATA_VOLUME = 'volume/data';
export const FINAL_SNAPSHOT = 'snapshot/data-final';
export const LIVE_STATES = ['creating', 'available', 'in-use', 'error'];

export const plannedDataVolume = (ctx: Pick<Context, 'model'>) => pick(ec2Blueprint(ctx.model), DATA_VOLUME);
const planned = plannedDataVolume;

export function volumeSpec(ctx: Context): ResourceSpec<Volume> {
  const p = planned(ctx);
  const { instance } = ctx.config;
  return {
    logicalId: DATA_VOLUME,
    kind: p.kind,
    describe: async (id) => {
      const v = await describeById(ctx.aws.ec2, VOLUMES, id);
      return v && LIVE_STATES.includes(v.State ?? '') ? v : undefined;
    },
    find: () => findByTags(ctx.aws.ec2, VOLUMES, ctx.model, DATA_VOLUME, [filter('status', ...LIVE_STATES)]),
    create: async (token) => {
      const out = await ctx.aws.ec2.send(
        new CreateVolumeCommand({
          AvailabilityZone: ctx.model.hostAz,
          Size: instance.dataVolumeGiB,
          VolumeType: 'gp3',
          Encrypted: true,
          ClientToken: token,
          TagSpecifications: tagSpecifications('volume', p.tags),
        }),
      );
      return out as Volume;
    },
    idOf: (v) => v.VolumeId!,
    attrs: (v) =>
      dataVolumeAttrs(v, ctx.state.resource(DATA_VOLUME), {
        availabilityZone: ctx.model.hostAz,
        sizeGiB: instance.dataVolumeGiB,
      }),
    onVanished: (id) => (ctx.options.newDataVolume ? Promise.resolve() : refuseEmptyVolume(ctx, id)),
  };
}

/** The newest snapshot of a volume (devenv's final one, AWS Backup's, anyone's in this account), if there is one. */
async function newestSnapshotOf(ctx: Context, volumeId: string): Promise<Snapshot | undefined> {
  const snapshots = await SNAPSHOTS.list(ctx.aws.ec2, { filters: [filter('volume-id', volumeId)] });
  return snapshots
    .filter((s) => s.State !== 'error')
    .sort((a, b) => (b.StartTime?.getTime() ?? 0) - (a.StartTime?.getTime() ?? 0))[0];
}

/** The recorded data volume is gone: `storage` would format an empty one, so stop and say how to go on. */
async function refuseEmptyVolume(ctx: Context, volumeId: string): Promise<never> {
  const snapshot = await newestSnapshotOf(ctx, volumeId);
  const az = ctx.model.hostAz;
  const restore = snapshot
    ? `to restore it: aws ec2 create-volume --snapshot-id ${snapshot.SnapshotId} --availability-zone ` +
      `${az} --volume-type gp3 --encrypted, then \`devenv up --adopt-data-volume <the new vol-id>\``
    : 'to use a volume restored from a backup: `devenv up --adopt-data-volume <vol-id>`';
  throw new DevenvError(
    'phase',
    `data volume ${volumeId} recorded in the state no longer exists (deleted, being deleted, or not ` +
      'visible yet) and no other volume carries its tags; ' +
      'devenv does not put an empty volume in its place. ' +
      (snapshot
        ? `Its newest snapshot: ${snapshot.SnapshotId} ` +
          `(${snapshot.State}${snapshot.StartTime ? `, ${snapshot.StartTime.toISOString()}` : ''})`
        : 'No snapshot of it was found'),
    {
      remedy:
        `if it was created moments ago, run again in a minute; ${restore}; to start with an empty data ` +
        `volume: \`devenv up --new-data-volume\``,
    },
  );
}

const waitAvailable = (ctx: Context, volumeId: string, why = '') =>
  sdkWait(ctx, ctx.aws.ec2, `data volume ${volumeId} to be available${why}`, WAIT_S.volumeAvailable, (w) =>
    waitUntilVolumeAvailable(w, { VolumeIds: [volumeId] }),
  );

/**
 * Ensures the encrypted gp3 data volume in the host's zone, and waits until it can be attached.
 * A volume this call created is recorded as `created-empty`, the one origin on which storage may
 * make a filesystem; killed before that second write, the record says `found` and storage never formats it.
 */
export async function ensureDataVolume(ctx: Context): Promise<Volume> {
  const { resource: volume, outcome } = await ensureResource(ctx, volumeSpec(ctx));
  if (outcome === 'created') {
    const record = ctx.state.resource(DATA_VOLUME)!;
    const attrs = dataVolumeAttrs(
      volume,
      record,
      { availabilityZone: ctx.model.hostAz, sizeGiB: ctx.config.instance.dataVolumeGiB },
      'created-empty',
    );
    await ctx.state.setResource(DATA_VOLUME, { ...record, attrs });
  }
  if (volume.AvailabilityZone && volume.AvailabilityZone !== ctx.model.hostAz) {
    throw new DevenvError(
      'config',
      `data volume ${volume.VolumeId} is in ${volume.AvailabilityZone}, but the host's zone is ` +
        `${ctx.model.hostAz}: an EBS volume attaches only in its own zone`,
      {
        remedy:
          `set availabilityZone back to ${volume.AvailabilityZone}, or move the data (snapshot, then a ` +
          `volume from it in ${ctx.model.hostAz})`,
      },
    );
  }
  if (volume.State === 'creating') await waitAvailable(ctx, volume.VolumeId!);
  return volume;
}

const attachmentTo = (v: Volume | undefined, instanceId: string) =>
  v?.Attachments?.find((a) => a.InstanceId === instanceId);

/** Storage saw this filesystem on the data volume: from now on it is never formatted, whatever a probe says. */
export async function recordDataFilesystem(ctx: Pick<Context, 'state'>, volumeId: string, uuid: string): Promise<void> {
  const record = ctx.state.resource(DATA_VOLUME);
  if (record?.id !== volumeId || record.attrs?.filesystemUuid === uuid) return;
  await ctx.state.setResource(DATA_VOLUME, { ...record, attrs: { ...record.attrs, filesystemUuid: uuid } });
}

/**
 * Attaches the data volume to the host at /dev/sdf unless it already is, and waits until the attachment is `attached`.
 */
export async function attachDataVolume(ctx: Context, volumeId: string, host: Instance): Promise<void> {
  const instanceId = host.InstanceId!;
  const volume = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
  if (attachmentTo(volume, instanceId)?.State === 'attached') return;
  const other = volume?.Attachments?.find((a) => a.InstanceId !== instanceId && a.State !== 'detached');
  if (other) {
    const holder = await describeById(ctx.aws.ec2, INSTANCES, other.InstanceId!);
    // A terminating instance lets go of its volumes a little after it is gone.
    if (holder && !GONE.includes(stateOf(holder))) {
      throw new DevenvError(
        'phase',
        `data volume ${volumeId} is attached to ${other.InstanceId} (${stateOf(holder)}), not to the ` +
          `host ${instanceId}`,
        {
          remedy:
            `detach it (aws ec2 detach-volume --volume-id ${volumeId}) after stopping what uses it, ` +
            'then run again',
        },
      );
    }
    await waitAvailable(ctx, volumeId, ` (released by ${other.InstanceId}, ${holder ? stateOf(holder) : 'gone'})`);
  }
  const hostAz = host.Placement?.AvailabilityZone;
  if (hostAz && volume?.AvailabilityZone && hostAz !== volume.AvailabilityZone) {
    throw new DevenvError(
      'config',
      `the host ${instanceId} is in ${hostAz}, but data volume ${volumeId} is in ${volume.AvailabilityZone}`,
      {
        remedy: "subnet/a must be in the host's availabilityZone: check the vpc phase and the config",
      },
    );
  }
  if (!attachmentTo(volume, instanceId)) {
    await ctx.aws.ec2.send(
      new AttachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId, Device: DATA_DEVICE }),
    );
    ctx.report.step(`attached data volume ${volumeId} to ${instanceId} at ${DATA_DEVICE}`);
  }
  // VolumeInUse only looks at the volume's state; the attachment itself can still be `attaching`.
  await waitFor(
    async () => {
      const v = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
      const state = attachmentTo(v, instanceId)?.State ?? 'no attachment';
      return {
        done: v?.State === 'in-use' && state === 'attached',
        value: undefined,
        seen: `volume ${v?.State ?? 'missing'}, attachment ${state}`,
      };
    },
    {
      what: `data volume ${volumeId} to be attached to ${instanceId}`,
      timeoutMs: WAIT_S.volumeAvailable * 1000,
      intervalMs: 5_000,
      ...waitOptions(ctx),
    },
  );
}

/** Detaches the data volume from `instanceId` (if attached there) and waits until it is available. */
export async function detachDataVolume(ctx: Context, volumeId: string, instanceId: string): Promise<void> {
  const volume = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
  const attachment = attachmentTo(volume, instanceId);
  if (!attachment || attachment.State === 'detached') return;
  if (attachment.State !== 'detaching') {
    await ctx.aws.ec2.send(new DetachVolumeCommand({ VolumeId: volumeId, InstanceId: instanceId }));
    ctx.report.step(`detached data volume ${volumeId} from ${instanceId}`);
  }
  await waitAvailable(ctx, volumeId, ` (detached from ${instanceId})`);
}

/** The final snapshot of a volume: one a killed run already started, or a new one; waits until it is complete. */
async function finalSnapshot(ctx: Context, volumeId: string): Promise<string> {
  const find = async () => {
    const existing = await ctx.aws.ec2.send(
      new DescribeSnapshotsCommand({
        OwnerIds: ['self'],
        Filters: [...tagFilters(ctx.model, FINAL_SNAPSHOT), filter('volume-id', volumeId)],
      }),
    );
    return (existing.Snapshots ?? []).filter((s) => s.State !== 'error').slice(0, 1);
  };
  let [snapshot] = await find();
  if (!snapshot) {
    // CreateSnapshot takes no token: sent once, and after a timeout looked for before another is started.
    const create = async () =>
      await ctx.aws.ec2Untokened.send(
        new CreateSnapshotCommand({
          VolumeId: volumeId,
          Description: `devenv ${ctx.model.project}: final snapshot of the data volume ${volumeId}`,
          TagSpecifications: tagSpecifications('snapshot', tagsFor(ctx.model, FINAL_SNAPSHOT)),
        }),
      );
    snapshot = (
      await createOrFind(ctx, { kind: 'final snapshot', find, create, idOf: (s) => s.SnapshotId!, idempotent: false })
    ).resource;
    ctx.report.step(`started final snapshot ${snapshot.SnapshotId} of data volume ${volumeId}`);
  }
  const snapshotId = snapshot.SnapshotId!;
  // Recorded, so destroy's summary names it and a later destroy or sweep finds it.
  await ctx.state.setResource(FINAL_SNAPSHOT, {
    kind: 'EBS snapshot',
    phase: ctx.phase,
    id: snapshotId,
    attrs: { volumeId },
  });
  await sdkWait(ctx, ctx.aws.ec2, `snapshot ${snapshotId} to complete`, WAIT_S.snapshotCompleted, (w) =>
    waitUntilSnapshotCompleted(w, { SnapshotIds: [snapshotId] }),
  );
  return snapshotId;
}

/**
 * Keeps the data volume (its record too, so a later `up` attaches it again), or with
 * `--delete-data` deletes it, after a final snapshot unless `--no-final-snapshot`.
 */
export async function removeOrKeepDataVolume(ctx: Context): Promise<void> {
  const spec = volumeSpec(ctx);
  if (!ctx.options.deleteData) {
    const { id } = await probeResource(ctx, spec);
    if (id) ctx.report.step(`kept data volume ${id}; delete it with \`devenv destroy --delete-data\``);
    return;
  }
  await removeResource(ctx, spec, (id, found) =>
    deleteVolume(ctx, id, found, { finalSnapshot: !ctx.options.noFinalSnapshot }),
  );
}

/**
 * Deletes a volume once a just-terminated host has let go of it, after a final snapshot (for the
 * data volume, unless `--no-final-snapshot`). Gone already: NotFound, which counts as done.
 */
export async function deleteVolume(
  ctx: Context,
  id: string,
  found: Volume | undefined,
  o: { finalSnapshot: boolean },
): Promise<void> {
  const volume = found ?? (await describeById(ctx.aws.ec2, VOLUMES, id));
  if (volume && o.finalSnapshot) {
    const snapshotId = await finalSnapshot(ctx, id);
    ctx.report.step(
      `kept final snapshot ${snapshotId} of data volume ${id} (restore: aws ec2 create-volume ` +
        `--snapshot-id ${snapshotId} --availability-zone ${volume.AvailabilityZone})`,
    );
  }
  if (volume && volume.State !== 'available') await waitAvailable(ctx, id, ' (released by the terminated host)');
  await ctx.aws.ec2.send(new DeleteVolumeCommand({ VolumeId: id }));
}

const describeVolume = (v: Volume) => {
  const attachment = v.Attachments?.find((a) => a.State !== 'detached');
  return (
    `${v.Size} GiB ${v.VolumeType}${v.Encrypted ? ', encrypted' : ', NOT encrypted'}` +
    `${attachment ? `; ${attachment.State} to ${attachment.InstanceId} at ${attachment.Device}` : '; not attached'}`
  );
};

/** The data volume's plan line and status row, from one read; a volume attached to no host is unhealthy. */
export async function inspectDataVolume(ctx: Context): Promise<Inspection> {
  const probed = await inspectResource(ctx, volumeSpec(ctx), planned(ctx).name);
  const { resource, ...change } = probed;
  const row = rowOf(probed, (v) => v.State ?? 'unknown', describeVolume);
  if (resource && resource.State !== 'in-use')
    row.problem = {
      verdict: 'unhealthy',
      message: `ec2 data volume ${change.id} is ${resource.State}, attached to no host (up attaches it)`,
    };
  return { changes: [{ ...change, detail: resource ? describeVolume(resource) : volumeToCreate(ctx) }], rows: [row] };
}

function volumeToCreate(ctx: Context): string {
  const gone = ctx.state.resource(DATA_VOLUME)?.id;
  const empty = `${ctx.config.instance.dataVolumeGiB} GiB gp3, encrypted, in ${ctx.model.hostAz}`;
  if (!gone || ctx.options.newDataVolume) return empty;
  return (
    `the recorded ${gone} is gone: up stops unless run with --adopt-data-volume <vol-id> or ` +
    `--new-data-volume (${empty})`
  );
}
