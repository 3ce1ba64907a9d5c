import type { PlannedResource } from '../blueprint/types.js';
import type { Change } from '../report.js';
import type { AwsContext } from './context.js';

/**
 * One mutating call that brings a live resource in line with the blueprint: what `plan` shows and what `apply` runs.
 */
export interface Fix {
  description: string;
  run(): Promise<unknown>;
}

/**
 * Runs each fix of one resource and reports it, prefixed with `subject` when the description does not name the
 * resource.
 */
export async function runFixes(
  ctx: Pick<AwsContext, 'report'>,
  fixes: Fix[],
  target: { logicalId: string; subject?: string },
): Promise<void> {
  for (const fix of fixes) {
    await fix.run();
    ctx.report.resource({
      action: 'updated',
      logicalId: target.logicalId,
      message: target.subject ? `${target.subject}: ${fix.description}` : fix.description,
    });
  }
}

/**
 * A `devenv plan` line from `inspectResource`: a resource to create shows its blueprint properties;
 * one that exists shows the fixes `apply` would run (a kept one with fixes becomes an update)
 * and `notes` on what cannot be changed in place.
 */
export function planChange(
  probed: Change & { resource?: unknown },
  planned: PlannedResource,
  fixes: Fix[],
  notes: string[] = [],
): Change {
  const { resource: _live, ...change } = probed;
  if (change.action === 'create') return { ...change, detail: describeProperties(planned) };
  const lines = [...fixes.map((f) => f.description), ...notes];
  const action = change.action === 'keep' && fixes.length ? 'update' : change.action;
  return { ...change, action, ...(lines.length ? { detail: lines.join('; ') } : {}) };
}

const describeProperties = (planned: PlannedResource): string =>
  Object.entries(planned.properties)
    .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');
