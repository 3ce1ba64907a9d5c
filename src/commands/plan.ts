import type { PlannedResource, PropertyValue } from '../blueprint/types.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { allocate, buildModel } from '../config/model.js';
import { DevenvError, messageOf } from '../errors.js';
import { PHASES, topologicalOrder } from '../phases/index.js';
import type { Change } from '../phases/types.js';
import { TAG } from '../config/tags.js';
import { StateStore } from '../state/store.js';
import { renderEstimate } from '../ui/estimate.js';
import { renderPlan } from '../ui/plan-and-status.js';
import { type PlanEstimate, planEstimate } from './estimate.js';
import { table } from '../table.js';
import { describePending, pendingPhases } from './next-steps.js';
import { phaseFailure, readPhases, type PhaseFailure, type ReadOptions, type ReadResult } from './read-phases.js';
import type { Session } from './session.js';

const showValue = (v: PropertyValue) => (Array.isArray(v) ? v.join(', ') : String(v));
const showProps = (p: PlannedResource['properties']) =>
  Object.entries(p)
    .map(([k, v]) => `${k}=${showValue(v)}`)
    .join('  ');

/**
 * `plan --offline`: every resource of every phase, from the config, with the ports and priorities
 * the state file holds (read only, never locked or written). No credentials, no SDK.
 */
export async function offlinePlan(
  configPath: string,
  statePath: string,
  json: boolean,
  env: Record<string, string | undefined> = {},
): Promise<{ output: string; summary: PlanSummary }> {
  const config = await loadConfig(configPath);
  const state = await StateStore.open(statePath, {
    project: config.project,
    region: config.region,
    account: config.accountId,
  });
  const { allocations, reserved } = allocate(config, state.data);
  const model = buildModel(config, allocations);
  const phases = topologicalOrder().map((name) => {
    const info = PHASES.find((p) => p.name === name)!;
    return { phase: name, title: info.title, needs: info.needs, resources: info.blueprint(model) };
  });
  // Offline, nothing is known to exist: every resource is a create.
  const summary = countChanges(
    phases.flatMap((p) =>
      p.resources.map(
        (r): Change => ({
          phase: p.phase,
          action: 'create',
          logicalId: r.logicalId,
          kind: r.kind,
        }),
      ),
    ),
  );
  const cost = await planEstimate(config, state.data, { env, now: new Date() });
  if (json)
    return {
      output: JSON.stringify({
        project: model.project,
        region: model.region,
        developers: model.developers,
        reserved,
        phases,
        summary,
        estimate: cost.estimate,
      }),
      summary,
    };

  const common = Object.entries(
    phases.flatMap((p) => p.resources).find((r) => Object.keys(r.tags).length)?.tags ?? {},
  ).filter(([k]) => k !== 'Name' && k !== TAG.resource && k !== TAG.developer);
  const lines = [
    `devenv plan for ${model.project} in ${model.region} (${model.developers.length} developers; offline: ` +
      `from ${configPath}${state.onDisk ? ` and ${statePath}` : ' alone'})`,
    `Every AWS resource is tagged ${common.map(([k, v]) => `${k}=${v}`).join(', ')}, plus Name, ${TAG.resource} ` +
      `and, where one developer owns it, ${TAG.developer}.`,
    '',
    table(
      ['developer', 'url', 'port', 'rule priority'],
      model.developers.map((d) => [d.name, d.url, String(d.port), String(d.priority)]),
    ),
    ...Object.entries(reserved).map(
      ([name, a]) =>
        `  held for ${name} (removed) while their secrets are kept: port ${a.port}, rule priority ${a.priority}`,
    ),
  ];
  for (const p of phases) {
    lines.push('', `${p.phase} — ${p.title}${p.needs.length ? ` (after ${p.needs.join(', ')})` : ''}`);
    if (p.resources.length === 0) lines.push('  (checks only; creates nothing)');
    for (const r of p.resources) {
      lines.push(`  + ${r.kind} ${r.name}  [${r.logicalId}]`, `      ${showProps(r.properties)}`);
      const tags = Object.keys(r.tags).length
        ? [`${TAG.resource}=${r.tags[TAG.resource]}`, ...(r.developer ? [`${TAG.developer}=${r.developer}`] : [])]
        : [];
      if (tags.length) lines.push(`      tags: Name=${r.tags.Name}, ${tags.join(', ')}`);
    }
  }
  lines.push('', summaryLine(summary, true), '', estimateText(config, cost));
  return { output: lines.join('\n'), summary };
}

const estimateText = (config: Config, cost: PlanEstimate) =>
  renderEstimate(cost.estimate, {
    schedule: config.schedule,
    running: cost.running,
    warning: cost.warning,
  });

