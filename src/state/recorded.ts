import { DevenvError } from '../errors.js';
import type { StateStore } from './store.js';

/**
 * The id of `logicalId`, which the `phase` phase creates and records: its absence means that phase
 * has not run. `what` names it for people where its logical id would not say enough.
 */
export function recordedId(ctx: { state: Pick<StateStore, 'resource'>; phase?: string }, logicalId: string, phase: string, what = logicalId): string {
  const id = ctx.state.resource(logicalId)?.id;
  if (!id) {
    throw new DevenvError('phase', `${ctx.phase ?? 'devenv'} needs ${logicalId}, which the ${phase} phase creates, but the state has no ${what}`, {
      remedy: `run \`devenv phase ${phase}\` (or \`devenv up\`) first`,
    });
  }
  return id;
}
