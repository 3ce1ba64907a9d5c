import { readFile } from 'node:fs/promises';
import type { Instance } from '@aws-sdk/client-ec2';
import { describeById, INSTANCES, stateOf } from '../aws/ec2/collections.js';
import { DevenvError } from '../errors.js';
import { INSTANCE } from '../blueprint/compute.js';
import type { AwsContext } from '../aws/context.js';
import { recordedId } from '../state/recorded.js';
import { expectedHostKey, type HostKeyContext } from './expected-key.js';
import { keyLineOf } from './host-key.js';
import { RemoteHost } from './host.js';
import { diagnoseSsh, type PublicDns } from './reachability.js';
import { connectWithRetry, type SshTarget } from './ssh.js';

/** cloud-init's first boot installs Docker, the AWS CLI and the agent: a few minutes, with headroom. */
const FIRST_BOOT_TIMEOUT_S = 20 * 60;

/** What logging in needs of a phase's Context. */
type ConnectContext = AwsContext & HostKeyContext & { dns: PublicDns };

/** The host, described now; an error that says what to do when it is not running. */
async function runningHost(ctx: Pick<AwsContext, 'state' | 'aws'>): Promise<Instance> {
  const instanceId = recordedId(ctx, INSTANCE, 'ec2', 'host to log in to');
  const host = await describeById(ctx.aws.ec2, INSTANCES, instanceId);
  const state = host ? stateOf(host) : 'missing';
  if (!host || state !== 'running') {
    throw new DevenvError('phase', `the host ${instanceId} is ${state}, so devenv cannot log in to it`, {
      remedy: 'run `devenv up`: the ec2 phase starts a stopped host or replaces a missing one',
    });
  }
  return host;
}

/**
 * Where to log in: `ssh.host`/`ssh.port` when the config names them (a bastion, a tunnel, a test
 * host), else the host's public address, as just described (it changes on stop/start and replacement).
 */
async function targetOf(ctx: Pick<AwsContext, 'config' | 'model'>, host: Instance): Promise<SshTarget> {
  const { ssh } = ctx.config;
  const address = ssh.host ?? host.PublicIpAddress;
  if (!address)
    throw new DevenvError('phase', `the host ${host.InstanceId} has no public IP address`, {
      remedy: 'set ssh.host to an address that reaches it (a bastion or a tunnel)',
    });
  const privateKey = await readFile(ctx.model.privateKeyPath, 'utf8').catch((err: Error) => {
    throw new DevenvError('config', `cannot read the SSH private key ${ctx.model.privateKeyPath}: ${err.message}`, {
      remedy: "point instance.privateKeyPath at the key of the host's key pair",
    });
  });
  return { host: address, port: ssh.port, user: ssh.user, privateKey, instanceId: host.InstanceId! };
}

/**
 * Logs in to the host (retrying while it boots, its key checked against what vouches for it:
 * src/remote/expected-key.ts) and waits until its first-boot setup has finished. `output`
 * receives the host's output, line by line. `recordPin`: a command that holds the lock records
 * the key it verified; one that only reads neither records it nor waits for the console.
 */
export async function openRemoteHost(
  ctx: ConnectContext,
  output: (line: string) => void,
  o: { recordPin: boolean },
): Promise<RemoteHost> {
  return (await openLogin(ctx, output, { ...o, firstBoot: true })).remote;
}

/** Where and as whom a login went, and the host key it accepted: what `devenv ssh` hands to the system's ssh. */
export interface Login {
  host: string;
  port: number;
  user: string;
  privateKeyPath: string;
  instanceId: string;
  /** The accepted host key as `<type> <base64>`. */
  hostKey: string;
}

/**
 * openRemoteHost, also saying where it logged in and which host key it accepted. `firstBoot: false` does not wait for
 * cloud-init (a shell on a host whose first boot is stuck is how one finds out why).
 */
export async function openLogin(
  ctx: ConnectContext,
  output: (line: string) => void,
  o: { recordPin: boolean; firstBoot: boolean },
): Promise<{ remote: RemoteHost; login: Login }> {
  const host = await runningHost(ctx);
  const target = await targetOf(ctx, host);
  const expected = await expectedHostKey(ctx, target.instanceId, host.LaunchTime?.getTime(), { wait: o.recordPin });
  let hostKey = '';
  const ssh = await connectWithRetry(target, {
    clock: ctx.clock,
    signal: ctx.signal,
    expected,
    acceptNewHostKey: ctx.options.acceptNewHostKey ?? false,
    savePin: async (pin, why) => {
      const known = ctx.state.data.hostKey;
      if (!o.recordPin || (known?.instanceId === pin.instanceId && known.fingerprint === pin.fingerprint)) return;
      ctx.state.data.hostKey = pin;
      await ctx.state.save();
      ctx.report.step(`trusting the SSH host key of ${target.instanceId} (${why}): ${pin.fingerprint}`);
    },
    acceptedKey: (blob) => {
      hostKey = keyLineOf(blob);
    },
    progress: (message) => ctx.report.progress(message),
    warn: (message) => ctx.report.warn(message),
    diagnose: () => diagnoseSsh(ctx, target),
    windowMs: ctx.config.ssh.connectTimeout * 1000,
  });
  const remote = new RemoteHost(ssh, target.host, output);
  try {
    if (o.firstBoot) await waitForFirstBoot(ctx, remote);
  } catch (err) {
    remote.close();
    throw err;
  }
  const { host: address, port, user, instanceId } = target;
  return {
    remote,
    login: { host: address, port, user, instanceId, privateKeyPath: ctx.model.privateKeyPath, hostKey },
  };
}

/**
 * `cloud-init status --wait`: 0 done, 2 done with warnings (recoverable errors), 1 failed.
 * A host without cloud-init (a test host, a hand-built one) goes straight on.
 */
async function waitForFirstBoot(ctx: Pick<AwsContext, 'report'>, remote: RemoteHost): Promise<void> {
  ctx.report.progress("waiting for the host's first-boot setup (cloud-init) to finish");
  const r = await remote.sudo('command -v cloud-init >/dev/null || exit 100; cloud-init status --wait >/dev/null', {
    timeoutS: FIRST_BOOT_TIMEOUT_S,
  });
  if (r.code === 0 || r.code === 100) return;
  if (r.code === 2) {
    ctx.report.warn('cloud-init finished with recoverable errors; see /var/log/cloud-init-output.log on the host');
    return;
  }
  const log = await remote.sudo('tail -n 25 /var/log/cloud-init-output.log', { timeoutS: 30 });
  const why =
    r.code === 124
      ? `did not finish within ${FIRST_BOOT_TIMEOUT_S / 60} minutes`
      : `failed (cloud-init status exit ${r.code})`;
  throw new DevenvError(
    'phase',
    `the host's first-boot setup ${why}; the end of /var/log/cloud-init-output.log:\n${log.stdout.trimEnd()}`,
    {
      remedy:
        'log in to the host and read the whole log; once the cause is fixed (a mirror or a download ' +
        'that failed is often passing), ' +
        'run `sudo cloud-init clean --logs --reboot` there to run the setup again, then run this command again',
    },
  );
}
