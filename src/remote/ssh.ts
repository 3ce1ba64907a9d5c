import { NodeSSH } from 'node-ssh';
import type { Clock } from '../aws/wait.js';
import { formatDuration } from '../aws/wait.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import { fingerprintOf, judgeHostKey, type HostKeyPin } from './host-key.js';

/** Where and as whom to log in. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The instance behind the address: a host key pin belongs to one instance. */
  instanceId: string;
}

export interface ConnectOptions {
  clock: Clock;
  signal: AbortSignal;
  pin: HostKeyPin | undefined;
  acceptNewHostKey: boolean;
  /** Records the key trusted from now on (first connection, replaced host, --accept-new-host-key). */
  savePin(pin: HostKeyPin, why: string): Promise<void>;
  progress(message: string): void;
  /** How long to keep trying while the host boots (refused, timeouts and auth failures are normal then). */
  windowMs?: number;
}

/** A booting host refuses, times out, or rejects the key until cloud-init has installed it: try again for this long. */
export const CONNECT_WINDOW_MS = 10 * 60_000;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;
/** One attempt: TCP connect plus the SSH handshake. */
const ATTEMPT_TIMEOUT_MS = 20_000;

class HostKeyChanged extends DevenvError {}

/**
 * Connects over SSH, retrying with backoff while the host boots, and checks the host key against
 * the pin in the state: a changed key on the same instance is refused.
 */
export async function connectWithRetry(target: SshTarget, o: ConnectOptions): Promise<NodeSSH> {
  const where = `${target.user}@${target.host}:${target.port}`;
  const windowMs = o.windowMs ?? CONNECT_WINDOW_MS;
  const started = o.clock.now();
  for (let attempt = 1, delay = FIRST_DELAY_MS; ; attempt++, delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    if (o.signal.aborted) throw new InterruptedError();
    try {
      return await connectOnce(target, o);
    } catch (err) {
      if (err instanceof DevenvError) throw err;
      const elapsed = o.clock.now() - started;
      if (elapsed + delay > windowMs) {
        throw new DevenvError('phase', `could not connect to ${where} over SSH in ${formatDuration(elapsed)} (${attempt} attempts): ${messageOf(err)}`, {
          remedy: `check that instance ${target.instanceId} is running (devenv status), that ssh.adminCidr includes this machine's address, `
            + 'and that instance.privateKeyPath holds the key the host was launched with; then run the command again',
          cause: err,
        });
      }
      o.progress(`waiting for SSH on ${where} (${formatDuration(elapsed)}): ${messageOf(err)}`);
      await o.clock.sleep(delay, o.signal);
    }
  }
}

async function connectOnce(target: SshTarget, o: ConnectOptions): Promise<NodeSSH> {
  let seen: string | undefined;
  let verdict: ReturnType<typeof judgeHostKey> | undefined;
  const ssh = new NodeSSH();
  try {
    await ssh.connect({
      host: target.host,
      port: target.port,
      username: target.user,
      privateKey: target.privateKey,
      readyTimeout: ATTEMPT_TIMEOUT_MS,
      keepaliveInterval: 15_000,
      hostVerifier: (key: Buffer) => {
        seen = fingerprintOf(key);
        verdict = judgeHostKey(o.pin, target.instanceId, seen, o.acceptNewHostKey);
        return verdict !== 'refuse';
      },
    });
  } catch (err) {
    ssh.dispose();
    if (verdict === 'refuse') {
      throw new HostKeyChanged('phase', `the SSH host key of ${target.host} (instance ${target.instanceId}) changed: it was ${o.pin!.fingerprint}, it is now ${seen}. `
        + 'Someone may be impersonating the host, so devenv did not log in', {
        remedy: 'if you know why the key changed (the host was rebuilt by hand), run again with --accept-new-host-key to trust the new key',
      });
    }
    if (/Cannot parse privateKey/.test(messageOf(err))) {
      throw new DevenvError('config', `the SSH private key cannot be used: ${messageOf(err)}`, { remedy: 'point instance.privateKeyPath at an unencrypted OpenSSH or PEM private key' });
    }
    throw err;
  }
  if (verdict !== 'pinned' && seen) {
    const why = { first: 'first connection', replaced: 'a new host', 'accept-new': '--accept-new-host-key' }[verdict as 'first' | 'replaced' | 'accept-new'];
    await o.savePin({ instanceId: target.instanceId, fingerprint: seen }, why);
  }
  return ssh;
}
