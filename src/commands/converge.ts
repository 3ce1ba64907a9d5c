import { notDeleted, type Leftover } from '../phases/teardown/report.js';
import { useInstead, guessFor } from '../config/issues.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import { PHASES, phaseInfo } from '../phases/index.js';
import type { Phase, PhaseName } from '../phases/types.js';
import { missingNeedsError, reverseGraph, runGraph, Unavailable, type GraphResult, type Node, type Outcome } from '../runner.js';
import type { Reporter } from '../ui/events.js';
import type { Session } from './session.js';

/** Phases that may run at once: enough to overlap certificate validation with the network and the host. */
const CONCURRENCY = 4;

/** The phases' graph for a run of these phases: needs and `after` among them only. */
export const graphOf = (names: PhaseName[]): Node[] =>
  names.map((name) => ({ name, needs: phaseInfo(name).needs.filter((n) => names.includes(n)), after: phaseInfo(name).after?.filter((n) => names.includes(n)) }));

async function timed(reporter: Reporter, name: PhaseName, work: () => Promise<void>): Promise<void> {
  const started = Date.now();
  reporter.emit({ type: 'phase-start', phase: name });
  try {
    await work();
    reporter.emit({ type: 'phase-done', phase: name, durationMs: Date.now() - started });
  } catch (err) {
    reporter.emit({ type: 'phase-failed', phase: name, durationMs: Date.now() - started, message: messageOf(err) });
    throw err;
  }
}

async function implementation(session: Session, name: PhaseName): Promise<Phase> {
  const phase = await session.loadPhase(name);
  if (!phase) throw new Unavailable(`is not implemented yet`);
  return phase;
}

/** `up` and `phase`: converge phases in dependency order, recording each phase's status in the state. */
export async function applyPhases(session: Session, reporter: Reporter, names: PhaseName[], signal: AbortSignal): Promise<GraphResult> {
  // New developers get their port and priority once validate has passed: a failed validate changes no allocation.
  if (!names.includes('validate')) await session.allocateDevelopers();
  return runGraph(graphOf(names), {
    concurrency: CONCURRENCY,
    signal,
    onBlocked: (phase, reason) => reporter.emit({ type: 'phase-blocked', phase, reason }),
    run: async (name) => {
      const phaseName = name as PhaseName;
      const phase = await implementation(session, phaseName).catch((err: unknown) => {
        reporter.emit({ type: 'phase-blocked', phase: name, reason: messageOf(err) });
        throw err;
      });
      await timed(reporter, phaseName, async () => {
        await session.state.setPhase(name, 'running');
        try {
          await phase.apply(session.context(phaseName));
        } catch (err) {
          await session.state.setPhase(name, 'failed', messageOf(err));
          throw err;
        }
        await session.state.setPhase(name, 'complete');
        if (name === 'validate') await session.allocateDevelopers();
      });
    },
  });
}

/** What `destroy` did: the phases' outcomes (firstError: what the command exits on), and what is still in AWS. */
export interface DestroyResult {
  result: GraphResult;
  left: Leftover[];
}

/**
 * `destroy`: every built phase, in reverse dependency order; each deletes what it owns. A phase
 * that fails holds back only the phases that must wait for it; everything else is still deleted.
 * Then the teardown sweep deletes whatever else carries the project's tag, and says what is left
 * (kept data alone is no failure); the error then names what is left and why.
 */
export async function destroyPhases(session: Session, reporter: Reporter, signal: AbortSignal): Promise<DestroyResult> {
  const built = PHASES.filter((p) => p.load).map((p) => p.name);
  const result = await runGraph(reverseGraph(graphOf(built)), {
    concurrency: CONCURRENCY,
    signal,
    keepGoing: true,
    onBlocked: (phase, reason) => reporter.emit({ type: 'phase-blocked', phase, reason }),
    run: async (name) => {
      const phaseName = name as PhaseName;
      const phase = await implementation(session, phaseName);
      await timed(reporter, phaseName, async () => {
        await phase.destroy(session.context(phaseName));
        await session.state.clearPhase(name);
      });
    },
  });
  if (result.firstError instanceof InterruptedError || signal.aborted) return { result, left: [] };
  const { teardown } = await import('../phases/teardown.js');
  let left: Leftover[] = [];
  let sweepError: unknown;
  await timed(reporter, 'teardown', async () => {
    left = await teardown(session.context('teardown'));
    const undeleted = notDeleted(left);
    if (undeleted.length > 0) throw new DevenvError('phase', `still present: ${undeleted.join('; ')}`);
  }).catch((err: unknown) => (sweepError = err));
  if (sweepError instanceof InterruptedError) return { result: { ...result, firstError: sweepError }, left };
  if (result.firstError === undefined && sweepError === undefined) return { result, left };
  return { result: { ...result, firstError: leftAfterDestroy(session, result, left, sweepError) }, left };
}

