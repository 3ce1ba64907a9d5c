import { waitOptions } from '../aws/wait.js';
import { containerId, containersBlueprint, DATA_MOUNT, INSTANCE } from '../blueprint/compute.js';
import { secretName } from '../blueprint/identity.js';
import type { Model } from '../config/model.js';
import { DevenvError } from '../errors.js';
import { configureLogShipping } from '../remote/cloudwatch-agent.js';
import type { RemoteHost } from '../remote/host.js';
import {
  API_KEY_FILE,
  API_KEYS_DIR,
  COMPOSE_FILE,
  COMPOSE_PROJECT,
  CONTAINER_KEY_FILE,
  containerName,
  DEVELOPER_UID,
  KEY_LOADERS_DIR,
  NODE_PRELOAD_NAME,
  PROFILE_SCRIPT_NAME,
  renderCompose,
  SECRETS_DIR,
} from '../remote/compose.js';
import { containerStates, installExtensions, waitUntilHealthy } from '../remote/containers.js';
import { gated, installGate } from '../remote/gate.js';
import { loadTemplate, renderTemplate } from '../remote/templates.js';
import { DATA_VOLUME } from './ec2/volume.js';
import { fromInspection } from './inspection.js';
import { recordedLogGroups } from './monitoring/logs.js';
import { storageIsOfCurrentHost } from './storage.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/** Pulling an image the first time can take minutes. */
const UP_TIMEOUT_S = 20 * 60;
const SECRETS_TIMEOUT_S = 10 * 60;

/**
 * The script that turns each developer's password (read on the host) into a hashed env file and
 * puts their Anthropic API key (read there too) where only their container reads it. `prune`:
 * the model lists every developer, so the keys of anyone else go.
 */
export function renderSecretsScript(
  template: string,
  model: Pick<Model, 'project' | 'region' | 'developers'>,
  prune: boolean,
): string {
  return renderTemplate(template, secretsScriptValues(model, prune));
}

export function secretsScriptValues(
  model: Pick<Model, 'project' | 'region' | 'developers'>,
  prune: boolean,
): Record<string, string> {
  return {
    AWS_REGION: model.region,
    SECRETS_DIR,
    DEVELOPER_SECRETS: model.developers
      .map(
        (d) =>
          `${d.name} ${secretName(model, d.name, 'password')} ` +
          `${d.anthropicApiKey ? secretName(model, d.name, 'anthropic-api-key') : '-'}`,
      )
      .join('\n'),
    API_KEYS_DIR,
    API_KEY_FILE,
    KEY_LOADERS_DIR,
    PROFILE_SCRIPT_NAME,
    NODE_PRELOAD_NAME,
    CONTAINER_KEY_FILE,
    CONTAINER_UID: String(DEVELOPER_UID),
    PRUNE: String(prune),
  };
}

/**
 * On the host: each developer's env file holding the argon2 hash of their current password, and
 * their API key file, read there from Secrets Manager. Only a changed password or key rewrites a
 * file, and Compose recreates only the containers whose env files changed. `up` passes every
 * developer (and prunes), `credentials rotate` one.
 */
export async function writePasswordHashes(
  host: RemoteHost,
  model: Pick<Model, 'project' | 'region' | 'developers'>,
  o: { prune: boolean },
): Promise<void> {
  await host.runScript(
    'developer-secrets.sh',
    renderSecretsScript(await loadTemplate('developer-secrets.sh'), model, o.prune),
    [],
    { timeoutS: SECRETS_TIMEOUT_S },
  );
}

/**
 * `dataFilesystemUuid`: the data volume's filesystem as storage recorded it; the script starts nothing unless it is
 * what is mounted.
 */
export function renderContainersScript(
  template: string,
  model: Pick<Model, 'developers' | 'config'>,
  purgeRemoved: boolean,
  dataFilesystemUuid: string,
): string {
  return renderTemplate(template, {
    COMPOSE_PROJECT,
    COMPOSE_FILE,
    SECRETS_DIR,
    DATA_MOUNT,
    DEVELOPERS: model.developers.map((d) => d.name).join(' '),
    PURGE_REMOVED: String(purgeRemoved),
    DATA_FILESYSTEM_UUID: dataFilesystemUuid,
    IMAGE: model.config.containers.image,
    DEVELOPER_UID: String(DEVELOPER_UID),
    GATED_DEVELOPERS: gated(model) ? model.developers.map((d) => d.name).join(' ') : '',
  });
}

/**
 * The filesystem storage mounted for this host and this data volume. A storage record of another
 * host or volume (a replaced host, a swapped volume, a state from before devenv recorded the host)
 * stops the phase before anything on the host: Compose would make the folders on the root volume.
 */
