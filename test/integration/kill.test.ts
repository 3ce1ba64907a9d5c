/**
 * A real process killed with SIGKILL: `node bin/devenv.js up` as a child, killed when its output
 * shows it has created something (at several points), then run again until converged. The rerun
 * takes over the dead run's lock, and AWS ends up holding exactly one clean run's resources.
 * (The crash injector in crash.test.ts covers every call; this covers what only a real kill does:
 * no `finally`, no state save on the way out, a lock file left behind.)
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { childEnv, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/devenv.js');
/** moto's instances answer no SSH: leave out the phases that log in to the host (as Workspace.cli does). */
const NO_HOST = ['--skip', 'storage,containers'];
const DEVELOPERS = ['alice', 'bob'];
const CREATED = /\] created /;

interface Killed {
  pid: number;
  signal: NodeJS.Signals | null;
  stderr: string;
  createdLines: number;
}

/** Starts `devenv up` and SIGKILLs it once its stderr has shown `createdLines` "created" lines. */
function upKilledAfter(ws: Workspace, createdLines: number): Promise<Killed> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'up', ...NO_HOST, '--config', ws.configPath, '--state', ws.statePath], {
      cwd: ws.dir,
      env: childEnv(ws.endpoint),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let seen = 0;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      seen = stderr.split('\n').filter((l) => CREATED.test(l)).length;
      if (seen >= createdLines && child.exitCode === null) child.kill('SIGKILL');
    });
    child.stdout!.resume();
    child.on('error', reject);
    child.on('exit', (_code, signal) => resolvePromise({ pid: child.pid!, signal, stderr, createdLines: seen }));
  });
}

/** `devenv up` as a child process, to its end. */
function upToTheEnd(ws: Workspace): Promise<{ code: number; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, 'up', ...NO_HOST, '--config', ws.configPath, '--state', ws.statePath], {
      cwd: ws.dir,
      env: childEnv(ws.endpoint),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.resume();
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code: code ?? -1, stderr }));
  });
}

describeMoto('devenv up killed with SIGKILL, then run again', (moto) => {
  // bin/devenv.js runs dist/: vitest's globalSetup (test/helpers/build.ts) builds it when src/ is newer.
  it("converges to one clean run from kills at several points, taking over the dead run's lock", async () => {
    const clean = await newWorkspace(moto.server, { developers: DEVELOPERS });
    const first = await upToTheEnd(clean);
    expect(first.code, first.stderr).toBe(0);
    const baseline = (await clean.inventory()).items;
    const total = first.stderr.split('\n').filter((l) => CREATED.test(l)).length;
    expect(total, 'a clean up printed no "created" line').toBeGreaterThan(2);
    await clean.remove();

    // Early (the first resource), in the middle, and near the end (the host).
    const points = [...new Set([1, Math.ceil(total / 2), total - 1])];
    for (const point of points) {
      const ws = await newWorkspace(moto.server, { developers: DEVELOPERS });
      const killed = await upKilledAfter(ws, point);
      expect(killed.signal, `up ended by itself before its "created" line #${point}:\n${killed.stderr}`).toBe(
        'SIGKILL',
      );
      const lock = JSON.parse(await readFile(`${ws.statePath}.lock`, 'utf8')) as { pid: number };
      expect(lock.pid, 'the killed run left its lock').toBe(killed.pid);

      const rerun = await upToTheEnd(ws);
      expect(rerun.stderr).not.toMatch(/is locked/);
      expect(rerun.code, `rerun after a kill at "created" #${point}: exit ${rerun.code}\n${rerun.stderr}`).toBe(0);
      await expect(stat(`${ws.statePath}.lock`), 'the rerun left a lock').rejects.toThrow();
      expectSameInventory(
        (await ws.inventory()).items,
        baseline,
        `after a kill at "created" line #${point} and a rerun`,
      );

      const third = await ws.cli(['up']);
      expectConverged(third, 'third up');
      expectNoMutatingCalls(third, `a third up (kill at "created" line #${point})`);
      await ws.remove();
    }
  }, 240_000);

  it('Ctrl-C (SIGINT) to a real run: exit 130, lock released, state readable; the next up converges', async () => {
    const ws = await newWorkspace(moto.server, { developers: DEVELOPERS });
    const child = spawn(process.execPath, [BIN, 'up', ...NO_HOST, '--config', ws.configPath, '--state', ws.statePath], {
      cwd: ws.dir,
      env: childEnv(ws.endpoint),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let sent = false;
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!sent && CREATED.test(stderr)) {
        sent = true;
        child.kill('SIGINT');
      }
    });
    child.stdout!.resume();
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(sent, `up ended before it created anything:\n${stderr}`).toBe(true);
    expect(code, stderr).toBe(130);
    expect(stderr).toMatch(/interrupted/);
    await expect(stat(`${ws.statePath}.lock`), 'the interrupted run left its lock').rejects.toThrow();
    await expect(ws.state(), 'the state file is not valid JSON after Ctrl-C').resolves.toBeTruthy();
    const rerun = await ws.cli(['up']);
    expectConverged(rerun, 'up after Ctrl-C');
    expect(rerun.stderr, 'the interrupted run did not record what it made').not.toMatch(/adopted/);
    expectNoMutatingCalls(await ws.cli(['up']), 'a converged up');
    await ws.remove();
  });
});
