import { CreateTagsCommand, type Volume } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES, stateOf, VOLUMES } from '../../aws/ec2/collections.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { retag } from '../../aws/ec2/resource.js';
import { probeResource } from '../../aws/resource.js';
import { TAG, tagList, tagValue } from '../../config/tags.js';
import { DevenvError } from '../../errors.js';
import { releaseDataVolume } from '../../remote/release.js';
import type { Context, Inspection } from '../types.js';
import { INSTANCE } from '../../blueprint/compute.js';
import { PREVIOUS } from './instance.js';
import { dataVolumeAttrs } from './provenance.js';
import {
  DATA_DEVICE,
  DATA_VOLUME,
  deleteVolume,
  detachDataVolume,
  LIVE_STATES,
  plannedDataVolume,
  volumeSpec,
} from './volume.js';
import { waitForInstance } from './waiters.js';

/**
 * The data volume `up --adopt-data-volume` swapped out: kept, retagged and recorded, so the user
 * can look at it or delete it once the restored data is right. Its record's attrs say which
 * volume took its place (`replacedBy`) and whether the swap is finished (`swapped`).
 */
export const PREVIOUS_DATA_VOLUME = 'volume/data-previous';

const attrsOf = (v: Volume) => ({ availabilityZone: v.AvailabilityZone ?? '', sizeGiB: v.Size ?? 0 });
const FALLBACK = { availabilityZone: '', sizeGiB: 0 };

/**
 * `--adopt-data-volume`: makes `volumeId` (a volume restored from a backup) the data volume.
 * In place of a missing data volume it is tagged and recorded; in place of a live one a swap
 * begins (`beginSwap`) that `finishVolumeSwap` carries out. Refuses a volume that does not
 * exist, is in another zone, or is attached anywhere but to this project's host at /dev/sdf.
 */
export async function adoptDataVolume(ctx: Context, volumeId: string): Promise<void> {
  const volume = await checkAdoptable(ctx, volumeId);
  const { id: current } = await probeResource(ctx, volumeSpec(ctx));
  if (current === volumeId) {
    if (ctx.state.resource(DATA_VOLUME)?.id === volumeId) return; // adopted already (a rerun of the same command)
  } else if (current) {
    return beginSwap(ctx, current, volume);
  }
  await ctx.aws.ec2.send(new CreateTagsCommand({ Resources: [volumeId], Tags: tagList(plannedDataVolume(ctx).tags) }));
  await recordDataVolume(ctx, volume);
  ctx.report.step(`adopted volume ${volumeId} as the data volume (--adopt-data-volume ${volumeId})`);
}

async function checkAdoptable(ctx: Context, volumeId: string): Promise<Volume> {
  const volume = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
  const flag = `--adopt-data-volume ${volumeId}`;
  if (!volume || !LIVE_STATES.includes(volume.State ?? '')) {
    throw new DevenvError(
      'config',
      `${flag}: volume ${volumeId} does not exist in ${ctx.model.region}${volume ? ` (it is ${volume.State})` : ''}`,
      { remedy: 'check the id with `aws ec2 describe-volumes`' },
    );
  }
  if (volume.AvailabilityZone !== ctx.model.hostAz) {
    throw new DevenvError(
      'config',
      `${flag}: volume ${volumeId} is in ${volume.AvailabilityZone}, but the host's zone is ${ctx.model.hostAz}`,
      {
        remedy: `snapshot it and create the volume from the snapshot in ${ctx.model.hostAz}, then adopt that one`,
      },
    );
  }
  const ours = [ctx.state.resource(INSTANCE)?.id, ctx.state.resource(PREVIOUS)?.id];
  const elsewhere = volume.Attachments?.find(
    (a) => a.State !== 'detached' && (!ours.includes(a.InstanceId) || a.Device !== DATA_DEVICE),
  );
  if (elsewhere) {
    const what = ours.includes(elsewhere.InstanceId)
      ? `this project's host at ${elsewhere.Device} (not the data volume's ${DATA_DEVICE})`
      : `${elsewhere.InstanceId}, which is not this project's host`;
    throw new DevenvError('config', `${flag}: volume ${volumeId} is attached to ${what}`, {
      remedy:
        'pass a volume created from a snapshot, not attached anywhere (or detach it first: aws ec2 ' +
        `detach-volume --volume-id ${volumeId})`,
    });
  }
  const swap = ctx.state.resource(PREVIOUS_DATA_VOLUME);
  if (swap?.id && swap.attrs?.swapped === false && swap.attrs.replacedBy !== volumeId) {
    throw new DevenvError(
      'config',
      `${flag}: a swap of data volume ${swap.id} for ${String(swap.attrs.replacedBy)} is still under way`,
      {
        remedy:
          `finish it first with \`devenv up --adopt-data-volume ${String(swap.attrs.replacedBy)}\` (or ` +
          `a plain \`devenv up\`), then adopt ${volumeId}`,
      },
    );
  }
  return volume;
}

