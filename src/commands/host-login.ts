import { spawn, type StdioOptions } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { INSTANCE } from '../blueprint/compute.js';
import { DevenvError, stateError } from '../errors.js';
import { writeOwnerOnlyFile } from '../files.js';
import { runningDevelopers } from '../phases/containers.js';
import type { Login } from '../remote/connect.js';
import { knownHostsText } from '../remote/system-ssh.js';
import type { Io } from '../ui/io.js';
import type { Session } from './session.js';

/**
 * What the day-2 commands share: the checks that come before any AWS call (a host, a developer's container), and a
 * login handed to the system's `ssh`.
 */

/** The host the state records; without one (no state yet, or `up` has not reached the ec2 phase) bad input, exit 2. */
export function requireHost(session: Pick<Session, 'state'>): string {
  const id = session.state.resource(INSTANCE)?.id;
  if (!id)
    throw stateError(
      'the state records no host yet (the ec2 phase has not run): there is nothing to log in to',
      'run `devenv up` first (or pass the --state/--config of the environment you mean)',
    );
  return id;
}

/** A developer whose container the containers phase has not started has nothing to run in or read: exit 2. */
export function requireContainer(session: Pick<Session, 'state'>, developer: string): void {
  if (!runningDevelopers(session).includes(developer))
    throw stateError(
      `${developer}'s container has not been started yet (the containers phase has not run since they were added)`,
      'run `devenv up`',
    );
}

/**
 * Logs in once through the session (node-ssh: the host key checked against the pin, ssh.hostKeyFingerprint or the
 * console, exactly as every run checks it), then gives `use` that login and a known_hosts file holding the key it
 * accepted (0600, in a 0700 folder of its own, removed afterwards): the system's ssh then trusts that key and no other.
 */
export async function withVerifiedLogin<T>(
  session: Session,
  o: { firstBoot: boolean },
  use: (login: Login, knownHostsFile: string) => Promise<T>,
): Promise<T> {
  requireHost(session);
  await session.verifyAccount();
  const ctx = session.context('containers');
  const { openLogin } = await import('../remote/connect.js');
  const { remote, login } = await openLogin(ctx, () => undefined, { recordPin: false, firstBoot: o.firstBoot });
  remote.close();
  const dir = await mkdtemp(join(tmpdir(), 'devenv-ssh-'));
  try {
    const file = join(dir, 'known_hosts');
    await writeOwnerOnlyFile(file, knownHostsText(login), 'wx');
    return await use(login, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Whether to give the remote side a terminal: only when both ends here are one (a shell, `top`); piped output stays
 * byte for byte (a terminal would turn each newline into CR LF).
 */
export const onTerminal = (io: Pick<Io, 'stdin' | 'stdout'>): boolean =>
  io.stdin.isTTY === true && (io.stdout as { isTTY?: boolean }).isTTY === true;

/** A stream of this process's own (stdin, stdout, stderr), which a child can share as it is: a terminal stays one. */
const ownFd = (stream: unknown, fd: number): boolean => (stream as { fd?: number }).fd === fd;

/**
 * Runs the system's `ssh` with these arguments and resolves its exit code (the remote command's, or 255 when ssh
 * itself failed). On a terminal it shares the terminal; otherwise (tests, a filter) its output is copied, each line
 * through `keep` when given. An abort (Ctrl-C) reaches ssh from the terminal itself.
 */
export function runSsh(argv: string[], io: Io, o: { keep?: (line: string) => boolean } = {}): Promise<number> {
  const share = (stream: unknown, fd: number) => !o.keep && ownFd(stream, fd);
  const stdio: StdioOptions = [
    ownFd(io.stdin, 0) ? 'inherit' : 'pipe',
    share(io.stdout, 1) ? 'inherit' : 'pipe',
    share(io.stderr, 2) ? 'inherit' : 'pipe',
  ];
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', argv, { stdio });
    if (child.stdin) io.stdin.pipe(child.stdin).on('error', () => undefined);
    child.stdin?.on('error', () => undefined); // the remote command may end before reading its input
    if (child.stdout) copyLines(child.stdout, io.stdout, o.keep);
    if (child.stderr) copyLines(child.stderr, io.stderr, o.keep);
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'ENOENT'
          ? new DevenvError('config', 'the `ssh` command is not installed on this machine', {
              remedy: 'install the OpenSSH client (apt-get install openssh-client, or your system’s equivalent)',
            })
          : err,
      ),
    );
    child.on('close', (code, signal) => {
      if (child.stdin) io.stdin.unpipe(child.stdin);
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 255));
    });
  });
}

const signalNumber = (signal: NodeJS.Signals): number =>
  ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 })[signal as string] ?? 0;

/** Copies a child's output to `to`, whole lines only through `keep` (the last line even without its newline). */
function copyLines(from: NodeJS.ReadableStream, to: NodeJS.WritableStream, keep?: (line: string) => boolean): void {
  if (!keep) {
    from.on('data', (chunk: Buffer) => to.write(chunk));
    return;
  }
  let partial = '';
  from.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    for (const line of lines) if (keep(line)) to.write(`${line}\n`);
  });
  from.on('end', () => {
    if (partial && keep(partial)) to.write(`${partial}\n`);
  });
}
