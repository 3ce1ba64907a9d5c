import type { Volume } from '@aws-sdk/client-ec2';
import type { ResourceRecord } from '../../state/schema.js';

/**
 * How the data volume came to be, kept in its state record (`attrs.origin`): the storage phase may
 * make a filesystem only on a volume devenv itself created empty and has never seen a filesystem on.
 * - `created-empty`: devenv's own CreateVolume (no snapshot) returned it.
 * - `snapshot`: created from a snapshot (by anyone): it holds that snapshot's data.
 * - `adopted`: `--adopt-data-volume` (a restore, or a volume brought from elsewhere).
 * - `found`: found by its tags with no record of devenv creating it (a lost state, or a run killed
 *   between CreateVolume and recording it): whatever it held before cannot be known.
 */
export type VolumeOrigin = 'created-empty' | 'snapshot' | 'adopted' | 'found';

type Attrs = NonNullable<ResourceRecord['attrs']>;

/**
 * The data volume's record attrs: where it is, plus its provenance. A volume already recorded keeps
 * what its record says; one the record does not describe is `snapshot` or `found` (so is a record
 * written by a devenv that kept no origin) unless the caller knows better: `created-empty` only from
 * devenv's own create, `adopted` from the flag. Keys in one order, so an unchanged record compares equal.
 */
export function dataVolumeAttrs(
  v: Volume,
  known: ResourceRecord | undefined,
  fallback: { availabilityZone: string; sizeGiB: number },
  origin?: VolumeOrigin,
): Attrs {
  const kept = known?.id !== undefined && known.id === v.VolumeId ? (known.attrs ?? {}) : {};
  const derived = v.SnapshotId ? 'snapshot' : 'found';
  const chosen = origin ?? kept.origin ?? derived;
  const snapshotId = chosen === kept.origin && !origin ? kept.snapshotId : v.SnapshotId;
  return {
    availabilityZone: v.AvailabilityZone ?? fallback.availabilityZone,
    sizeGiB: v.Size ?? fallback.sizeGiB,
    origin: chosen,
    ...(snapshotId !== undefined && snapshotId !== '' ? { snapshotId } : {}),
    ...(kept.filesystemUuid !== undefined ? { filesystemUuid: kept.filesystemUuid } : {}),
  };
}

/** Whether storage may make a filesystem on this volume should it prove empty, and if not, why (for the refusal). */
export function formatPermission(
  record: ResourceRecord | undefined,
  volumeId: string,
): { mayFormat: boolean; reason: string } {
  if (record?.id !== volumeId)
    return { mayFormat: false, reason: `the state does not record volume ${volumeId} as the data volume` };
  const attrs = record.attrs ?? {};
  if (typeof attrs.filesystemUuid === 'string')
    return {
      mayFormat: false,
      reason:
        `devenv has seen a filesystem on it before (UUID ${attrs.filesystemUuid}): an empty-looking ` +
        'volume now means its data is missing, not that it is new',
    };
  switch (attrs.origin) {
    case 'created-empty':
      return { mayFormat: true, reason: 'devenv created it empty and has never formatted it' };
    case 'snapshot': {
      const snapshotId = String(attrs.snapshotId ?? '(unknown)');
      return { mayFormat: false, reason: `it was created from snapshot ${snapshotId} and holds that snapshot's data` };
    }
    case 'adopted':
      return { mayFormat: false, reason: 'it was adopted with --adopt-data-volume (a restored or existing volume)' };
    default:
      return {
        mayFormat: false,
        reason:
          'devenv has no record of creating it empty (it was found by its tags after a lost state ' +
          'file or an interrupted run, or recorded by an older devenv), so it may hold data',
      };
  }
}