export function mountedDataFilesystem(ctx: Pick<Context, 'state'>): string {
  const outputs = ctx.state.phase('storage')?.outputs ?? {};
  const hostId = ctx.state.resource(INSTANCE)?.id;
  const volumeId = ctx.state.resource(DATA_VOLUME)?.id;
  const ranOn =
    typeof outputs.instanceId === 'string'
      ? `host ${outputs.instanceId} and volume ${String(outputs.volumeId)}`
      : 'another host or volume (not recorded)';
  if (
    ctx.state.phase('storage')?.status !== 'complete' ||
    typeof outputs.filesystemUuid !== 'string' ||
    !storageIsOfCurrentHost(ctx)
  ) {
    throw new DevenvError(
      'phase',
      `containers: storage has not mounted data volume ${volumeId ?? '(none recorded)'} on the ` +
        `current host ${hostId ?? '(none recorded)'}` +
        `${ctx.state.phase('storage') ? ` (it last ran for ${ranOn})` : ''}; no container was started`,
      {
        remedy: 'run `devenv phase storage` first (or `devenv up`, which runs it before containers)',
      },
    );
  }
  return outputs.filesystemUuid;
}

/**
 * On the host, over SSH: the developers' hashed password files (fetched there with the instance
 * role), docker-compose.yml, `docker compose up -d --remove-orphans`, then waits until every
 * container is healthy. Compose recreates only what changed: a rerun restarts nothing. Last, the
 * host's CloudWatch agent is pointed at the containers' log files (they change with a recreated
 * container), for the log groups the monitoring phase has made: it adds the others once it has.
 */
async function apply(ctx: Context): Promise<void> {
  const dataFilesystem = mountedDataFilesystem(ctx);
  const host = await ctx.ssh();
  const names = ctx.model.developers.map((d) => d.name);
  const before = await containerStates(host, names);
  await writePasswordHashes(host, ctx.model, { prune: true });
  if (gated(ctx.model)) await installGate(host);
  await host.upload(COMPOSE_FILE, renderCompose(ctx.model), { mode: '0644', owner: 'root:root' });
  const script = renderContainersScript(
    await loadTemplate('containers.sh'),
    ctx.model,
    ctx.options.purgeRemoved ?? false,
    dataFilesystem,
  );
  await host.runScript('containers.sh', script, [], { timeoutS: UP_TIMEOUT_S });
  const after = await waitUntilHealthy(host, names, {
    ...waitOptions(ctx),
  });
  await ctx.state.setOutputs('containers', { developers: names.join(' ') });
  const started = names.filter((n) => before.get(n)?.id !== after.get(n)?.id);
  ctx.report.step(
    started.length === 0
      ? `${names.length} containers healthy, none restarted`
      : `${names.length} containers healthy; started ${started.join(', ')}`,
  );
  if (ctx.config.containers.extensions.length > 0)
    await installExtensions(host, names, ctx.config.containers.extensions, (m) => ctx.report.step(m));
  ctx.report.step(await configureLogShipping(host, ctx.model, after, recordedLogGroups(ctx)));
}

/** `devenv destroy` terminates the host; the containers go with it. Nothing else to delete. */
async function destroy(): Promise<void> {}

/** The developers whose containers the last completed run of this phase started (from the state). */
export function runningDevelopers(ctx: Pick<Context, 'state'>): string[] {
  const record = ctx.state.phase('containers');
  return record?.status === 'complete' && typeof record.outputs?.developers === 'string'
    ? record.outputs.developers.split(' ')
    : [];
}

/**
 * From the state (a read-only command does not log in to the host, which may be booting or out of
 * reach): the developers whose containers the last `up` left healthy. The test phase checks them live.
 */
async function inspect(ctx: Context): Promise<Inspection> {
  const running = runningDevelopers(ctx);
  const changes = containersBlueprint(ctx.model).map(
    (r): Change => ({
      phase: 'containers',
      action: running.includes(r.developer!) ? 'keep' : 'create',
      logicalId: r.logicalId,
      kind: r.kind,
      name: r.name,
      detail:
        `${ctx.config.containers.image} on port ` + `${ctx.model.developers.find((d) => d.name === r.developer)!.port}`,
    }),
  );
  const rows = ctx.model.developers.map(
    (d): Row => ({
      phase: 'containers',
      logicalId: containerId(d.name),
      kind: 'container',
      id: containerName(d.name),
      state: running.includes(d.name) ? 'healthy at the last up' : 'not started',
      detail: `port ${d.port}`,
    }),
  );
  return { changes, rows };
}

const phase: Phase = { name: 'containers', apply, destroy, ...fromInspection(inspect) };
export default phase;
