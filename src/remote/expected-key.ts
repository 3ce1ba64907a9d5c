import { readConsole } from '../aws/ec2/console.js';
import { waitFor, WaitTimeoutError, waitOptions } from '../aws/wait.js';
import { formatDuration } from '../duration.js';
import type { AwsContext } from '../aws/context.js';
import { consoleFingerprints, type ExpectedHostKey } from './host-key.js';

/**
 * cloud-init prints the host key fingerprints near the end of the first boot (its keys-to-console
 * module runs after the user-data script): wait for them up to this long after the launch.
 */
export const CONSOLE_WAIT_MS = 20 * 60_000;
const POLL_MS = 15_000;

/** What choosing the expected key needs of a phase's Context (`options`: `up --accept-new-host-key`). */
export type HostKeyContext = Pick<AwsContext, 'config' | 'state' | 'aws' | 'clock' | 'signal' | 'report'> & {
  options: { acceptNewHostKey?: boolean };
};

/**
 * What the key of `instanceId` must match (see ExpectedHostKey). `wait`: keep reading the console
 * until the fingerprints appear or CONSOLE_WAIT_MS after `launchedAt` (a command that only
 * reads reads it once).
 */
export async function expectedHostKey(
  ctx: HostKeyContext,
  instanceId: string,
  launchedAt: number | undefined,
  o: { wait: boolean },
): Promise<ExpectedHostKey> {
  const { ssh } = ctx.config;
  if (ssh.hostKeyFingerprint) return { source: 'config', fingerprints: [ssh.hostKeyFingerprint] };
  const pin = ctx.state.data.hostKey;
  if (pin?.instanceId === instanceId) return { source: 'pin', fingerprints: [pin.fingerprint] };
  if (ssh.host) {
    return {
      source: 'none',
      why:
        `ssh.host is set (${ssh.host}) and ssh.hostKeyFingerprint is not: the instance's console ` +
        'speaks for the instance, not for whatever answers at ssh.host',
    };
  }
  if (ctx.options.acceptNewHostKey) return { source: 'none', why: 'the console was not read (--accept-new-host-key)' };
  return fromConsole(ctx, instanceId, launchedAt ?? ctx.clock.now(), o.wait);
}

async function fromConsole(
  ctx: HostKeyContext,
  instanceId: string,
  launchedAt: number,
  wait: boolean,
): Promise<ExpectedHostKey> {
  const started = ctx.clock.now();
  let latest = true;
  try {
    return await waitFor(
      async (): Promise<{ done: boolean; value: ExpectedHostKey; seen: string }> => {
        const read = await readConsole(ctx.aws.ec2, instanceId, latest);
        if ('unreadable' in read)
          return {
            done: true,
            value: { source: 'none', why: `devenv cannot read the instance's console to check it: ${read.unreadable}` },
            seen: 'unreadable',
          };
        latest = read.latest;
        const fingerprints = consoleFingerprints(read.text);
        return {
          done: fingerprints.length > 0,
          value: { source: 'console', fingerprints },
          seen: 'no fingerprints yet',
        };
      },
      {
        what: `instance ${instanceId} to print its SSH host key fingerprints`,
        timeoutMs: wait ? launchedAt + CONSOLE_WAIT_MS - started : 0,
        intervalMs: POLL_MS,
        ...waitOptions(ctx),
        say: (elapsed) =>
          `waiting for instance ${instanceId} to print its SSH host key fingerprints on its console ` +
          '(cloud-init does a few minutes after the launch; ' +
          `${formatDuration(started + elapsed - launchedAt)} so far)`,
      },
    );
  } catch (err) {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const since = formatDuration(Math.max(0, ctx.clock.now() - launchedAt));
    return {
      source: 'none',
      why:
        `instance ${instanceId} has printed no SSH host key fingerprints on its console (${since} ` +
        'after its launch; cloud-init prints them ' +
        'a few minutes after the launch' +
        `${wait ? `, and devenv waited until ${formatDuration(CONSOLE_WAIT_MS)} after it` : ''})`,
    };
  }
}
