import type { Io } from '../ui/io.js';
import { useInstead, guessFor } from '../config/issues.js';
import { DevenvError } from '../errors.js';
import { needsIn, PHASES } from '../phases/index.js';
import type { PhaseName } from '../phases/types.js';
import { missingNeedsError } from '../runner.js';
import type { Reporter } from '../ui/events.js';
import { confirmUp } from './confirm-up.js';
import { reportNextSteps } from './next-steps.js';
import { applyPhases, summarize } from './run-phases.js';
import type { Session } from './session.js';

/** `up` (all phases) and `phase <name>` (one, once its needs have completed). */
export async function converge(
  session: Session,
  reporter: Reporter,
  names: PhaseName[],
  signal: AbortSignal,
  skipped: PhaseName[] = [],
  confirm?: { io: Io; yes: boolean },
): Promise<void> {
  if (names.length === 1) checkNeeds(session, names[0]);
  await session.verifyAccount();
  if (confirm) await confirmUp(session, reporter, names, confirm);
  // Recorded so that `status` does not count what the user chose not to build as missing.
  for (const name of skipped)
    if (session.state.phase(name)?.status !== 'complete') await session.state.setPhase(name, 'skipped');
  const result = await applyPhases(session, reporter, names, signal);
  try {
    summarize(result, reporter, 'converged');
  } finally {
    if (names.length > 1) reportNextSteps(session, reporter); // `up`, not `phase <name>`
  }
}

/**
 * `up --skip a,b`: every phase but these and the ones that need them (directly or not), which
 * are reported as not run. An unknown name is bad input.
 */
export function phasesWithout(skip: string[], reporter: Reporter): PhaseName[] {
  const all = PHASES.map((p) => p.name);
  const unknown = skip.filter((s) => !all.includes(s as PhaseName));
  if (unknown.length > 0) {
    throw new DevenvError(
      'config',
      `--skip: unknown phase ${unknown.map((u) => `"${u}"${guessFor(u, all)}`).join(', ')}`,
      { remedy: unknown.length === 1 ? useInstead(unknown[0], all) : `use phase names: ${all.join(', ')}` },
    );
  }
  const skipped = new Set<string>(skip);
  for (const p of PHASES) if (p.needs.some((n) => skipped.has(n))) skipped.add(p.name); // PHASES lists needs first
  for (const name of skipped)
    reporter.emit({
      type: 'phase-blocked',
      phase: name,
      reason: skip.includes(name) ? 'skipped (--skip)' : `needs a skipped phase`,
    });
  return PHASES.map((p) => p.name).filter((n) => !skipped.has(n));
}

/** `devenv phase <name>` refuses when a phase it needs has not completed. */
export function checkNeeds(session: Session, name: PhaseName): void {
  const missing = needsIn(name, session.model).filter((n) => session.state.phase(n)?.status !== 'complete');
  if (missing.length > 0) throw missingNeedsError(name, missing);
}
