import { containerName } from '../remote/compose.js';
import { containerStates, type ContainerState } from '../remote/containers.js';
import { waitFor, WaitTimeoutError, waitOptions } from '../aws/wait.js';
import { InterruptedError, messageOf } from '../errors.js';
import type { AwsContext } from '../aws/context.js';
import type { RemoteHost } from '../remote/host.js';
import { fail, pass, type TestCheckResult } from './result.js';

export const CHECK_CONTAINER = 'container';

export function containerVerdict(developer: string, s: ContainerState | undefined): TestCheckResult {
  const name = containerName(developer);
  const logs = `\`docker logs ${name}\` on the host; \`devenv up\` starts it again`;
  if (!s) return fail(CHECK_CONTAINER, `${name} does not exist`, '`devenv up` (containers phase) creates it');
  const seen = `${name} ${s.status}${s.status === 'running' && s.health ? `, ${s.health}` : ''}${
    s.restarts ? `, restarted ${s.restarts} times` : ''
  }`;
  return s.status === 'running' && s.health === 'healthy'
    ? pass(CHECK_CONTAINER, seen)
    : fail(CHECK_CONTAINER, seen, logs);
}

/**
 * A just-started container is `starting` until its healthcheck passes (compose: a 60 s start
 * period, then every 5 s): worth waiting for, like an `initial` target, before it is judged.
 */
export const CONTAINER_WAIT_MS = 3 * 60_000;
const CONTAINER_POLL_MS = 5_000;
const starting = (s: ContainerState | undefined) => s?.status === 'running' && s.health === 'starting';

/**
 * Every developer's container as Docker on the host reports it, in one command over SSH; read
 * again every 5 s for as long as some container is still `starting` (bounded: those still starting
 * at the end fail their check).
 */
export async function containerChecks(
  ctx: Pick<AwsContext, 'clock' | 'signal' | 'report'> & { ssh(): Promise<RemoteHost> },
  developers: string[],
): Promise<TestCheckResult[]> {
  let states = new Map<string, ContainerState>();
  try {
    const host = await ctx.ssh();
    const waiting = () => developers.filter((d) => starting(states.get(d)));
    await waitFor(
      async () => {
        states = await containerStates(host, developers);
        return { done: waiting().length === 0, value: undefined, seen: `starting: ${waiting().join(', ')}` };
      },
      {
        what: "the containers' healthchecks",
        timeoutMs: CONTAINER_WAIT_MS,
        intervalMs: CONTAINER_POLL_MS,
        ...waitOptions(ctx),
      },
    ).catch((err: unknown) => {
      // Out of time: the containers still `starting` fail their check below.
      if (!(err instanceof WaitTimeoutError)) throw err;
    });
  } catch (err) {
    if (err instanceof InterruptedError) throw err;
    const why = messageOf(err).split('\n')[0];
    return developers.map((developer) => ({
      developer,
      ...fail(
        CHECK_CONTAINER,
        `could not ask the host: ${why}`,
        'the instance status check; SSH to the host (`ssh.host`, the admin CIDR)',
      ),
    }));
  }
  return developers.map((developer) => ({ developer, ...containerVerdict(developer, states.get(developer)) }));
}
