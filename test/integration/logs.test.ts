/**
 * `devenv logs` from CloudWatch Logs after an `up` (the monitoring phase made the developers' log
 * groups): the container's own lines out of Docker's json-file records the agent ships, in order,
 * only those of that developer, within --since, only those --grep names, through FilterLogEvents
 * alone; --follow prints what arrives later until Ctrl-C, which ends it quietly with 130 (as `tail -f`: a
 * shell loop around it stops too). No host is needed: a replaced or stopped host's log is still there.
 */
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { join, resolve } from 'node:path';
import { CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { beforeAll, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { childEnv, describeResult, newWorkspace, PROJECT, whenSaid, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

/** One line as Docker's json-file driver writes it (and the CloudWatch agent ships it). */
const record = (log: string, stream = 'stdout') =>
  JSON.stringify({ log: `${log}\n`, stream, time: new Date().toISOString() });

describeMoto('devenv logs from CloudWatch Logs', (moto) => {
  let ws: Workspace;
  const put = async (developer: string, events: { ago: number; line: string }[]) => {
    const { logs } = await moto.server.clients();
    await logs.send(
      new PutLogEventsCommand({
        logGroupName: `/aws/ec2/${PROJECT}/containers/${developer}`,
        logStreamName: 'i-0123456789abcdef0',
        logEvents: events.map((e) => ({ timestamp: Date.now() - e.ago, message: record(e.line) })),
      }),
    );
  };

  beforeAll(async () => {
    ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(0);
    const { logs } = await moto.server.clients();
    for (const developer of ['alice', 'bob'])
      await logs.send(
        new CreateLogStreamCommand({
          logGroupName: `/aws/ec2/${PROJECT}/containers/${developer}`,
          logStreamName: 'i-0123456789abcdef0',
        }),
      );
    await put('alice', [
      { ago: 3 * 3600_000, line: 'three hours ago' },
      { ago: 20 * 60_000, line: '[info] HTTP server listening on http://0.0.0.0:8080/' },
      { ago: 10 * 60_000, line: '[info] Session server listening' },
    ]);
    await put('bob', [{ ago: 5 * 60_000, line: "bob's line" }]);
  }, 300_000);

  it("prints that developer's lines from --since on, says where they came from, and calls FilterLogEvents only", async () => {
    const r = await ws.cli(['logs', 'alice']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stdout).toBe('[info] HTTP server listening on http://0.0.0.0:8080/\n[info] Session server listening\n');
    expect(r.stderr).toContain(`from CloudWatch Logs (/aws/ec2/${PROJECT}/containers/alice)`);
    expect(r.calls.mutating).toEqual([]);
    expect(r.calls.read).toEqual(['sts:GetCallerIdentity', 'logs:FilterLogEvents']);

    const longer = await ws.cli(['logs', 'alice', '--since', '4h']);
    expect(longer.stdout.split('\n')[0]).toBe('three hours ago');
    const grep = await ws.cli(['logs', 'alice', '--since', '4h', '--grep', 'server listening']);
    expect(grep.stdout).toBe('[info] HTTP server listening on http://0.0.0.0:8080/\n[info] Session server listening\n');
    expect((await ws.cli(['logs', 'alice', '--grep', 'Server'])).stdout).toBe('');
    expect((await ws.cli(['logs', 'bob'])).stdout).toBe("bob's line\n");
  }, 60_000);

  it('--follow prints the lines that arrive later, until Ctrl-C', async () => {
    const signals = new EventEmitter();
    const first = whenSaid(/CloudWatch Logs/);
    const following = ws.cli(['logs', 'bob', '--follow'], { signals, onStderr: first.hear });
    await first.said;
    await new Promise((r) => setTimeout(r, 1_000));
    await put('bob', [{ ago: 0, line: 'arrived while following' }]);
    await new Promise((r) => setTimeout(r, 7_000)); // one more read (every 5 s)
    signals.emit('SIGINT');
    const r = await following;
    expect(r.code, describeResult(r)).toBe(ExitCode.interrupted);
    expect(r.stdout).toBe("bob's line\narrived while following\n");
    expect(r.stderr).not.toMatch(/interrupted|error|Ctrl-C again/);
  }, 60_000);

  it('a real `devenv logs --follow` process ends on SIGINT with 130 and says nothing of a run cut short', async () => {
    const bin = join(resolve(import.meta.dirname, '../..'), 'bin/devenv.js');
    const child = spawn(
      process.execPath,
      [bin, 'logs', 'alice', '--follow', '--config', ws.configPath, '--state', ws.statePath],
      { cwd: ws.dir, env: childEnv(ws.endpoint), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let [stdout, stderr] = ['', ''];
    let listening!: () => void;
    const shown = new Promise<void>((r) => (listening = r));
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (stdout.includes('Session server listening')) listening();
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })),
    );
    await shown;
    child.kill('SIGINT');
    expect(await exited, stderr).toEqual({ code: ExitCode.interrupted, signal: null });
    expect(stderr).toContain('from CloudWatch Logs');
    expect(stderr).not.toMatch(/interrupted|error|Ctrl-C again/);
  }, 60_000);
});
