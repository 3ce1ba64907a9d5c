import { PHASES, topologicalOrder } from '../phases/index.js';
import type { Change, Row } from '../phases/types.js';
import { table } from '../ui/table.js';
import { renderChanges } from './plan.js';
import type { Session } from './session.js';

/** `plan`: each built phase probes AWS (read-only); phases not built yet show their blueprint as creates. */
export async function onlinePlan(session: Session, json: boolean): Promise<string> {
  try {
    await session.verifyAccount();
    await session.allocateDevelopers(); // what `up` would give: recovered from the secrets' tags when the state lacks someone
    const changes: Change[] = [];
    for (const name of topologicalOrder()) {
      const phase = await session.loadPhase(name);
      if (phase) {
        changes.push(...(await phase.plan(session.context(name))));
        continue;
      }
      const info = PHASES.find((p) => p.name === name)!;
      changes.push(...info.blueprint(session.model).map((r): Change => ({ phase: name, action: 'create', logicalId: r.logicalId, kind: r.kind, name: r.name, detail: 'phase not built yet' })));
    }
    return json ? JSON.stringify({ changes }) : renderChanges(changes);
  } finally {
    await session.close();
  }
}

/** `status`: every built phase's live rows, and every developer's URL. */
export async function status(session: Session, json: boolean): Promise<string> {
  try {
    await session.verifyAccount();
    await session.allocateDevelopers(); // what `up` would give: recovered from the secrets' tags when the state lacks someone
    const built = PHASES.filter((p) => p.load);
    const rows: Row[] = (await Promise.all(built.map(async (p) => (await session.loadPhase(p.name))!.status(session.context(p.name))))).flat();
    const developers = session.model.developers.map((d) => ({ name: d.name, url: d.url, port: d.port, priority: d.priority }));
    const phases = PHASES.map((p) => ({ name: p.name, status: p.load ? (session.state.phase(p.name)?.status ?? 'not run') : 'not built yet' }));
    if (json) return JSON.stringify({ project: session.config.project, region: session.config.region, account: session.state.data.account, phases, developers, resources: rows });
    return [
      `${session.config.project} in ${session.config.region}${session.state.data.account ? ` (account ${session.state.data.account})` : ''}`,
      '',
      table(['phase', 'status'], phases.map((p) => [p.name, p.status])),
      '',
      table(['phase', 'resource', 'kind', 'id', 'state', 'detail'], rows.map((r) => [r.phase, r.logicalId, r.kind, r.id ?? '-', r.state, r.detail ?? ''])),
      '',
      table(['developer', 'url', 'port', 'priority'], developers.map((d) => [d.name, d.url, String(d.port), String(d.priority)])),
    ].join('\n');
  } finally {
    await session.close();
  }
}
