import { DevenvError, messageOf } from '../errors.js';
import { PHASES, phaseInfo } from '../phases/index.js';
import type { Phase, PhaseName } from '../phases/types.js';
import { missingNeedsError, reverseGraph, runGraph, Unavailable, type GraphResult, type Node } from '../runner.js';
import type { Reporter } from '../ui/events.js';
import type { Session } from './session.js';

/** Phases that may run at once: enough to overlap certificate validation with the network and the host. */
const CONCURRENCY = 4;

const graphOf = (names: PhaseName[]): Node[] =>
  names.map((name) => ({ name, needs: phaseInfo(name).needs.filter((n) => names.includes(n)) }));

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
  await session.allocateDevelopers();
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
      });
    },
  });
}

/** `destroy`: every built phase, in reverse dependency order; each deletes what it owns and sweeps by tag. */
export async function destroyPhases(session: Session, reporter: Reporter, signal: AbortSignal): Promise<GraphResult> {
  const built = PHASES.filter((p) => p.load).map((p) => p.name);
  return runGraph(reverseGraph(graphOf(built)), {
    concurrency: CONCURRENCY,
    signal,
    run: async (name) => {
      const phaseName = name as PhaseName;
      const phase = await implementation(session, phaseName);
      await timed(reporter, phaseName, async () => {
        await phase.destroy(session.context(phaseName));
        await session.state.clearPhase(name);
      });
    },
  });
}

/** `devenv phase <name>` refuses when a phase it needs has not completed. */
export function checkNeeds(session: Session, name: PhaseName): void {
  const missing = phaseInfo(name).needs.filter((n) => session.state.phase(n)?.status !== 'complete');
  if (missing.length > 0) throw missingNeedsError(name, missing);
}

/** Turns a graph result into the command's outcome: the first error, or a summary error when phases could not run. */
export function summarize(result: GraphResult, reporter: Reporter, verb: string): void {
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
