import { sshArgv } from '../remote/system-ssh.js';
import type { Io } from '../ui/io.js';
import { onTerminal, runSsh, withVerifiedLogin } from './host-login.js';
import type { Session } from './session.js';

/**
 * `devenv ssh [-- command]`: a shell on the host (or `command`, one shell command line, as `ssh host command` takes
 * it), as the configured user with the recorded key and the pinned host key. Resolves the exit code of the shell or
 * command (255: ssh itself failed). Read-only for AWS and for the state: no lock.
 */
export async function ssh(session: Session, command: string[], io: Io): Promise<number> {
  // No wait for cloud-init: a shell on a host whose first boot is stuck is how one finds out why.
  return await withVerifiedLogin(session, { firstBoot: false }, (login, knownHosts) => {
    const tty = onTerminal(io);
    return runSsh(
      sshArgv(login, knownHosts, { tty, ...(command.length > 0 ? { command: command.join(' ') } : {}) }),
      io,
    );
  });
}
