import { containerName } from '../remote/compose.js';
import { containerStates, type ContainerState } from '../remote/containers.js';
import { messageOf } from '../errors.js';
import type { Context } from '../phases/types.js';
import { fail, pass, type CheckResult } from './result.js';

export const CHECK_CONTAINER = 'container';

export function containerVerdict(developer: string, s: ContainerState | undefined): CheckResult {
  const name = containerName(developer);
  const logs = `\`docker logs ${name}\` on the host; \`devenv up\` starts it again`;
  if (!s) return fail(CHECK_CONTAINER, `${name} does not exist`, '`devenv up` (containers phase) creates it');
  const seen = `${name} ${s.status}${s.status === 'running' && s.health ? `, ${s.health}` : ''}${s.restarts ? `, restarted ${s.restarts} times` : ''}`;
  return s.status === 'running' && s.health === 'healthy' ? pass(CHECK_CONTAINER, seen) : fail(CHECK_CONTAINER, seen, logs);
}

/** Every developer's container as Docker on the host reports it, in one command over SSH. */
export async function containerChecks(ctx: Pick<Context, 'ssh'>, developers: string[]): Promise<CheckResult[]> {
  let states: Map<string, ContainerState>;
  try {
    states = await containerStates(await ctx.ssh(), developers);
  } catch (err) {
    const why = messageOf(err).split('\n')[0];
    return developers.map((developer) => ({ developer, ...fail(CHECK_CONTAINER, `could not ask the host: ${why}`, 'the instance status check; SSH to the host (`ssh.host`, the admin CIDR)') }));
  }
  return developers.map((developer) => ({ developer, ...containerVerdict(developer, states.get(developer)) }));
}