/**
 * The conflicts `up` would stop at (a DNS name another record holds): `plan` shows them, then fails naming them, as
 * `up` would.
 */
function blockedFailure(changes: Change[]): DevenvError | undefined {
  const blocked = changes.filter((c) => c.blocked);
  if (blocked.length === 0) return undefined;
  return new DevenvError(
    'phase',
    `\`devenv up\` would stop at ${
      blocked.length === 1 ? 'a conflict' : `${blocked.length} conflicts`
    }: ${blocked.map((c) => `${c.phase} ${c.kind} ${c.name ?? c.logicalId}: ${c.blocked}`).join('; ')}`,
    {
      remedy: 'resolve each conflict the way its line says, then run `devenv plan` again',
    },
  );
}

/** `plan`: each phase probes AWS (read-only). */
export async function onlinePlan(session: Session, o: ReadOptions): Promise<ReadResult & { summary: PlanSummary }> {
  await session.verifyAccount();
  // what `up` would give: recovered from the secrets' tags when the state lacks someone
  await session.allocateDevelopers();
  const names = topologicalOrder();
  const { items, failures } = await readPhases(session, names, (phase, ctx) => phase.plan(ctx));
  const changes = names.flatMap((name) => items.get(name) ?? []);
  const pending = pendingPhases(session.state);
  const summary = countChanges(
    changes,
    failures,
    pending.map((p) => p.phase),
  );
  const errors = failures.map((f) => ({ phase: f.phase, message: messageOf(f.error).split('\n')[0]! }));
  const cost = await planEstimate(session.config, session.state.data, {
    env: session.env,
    now: new Date(),
    aws: session.aws,
  });
  const output = o.json
    ? JSON.stringify({
        changes,
        errors,
        pending,
        warnings: [...new Set(changes.flatMap((c) => c.warnings ?? []))],
        summary,
        estimate: { ...cost.estimate, ...(cost.running && { running: cost.running.total }) },
      })
    : `${renderPlan(
        {
          changes,
          failures: errors,
          pending: pending.map(describePending),
          summaryLine: summaryLine(summary),
          all: o.all,
        },
        o,
      )}\n\n${estimateText(session.config, cost)}`;
  return { output, summary, failure: phaseFailure('plan', failures) ?? blockedFailure(changes) };
}

/**
 * What `up` would do. `create`…`delete` change AWS; `adopt` only records in the state what its
 * tags found.
 */
export interface PlanSummary {
  create: number;
  update: number;
  replace: number;
  delete: number;
  adopt: number;
  /**
   * Phases not created yet (never run, left out by `up --skip`, failed): `up` runs them, so there is something to do.
   */
  pending: number;
  /** Conflicts `up` would stop at (a DNS name another record holds). */
  blocked: number;
  failedPhases: number;
}

/** Whether `up` has anything to do: `plan --detailed-exitcode` exits 2, and `status` finds a problem for each. */
export const hasChanges = (s: PlanSummary): boolean =>
  s.create + s.update + s.replace + s.delete + s.pending + s.blocked > 0;

export function countChanges(
  changes: Change[],
  failures: PhaseFailure[] = [],
  pendingPhases: string[] = [],
): PlanSummary {
  const count = (action: Change['action']) => changes.filter((c) => c.action === action).length;
  return {
    create: count('create'),
    update: count('update'),
    replace: count('replace'),
    delete: count('delete'),
    adopt: count('adopt'),
    pending: pendingPhases.length,
    blocked: changes.filter((c) => c.blocked).length,
    failedPhases: failures.length,
  };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The plan's last line: `Plan: 2 to create, 1 to update, 0 to replace, 0 to delete (and 3 to adopt: …).` */
export function summaryLine(s: PlanSummary, offline = false): string {
  const extra = [
    ...(s.adopt ? [`${s.adopt} to adopt: found by their tags, they are only recorded in the state`] : []),
    ...(s.pending ? [`${plural(s.pending, 'phase')} not created yet`] : []),
    ...(s.blocked ? [`${plural(s.blocked, 'conflict')} \`up\` would stop at`] : []),
    ...(s.failedPhases ? [`${s.failedPhases} phase${s.failedPhases > 1 ? 's' : ''} could not be planned`] : []),
  ];
  return (
    `Plan${offline ? ' (offline: as if nothing existed yet)' : ''}: ${s.create} to create, ${s.update} to ` +
    `update, ${s.replace} to replace, ${s.delete} to delete` +
    `${extra.length ? ` (and ${extra.join('; ')})` : ''}.`
  );
}
