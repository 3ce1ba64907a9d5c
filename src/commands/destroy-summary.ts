import type { Config } from '../config/schema.js';
import type { RunOptions } from '../phases/types.js';
import type { ResourceRecord } from '../state/schema.js';
import type { StateStore } from '../state/store.js';

/**
 * What `destroy` deletes and what it keeps, from the state and the flags: said before asking.
 * What is really left is what the teardown sweep finds at the end (src/aws/sweep/report.ts).
 */

const DATA_VOLUME = 'volume/data';
/** The data volume a restore (`up --adopt-data-volume`) set aside: data too, kept unless --delete-data. */
const PREVIOUS_DATA_VOLUME = 'volume/data-previous';
const isDataVolume = (id: string) => id === DATA_VOLUME || id === PREVIOUS_DATA_VOLUME;
/** Kept while it holds recovery points of the data volume, unless --delete-data. */
const BACKUP_VAULT = 'backup/vault';
const isSnapshot = (id: string) => id.startsWith('snapshot/');

/** "EBS volume vol-1", or "3 secrets" for a kind with several. */
function describeAll(records: [string, ResourceRecord][]): string {
  const byKind = new Map<string, string[]>();
  for (const [logicalId, r] of records) byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), r.id ?? logicalId]);
  return [...byKind].map(([kind, ids]) => (ids.length === 1 ? `${kind} ${ids[0]}` : `${ids.length} ${kind}s`)).join(', ');
}

const secretsOf = (state: StateStore) => state.existing().filter(([, r]) => r.phase === 'secrets');

/** Secrets go into their recovery window (unless forced): still in AWS, restorable, so kept for now. */
function secretsKept(config: Config, options: RunOptions, count: number): string[] {
  if (options.forceDeleteSecrets || count === 0) return [];
  const days = config.secrets.recoveryWindowDays;
  return [`${count === 1 ? '1 secret' : `${count} secrets`} in a ${days}-day recovery window (\`devenv up\` restores them; --force-delete-secrets deletes them at once)`];
}

export interface DestroyPreview {
  deleted: string;
  kept: string[];
}

export function destroyPreview(state: StateStore, config: Config, options: RunOptions): DestroyPreview {
  const existing = state.existing();
  const secrets = secretsOf(state).length;
  // Final snapshots are data too: deleted only with --delete-data --no-final-snapshot.
  const dataGoes = options.deleteData === true;
  const keptIds = new Set(existing.filter(([id]) => (isSnapshot(id) && !(dataGoes && options.noFinalSnapshot)) || ((isDataVolume(id) || id === BACKUP_VAULT) && !dataGoes)).map(([id]) => id));
  const deleted = describeAll(existing.filter(([id, r]) => !keptIds.has(id) && !(r.phase === 'secrets' && !options.forceDeleteSecrets)));
  const kept = [
    ...existing.filter(([id]) => keptIds.has(id)).map(([id, r]) => keptLine(id, r)),
    ...(options.deleteData && !options.noFinalSnapshot && state.resource(DATA_VOLUME)?.id ? [`a final snapshot of data volume ${state.resource(DATA_VOLUME)!.id} (--no-final-snapshot skips it)`] : []),
    ...secretsKept(config, options, secrets),
  ];
  return { deleted: deleted || 'nothing the state records (destroy also deletes whatever carries this project\'s devenv tags)', kept };
}

function keptLine(logicalId: string, r: ResourceRecord): string {
  if (logicalId === DATA_VOLUME) return `data volume ${r.id} (--delete-data deletes it, after a final snapshot)`;
  if (logicalId === PREVIOUS_DATA_VOLUME) return `previous data volume ${r.id}, set aside by a restore (--delete-data deletes it)`;
  if (logicalId === BACKUP_VAULT) return `backup vault ${r.id} with the data volume's recovery points, if it holds any (--delete-data deletes them)`;
  const of = typeof r.attrs?.volumeId === 'string' ? ` of ${r.attrs.volumeId}` : '';
  return `${r.kind} ${r.id}${of}`;
}

