import { NodeSSH } from 'node-ssh';
import type { Clock } from '../aws/wait.js';
import { formatDuration } from '../duration.js';
import { DevenvError, InterruptedError, messageOf } from '../errors.js';
import { fingerprintOf, judgeHostKey, type ExpectedHostKey, type HostKeyPin } from './host-key.js';

/** Where and as whom to log in. */
export interface SshTarget {
  host: string;
  port: number;
  user: string;
  privateKey: string;
  /** The instance behind the address: a host key pin belongs to one instance. */
  instanceId: string;
}

/** Why SSH may fail, learnt once at the first failure: facts for people, and the fix that fits them. */
export interface Reachability {
  facts: string[];
  remedy: string;
}

export interface ConnectOptions {
  clock: Clock;
  signal: AbortSignal;
  /** What the host's key must match (src/remote/expected-key.ts). */
  expected: ExpectedHostKey;
  acceptNewHostKey: boolean;
  /** Records the key trusted from now on (verified, or --accept-new-host-key). */
  savePin(pin: HostKeyPin, why: string): Promise<void>;
  /** Hears the whole key (its SSH wire blob) the host showed, once it was accepted: what `devenv ssh` hands to ssh. */
  acceptedKey?(keyBlob: Buffer): void;
  progress(message: string): void;
  warn(message: string): void;
  /** Looks into why SSH failed (the host's state, its security group, this machine's address); asked once. */
  diagnose?(): Promise<Reachability>;
  /** How long to keep trying while the host boots (refused, timeouts and auth failures are normal then). */
  windowMs?: number;
}

/** A booting host refuses, times out, or rejects the key until cloud-init has installed it: try again for this long. */
export const CONNECT_WINDOW_MS = 10 * 60_000;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 15_000;
/** One attempt: TCP connect plus the SSH handshake. */
const ATTEMPT_TIMEOUT_MS = 20_000;

const GENERIC_REMEDY = (t: SshTarget) =>
  `check that instance ${t.instanceId} is running (devenv status), that ssh.adminCidr includes this ` +
  `machine's address, ` +
  'and that instance.privateKeyPath holds the key the host was launched with; then run the command again';

/**
 * Connects over SSH, retrying with backoff while the host boots, and checks the host key against
 * what it must match: a key that differs, or that nothing vouches for, is refused. At the first
 * failure it says what it can learn about why; the final error carries the fix.
 */
export async function connectWithRetry(target: SshTarget, o: ConnectOptions): Promise<NodeSSH> {
  const where = `${target.user}@${target.host}:${target.port}`;
  const windowMs = o.windowMs ?? CONNECT_WINDOW_MS;
  const started = o.clock.now();
  let why: Reachability | undefined;
  for (let attempt = 1, delay = FIRST_DELAY_MS; ; attempt++, delay = Math.min(delay * 2, MAX_DELAY_MS)) {
    if (o.signal.aborted) throw new InterruptedError();
    try {
      return await connectOnce(target, o);
    } catch (err) {
      if (err instanceof DevenvError) throw err;
      if (attempt === 1 && o.diagnose) {
        why = await o.diagnose().catch(() => undefined);
        if (why?.facts.length) o.warn(`SSH to ${where} failed (${messageOf(err)}): ${why.facts.join('; ')}`);
      }
      const elapsed = o.clock.now() - started;
      if (elapsed + delay > windowMs) {
        const facts = why?.facts.length ? `. ${why.facts.join('; ')}` : '';
        throw new DevenvError(
          'phase',
          `could not connect to ${where} over SSH in ${formatDuration(elapsed)} (${attempt} ` +
            `attempts): ${messageOf(err)}${facts}`,
          {
            remedy: why?.remedy ?? GENERIC_REMEDY(target),
            cause: err,
          },
        );
      }
      o.progress(`waiting for SSH on ${where} (${formatDuration(elapsed)}): ${messageOf(err)}`);
      await o.clock.sleep(delay, o.signal);
    }
  }
}

