import { containerName } from './compose.js';
import type { Login } from './connect.js';
import { shellQuote } from './templates.js';

/**
 * The command lines of the day-2 commands that hand the terminal to the system's `ssh` (`devenv ssh`, `exec`, `logs`
 * without CloudWatch). Pure: what runs is decided here, and tested as text. No secret is ever part of them: the
 * private key is named by its path, the host key is public, and passwords stay on the host.
 */

/** The name the accepted host key is filed under in devenv's own known_hosts file: one instance, whatever address. */
export const hostKeyAlias = (login: Pick<Login, 'instanceId'>): string => `devenv-${login.instanceId}`;

/** devenv's known_hosts file for one login: the key node-ssh accepted, and nothing else. */
export const knownHostsText = (login: Pick<Login, 'instanceId' | 'hostKey'>): string =>
  `${hostKeyAlias(login)} ${login.hostKey}\n`;

/** The algorithms ssh may ask the host to prove that key with: an RSA key signs with SHA-2, other types by name. */
const algorithmsFor = (keyType: string): string => (keyType === 'ssh-rsa' ? 'rsa-sha2-512,rsa-sha2-256' : keyType);

/**
 * `ssh`'s arguments: the recorded private key, the host key accepted a moment ago (the only one, checked strictly),
 * the configured user and port. `-F /dev/null`: ssh goes where devenv verified the key, whatever a `Host *` block of
 * the user's ssh config says (another key, a proxy, a control master). `command` is one shell command line for the
 * host, as `ssh host command` takes it.
 */
export function sshArgv(login: Login, knownHostsFile: string, o: { tty: boolean; command?: string }): string[] {
  const keyType = login.hostKey.split(' ')[0] ?? '';
  const options = {
    IdentitiesOnly: 'yes',
    BatchMode: 'yes',
    UserKnownHostsFile: knownHostsFile,
    GlobalKnownHostsFile: '/dev/null',
    StrictHostKeyChecking: 'yes',
    HostKeyAlias: hostKeyAlias(login),
    HostKeyAlgorithms: algorithmsFor(keyType),
    CheckHostIP: 'no',
    UpdateHostKeys: 'no',
    ServerAliveInterval: '15',
    ConnectTimeout: '20',
  };
  return [
    '-F',
    '/dev/null',
    '-i',
    login.privateKeyPath,
    '-p',
    String(login.port),
    '-l',
    login.user,
    ...Object.entries(options).flatMap(([key, value]) => ['-o', `${key}=${value}`]),
    o.tty ? '-t' : '-T',
    '--',
    login.host,
    ...(o.command === undefined ? [] : [o.command]),
  ];
}

/** A login shell in the container: bash when the image has it (its profile exports the API key), else sh. */
const LOGIN_SHELL = ['sh', '-c', 'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'];

/**
 * What runs on the host for `devenv exec`: `docker exec` in the developer's container, as the image's user, with
 * `command` as its argument vector (each word quoted: `-- sh -c 'a | b'` for a pipeline), a login shell without one.
 * `-t` only when there is a terminal to give it.
 */
export function execCommand(developer: string, command: string[], o: { tty: boolean }): string {
  const argv = command.length > 0 ? command : LOGIN_SHELL;
  return `sudo -n docker exec ${o.tty ? '-it' : '-i'} ${containerName(developer)} ${argv.map(shellQuote).join(' ')}`;
}

/** What runs on the host for `devenv logs` without CloudWatch: Docker's own log of the container, from `sinceS` ago. */
export function dockerLogsCommand(developer: string, o: { sinceS: number; follow: boolean }): string {
  const since = `--since ${Math.max(1, Math.round(o.sinceS))}s`;
  return `sudo -n docker logs ${since}${o.follow ? ' --follow' : ''} ${containerName(developer)}`;
}