async function recordDataVolume(ctx: Context, volume: Volume): Promise<void> {
  const known = ctx.state.resource(DATA_VOLUME);
  await ctx.state.setResource(DATA_VOLUME, {
    kind: plannedDataVolume(ctx).kind,
    phase: ctx.phase,
    id: volume.VolumeId!,
    ...(known?.generation ? { generation: known.generation } : {}),
    // Adopted: storage never formats it, whatever a probe of it says.
    attrs: dataVolumeAttrs(volume, undefined, FALLBACK, 'adopted'),
  });
}

/**
 * Records the swap before any AWS call: the live data volume becomes PREVIOUS_DATA_VOLUME
 * (`replacedBy` the new one) and the new one becomes the data volume. The two state writes come
 * with no AWS call between them; from here on any `up` finishes the swap.
 */
async function beginSwap(ctx: Context, currentId: string, volume: Volume): Promise<void> {
  const older = ctx.state.resource(PREVIOUS_DATA_VOLUME)?.id;
  if (older && older !== currentId && older !== volume.VolumeId) {
    ctx.report.warn(
      `volume ${older}, kept by an earlier restore, is no longer recorded in the state; it stays in ` +
        `AWS, tagged ${TAG.resource}=${PREVIOUS_DATA_VOLUME}: delete it when you no longer need it`,
    );
  }
  await ctx.state.setResource(PREVIOUS_DATA_VOLUME, {
    kind: plannedDataVolume(ctx).kind,
    phase: ctx.phase,
    id: currentId,
    attrs: { replacedBy: volume.VolumeId!, swapped: false },
  });
  await recordDataVolume(ctx, volume);
  ctx.report.step(
    `restoring: data volume ${currentId} gives way to ${volume.VolumeId} (--adopt-data-volume); ${currentId} is kept`,
  );
}

/**
 * Carries out a swap `beginSwap` recorded, from wherever a killed run left it: tags the new data
 * volume; on the host, stops the containers and unmounts the old volume; retags the old volume as
 * PREVIOUS_DATA_VOLUME and detaches it. Every step checks first, so a rerun repeats nothing.
 * The caller then attaches the new volume; storage mounts it and containers start on it.
 */
export async function finishVolumeSwap(ctx: Context, volumeId: string): Promise<void> {
  const record = ctx.state.resource(PREVIOUS_DATA_VOLUME);
  if (record?.id && record.attrs?.swapped === true) return forgetIfDeleted(ctx, record.id);
  if (!record?.id || record.attrs?.swapped !== false || record.attrs.replacedBy !== volumeId) return;
  const next = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
  if (next && tagValue(next.Tags, TAG.resource) !== DATA_VOLUME) {
    await ctx.aws.ec2.send(
      new CreateTagsCommand({ Resources: [volumeId], Tags: tagList(plannedDataVolume(ctx).tags) }),
    );
  }
  const previous = await livePrevious(ctx, record.id);
  if (!previous) {
    ctx.report.warn(`the previous data volume ${record.id} is gone (deleted outside devenv?); nothing to keep`);
    await ctx.state.forget(PREVIOUS_DATA_VOLUME);
    return;
  }
  const holder = previous.Attachments?.find((a) => a.State !== 'detached')?.InstanceId;
  if (holder) await releaseOnHost(ctx, holder, record.id);
  await retag(ctx, record.id, previous.Tags, PREVIOUS_DATA_VOLUME);
  if (holder) await detachDataVolume(ctx, record.id, holder);
  await ctx.state.setResource(PREVIOUS_DATA_VOLUME, {
    ...record,
    attrs: { ...attrsOf(previous), replacedBy: volumeId, swapped: true },
  });
  ctx.report.resource({
    action: 'kept',
    logicalId: PREVIOUS_DATA_VOLUME,
    kind: record.kind,
    resourceId: record.id,
    message:
      `kept the previous data volume ${record.id} (detached, tagged ${PREVIOUS_DATA_VOLUME}); once the ` +
      `restored data is right, delete it: aws ec2 delete-volume --volume-id ${record.id}`,
  });
}

