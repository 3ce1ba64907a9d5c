import { createHash } from 'node:crypto';
import { INSTANCE } from '../../blueprint/compute.js';
import {
  idleCheckUnits,
  installIdleCheck,
  removeIdleCheck as uninstall,
  renderIdleCheck,
} from '../../remote/idle-check.js';
import { loadTemplate } from '../../remote/templates.js';
import { runningDevelopers } from '../containers.js';
import type { Context } from '../types.js';

/**
 * The idle check on the host, for idle stop: installed over SSH once the containers phase has run
 * (before that there is no host to log in to; moto's worlds have none), and again only when what it
 * would write differs or the host was replaced: the state keeps a fingerprint of both.
 */
const IDLE_CHECK = 'schedule/idle-check';

async function fingerprint(ctx: Context): Promise<string> {
  const script = renderIdleCheck(await loadTemplate('idle-check.sh'), ctx.model);
  const units = idleCheckUnits();
  return createHash('sha256')
    .update([ctx.state.resource(INSTANCE)?.id ?? '', script, units.service, units.timer].join('\0'))
    .digest('hex')
    .slice(0, 16);
}

export async function ensureIdleCheck(ctx: Context): Promise<void> {
  if (runningDevelopers(ctx).length === 0) return;
  const id = await fingerprint(ctx);
  if (ctx.state.resource(IDLE_CHECK)?.id === id) return;
  await installIdleCheck(await ctx.ssh(), ctx.model);
  await ctx.state.setResource(IDLE_CHECK, { kind: 'idle check', phase: 'schedule', id });
  ctx.report.step('the idle check reports to CloudWatch once a minute');
}

/** Only what a run installed is removed (a host whose record is gone went with its instance). */
export async function removeIdleCheck(ctx: Context): Promise<void> {
  if (!ctx.state.resource(IDLE_CHECK)) return;
  if (runningDevelopers(ctx).length > 0) await uninstall(await ctx.ssh());
  await ctx.state.forget(IDLE_CHECK);
}
