import { DevenvError, ExitCode, messageOf, type ErrorKind } from '../errors.js';
import { PHASES, topologicalOrder } from '../phases/index.js';
import { PHASE_NAMES, type Change, type Context, type Phase, type PhaseName, type Row } from '../phases/types.js';
import { problemOf } from '../phases/inspection.js';
import { table } from '../ui/table.js';
import { countChanges, renderChanges, type PhaseFailure, type PlanSummary } from './plan.js';
import type { Session } from './session.js';

/** What `plan` and `status` print, and the error they exit with after printing it (a phase that could not be read, drift). */
export interface ReadResult {
  output: string;
  failure?: DevenvError;
  /** `plan`: the counts `--detailed-exitcode` decides on. */
  summary?: PlanSummary;
}

/**
 * Reads every built phase with `read`. A phase that fails (a same-named resource devenv does not
 * own, a refused call) becomes a failure of that phase and the others are still read.
 */
async function readPhases<T>(session: Session, names: PhaseName[], read: (phase: Phase, ctx: Context) => Promise<T[]>): Promise<{ items: Map<PhaseName, T[]>; failures: PhaseFailure[] }> {
  const items = new Map<PhaseName, T[]>();
  const failures: PhaseFailure[] = [];
  await Promise.all(names.map(async (name) => {
    const phase = (await session.loadPhase(name))!;
    try {
      items.set(name, await read(phase, session.context(name)));
    } catch (error) {
      failures.push({ phase: name, error });
    }
  }));
  return { items, failures };
}

/** Phases the last `up --skip` left out (and that had not completed before). */
const skippedPhases = (session: Session): PhaseName[] => PHASE_NAMES.filter((n) => session.state.phase(n)?.status === 'skipped');

const builtPhases = (): PhaseName[] => topologicalOrder().filter((name) => PHASES.find((p) => p.name === name)!.load);

const remediesOf = (failures: PhaseFailure[]): string[] => failures.flatMap((f) => (f.error instanceof DevenvError && f.error.remedy ? [f.error.remedy] : []));

/** Bad input (a private key devenv cannot use, say) stays bad input, exit 2, though other phases could be read. */
const kindOf = (failures: PhaseFailure[]): ErrorKind =>
  failures.map((f) => f.error).find((e): e is DevenvError => e instanceof DevenvError && e.exitCode === ExitCode.badInput)?.kind ?? 'phase';

/** One error for the phases that could not be read: their messages, and their fixes. */
function phaseFailure(verb: string, failures: PhaseFailure[]): DevenvError | undefined {
  if (failures.length === 0) return undefined;
  const remedies = remediesOf(failures);
  const names = failures.map((f) => f.phase).join(', ');
  return new DevenvError(kindOf(failures), `could not ${verb} phase${failures.length > 1 ? 's' : ''} ${names} (the others are shown above): ` +
    failures.map((f) => `${f.phase}: ${messageOf(f.error)}`).join('; '), { remedy: remedies.join('; ') || undefined, cause: failures[0].error });
}

/** `plan`: each built phase probes AWS (read-only); phases not built yet show their blueprint as creates. */
export async function onlinePlan(session: Session, json: boolean): Promise<ReadResult> {
  try {
    await session.verifyAccount();
    await session.allocateDevelopers(); // what `up` would give: recovered from the secrets' tags when the state lacks someone
    const { items, failures } = await readPhases(session, builtPhases(), (phase, ctx) => phase.plan(ctx));
    const changes: Change[] = [];
    for (const name of topologicalOrder()) {
      const info = PHASES.find((p) => p.name === name)!;
      if (info.load) changes.push(...(items.get(name) ?? []));
      else changes.push(...info.blueprint(session.model).map((r): Change => ({ phase: name, action: 'create', logicalId: r.logicalId, kind: r.kind, name: r.name, detail: 'phase not built yet' })));
    }
    const summary = countChanges(changes, failures, skippedPhases(session));
    const output = json
      ? JSON.stringify({ changes, errors: failures.map((f) => ({ phase: f.phase, message: messageOf(f.error) })), summary })
      : renderChanges(changes, failures, summary);
    return { output, summary, failure: phaseFailure('plan', failures) };
  } finally {
    await session.close();
  }
}

/**
 * `status`: every built phase's live rows (one read per phase: a phase's `status` shares its `plan`'s
 * read and marks on its rows what `plan` would change), a row per developer, and whether all of it is
 * live and as planned. A row with a problem (missing, drifted, unhealthy) outside a phase the last
 * `up --skip` left out, and a phase that could not be read, make the command exit 1, naming them.
 */
