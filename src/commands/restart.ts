import { formatDuration } from '../duration.js';
import { DevenvError } from '../errors.js';
import { containerName } from '../remote/compose.js';
import { containerStates, restartContainer, waitUntilHealthy } from '../remote/containers.js';
import type { Reporter } from '../ui/events.js';
import { developerNamed } from './credentials-export.js';
import { requireContainer, requireHost } from './host-login.js';
import type { Session } from './session.js';

/** How long a restarted container may take to pass its health check (code-server starts in seconds; 60 s grace). */
export const RESTART_HEALTH_TIMEOUT_MS = 3 * 60_000;

/**
 * `devenv restart <developer>`: `docker restart` of that developer's container alone (the same container: its id,
 * its log file and the others' containers stay), then a wait, bounded, until Docker's health check passes again (the
 * check the load balancer makes on the same /healthz; the load balancer itself follows within 30-60 s). Holds the
 * state lock like `credentials rotate`: an `up` running at the same time may be recreating that very container.
 */
export async function restart(session: Session, developer: string, reporter: Reporter): Promise<void> {
  developerNamed(session.model, developer);
  requireHost(session);
  requireContainer(session, developer);
  await session.verifyAccount();
  const ctx = session.context('containers');
  const host = await ctx.ssh();
  const name = containerName(developer);
  if (!(await containerStates(host, [developer])).has(developer))
    throw new DevenvError('phase', `there is no container ${name} on the host (removed by hand?)`, {
      remedy: 'run `devenv up`: it creates it again from the compose file',
    });
  const started = ctx.clock.now();
  await restartContainer(host, developer);
  reporter.emit({ type: 'step', message: `restarted ${name}; waiting for its health check to pass` });
  await waitUntilHealthy(host, [developer], {
    clock: ctx.clock,
    signal: ctx.signal,
    progress: (m) => reporter.emit({ type: 'progress', message: m }),
    timeoutMs: RESTART_HEALTH_TIMEOUT_MS,
  }).catch((err: unknown) => {
    if (!(err instanceof DevenvError) || err.kind !== 'phase') throw err;
    throw new DevenvError(
      'phase',
      `${name} was restarted but is not healthy ${formatDuration(ctx.clock.now() - started)} later ` +
        `(devenv waits ${formatDuration(RESTART_HEALTH_TIMEOUT_MS)} at most): ${err.message}`,
      { remedy: err.remedy, cause: err },
    );
  });
  reporter.emit({
    type: 'step',
    message:
      `${name} is healthy again (${formatDuration(ctx.clock.now() - started)}); ` +
      'the other containers were not touched',
  });
}