/**
 * Why a host key was refused, with what to do: a changed pin, a mismatch with what vouches for the host, or nothing to
 * check against.
 */
function hostKeyError(target: SshTarget, expected: ExpectedHostKey, seen: string): DevenvError {
  const who = `the SSH host key of ${target.host} (instance ${target.instanceId})`;
  const mitm = 'someone may be impersonating the host (a man-in-the-middle), so devenv did not log in';
  const acceptIfKnown =
    'If you know why the key changed (the host was rebuilt by hand, its keys regenerated), run again ' +
    'with --accept-new-host-key to trust the new key';
  switch (expected.source) {
    case 'pin':
      return new DevenvError(
        'phase',
        `${who} changed: it was ${expected.fingerprints[0]}, it is now ${seen}: ${mitm}`,
        { remedy: acceptIfKnown },
      );
    case 'config':
      return new DevenvError(
        'phase',
        `${who} is ${seen}, but ssh.hostKeyFingerprint says ${expected.fingerprints[0]}: ${mitm}`,
        {
          remedy:
            "read the host's key through a path you trust (`ssh-keygen -lf " +
            '/etc/ssh/ssh_host_ed25519_key.pub` on its console or through your provider); ' +
            `if it is ${seen}, set ssh.hostKeyFingerprint to it (or run again with ` +
            `--accept-new-host-key); if not, find out who answers at ${target.host}`,
        },
      );
    case 'console':
      return new DevenvError(
        'phase',
        `${who} is ${seen}, but at first boot the instance printed ` +
          `${expected.fingerprints.join(', ')} on its console: ${mitm}`,
        {
          remedy:
            `check that ${target.host}:${target.port} is the instance's address and that nothing ` +
            'between (a proxy, a VPN, ssh.host) answers in its place; ' +
            `compare with \`aws ec2 get-console-output --instance-id ${target.instanceId} --latest ` +
            `--output text\`. ${acceptIfKnown}`,
        },
      );
    case 'none':
      return new DevenvError('phase', `devenv cannot verify ${who}: it is ${seen}, but ${expected.why}`, {
        remedy:
          `compare ${seen} with the host's own (\`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub\` ` +
          `read through a path you trust, or \`aws ec2 get-console-output --instance-id ` +
          `${target.instanceId} --latest --output text\`); ` +
          'if it matches, run again with --accept-new-host-key, or set ssh.hostKeyFingerprint to it',
      });
  }
}

async function connectOnce(target: SshTarget, o: ConnectOptions): Promise<NodeSSH> {
  let seen: string | undefined;
  let seenBlob: Buffer | undefined;
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
        seenBlob = key;
        seen = fingerprintOf(key);
        verdict = judgeHostKey(o.expected, seen, o.acceptNewHostKey);
        return verdict !== 'refuse' && verdict !== 'unverified';
      },
    });
  } catch (err) {
    ssh.dispose();
    if (seen && (verdict === 'refuse' || verdict === 'unverified')) throw hostKeyError(target, o.expected, seen);
    if (/Cannot parse privateKey/.test(messageOf(err))) {
      throw new DevenvError('config', `the SSH private key cannot be used: ${messageOf(err)}`, {
        remedy: 'point instance.privateKeyPath at an unencrypted OpenSSH or PEM private key',
      });
    }
    throw err;
  }
  if (seenBlob) o.acceptedKey?.(seenBlob);
  if (seen && (verdict === 'verified' || verdict === 'accept-new')) {
    const vouched = {
      config: 'it matches ssh.hostKeyFingerprint',
      console: 'it matches what the instance printed on its console at first boot',
      pin: '',
      none: '',
    };
    await o.savePin(
      { instanceId: target.instanceId, fingerprint: seen },
      verdict === 'accept-new' ? '--accept-new-host-key' : vouched[o.expected.source],
    );
  }
  return ssh;
}
