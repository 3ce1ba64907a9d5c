import { containersBlueprint, DATA_MOUNT } from '../blueprint/compute.js';
import { secretName } from '../blueprint/identity.js';
import type { Model } from '../config/model.js';
import { DevenvError } from '../errors.js';
import { COMPOSE_FILE, COMPOSE_PROJECT, containerName, renderCompose, SECRETS_DIR } from '../remote/compose.js';
import { containerStates, installExtensions, waitUntilHealthy } from '../remote/containers.js';
import { loadTemplate } from '../remote/templates.js';
import { renderTemplate } from '../remote/user-data.js';
import type { Change, Context, Phase, Row } from './types.js';

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

export function renderContainersScript(template: string, model: Pick<Model, 'developers'>, purgeRemoved: boolean): string {
  return renderTemplate(template, {
    COMPOSE_PROJECT,
    COMPOSE_FILE,
    SECRETS_DIR,
    DATA_MOUNT,
    DEVELOPERS: model.developers.map((d) => d.name).join(' '),
    PURGE_REMOVED: String(purgeRemoved),
  });
}

/**
 * On the host, over SSH: the developers' hashed password files (fetched there with the instance
 * role), docker-compose.yml, `docker compose up -d --remove-orphans`, then waits until every
 * container is healthy. Compose recreates only what changed: a rerun restarts nothing.
 */
async function apply(ctx: Context): Promise<void> {
  const host = await ctx.ssh();
  const names = ctx.model.developers.map((d) => d.name);
  const before = await containerStates(host, names);
  await host.runScript('developer-secrets.sh', renderSecretsScript(await loadTemplate('developer-secrets.sh'), ctx.model), [], { timeoutS: SECRETS_TIMEOUT_S });
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
}

/** `devenv destroy` terminates the host; the containers go with it. Nothing else to delete. */
async function destroy(): Promise<void> {}

async function plan(ctx: Context): Promise<Change[]> {
  const done = ctx.state.phase('containers')?.status === 'complete';
  const running = done && typeof ctx.state.phase('containers')?.outputs?.developers === 'string'
    ? String(ctx.state.phase('containers')!.outputs!.developers).split(' ') : [];
  return containersBlueprint(ctx.model).map((r) => ({
    phase: 'containers', action: running.includes(r.developer!) ? 'keep' : 'create', logicalId: r.logicalId, kind: r.kind, name: r.name,
    detail: `${ctx.config.containers.image} on port ${ctx.model.developers.find((d) => d.name === r.developer)!.port}`,
  }));
}

/** Live: the containers as Docker reports them (this logs in to the host). */
async function status(ctx: Context): Promise<Row[]> {
  const names = ctx.model.developers.map((d) => d.name);
  let states;
  try {
    states = await containerStates(await ctx.ssh(), names);
  } catch (err) {
    if (!(err instanceof DevenvError)) throw err;
    return names.map((n) => ({ phase: 'containers', logicalId: `container/${n}`, kind: 'container', id: containerName(n), state: 'unknown', detail: err.message.split('\n')[0] }));
  }
  return names.map((n) => {
    const s = states.get(n);
    return { phase: 'containers', logicalId: `container/${n}`, kind: 'container', id: containerName(n), state: s ? s.health || s.status : 'missing' };
  });
}

const phase: Phase = { name: 'containers', apply, destroy, plan, status };
export default phase;