/** The user deleted the kept volume, as the swap told them they may: the state forgets it. */
async function forgetIfDeleted(ctx: Context, volumeId: string): Promise<void> {
  if (await livePrevious(ctx, volumeId)) return;
  await ctx.state.forget(PREVIOUS_DATA_VOLUME);
  ctx.report.step(`the previous data volume ${volumeId} has been deleted: no longer recorded`);
}

const livePrevious = async (ctx: Context, volumeId: string): Promise<Volume | undefined> => {
  const volume = await describeById(ctx.aws.ec2, VOLUMES, volumeId);
  return volume && LIVE_STATES.includes(volume.State ?? '') ? volume : undefined;
};

/**
 * For `plan` and `status`: a row for the kept previous data volume while it exists, and no change
 * (`up` does nothing to it). Once the user deletes it there is no row: that is expected, not missing.
 */
export async function inspectPreviousDataVolume(ctx: Context): Promise<Inspection> {
  const id = ctx.state.resource(PREVIOUS_DATA_VOLUME)?.id;
  const volume = id ? await livePrevious(ctx, id) : undefined;
  if (!id || !volume) return { changes: [], rows: [] };
  return {
    changes: [],
    rows: [
      {
        phase: 'ec2',
        logicalId: PREVIOUS_DATA_VOLUME,
        kind: 'EBS volume',
        id,
        state: volume.State ?? 'unknown',
        detail: `replaced by a restore; kept until you delete it (aws ec2 delete-volume --volume-id ${id})`,
      },
    ],
  };
}

/**
 * A running host may have the volume mounted and containers writing to it: they are stopped and
 * the volume unmounted over SSH before it is detached. A stopped host has nothing mounted.
 */
async function releaseOnHost(ctx: Context, instanceId: string, volumeId: string): Promise<void> {
  const host = await describeById(ctx.aws.ec2, INSTANCES, instanceId);
  if (!host) return;
  if (stateOf(host) === 'pending')
    await waitForInstance(ctx, instanceId, 'running'); // it mounts the volume as it boots
  else if (stateOf(host) !== 'running') return;
  if (instanceId !== ctx.state.resource(INSTANCE)?.id) {
    throw new DevenvError(
      'phase',
      `the previous data volume ${volumeId} is attached to ${instanceId}, which is running but is ` +
        `not this project's host`,
      {
        remedy:
          `stop what uses it on ${instanceId} and detach it (aws ec2 detach-volume --volume-id ` +
          `${volumeId}), then run \`devenv up\` again`,
      },
    );
  }
  await releaseDataVolume(await ctx.ssh(), volumeId);
  ctx.report.step(`on the host ${instanceId}: stopped the containers and unmounted data volume ${volumeId}`);
}

/**
 * `destroy`: the volume a restore set aside holds data too: kept (and said so) unless
 * `--delete-data`, which deletes it without a snapshot (it is the copy the restore replaced).
 */
export async function removeOrKeepPreviousDataVolume(ctx: Context): Promise<void> {
  const record = ctx.state.resource(PREVIOUS_DATA_VOLUME);
  if (!record?.id) return;
  const volume = await livePrevious(ctx, record.id);
  if (!volume) return ctx.state.forget(PREVIOUS_DATA_VOLUME);
  if (!ctx.options.deleteData) {
    ctx.report.step(
      `kept the previous data volume ${record.id} (set aside by a restore); delete it with \`devenv ` +
        `destroy --delete-data\` or aws ec2 delete-volume --volume-id ${record.id}`,
    );
    return;
  }
  await ignoring(isNotFound, () => deleteVolume(ctx, record.id!, volume, { finalSnapshot: false }));
  await ctx.state.forget(PREVIOUS_DATA_VOLUME);
  ctx.report.resource({
    action: 'deleted',
    logicalId: PREVIOUS_DATA_VOLUME,
    kind: record.kind,
    resourceId: record.id,
    message: `deleted the previous data volume ${record.id}`,
  });
}
