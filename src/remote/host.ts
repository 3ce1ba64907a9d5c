import type { NodeSSH, SSHExecCommandResponse } from 'node-ssh';
import { DevenvError } from '../errors.js';
import { shellQuote } from './templates.js';

/** Where uploaded scripts go: root's, and gone at reboot (they are uploaded again each run). */
const SCRIPT_DIR = '/run/devenv';
/** How much of a failed command's output an error shows. */
const TAIL_LINES = 20;

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Seconds before the remote `timeout` stops it (exit 124). */
  timeoutS: number;
  /** Text for the command's standard input (never a secret: scripts fetch those on the host). */
  stdin?: string;
}

const tail = (text: string, lines = TAIL_LINES) => text.trimEnd().split('\n').slice(-lines).join('\n');

/**
 * One SSH session to the host, shared by the phases of a run: commands run with sudo and a
 * timeout, every exit code is checked (node-ssh's `execCommand`, which, unlike `exec`, does not
 * treat output on stderr as failure), and output is streamed line by line to `output` (shown
 * with --verbose).
 */
export class RemoteHost {
  constructor(
    private readonly ssh: NodeSSH,
    readonly address: string,
    private readonly output: (line: string) => void,
  ) {}

  /** Runs `command` as root; returns its result whatever the exit code. */
  async sudo(command: string, o: RunOptions): Promise<RunResult> {
    const wrapped = `sudo -n timeout --kill-after=10 ${o.timeoutS} bash -c ${shellQuote(command)}`;
    const r: SSHExecCommandResponse = await this.ssh.execCommand(wrapped, {
      stdin: o.stdin,
      onStdout: this.lines(),
      onStderr: this.lines(),
    });
    return { code: r.code ?? (r.signal ? 128 : 255), stdout: r.stdout, stderr: r.stderr };
  }

  /**
   * Runs `command` as root and returns its stdout; a non-zero exit is an error naming `what` with the output's last
   * lines.
   */
  async check(what: string, command: string, o: RunOptions): Promise<string> {
    const r = await this.sudo(command, o);
    if (r.code !== 0) throw this.failure(what, r, o.timeoutS);
    return r.stdout;
  }

  /**
   * Writes `content` to `path` on the host with this mode and owner (through a temp file, so a reader never sees half a
   * file).
   */
  async upload(path: string, content: string, o: { mode: string; owner: string }): Promise<void> {
    const dir = path.slice(0, path.lastIndexOf('/')) || '/';
    const command =
      `set -e; tmp=$(mktemp ${shellQuote(`${dir}/.devenv.XXXXXX`)}); cat >"$tmp"; ` +
      `chown ${shellQuote(o.owner)} "$tmp"; chmod ${shellQuote(o.mode)} "$tmp"; mv -f "$tmp" ${shellQuote(path)}`;
    await this.check(`writing ${path}`, `mkdir -p ${shellQuote(dir)} && ${command}`, { timeoutS: 60, stdin: content });
  }

  /** Uploads a script (root-only) and runs it as root with these arguments and a timeout; returns its stdout. */
  async runScript(name: string, script: string, args: string[], o: { timeoutS: number }): Promise<string> {
    const path = `${SCRIPT_DIR}/${name}`;
    await this.upload(path, script, { mode: '0700', owner: 'root:root' });
    return this.check(name, [path, ...args].map(shellQuote).join(' '), o);
  }

  close(): void {
    this.ssh.dispose();
  }

  private failure(what: string, r: RunResult, timeoutS: number): DevenvError {
    const output = tail([r.stdout, r.stderr].filter((s) => s.trim()).join('\n'));
    const how = r.code === 124 ? `timed out after ${timeoutS}s` : `failed with exit code ${r.code}`;
    return new DevenvError('phase', `on the host ${this.address}: ${what} ${how}${output ? `:\n${output}` : ''}`, {
      remedy: "fix what the output says, then run the command again (--verbose streams the host's output)",
    });
  }

  /** A chunk handler that hands complete lines to `output`. */
  private lines(): (chunk: Buffer) => void {
    let partial = '';
    return (chunk) => {
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop()!;
      for (const line of parts) this.output(line);
    };
  }
}
