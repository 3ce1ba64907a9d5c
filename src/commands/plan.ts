import type { PlannedResource, PropertyValue } from '../blueprint/types.js';
import { loadConfig } from '../config/load.js';
import { allocate, buildModel } from '../config/model.js';
import { PHASES, topologicalOrder } from '../phases/index.js';
import type { Change } from '../phases/types.js';
import { TAG } from '../aws/tags.js';
import { StateStore } from '../state/store.js';
import { table } from '../ui/table.js';

const showValue = (v: PropertyValue) => (Array.isArray(v) ? v.join(', ') : String(v));
const showProps = (p: PlannedResource['properties']) => Object.entries(p).map(([k, v]) => `${k}=${showValue(v)}`).join('  ');

/**
 * `plan --offline`: every resource of every phase, from the config, with the ports and priorities
 * the state file holds (read only, never locked or written). No credentials, no SDK.
 */
export async function offlinePlan(configPath: string, statePath: string, json: boolean): Promise<string> {
  const config = await loadConfig(configPath);
  const state = await StateStore.open(statePath, { project: config.project, region: config.region, account: config.accountId });
  const { allocations, reserved } = allocate(config, state.data);
  const model = buildModel(config, allocations);
  const phases = topologicalOrder().map((name) => {
    const info = PHASES.find((p) => p.name === name)!;
    return { phase: name, title: info.title, needs: info.needs, built: Boolean(info.load), resources: info.blueprint(model) };
  });
  if (json) return JSON.stringify({ project: model.project, region: model.region, developers: model.developers, reserved, phases });

  const common = Object.entries(phases.flatMap((p) => p.resources).find((r) => Object.keys(r.tags).length)?.tags ?? {})
    .filter(([k]) => k !== 'Name' && k !== TAG.resource && k !== TAG.developer);
  const lines = [
    `devenv plan for ${model.project} in ${model.region} (${model.developers.length} developers; offline: from ${configPath}${state.onDisk ? ` and ${statePath}` : ' alone'})`,
    `Every AWS resource is tagged ${common.map(([k, v]) => `${k}=${v}`).join(', ')}, plus Name, ${TAG.resource} and, where one developer owns it, ${TAG.developer}.`,
    '',
    table(['developer', 'url', 'port', 'rule priority'], model.developers.map((d) => [d.name, d.url, String(d.port), String(d.priority)])),
    ...Object.entries(reserved).map(([name, a]) => `  held for ${name} (removed) while their secrets are kept: port ${a.port}, rule priority ${a.priority}`),
  ];
  for (const p of phases) {
    lines.push('', `${p.phase} — ${p.title}${p.needs.length ? ` (after ${p.needs.join(', ')})` : ''}${p.built ? '' : ' [not built yet]'}`);
    if (p.resources.length === 0) lines.push('  (checks only; creates nothing)');
    for (const r of p.resources) {
      lines.push(`  + ${r.kind} ${r.name}  [${r.logicalId}]`, `      ${showProps(r.properties)}`);
      const tags = Object.keys(r.tags).length ? [`${TAG.resource}=${r.tags[TAG.resource]}`, ...(r.developer ? [`${TAG.developer}=${r.developer}`] : [])] : [];
      if (tags.length) lines.push(`      tags: Name=${r.tags.Name}, ${tags.join(', ')}`);
    }
  }
  return lines.join('\n');
}

const SYMBOL: Record<Change['action'], string> = { create: '+', adopt: '~', update: '~', replace: '!', delete: '-', keep: '=' };

export function renderChanges(changes: Change[]): string {
  const rows = changes.map((c) => [SYMBOL[c.action], c.action, c.phase, c.kind, c.name ?? c.logicalId, c.id ?? '', c.detail ?? '']);
  const counts = ['create', 'adopt', 'update', 'replace', 'delete'].map((a) => `${changes.filter((c) => c.action === a).length} to ${a}`);
  return `${table(['', 'action', 'phase', 'kind', 'name', 'id', 'detail'], rows)}\n\nPlan: ${counts.join(', ')}.`;
}
