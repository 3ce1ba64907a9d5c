import { unlink } from 'node:fs/promises';
import { keptSummary } from '../phases/teardown/report.js';
import type { Io } from '../ui/io.js';
import { DevenvError } from '../errors.js';
import type { RunOptions } from '../phases/types.js';
import type { Reporter } from '../ui/events.js';
import { ask } from '../ui/prompt.js';
import { destroyPhases, summarize } from './run-phases.js';
import { destroyPreview } from './destroy-summary.js';
import type { Session } from './session.js';

/** `destroy`: confirm by typing the project name (unless --yes), delete in reverse order, say what was kept. */
export async function destroy(
  session: Session,
  reporter: Reporter,
  signal: AbortSignal,
  o: { io: Io; yes: boolean; options: RunOptions },
): Promise<void> {
  if (!o.yes && !o.io.stdin.isTTY) {
    throw new DevenvError(
      'config',
      'destroy asks you to type the project name, but stdin is not a terminal; nothing was deleted',
      { remedy: 'pass --yes to destroy without asking' },
    );
  }
  const account = await session.verifyAccount();
  const preview = await destroyPreview(session.context('teardown'));
  reporter.emit({ type: 'step', message: `will delete: ${preview.deleted}` });
  reporter.emit({ type: 'step', message: `will keep: ${preview.kept.join('; ') || 'nothing'}` });
  if (preview.unlisted.length)
    reporter.emit({ type: 'warn', message: `could not list, so not shown above: ${preview.unlisted.join('; ')}` });
  if (!o.yes)
    await confirm(
      o.io,
      `every AWS resource of "${session.config.project}" in account ${account}, ${session.config.region}`,
      session.config.project,
    );
  const { result, left } = await destroyPhases(session, reporter, signal);
  summarize(result, reporter, 'destroyed');
  const removed =
    session.state.existing().length === 0 &&
    (await unlink(session.state.path).then(
      () => true,
      () => false,
    ));
  const where = removed ? `; removed ${session.state.path}` : ` (recorded in ${session.state.path})`;
  const kept = keptSummary(left);
  reporter.emit({
    type: 'step',
    message: kept
      ? `${kept}${where}`
      : `nothing of ${session.config.project} is left${removed ? `; removed ${session.state.path}` : ''}`,
  });
}

async function confirm(io: Io, what: string, project: string): Promise<void> {
  const answer = await ask(io, `This deletes ${what}. Type the project name to confirm: `, 'destroy');
  if (answer.trim() !== project)
    throw new DevenvError('phase', 'destroy cancelled: the name did not match; nothing was deleted');
}
