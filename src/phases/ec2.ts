import {
  adoptDataVolume,
  finishVolumeSwap,
  inspectPreviousDataVolume,
  removeOrKeepPreviousDataVolume,
} from './ec2/adopt-volume.js';
import {
  currentHost,
  finishReplacement,
  hostBeingReplaced,
  inspectHost,
  mustReplace,
  replaceHost,
  terminateHost,
} from './ec2/host.js';
import { INSTANCE } from '../blueprint/compute.js';
import { ensureHost } from './ec2/instance.js';
import { ensureKeyPair, inspectKeyPair, removeKeyPair } from './ec2/keypair.js';
import {
  attachDataVolume,
  DATA_VOLUME,
  ensureDataVolume,
  inspectDataVolume,
  removeOrKeepDataVolume,
} from './ec2/volume.js';
import { fromInspection, joinInspections } from './inspection.js';
import { storageIsOfCurrentHost } from './storage.js';
import type { Context, Inspection, Phase } from './types.js';

/**
 * The host: key pair, encrypted data volume, and the instance with the volume at /dev/sdf.
 * `--adopt-data-volume` swaps a restored volume in for the live one, which is kept (adopt-volume.ts).
 * A host whose type or AMI the config changed is replaced only with `--replace-host`, because
 * it holds the developers' work; the data volume moves to the new host, and the old host is
 * terminated only once the new one works. A replacement a killed run left half done is finished first.
 */
async function apply(ctx: Context): Promise<void> {
  await ensureKeyPair(ctx);
  if (ctx.options.adoptDataVolume) await adoptDataVolume(ctx, ctx.options.adoptDataVolume);
  const volumeId = (await ensureDataVolume(ctx)).VolumeId!;
  await finishVolumeSwap(ctx, volumeId);
  const previous = await hostBeingReplaced(ctx);
  // Ends with the new host, or (a roll-back was interrupted) the old one: then it is judged below like any host.
  if (previous) await finishReplacement(ctx, previous, volumeId);
  const existing = await currentHost(ctx);
  if (existing && mustReplace(ctx, existing)) {
    await replaceHost(ctx, existing, volumeId);
  } else {
    const host = await ensureHost(ctx);
    await attachDataVolume(ctx, volumeId, host);
  }
  await forgetStorageOfAnotherHost(ctx);
}

/**
 * What storage recorded holds for the host and volume it ran on. Once either is another (a replaced
 * or recreated host, a swapped volume) that record is reset, so `devenv phase containers` refuses
 * until storage has mounted the volume on this host: Compose would otherwise make the developers'
 * folders on the root volume.
 */
async function forgetStorageOfAnotherHost(ctx: Context): Promise<void> {
  // Only a completed storage lets containers run; a skipped or failed one already stops it.
  if (ctx.state.phase('storage')?.status !== 'complete' || storageIsOfCurrentHost(ctx)) return;
  await ctx.state.clearPhase('storage');
  ctx.report.step(
    `host ${ctx.state.resource(INSTANCE)?.id ?? '(none)'} with data volume ` +
      `${ctx.state.resource(DATA_VOLUME)?.id} has not been set up by storage yet: storage runs again ` +
      'before containers',
  );
}

/**
 * Terminates the host, keeps the data volume unless `--delete-data`, deletes the AWS key pair (the local private key
 * stays).
 */
async function destroy(ctx: Context): Promise<void> {
  await terminateHost(ctx);
  await removeOrKeepDataVolume(ctx);
  await removeOrKeepPreviousDataVolume(ctx);
  await removeKeyPair(ctx);
}

/** One read for `plan` and `status`. */
const inspect = async (ctx: Context): Promise<Inspection> =>
  joinInspections([
    await inspectKeyPair(ctx),
    await inspectDataVolume(ctx),
    await inspectPreviousDataVolume(ctx),
    await inspectHost(ctx),
  ]);

const phase: Phase = { name: 'ec2', apply, destroy, ...fromInspection(inspect) };
export default phase;
