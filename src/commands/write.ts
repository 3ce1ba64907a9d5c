import { unlink } from 'node:fs/promises';
import { createInterface } from 'node:readline/promises';
import type { Io } from '../cli.js';
import { DevenvError } from '../errors.js';
import type { PhaseName } from '../phases/types.js';
import type { Reporter } from '../ui/events.js';
import { applyPhases, checkNeeds, destroyPhases, summarize } from './converge.js';
import type { Session } from './session.js';

/** `up` (all phases) and `phase <name>` (one, once its needs have completed). */
export async function converge(session: Session, reporter: Reporter, names: PhaseName[], signal: AbortSignal): Promise<void> {
  try {
    if (names.length === 1) checkNeeds(session, names[0]);
    await session.verifyAccount();
    summarize(await applyPhases(session, reporter, names, signal), reporter, 'converged');
  } finally {
    await session.close();
  }
}

/** `destroy`: confirm by typing the project name (unless --yes), delete in reverse order, say what was kept. */
export async function destroy(open: () => Promise<Session>, reporter: Reporter, signal: AbortSignal, o: { io: Io; yes: boolean }): Promise<void> {
  const session = await open();
  try {
    if (!o.yes && !o.io.stdin.isTTY) {
      throw new DevenvError('phase', 'destroy asks you to type the project name, but stdin is not a terminal', { remedy: 'pass --yes to destroy without asking' });
    }
    const account = await session.verifyAccount();
    if (!o.yes) await confirm(o.io, `every AWS resource of "${session.config.project}" in account ${account}, ${session.config.region}`, session.config.project);
    summarize(await destroyPhases(session, reporter, signal), reporter, 'destroyed');
    const kept = session.state.existing();
    if (kept.length === 0) {
      const removed = await unlink(session.state.path).then(() => true, () => false);
      reporter.emit({ type: 'step', message: `nothing of ${session.config.project} is left${removed ? `; removed ${session.state.path}` : ''}` });
    } else {
      reporter.emit({ type: 'step', message: `kept: ${kept.map(([id, r]) => `${r.kind} ${r.id ?? id}`).join(', ')} (recorded in ${session.state.path})` });
    }
  } finally {
    await session.close();
  }
}

async function confirm(io: Io, what: string, project: string): Promise<void> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  try {
    const answer = await rl.question(`This deletes ${what}. Type the project name to confirm: `);
    if (answer.trim() !== project) throw new DevenvError('phase', 'destroy cancelled: the name did not match; nothing was deleted');
  } finally {
    rl.close();
  }
}
