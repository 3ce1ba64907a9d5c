import { execCommand, sshArgv } from '../remote/system-ssh.js';
import type { Io } from '../ui/io.js';
import { developerNamed } from './credentials-export.js';
import { onTerminal, requireContainer, runSsh, withVerifiedLogin } from './host-login.js';
import type { Session } from './session.js';

/**
 * `devenv exec <developer> [-- command]`: `command` (its words as they are, as `docker exec` takes them) in the
 * developer's container, as the image's user; a login shell when none is given. Resolves its exit code. No lock.
 */
export async function exec(session: Session, developer: string, command: string[], io: Io): Promise<number> {
  developerNamed(session.model, developer);
  requireContainer(session, developer);
  return await withVerifiedLogin(session, { firstBoot: true }, (login, knownHosts) => {
    const tty = onTerminal(io);
    return runSsh(sshArgv(login, knownHosts, { tty, command: execCommand(developer, command, { tty }) }), io);
  });
}
