import { notDeleted, type Leftover } from '../phases/teardown/report.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import type { Model } from '../config/model.js';
import { needsIn, PHASES, phaseInfo } from '../phases/index.js';
import type { PhaseName } from '../phases/types.js';
import { reverseGraph, runGraph, type GraphResult, type Node, type NodeOutcome } from '../runner.js';
import type { Reporter } from '../ui/events.js';
import type { Session } from './session.js';

/** Phases that may run at once: enough to overlap certificate validation with the network and the host. */
const CONCURRENCY = 4;

/** The phases' graph for a run of these phases (with this config: see needsIn): needs and `after` among them only. */
export const graphOf = (names: PhaseName[], model?: Pick<Model, 'config'>): Node[] =>
  names.map((name) => ({
    name,
    needs: needsIn(name, model).filter((n) => names.includes(n)),
    after: phaseInfo(name).after?.filter((n) => names.includes(n)),
  }));

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

/** `up` and `phase`: converge phases in dependency order, recording each phase's status in the state. */
export async function applyPhases(
  session: Session,
  reporter: Reporter,
  names: PhaseName[],
  signal: AbortSignal,
): Promise<GraphResult> {
  // New developers get their port and priority once validate has passed: a failed validate changes no allocation.
  if (!names.includes('validate')) await session.allocateDevelopers();
  return runGraph(graphOf(names, session.model), {
    concurrency: CONCURRENCY,
    signal,
    onBlocked: (phase, reason) => reporter.emit({ type: 'phase-blocked', phase, reason }),
    run: async (name) => {
      const phaseName = name as PhaseName;
      const phase = await session.loadPhase(phaseName);
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
 * `destroy`: every phase, in reverse dependency order; each deletes what it owns. A phase
 * that fails holds back only the phases that must wait for it; everything else is still deleted.
 * Then the teardown sweep deletes whatever else carries the project's tag, and says what is left
 * (kept data alone is no failure); the error then names what is left and why.
 */
export async function destroyPhases(session: Session, reporter: Reporter, signal: AbortSignal): Promise<DestroyResult> {
  const result = await runGraph(reverseGraph(graphOf(PHASES.map((p) => p.name))), {
    concurrency: CONCURRENCY,
    signal,
    keepGoing: true,
    onBlocked: (phase, reason) => reporter.emit({ type: 'phase-blocked', phase, reason }),
    run: async (name) => {
      const phaseName = name as PhaseName;
      const phase = await session.loadPhase(phaseName);
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
export function leftAfterDestroy(
  session: Pick<Session, 'config'>,
  result: GraphResult,
  left: Leftover[],
  sweepError: unknown,
): DevenvError {
  const failed = result.outcomes.filter((o): o is Extract<NodeOutcome, { result: 'failed' }> => o.result === 'failed');
  const why = failed.map((o) => `${o.name} failed: ${messageOf(o.error).split('\n')[0]}`);
  const undeleted = notDeleted(left);
  // The sweep itself broke (not "something is still there", which `undeleted` says): say how.
  const broken =
    sweepError !== undefined && undeleted.length === 0
      ? [`the teardown sweep failed: ${messageOf(sweepError).split('\n')[0]}`]
      : [];
  const remedies = failed.flatMap((o) => (o.error instanceof DevenvError && o.error.remedy ? [o.error.remedy] : []));
  const again = remedies.some((r) => r.includes('devenv destroy')) ? [] : ['then run `devenv destroy` again'];
  return new DevenvError(
    'phase',
    `${['destroy could not delete everything', ...why, ...broken].join('; ')}\n` +
      `still in AWS: ${
        undeleted.length
          ? undeleted.join('; ')
          : `nothing else carries the tag devenv:project=${session.config.project}`
      }`,
    { remedy: [...remedies, ...again].map(sentenceOf).join(' '), cause: result.firstError ?? sweepError },
  );
}

/** `fix it, then run …` → `Fix it, then run ….` */
const sentenceOf = (text: string): string => `${text.charAt(0).toUpperCase()}${text.slice(1).replace(/[.;\s]*$/, '')}.`;

/** Turns a graph result into the command's outcome: the first error, else the phases done. */
export function summarize(result: GraphResult, reporter: Reporter, verb: string): void {
  reportTally(reporter, verb);
  if (result.firstError !== undefined) throw result.firstError;
  const done = result.outcomes.filter((o) => o.result === 'done').map((o) => o.name);
  if (done.length > 0) reporter.emit({ type: 'step', message: `${verb}: ${done.join(', ')}` });
}

/**
 * The resources the run touched, counted from the resource events: `up` ends with what it created, changed and kept.
 */
function reportTally(reporter: Reporter, verb: string): void {
  const t = reporter.tally();
  const parts =
    verb === 'destroyed'
      ? [`${t.deleted} deleted`]
      : [
          `${t.created} created`,
          `${t.updated} changed`,
          `${t.kept} kept`,
          ...(t.adopted ? [`${t.adopted} adopted`] : []),
          ...(t.replaced ? [`${t.replaced} replaced`] : []),
          ...(t.deleted ? [`${t.deleted} deleted`] : []),
        ];
  reporter.emit({ type: 'summary', command: verb, counts: t, message: `resources: ${parts.join(', ')}` });
}
