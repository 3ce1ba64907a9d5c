import { containerId } from '../blueprint/compute.js';
import { recordId, targetGroupId } from '../blueprint/edge.js';
import { identityOf } from '../blueprint/sign-in.js';
import { describeSignIn, signInOf } from './sign-in.js';
import { DevenvError, messageOf } from '../errors.js';
import { PHASES, topologicalOrder } from '../phases/index.js';
import type { PhaseName } from '../phases/types.js';
import { problemOf } from '../phases/inspection.js';
import { listProblems, renderStatus, type StatusDeveloper, type StatusResource } from '../ui/plan-and-status.js';
import { describePending, nextSteps, pendingPhases, type PendingPhase } from './next-steps.js';
import { kindOf, readPhases, remediesOf, type ReadOptions, type ReadResult } from './read-phases.js';
import type { Session } from './session.js';
import { describeSleep, readSleep } from '../phases/schedule/sleep.js';

/**
 * `status`: every phase's live rows (one read per phase: a phase's `status` shares its `plan`'s
 * read and marks on its rows what `plan` would change), a row per developer, and whether all of it is
 * live and as planned. A phase not created yet (never run, left out by `up --skip`, failed) is a
 * problem of its own line; the rows of one never created carry no problem of their own (they are
 * `pending`). Any problem, and a phase that could not be read, make the command exit 1, naming them.
 */
export async function status(session: Session, o: ReadOptions): Promise<ReadResult> {
  await session.verifyAccount();
  // what `up` would give: recovered from the secrets' tags when the state lacks someone
  await session.allocateDevelopers();
  const names = topologicalOrder();
  const { items, failures } = await readPhases(session, names, (phase, ctx) => phase.status(ctx));
  const pending = pendingPhases(session.state);
  // A phase that never got as far as creating anything: its rows say `pending`, the phase's line says why.
  const neverCreated = pending
    .filter((p) => ['skipped', undefined].includes(session.state.phase(p.phase)?.status))
    .map((p) => p.phase);
  const owners = developerOwners(session.model);
  const resources: StatusResource[] = names.flatMap((name): StatusResource[] => {
    const failure = failures.find((f) => f.phase === name);
    if (failure)
      return [
        {
          phase: name,
          logicalId: '-',
          kind: '-',
          state: 'error',
          detail: messageOf(failure.error).split('\n')[0],
          verdict: 'error',
        },
      ];
    return (items.get(name) ?? []).map((row) => {
      const { problem: _asRead, warnings: _said, ...rest } = row;
      const problem = neverCreated.includes(name) ? undefined : problemOf(row);
      const developer = row.developer ?? owners.get(row.logicalId);
      const verdict = problem?.verdict ?? (neverCreated.includes(name) ? 'pending' : 'ok');
      return { ...rest, ...(developer ? { developer } : {}), ...(problem ? { problem } : {}), verdict };
    });
  });
  const sleep = await readSleep(session.context('schedule'), Date.now());
  if (sleep?.asleep) forgiveSleep(resources, describeSleep(sleep));
  const problems = [
    ...pending.map(describePending),
    ...failures.map((f) => `${f.phase} could not be read: ${messageOf(f.error)}`),
    ...resources.flatMap((r) => (r.problem ? [r.problem.message] : [])),
  ];
  const warnings = [...new Set(names.flatMap((n) => (items.get(n) ?? []).flatMap((r) => r.warnings ?? [])))];
  const developers = developerRows(session, resources);
  const phases = PHASES.map((p) => ({ name: p.name, status: phaseStatus(session, p.name, pending) }));
  const next = nextSteps(session.config, session.model, session.state);
  const output = o.json
    ? JSON.stringify({
        project: session.config.project,
        region: session.config.region,
        account: session.state.data.account,
        ok: problems.length === 0,
        urls: next.urls,
        loadBalancerDns: next.loadBalancerDns,
        hostAddress: next.hostAddress,
        pending: next.pending,
        ...(sleep ? { host: { instanceId: sleep.instanceId, state: sleep.state, sleep: describeSleep(sleep) } } : {}),
        phases,
        auth: signInOf(session.config),
        developers,
        resources: resources.map(({ verdict: _v, ...r }) => r),
        problems,
        warnings,
      })
    : renderStatus(
        {
          heading: `${session.config.project} in ${session.config.region}${
            session.state.data.account ? ` (account ${session.state.data.account})` : ''
          }`,
          phases,
          resources,
          developers,
          names: blueprintNames(session.model),
          loadBalancerDns: next.loadBalancerDns,
          hostAddress: next.hostAddress,
          warnings,
          signIn: describeSignIn(session.config),
        },
        o,
      ) + (sleep ? `\nhost: ${describeSleep(sleep)}` : '');
  const failure =
    problems.length === 0
      ? undefined
      : new DevenvError(kindOf(failures), listProblems(problems), {
          remedy: [...remediesOf(failures), '`devenv plan` shows what `devenv up` would do about them'].join('; '),
        });
  return { output, failure };
}

function phaseStatus(session: Session, name: PhaseName, pending: PendingPhase[]): string {
  const p = pending.find((x) => x.phase === name);
  return p ? `pending: ${p.reason}` : (session.state.phase(name)?.status ?? 'not run');
}

/** Which developer each logical id belongs to, from every phase's blueprint (a phase's rows need not say). */
function developerOwners(model: Session['model']): Map<string, string> {
  return new Map(
    PHASES.flatMap((p) => p.blueprint(model)).flatMap((r) =>
      r.developer ? [[r.logicalId, r.developer] as [string, string]] : [],
    ),
  );
}

/** Each logical id's name, from every phase's blueprint: what `status` shows in place of an ARN. */
function blueprintNames(model: Session['model']): Map<string, string> {
  return new Map(PHASES.flatMap((p) => p.blueprint(model)).map((r) => [r.logicalId, r.name]));
}

/** What `status` shows of one developer: where they log in, and the live state of what serves them. */
export interface DeveloperStatus extends StatusDeveloper {
  priority: number;
}

function developerRows(session: Session, resources: StatusResource[]): DeveloperStatus[] {
  return session.model.developers.map((d) => {
    const mine = resources.filter((r) => r.developer === d.name);
    const stateOf = (logicalId: string) => mine.find((r) => r.logicalId === logicalId)?.state ?? '-';
    return {
      name: d.name,
      url: d.url,
      port: d.port,
      priority: d.priority,
      container: stateOf(containerId(d.name)),
      target: stateOf(targetGroupId(d.name)),
      dns: stateOf(recordId(d.name)),
      ...(session.config.auth.provider !== 'password' ? { identity: identityOf(d) ?? '-' } : {}),
      // `<verdict> <kind>` of each of their resources with a problem (their rule, secret, log group …), or whose phase
      // is pending.
      problems: mine.flatMap((r) =>
        r.problem ? [`${r.problem.verdict} ${r.kind}`] : r.verdict === 'pending' ? [`pending ${r.kind}`] : [],
      ),
    };
  });
}

/** Phases whose rows a host asleep on purpose makes unhealthy (the host stopped, its targets unused): not a problem. */
const ASLEEP_PHASES = ['ec2', 'alb'];

function forgiveSleep(resources: StatusResource[], why: string): void {
  for (const r of resources)
    if (ASLEEP_PHASES.includes(r.phase) && r.problem?.verdict === 'unhealthy') {
      delete r.problem;
      r.verdict = 'ok';
      r.detail = why;
    }
}
