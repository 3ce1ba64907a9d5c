import type { NodeSSH, SSHExecCommandOptions } from 'node-ssh';
import { describe, expect, it } from 'vitest';
import { installExtensions } from '../../src/remote/containers.js';
import { RemoteHost } from '../../src/remote/host.js';

/** A NodeSSH that records commands and answers with the given results. */
function fakeSsh(answers: { code: number; stdout?: string; stderr?: string }[]) {
  const commands: { command: string; stdin?: string }[] = [];
  const ssh = {
    execCommand: async (command: string, o: SSHExecCommandOptions = {}) => {
      commands.push({ command, stdin: typeof o.stdin === 'string' ? o.stdin : undefined });
      const a = answers.shift() ?? { code: 0 };
      o.onStdout?.(Buffer.from(a.stdout ?? ''));
      o.onStderr?.(Buffer.from(a.stderr ?? ''));
      return { code: a.code, signal: null, stdout: a.stdout ?? '', stderr: a.stderr ?? '' };
    },
    dispose: () => undefined,
  } as unknown as NodeSSH;
  return { ssh, commands };
}

describe('RemoteHost', () => {
  it('runs commands as root with a time limit and streams their output line by line', async () => {
    const { ssh, commands } = fakeSsh([{ code: 0, stdout: 'one\ntwo\n', stderr: 'warning: x\n' }]);
    const lines: string[] = [];
    const out = await new RemoteHost(ssh, '203.0.113.9', (l) => lines.push(l)).check('listing', "echo 'hi'", {
      timeoutS: 30,
    });
    expect(out).toBe('one\ntwo\n');
    expect(commands[0]!.command).toBe(`sudo -n timeout --kill-after=10 30 bash -c 'echo '\\''hi'\\'''`);
    expect(lines).toEqual(['one', 'two', 'warning: x']);
  });

  it('fails on a non-zero exit even when nothing went to stderr, showing the last lines, and says when the time limit hit', async () => {
    const { ssh } = fakeSsh([
      { code: 3, stdout: Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') },
      { code: 124 },
    ]);
    const host = new RemoteHost(ssh, '203.0.113.9', () => undefined);
    const err = (await host.check('storage.sh', 'x', { timeoutS: 60 }).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/^on the host 203\.0\.113\.9: storage\.sh failed with exit code 3:\nline 10\n/);
    expect(err.message).toContain('line 29');
    expect(err.message).not.toContain('line 9\n');
    await expect(host.check('compose up', 'x', { timeoutS: 60 })).rejects.toThrow('compose up timed out after 60s');
  });

  it('uploads through a temp file with the mode and owner, the content on stdin', async () => {
    const { ssh, commands } = fakeSsh([{ code: 0 }]);
    await new RemoteHost(ssh, 'h', () => undefined).upload('/etc/devenv/docker-compose.yml', 'services: {}\n', {
      mode: '0644',
      owner: 'root:root',
    });
    expect(commands[0]!.stdin).toBe('services: {}\n');
    expect(commands[0]!.command).toContain('mktemp');
    expect(commands[0]!.command).toContain('chmod');
    expect(commands[0]!.command).toContain('0644');
    expect(commands[0]!.command).toContain('root:root');
    expect(commands[0]!.command).toContain('/etc/devenv/docker-compose.yml');
  });

  it('installs each configured extension once per developer, remembering it on the data volume', async () => {
    const { ssh, commands } = fakeSsh([{ code: 0, stdout: 'ms-python.python\n' }]);
    const steps: string[] = [];
    await installExtensions(
      new RemoteHost(ssh, 'h', () => undefined),
      ['alice'],
      ['ms-python.python', 'esbenp.prettier-vscode'],
      (m) => steps.push(m),
    );
    const run = commands.map((c) => c.command).join('\n');
    // Beside the home, in alice's root-owned folder: never in a file she can replace with a link.
    expect(run).toContain('/mnt/ebs-data/alice/extensions-installed');
    expect(run).not.toContain('/mnt/ebs-data/alice/home');
    expect(run).toContain('docker exec code-server-alice code-server --install-extension');
    expect(run).toContain('esbenp.prettier-vscode');
    expect(run).not.toMatch(/--install-extension '\\''ms-python/);
    expect(run.match(/--install-extension/g)).toHaveLength(1);
    expect(steps).toEqual(['alice: installed esbenp.prettier-vscode']);
  });
});
