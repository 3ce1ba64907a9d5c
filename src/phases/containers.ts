import { containersBlueprint, DATA_MOUNT } from '../blueprint/compute.js';
import { secretName } from '../blueprint/identity.js';
import type { Model } from '../config/model.js';
import { configureLogShipping } from '../remote/cloudwatch-agent.js';
import type { RemoteHost } from '../remote/host.js';
import { COMPOSE_FILE, COMPOSE_PROJECT, containerName, DEVELOPER_UID, renderCompose, SECRETS_DIR } from '../remote/compose.js';
import { containerStates, installExtensions, waitUntilHealthy } from '../remote/containers.js';
import { loadTemplate } from '../remote/templates.js';
import { renderTemplate } from '../remote/user-data.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/** Pulling an image the first time can take minutes. */
const UP_TIMEOUT_S = 20 * 60;
const SECRETS_TIMEOUT_S = 10 * 60;

/** The script that turns each developer's password (read on the host) into a hashed env file. */
export function renderSecretsScript(template: string, model: Pick<Model, 'project' | 'region' | 'developers'>): string {
  return renderTemplate(template, {
    AWS_REGION: model.region,
    SECRETS_DIR,
    DEVELOPER_SECRETS: model.developers.map((d) => `${d.name} ${secretName(model, d.name, 'password')}`).join('\n'),
  });
}

/**
 * On the host: each developer's env file holding the argon2 hash of their current password, read
 * there from Secrets Manager. Only a changed password rewrites a file, and Compose recreates only
 * the containers whose env file changed. `up` passes every developer, `credentials rotate` one.
 */
export async function writePasswordHashes(host: RemoteHost, model: Pick<Model, 'project' | 'region' | 'developers'>): Promise<void> {
  await host.runScript('developer-secrets.sh', renderSecretsScript(await loadTemplate('developer-secrets.sh'), model), [], { timeoutS: SECRETS_TIMEOUT_S });
}

export function renderContainersScript(template: string, model: Pick<Model, 'developers' | 'config'>, purgeRemoved: boolean): string {
  return renderTemplate(template, {
    COMPOSE_PROJECT,
    COMPOSE_FILE,
    SECRETS_DIR,
    DATA_MOUNT,
    DEVELOPERS: model.developers.map((d) => d.name).join(' '),
    PURGE_REMOVED: String(purgeRemoved),
    IMAGE: model.config.containers.image,
    DEVELOPER_UID: String(DEVELOPER_UID),
  });
}

/**
 * On the host, over SSH: the developers' hashed password files (fetched there with the instance
 * role), docker-compose.yml, `docker compose up -d --remove-orphans`, then waits until every
 * container is healthy. Compose recreates only what changed: a rerun restarts nothing. Last, the
 * host's CloudWatch agent is pointed at the containers' log files (they change with a recreated container).
 */
async function apply(ctx: Context): Promise<void> {
  const host = await ctx.ssh();
  const names = ctx.model.developers.map((d) => d.name);
  const before = await containerStates(host, names);
  await writePasswordHashes(host, ctx.model);
  await host.upload(COMPOSE_FILE, renderCompose(ctx.model), { mode: '0644', owner: 'root:root' });
  const script = renderContainersScript(await loadTemplate('containers.sh'), ctx.model, ctx.options.purgeRemoved ?? false);
  await host.runScript('containers.sh', script, [], { timeoutS: UP_TIMEOUT_S });
  const after = await waitUntilHealthy(host, names, { clock: ctx.clock, signal: ctx.signal, progress: (m) => ctx.report.progress(m) });
  await ctx.state.setOutputs('containers', { developers: names.join(' ') });
  const started = names.filter((n) => before.get(n)?.id !== after.get(n)?.id);
  ctx.report.step(started.length === 0
    ? `${names.length} containers healthy, none restarted`
    : `${names.length} containers healthy; started ${started.join(', ')}`);
  if (ctx.config.containers.extensions.length > 0) await installExtensions(host, names, ctx.config.containers.extensions, (m) => ctx.report.step(m));
  ctx.report.step(await configureLogShipping(host, ctx.model, after));
}

/** `devenv destroy` terminates the host; the containers go with it. Nothing else to delete. */
async function destroy(): Promise<void> {}

/** The developers whose containers the last completed run of this phase started (from the state). */
export function runningDevelopers(ctx: Pick<Context, 'state'>): string[] {
  const record = ctx.state.phase('containers');
  return record?.status === 'complete' && typeof record.outputs?.developers === 'string' ? record.outputs.developers.split(' ') : [];
}

/**
 * From the state (a read-only command does not log in to the host, which may be booting or out of
 * reach): the developers whose containers the last `up` left healthy. The test phase checks them live.
 */
async function inspect(ctx: Context): Promise<Inspection> {
  const running = runningDevelopers(ctx);
  const changes = containersBlueprint(ctx.model).map((r): Change => ({
    phase: 'containers', action: running.includes(r.developer!) ? 'keep' : 'create', logicalId: r.logicalId, kind: r.kind, name: r.name,
    detail: `${ctx.config.containers.image} on port ${ctx.model.developers.find((d) => d.name === r.developer)!.port}`,
  }));
  const rows = ctx.model.developers.map((d): Row => ({
    phase: 'containers', logicalId: `container/${d.name}`, kind: 'container', id: containerName(d.name),
    state: running.includes(d.name) ? 'healthy at the last up' : 'not started', detail: `port ${d.port}`,
  }));
  return { changes, rows };
}

const phase: Phase = { name: 'containers', apply, destroy, ...fromInspection(inspect) };
export default phase;