export async function status(session: Session, json: boolean): Promise<ReadResult> {
  try {
    await session.verifyAccount();
    await session.allocateDevelopers(); // what `up` would give: recovered from the secrets' tags when the state lacks someone
    const names = builtPhases();
    const { items, failures } = await readPhases(session, names, (phase, ctx) => phase.status(ctx));
    const skippedNow = skippedPhases(session);
    const owners = developerOwners(session.model);
    const resources: Row[] = names.flatMap((name): Row[] => {
      const failure = failures.find((f) => f.phase === name);
      if (failure) return [{ phase: name, logicalId: '-', kind: '-', state: `error: ${messageOf(failure.error).split('\n')[0]}` }];
      return (items.get(name) ?? []).map((row) => {
        const { problem: _asRead, ...rest } = row;
        const problem = skippedNow.includes(name) ? undefined : problemOf(row);
        const developer = row.developer ?? owners.get(row.logicalId);
        return { ...rest, ...(developer ? { developer } : {}), ...(problem ? { problem } : {}) };
      });
    });
    const problems = [
      ...failures.map((f) => `${f.phase} could not be read: ${messageOf(f.error)}`),
      ...resources.flatMap((r) => (r.problem ? [r.problem.message] : [])),
    ];
    const developers = developerRows(session, resources);
    const phases = PHASES.map((p) => ({ name: p.name, status: p.load ? (session.state.phase(p.name)?.status ?? 'not run') : 'not built yet' }));
    const output = json
      ? JSON.stringify({ project: session.config.project, region: session.config.region, account: session.state.data.account, ok: problems.length === 0, phases, developers, resources, problems })
      : [
        `${session.config.project} in ${session.config.region}${session.state.data.account ? ` (account ${session.state.data.account})` : ''}`,
        '',
        table(['phase', 'status'], phases.map((p) => [p.name, p.status])),
        '',
        table(['phase', 'resource', 'kind', 'id', 'state', 'verdict', 'detail'], resources.map((r) => [r.phase, r.logicalId, r.kind, r.id ?? '-', r.state, verdictOf(r, skippedNow), r.detail ?? ''])),
        '',
        table(['developer', 'url', 'port', 'container', 'target', 'dns', 'verdict'], developers.map((d) => [d.name, d.url, String(d.port), d.container, d.target, d.dns, d.problems.length ? d.problems.join('; ') : 'ok'])),
      ].join('\n');
    const failure = problems.length === 0 ? undefined : new DevenvError(kindOf(failures), `${problems.length} problem${problems.length > 1 ? 's' : ''}: ${problems.join('; ')}`, {
      remedy: [...remediesOf(failures), '`devenv plan` shows what `devenv up` would do about them'].join('; '),
    });
    return { output, failure };
  } finally {
    await session.close();
  }
}

const verdictOf = (r: Row, skipped: PhaseName[]) => r.problem?.verdict ?? (skipped.includes(r.phase) ? 'skipped' : r.logicalId === '-' ? 'error' : 'ok');

/** Which developer each logical id belongs to, from every phase's blueprint (a phase's rows need not say). */
function developerOwners(model: Session['model']): Map<string, string> {
  return new Map(PHASES.flatMap((p) => p.blueprint(model)).flatMap((r) => (r.developer ? [[r.logicalId, r.developer] as [string, string]] : [])));
}

/** What `status` shows of one developer: where they log in, and the live state of what serves them. */
export interface DeveloperStatus {
  name: string;
  url: string;
  port: number;
  priority: number;
  /** The state of their container, target group (its target's health) and DNS record; `-` when no phase shows one. */
  container: string;
  target: string;
  dns: string;
  /** `<verdict> <kind>` of each of their resources with a problem (their rule, secret, log group … too). */
  problems: string[];
}

function developerRows(session: Session, resources: Row[]): DeveloperStatus[] {
  return session.model.developers.map((d) => {
    const mine = resources.filter((r) => r.developer === d.name);
    const stateOf = (kind: string) => mine.find((r) => r.kind === kind)?.state ?? '-';
    return {
      name: d.name, url: d.url, port: d.port, priority: d.priority,
      container: stateOf('container'), target: stateOf('target group'), dns: stateOf('DNS record'),
      problems: mine.flatMap((r) => (r.problem ? [`${r.problem.verdict} ${r.kind}`] : [])),
    };
  });
}
