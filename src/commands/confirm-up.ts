import type { Io } from '../ui/io.js';
import { ALARM_TOPIC } from '../blueprint/monitoring.js';
import { developerNames } from '../config/model.js';
import { configError, DevenvError } from '../errors.js';
import type { Change, PhaseName } from '../phases/types.js';
import type { Reporter } from '../ui/events.js';
import { ask } from '../ui/prompt.js';
import { countChanges, summaryLine } from './plan.js';
import type { Session } from './session.js';

/**
 * `up` shows what it will do and asks before it deletes or replaces anything, as `terraform apply`
 * does: on a terminal it prints the plan's summary and asks before a first build and before any
 * delete or replace; `--yes` skips the question; without a terminal a first build and in-place
 * changes go ahead, but a delete or replace is refused (exit 2) with the list of what it would be.
 *
 * The plan costs a read of every phase, so it is made only when something may be deleted or
 * replaced — a developer the state knows and the config no longer names, an alarm topic without
 * `monitoring.alarmEmail`, --replace-host, --take-over-dns — or before a first build on a terminal. A
 * converged rerun reads AWS once, as before.
 */

/** What in the state, the config or the flags can make this `up` delete or replace something. */
export function mayDeleteOrReplace(session: Session): boolean {
  const o = session.context('validate').options;
  if (o.replaceHost || o.takeOverDns) return true;
  const names = new Set(developerNames(session.config));
  const state = session.state;
  if (Object.keys(state.data.allocations).some((n) => !names.has(n))) return true;
  if (state.existing().some(([, r]) => r.developer !== undefined && !names.has(r.developer))) return true;
  return state.resource(ALARM_TOPIC)?.id !== undefined && !session.config.monitoring.alarmEmail;
}

/** Nothing of the environment is built yet: no phase has completed. */
const firstBuild = (session: Session) => !Object.values(session.state.data.phases).some((p) => p.status === 'complete');

/**
 * The changes the phases about to run would make (read-only); a phase that cannot be read is left to `apply` to report.
 */
async function planOf(session: Session, names: PhaseName[]): Promise<Change[]> {
  const planned = await Promise.all(
    names
      .filter((n) => n !== 'validate')
      .map(async (name) => {
        const phase = await session.loadPhase(name);
        return phase ? phase.plan(session.context(name)).catch(() => [] as Change[]) : [];
      }),
  );
  return planned.flat();
}

/**
 * A replace the phase itself refuses without its flag is no change this run makes (the host without --replace-host).
 */
function destructive(changes: Change[], session: Session): Change[] {
  const o = session.context('validate').options;
  return changes.filter(
    (c) =>
      c.action === 'delete' ||
      (c.action === 'replace' &&
        (c.phase !== 'ec2' || o.replaceHost === true) &&
        (c.phase !== 'dns' || o.takeOverDns === true)),
  );
}

const describe = (c: Change) =>
  `${c.action} ${c.phase} ${c.kind} ${c.name ?? c.id ?? c.logicalId}${c.detail ? ` (${c.detail})` : ''}`;

/** Asks (or refuses) before `up` changes anything, as described above; returns when `up` may go on. */
export async function confirmUp(
  session: Session,
  reporter: Reporter,
  names: PhaseName[],
  o: { io: Io; yes: boolean },
): Promise<void> {
  if (o.yes) return;
  const terminal = o.io.stdin.isTTY === true;
  const first = terminal && firstBuild(session);
  if (!first && !mayDeleteOrReplace(session)) return;
  const changes = await planOf(session, names);
  const doomed = destructive(changes, session);
  if (doomed.length === 0 && !first) return;
  if (!terminal) {
    throw configError(
      `up would delete or replace ${doomed.length === 1 ? 'this' : `these ${doomed.length}`} without asking, and ` +
        `stdin is not a terminal to ask on; nothing was changed:\n${doomed
          .map((c) => `  - ${describe(c)}`)
          .join('\n')}`,
      'run `devenv plan` to see every change, then run `devenv up --yes` to make them',
    );
  }
  reporter.emit({ type: 'step', message: summaryLine(countChanges(changes)) });
  for (const c of doomed) reporter.emit({ type: 'warn', message: `will ${describe(c)}` });
  const answer = await ask(
    o.io,
    `${
      first
        ? `This builds ${session.config.project} in ${session.config.region}`
        : `This deletes or replaces the ${doomed.length} above`
    }. Go ahead? Only "yes" goes ahead: `,
    'up',
  );
  if (answer.trim().toLowerCase() !== 'yes')
    throw new DevenvError('config', 'up cancelled: the answer was not "yes"; nothing was changed', {
      remedy: 'run `devenv plan` to see every change, then run `devenv up` again and answer yes (or pass --yes)',
    });
}
