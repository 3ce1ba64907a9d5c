import { DATA_MOUNT, INSTANCE, storageBlueprint } from '../blueprint/compute.js';
import type { Model } from '../config/model.js';
import { DevenvError } from '../errors.js';
import { DEVELOPER_UID } from '../remote/compose.js';
import { loadTemplate, renderTemplate } from '../remote/templates.js';
import { recordedId } from '../state/recorded.js';
import { formatPermission } from './ec2/provenance.js';
import { DATA_VOLUME, recordDataFilesystem } from './ec2/volume.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/** Waiting for the device, making a filesystem on a large volume, and the folders: minutes at most. */
const STORAGE_TIMEOUT_S = 15 * 60;

/**
 * The storage script for this volume and these developers: pure, given the template. `format`
 * comes from the state (formatPermission): without `mayFormat` the script never makes a filesystem.
 */
export function renderStorageScript(
  template: string,
  model: Pick<Model, 'developers'>,
  volumeId: string,
  format: { mayFormat: boolean; reason: string } = { mayFormat: false, reason: 'not allowed' },
): string {
  return renderTemplate(template, {
    VOLUME_ID: volumeId,
    DATA_MOUNT,
    DEVELOPERS: model.developers.map((d) => d.name).join(' '),
    DEVELOPER_UID: String(DEVELOPER_UID),
    MAY_FORMAT: String(format.mayFormat),
    NO_FORMAT_REASON: format.mayFormat ? '' : format.reason,
  });
}

/**
 * Whether storage's record is of the current host and data volume. A replaced host or a swapped
 * volume makes it another's: the volume is not mounted there until storage runs again.
 */
export function storageIsOfCurrentHost(ctx: Pick<Context, 'state'>): boolean {
  const outputs = ctx.state.phase('storage')?.outputs ?? {};
  return (
    outputs.instanceId === ctx.state.resource(INSTANCE)?.id && outputs.volumeId === ctx.state.resource(DATA_VOLUME)?.id
  );
}

/** The script's last line: `filesystem <uuid> <type> made|kept`. */
export function parseStorageReport(out: string): { uuid: string; type: string; made: boolean } | undefined {
  const [, uuid, type, how] = /^filesystem (\S+) (\S+) (made|kept)$/m.exec(out) ?? [];
  return uuid && type ? { uuid, type, made: how === 'made' } : undefined;
}

/**
 * On the host, over SSH: finds the data volume by its id and probes it; makes a filesystem only on
 * a volume the state says devenv created empty and never formatted, and only when the probe is
 * certain it is empty (any probe error stops the run, nothing written); mounts it by UUID (one fstab
 * line, nofail), makes Docker wait for the mount, and gives every developer their folders. Records
 * the filesystem's UUID on the volume's record (never formatted again) and the host it is mounted on.
 */
async function apply(ctx: Context): Promise<void> {
  const volumeId = recordedId(ctx, DATA_VOLUME, 'ec2', 'data volume');
  const instanceId = ctx.state.resource(INSTANCE)?.id;
  const format = formatPermission(ctx.state.resource(DATA_VOLUME), volumeId);
  const host = await ctx.ssh();
  const script = renderStorageScript(await loadTemplate('storage.sh'), ctx.model, volumeId, format);
  const out = await host.runScript('storage.sh', script, [], { timeoutS: STORAGE_TIMEOUT_S });
  const fs = parseStorageReport(out);
  if (!fs)
    throw new DevenvError(
      'phase',
      `storage: the host's script did not report the filesystem it mounted:\n` +
        `${out.trim().split('\n').slice(-5).join('\n')}`,
    );
  for (const [, refused] of out.matchAll(/^storage: refused: (.*)$/gm))
    ctx.report.warn(`refused on the host: ${refused}`);
  for (const [, moved] of out.matchAll(/^storage: (\S+: moved .*)$/gm)) ctx.report.step(moved!);
  await recordDataFilesystem(ctx, volumeId, fs.uuid);
  await ctx.state.setOutputs('storage', {
    volumeId,
    filesystemUuid: fs.uuid,
    filesystemType: fs.type,
    developers: ctx.model.developers.map((d) => d.name).join(' '),
    ...(instanceId ? { instanceId } : {}),
  });
  const what = fs.made
    ? `made an ${fs.type} filesystem on the new, empty data volume ${volumeId} and mounted it`
    : `data volume ${volumeId} mounted`;
  ctx.report.step(
    `${what} at ${DATA_MOUNT} (${fs.type}, UUID ${fs.uuid}); folders for ${ctx.model.developers.length} developers`,
  );
}

/** Nothing to delete here: the filesystem lives on the data volume, which the ec2 phase keeps or deletes. */
async function destroy(): Promise<void> {}

function recorded(ctx: Context) {
  const outputs = ctx.state.phase('storage')?.outputs ?? {};
  const developers = typeof outputs.developers === 'string' ? outputs.developers.split(' ') : [];
  return { outputs, developers };
}

function formatDetail(ctx: Context): string {
  const volume = ctx.state.resource(DATA_VOLUME);
  if (!volume?.id) return 'a filesystem is made only on a volume devenv creates empty';
  const { mayFormat, reason } = formatPermission(volume, volume.id);
  return mayFormat ? 'a filesystem is made only if the probe proves the volume empty' : `never formatted: ${reason}`;
}

/** From the state alone (no SSH for a read-only command): new developers' folders are created, the rest kept. */
async function inspect(ctx: Context): Promise<Inspection> {
  const { outputs, developers } = recorded(ctx);
  const changes: Change[] = [];
  const rows: Row[] = [];
  for (const r of storageBlueprint(ctx.model)) {
    const known = r.developer ? developers.includes(r.developer) : typeof outputs.filesystemUuid === 'string';
    changes.push({
      phase: 'storage',
      action: known ? 'keep' : 'create',
      logicalId: r.logicalId,
      kind: r.kind,
      name: r.name,
      detail: known || r.developer ? undefined : formatDetail(ctx),
    });
    const detail = !r.developer && known ? `${outputs.filesystemType} UUID ${outputs.filesystemUuid}` : undefined;
    rows.push({
      phase: 'storage',
      logicalId: r.logicalId,
      kind: r.kind,
      id: r.name,
      state: known ? 'set up' : 'not set up',
      detail,
    });
  }
  return { changes, rows };
}

const phase: Phase = { name: 'storage', apply, destroy, ...fromInspection(inspect) };
export default phase;
