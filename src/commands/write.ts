import { unlink } from 'node:fs/promises';
import { keptSummary } from '../phases/teardown/report.js';
import type { Io } from '../ui/io.js';
import { DevenvError } from '../errors.js';
import type { PhaseName, RunOptions } from '../phases/types.js';
import type { Reporter } from '../ui/events.js';
import { ask } from '../ui/prompt.js';
import { confirmUp } from './confirm-up.js';
import { applyPhases, checkNeeds, destroyPhases, summarize } from './converge.js';
import { destroyPreview } from './destroy-summary.js';
import { reportNextSteps } from './next-steps.js';
import type { Session } from './session.js';

/** `up` (all phases) and `phase <name>` (one, once its needs have completed). */
export async function converge(session: Session, reporter: Reporter, names: PhaseName[], signal: AbortSignal, skipped: PhaseName[] = [], confirm?: { io: Io; yes: boolean }): Promise<void> {
  try {
    if (names.length === 1) checkNeeds(session, names[0]);
    await session.verifyAccount();
    if (confirm) await confirmUp(session, reporter, names, confirm);
    // Recorded so that `status` does not count what the user chose not to build as missing.
    for (const name of skipped) if (session.state.phase(name)?.status !== 'complete') await session.state.setPhase(name, 'skipped');
    const result = await applyPhases(session, reporter, names, signal);
    try {
      summarize(result, reporter, 'converged');
    } finally {
      if (names.length > 1) reportNextSteps(session, reporter); // `up`, not `phase <name>`
    }
  } finally {
    await session.close();
  }
}

/** `destroy`: confirm by typing the project name (unless --yes), delete in reverse order, say what was kept. */
export async function destroy(open: () => Promise<Session>, reporter: Reporter, signal: AbortSignal, o: { io: Io; yes: boolean; options: RunOptions }): Promise<void> {
  const session = await open();
  try {
    if (!o.yes && !o.io.stdin.isTTY) {
      throw new DevenvError('config', 'destroy asks you to type the project name, but stdin is not a terminal; nothing was deleted', { remedy: 'pass --yes to destroy without asking' });
    }
    const account = await session.verifyAccount();
    const preview = await destroyPreview(session.context('teardown'));
    reporter.emit({ type: 'step', message: `will delete: ${preview.deleted}` });
    reporter.emit({ type: 'step', message: `will keep: ${preview.kept.join('; ') || 'nothing'}` });
    if (preview.unlisted.length) reporter.emit({ type: 'warn', message: `could not list, so not shown above: ${preview.unlisted.join('; ')}` });
    if (!o.yes) await confirm(o.io, `every AWS resource of "${session.config.project}" in account ${account}, ${session.config.region}`, session.config.project);
    const { result, left } = await destroyPhases(session, reporter, signal);
    summarize(result, reporter, 'destroyed');
    const removed = session.state.existing().length === 0 && (await unlink(session.state.path).then(() => true, () => false));
    const where = removed ? `; removed ${session.state.path}` : ` (recorded in ${session.state.path})`;
    const kept = keptSummary(left);
    reporter.emit({ type: 'step', message: kept ? `${kept}${where}` : `nothing of ${session.config.project} is left${removed ? `; removed ${session.state.path}` : ''}` });
  } finally {
    await session.close();
  }
}

async function confirm(io: Io, what: string, project: string): Promise<void> {
  const answer = await ask(io, `This deletes ${what}. Type the project name to confirm: `, 'destroy');
  if (answer.trim() !== project) throw new DevenvError('phase', 'destroy cancelled: the name did not match; nothing was deleted');
}
