import { DevenvError } from '../errors.js';
import type { StateStore } from './store.js';

/**
 * The id of `logicalId`, which the `phase` phase creates and records: its absence means that phase
 * has not run. `what` names it for people where its logical id would not say enough.
 */
export function recordedId(
  ctx: { state: Pick<StateStore, 'resource'>; phase?: string },
  logicalId: string,
  phase: string,
  what = logicalId,
): string {
  const id = ctx.state.resource(logicalId)?.id;
  if (!id) {
    const who = ctx.phase ?? 'devenv';
    const message = `${who} needs ${logicalId}, which the ${phase} phase creates, but the state has no ${what}`;
    throw new DevenvError('phase', message, {
      remedy: `run \`devenv phase ${phase}\` (or \`devenv up\`) first`,
    });
  }
  return id;
}
