import { stateError } from '../errors.js';
import { STATE_SCHEMA_VERSION } from './schema.js';

/** One step per schema version: `steps[n]` turns a version-n state into version n+1. */
const steps: Record<number, (state: Record<string, unknown>) => Record<string, unknown>> = {
  // 2 keeps removed developers' allocations apart; a version-1 state held only the current developers'.
  1: (state) => ({ ...state, schemaVersion: 2, reserved: {} }),
};

/** Brings an older state file up to the current schema; a newer one is refused rather than guessed at. */
export function migrate(raw: unknown, path: string): unknown {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return raw;
  let state = raw as Record<string, unknown>;
  const version = state.schemaVersion;
  if (typeof version !== 'number') return raw;
  if (version > STATE_SCHEMA_VERSION) {
    throw stateError(
      `${path} has schema version ${version}, newer than this devenv understands (${STATE_SCHEMA_VERSION})`,
      'upgrade devenv (npm install) before using this state',
    );
  }
  for (let v = version; v < STATE_SCHEMA_VERSION; v++) {
    const step = steps[v];
    if (!step) throw stateError(`${path}: no migration from schema version ${v}`, 'upgrade devenv');
    state = step(state);
  }
  return state;
}