/**
 * What a destroy that failed somewhere left behind, and why: the phases that ran and failed, and
 * what the sweep's final listing still found. A phase held back never ran: it is not named (what it
 * would have deleted is in the listing, with why).
 */
export function leftAfterDestroy(session: Pick<Session, 'config'>, result: GraphResult, left: Leftover[], sweepError: unknown): DevenvError {
  const failed = result.outcomes.filter((o): o is Extract<Outcome, { result: 'failed' }> => o.result === 'failed');
  const why = failed.map((o) => `${o.name} failed: ${messageOf(o.error).split('\n')[0]}`);
  const undeleted = notDeleted(left);
  // The sweep itself broke (not "something is still there", which `undeleted` says): say how.
  const broken = sweepError !== undefined && undeleted.length === 0 ? [`the teardown sweep failed: ${messageOf(sweepError).split('\n')[0]}`] : [];
  const remedies = failed.flatMap((o) => (o.error instanceof DevenvError && o.error.remedy ? [o.error.remedy] : []));
  const again = remedies.some((r) => r.includes('devenv destroy')) ? [] : ['then run `devenv destroy` again'];
  return new DevenvError('phase',
    `${['destroy could not delete everything', ...why, ...broken].join('; ')}\n` +
    `still in AWS: ${undeleted.length ? undeleted.join('; ') : `nothing else carries the tag devenv:project=${session.config.project}`}`,
    { remedy: [...remedies, ...again].map(sentenceOf).join(' '), cause: result.firstError ?? sweepError });
}

/** `fix it, then run …` → `Fix it, then run ….` */
const sentenceOf = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1).replace(/[.;\s]*$/, '')}.`;

/**
 * `up --skip a,b`: every phase but these and the ones that need them (directly or not), which
 * are reported as not run. An unknown name is bad input.
 */
export function phasesWithout(skip: string[], reporter: Reporter): PhaseName[] {
  const all = PHASES.map((p) => p.name);
  const unknown = skip.filter((s) => !all.includes(s as PhaseName));
  if (unknown.length > 0) {
    throw new DevenvError('config', `--skip: unknown phase ${unknown.map((u) => `"${u}"${guessFor(u, all)}`).join(', ')}`, { remedy: unknown.length === 1 ? useInstead(unknown[0], all) : `use phase names: ${all.join(', ')}` });
  }
  const skipped = new Set<string>(skip);
  for (const p of PHASES) if (p.needs.some((n) => skipped.has(n))) skipped.add(p.name); // PHASES lists needs first
  for (const name of skipped) reporter.emit({ type: 'phase-blocked', phase: name, reason: skip.includes(name) ? 'skipped (--skip)' : `needs a skipped phase` });
  return PHASES.map((p) => p.name).filter((n) => !skipped.has(n));
}

/** `devenv phase <name>` refuses when a phase it needs has not completed. */
export function checkNeeds(session: Session, name: PhaseName): void {
  const missing = phaseInfo(name).needs.filter((n) => session.state.phase(n)?.status !== 'complete');
  if (missing.length > 0) throw missingNeedsError(name, missing);
}

/** Turns a graph result into the command's outcome: the first error, or a summary error when phases could not run. */
export function summarize(result: GraphResult, reporter: Reporter, verb: string): void {
  reportTally(reporter, verb);
  if (result.firstError !== undefined) throw result.firstError;
  const unavailable = result.outcomes.filter((o) => o.result === 'unavailable').map((o) => o.name);
  const blocked = result.outcomes.filter((o) => o.result === 'blocked').map((o) => o.name);
  const done = result.outcomes.filter((o) => o.result === 'done').map((o) => o.name);
  if (done.length > 0) reporter.emit({ type: 'step', message: `${verb}: ${done.join(', ')}` });
  if (unavailable.length > 0) {
    throw new DevenvError('not-implemented', `stopped: phase${unavailable.length > 1 ? 's' : ''} ${unavailable.join(', ')} ${unavailable.length > 1 ? 'are' : 'is'} not implemented yet${blocked.length ? `, so ${blocked.join(', ')} could not run` : ''}`, {
      remedy: `everything that could run has converged; run \`devenv phase <name>\` for the built phases, or \`devenv plan --offline\` to see what the rest will create`,
    });
  }
}

/** The resources the run touched, counted from the resource events: `up` ends with what it created, changed and kept. */
function reportTally(reporter: Reporter, verb: string): void {
  const t = reporter.tally();
  const parts = verb === 'destroyed'
    ? [`${t.deleted} deleted`]
    : [`${t.created} created`, `${t.updated} changed`, `${t.kept} kept`, ...(t.adopted ? [`${t.adopted} adopted`] : []),
      ...(t.replaced ? [`${t.replaced} replaced`] : []), ...(t.deleted ? [`${t.deleted} deleted`] : [])];
  reporter.emit({ type: 'summary', command: verb, counts: t, message: `resources: ${parts.join(', ')}` });
}
