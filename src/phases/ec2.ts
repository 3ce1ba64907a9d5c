import { hostDrift, currentHost, hostStatus, mustReplace, planHost, replaceHost, terminateHost } from './ec2/host.js';
import { ensureHost } from './ec2/instance.js';
import { ensureKeyPair, keyPairStatus, planKeyPair, removeKeyPair } from './ec2/keypair.js';
import { attachDataVolume, dataVolumeStatus, ensureDataVolume, planDataVolume, removeOrKeepDataVolume } from './ec2/volume.js';
import type { Change, Context, Phase, Row } from './types.js';

/**
 * The host: key pair, encrypted data volume, and the instance with the volume at /dev/sdf.
 * A host whose type or AMI the config changed is replaced only with `--replace-host`, because
 * it holds the developers' work; the data volume moves to the new host.
 */
async function apply(ctx: Context): Promise<void> {
  await ensureKeyPair(ctx);
  const volume = await ensureDataVolume(ctx);
  const existing = await currentHost(ctx);
  if (existing && mustReplace(ctx, existing, hostDrift(ctx, existing))) await replaceHost(ctx, existing, volume.VolumeId!);
  const host = await ensureHost(ctx);
  await attachDataVolume(ctx, volume.VolumeId!, host);
}

/** Terminates the host, keeps the data volume unless `--delete-data`, deletes the AWS key pair (the local private key stays). */
async function destroy(ctx: Context): Promise<void> {
  await terminateHost(ctx);
  await removeOrKeepDataVolume(ctx);
  await removeKeyPair(ctx);
}

async function plan(ctx: Context): Promise<Change[]> {
  return [await planKeyPair(ctx), await planDataVolume(ctx), await planHost(ctx)];
}

async function status(ctx: Context): Promise<Row[]> {
  return [await keyPairStatus(ctx), await dataVolumeStatus(ctx), await hostStatus(ctx)];
}

const phase: Phase = { name: 'ec2', apply, destroy, plan, status };
export default phase;
