/**
 * Bad config, bad state and locks against a live emulator: each gives its clear error and its exit
 * code, changes nothing, and — where devenv can tell before calling AWS — makes no AWS call at all.
 */
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { afterAll, expect, it } from 'vitest';
import { expectConverged, expectNoAwsCalls, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { describeResult, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const children: { kill(): void }[] = [];
afterAll(() => {
  for (const c of children) c.kill();
});

/** A live process of this host that is not devenv: the holder of a lock. */
function liveProcess(): number {
  const child = spawn('sleep', ['300'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

/** The pid of a process that has exited. */
async function deadPid(): Promise<number> {
  const child = spawn('true', { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describeMoto('bad input, bad state, locks', (moto) => {
  const fresh = (developers = ['alice']) => newWorkspace(moto.server, { developers });

  async function convergedWorkspace(): Promise<Workspace> {
    const ws = await fresh();
    expectConverged(await ws.cli(['up']));
    return ws;
  }

  it.each([
    [
      'a value of the wrong type',
      (c: Record<string, any>) => (c.instance.rootVolumeGiB = 'fifty'),
      /instance\.rootVolumeGiB/,
    ],
    ['an unknown key', (c: Record<string, any>) => (c.developer = ['alice']), /unknown key "developer"/],
    [
      'a developer name that is not a DNS label',
      (c: Record<string, any>) => (c.developers = ['alice', 'Bob_Smith']),
      /developers\[1\]/,
    ],
    ['SSH open to the world', (c: Record<string, any>) => (c.ssh.adminCidr = '0.0.0.0/0'), /ssh\.adminCidr/],
    [
      'a wrong type, an unknown key and two rules across keys broken at once',
      (c: Record<string, any>) => {
        Object.assign(c, { colour: 'blue', tags: { ...c.tags, Project: 'other' } });
        c.instance.rootVolumeGiB = 'fifty';
        c.containers = { ...c.containers, networkPool: c.network?.vpcCidr ?? '10.0.0.0/16' };
      },
      /(?=[\s\S]*instance\.rootVolumeGiB: "fifty")(?=[\s\S]*unknown key "colour")(?=[\s\S]*containers\.networkPool: "[^"]+" overlaps network\.vpcCidr)(?=[\s\S]*tags\.Project: devenv sets)/,
    ],
  ])('a config with %s: exit 2, the message names the key, no AWS call', async (_what, change, key) => {
    const ws = await fresh();
    await ws.editConfig(change);
    for (const command of [['up'], ['destroy', '--yes'], ['status']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toMatch(key);
      expect(r.stderr).toContain(ws.configPath);
      expectNoAwsCalls(r);
    }
    expect(await exists(ws.statePath), 'a state file was written for a bad config').toBe(false);
  });

  it('an unusable private key: plan and up stop before creating anything, exit 2, with the fix', async () => {
    const ws = await fresh();
    await mkdir(dirname(ws.keyPath), { recursive: true });
    await writeFile(ws.keyPath, 'not a key\n', { mode: 0o600 });
    for (const command of [['plan'], ['up']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toContain(`${ws.keyPath} is not a private key devenv can use`);
      expectNoMutatingCalls(r, command.join(' '));
    }
    await writeFile(ws.keyPath, generateEd25519('itest').privateKey);
    await chmod(ws.keyPath, 0o644);
    const r = await ws.cli(['up']);
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain(
      'can be read by its group and everyone (mode 0644): ssh refuses a key that is not private',
    );
    expect(r.stderr).toContain(`chmod 600 ${ws.keyPath}`);
    expectNoMutatingCalls(r, 'up with a key others can read');
  });

  it('an API-key variable that is not set: validate, plan and up exit 2 naming it, before any create', async () => {
    const ws = await fresh(['alice', 'bob']);
    const variable = 'DEVENV_IT_UNSET_ANTHROPIC_KEY';
    await ws.editConfig((c) => (c.developers = ['alice', { name: 'bob', anthropicApiKey: { env: variable } }]));
    for (const command of [['plan'], ['up'], ['phase', 'validate']]) {
      const r = await ws.cli(command, { env: { [variable]: undefined } });
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toContain(`environment variable ${variable}, which is not set`);
      expect(r.stderr).toContain(`export ${variable}=<key>`);
      expectNoMutatingCalls(r, command.join(' '));
    }
    // With the variable set, the same up builds everything.
    expectConverged(await ws.cli(['up'], { env: { [variable]: 'sk-ant-itest-0123456789' } }));
  });

  it('a config that is not JSON: exit 2, names the file, no AWS call', async () => {
    const ws = await fresh();
    await writeFile(ws.configPath, '{ "project": "itest", ');
    const r = await ws.cli(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ws.configPath}: not valid JSON`);
    expectNoAwsCalls(r);
  });

  it('a truncated state file: exit 2, names the file, no AWS call, and the file is left as it was', async () => {
    const ws = await convergedWorkspace();
    const whole = await readFile(ws.statePath, 'utf8');
    const truncated = whole.slice(0, Math.floor(whole.length / 2));
    await writeFile(ws.statePath, truncated);
    for (const command of [['up'], ['status'], ['destroy', '--yes'], ['plan']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toContain(ws.statePath);
      expect(r.stderr).toMatch(/not valid JSON|truncated/);
      expectNoAwsCalls(r);
    }
    expect(await readFile(ws.statePath, 'utf8'), 'the truncated state was overwritten (a silent reset)').toBe(
      truncated,
    );
  });

  it('a state file that is JSON but not a devenv state: exit 2, names the file, no AWS call', async () => {
    const ws = await fresh();
    await writeFile(ws.statePath, JSON.stringify({ hello: 'world' }));
    const r = await ws.cli(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${ws.statePath} is not a devenv state file`);
    expectNoAwsCalls(r);
  });

  it('a state of another account, with accountId in the config: exit 2 naming both accounts, no AWS call', async () => {
    const ws = await convergedWorkspace();
    const state = await ws.state();
    state.account = '999999999999';
    await writeFile(ws.statePath, JSON.stringify(state, null, 2));
    expect((await ws.config()).accountId).toBe('123456789012'); // from the .env's AWS_ACCOUNT_ID
    for (const command of [['up'], ['destroy', '--yes']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toMatch(/999999999999/);
      expect(r.stderr).toMatch(/123456789012/);
      expect(r.stderr).toContain(ws.statePath);
      expectNoAwsCalls(r);
    }
  });

  it('a state of another account, without accountId in the config: up, phase, destroy and status exit 2 after asking AWS who we are, nothing changed', async () => {
    const ws = await convergedWorkspace();
    const before = (await ws.inventory()).items;
    await ws.editConfig((c) => delete c.accountId);
    const state = await ws.state();
    state.account = '999999999999';
    await writeFile(ws.statePath, JSON.stringify(state, null, 2));
    // Every command that acts on AWS asks who we are first: a single phase or destroy must not act on another account.
    for (const command of [['up'], ['phase', 'vpc'], ['destroy', '--yes'], ['status']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toMatch(/999999999999/);
      expect(r.stderr).toMatch(/123456789012/);
      expect(r.calls.read, `${command.join(' ')} asked only who we are`).toEqual(['sts:GetCallerIdentity']);
      expectNoMutatingCalls(r, `${command.join(' ')} with a foreign state`);
      expect(r.stderr).not.toMatch(/\] started/);
    }
    expectSameInventory((await ws.inventory()).items, before, 'after commands with a foreign state');
    expect((await ws.state()).account, 'the foreign state was rebound').toBe('999999999999');
  });

  it('a state of another region or project: exit 2, no AWS call', async () => {
    const ws = await convergedWorkspace();
    const state = await ws.state();
    await writeFile(ws.statePath, JSON.stringify({ ...state, region: 'eu-west-1' }));
    let r = await ws.cli(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/region "eu-west-1"/);
    expectNoAwsCalls(r);
    await writeFile(ws.statePath, JSON.stringify({ ...state, project: 'someone-else' }));
    r = await ws.cli(['up']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/project "someone-else"/);
    expectNoAwsCalls(r);
  });

  it('a lock held by a live process: exit 3 naming its pid and host, no AWS call; status still reads', async () => {
    const ws = await convergedWorkspace();
    const pid = liveProcess();
    const lock = JSON.stringify({ pid, host: hostname(), startedAt: new Date().toISOString(), command: 'up' });
    await writeFile(`${ws.statePath}.lock`, lock);
    for (const command of [['up'], ['destroy', '--yes'], ['phase', 'vpc']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(3);
      expect(r.stderr).toContain(`pid ${pid}`);
      expect(r.stderr).toContain(hostname());
      expectNoAwsCalls(r);
    }
    expect(await readFile(`${ws.statePath}.lock`, 'utf8'), 'the lock of a live run was touched').toBe(lock);
    const status = await ws.cli(['status']);
    // The converged workspace skips the host phases, so status reads them as not created (exit 1), not as locked (3).
    expect(status.code, `status only reads and takes no lock: ${describeResult(status)}`).toBe(1);
    expect(status.stderr).not.toMatch(/lock/i);
    expectNoMutatingCalls(status, 'status');
  });

  it('a lock from another host: exit 3 naming that host, no AWS call', async () => {
    const ws = await fresh();
    await writeFile(
      `${ws.statePath}.lock`,
      JSON.stringify({ pid: 1, host: 'build-box-7', startedAt: new Date().toISOString(), command: 'up' }),
    );
    const r = await ws.cli(['up']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('build-box-7');
    expect(r.stderr).toContain('pid 1');
    expectNoAwsCalls(r);
  });

  it('a stale lock (its pid is dead) or a half-written one is taken over', async () => {
    const ws = await fresh();
    const pid = await deadPid();
    await writeFile(
      `${ws.statePath}.lock`,
      JSON.stringify({ pid, host: hostname(), startedAt: '2026-01-01T00:00:00Z', command: 'up' }),
    );
    const r = await ws.cli(['up']);
    expectConverged(r, 'up over a stale lock');
    expect(await exists(`${ws.statePath}.lock`), 'the lock was not released').toBe(false);

    // devenv creates its lock whole (a hard link of a finished file), so an unreadable one is not
    // devenv's: refused while it may still be being written, taken over once it is old.
    await writeFile(`${ws.statePath}.lock`, '');
    const refused = await ws.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(3);
    expect(refused.stderr).toContain('is not a devenv lock file');
    expectNoAwsCalls(refused);
    const aMinuteAgo = new Date(Date.now() - 60_000);
    await utimes(`${ws.statePath}.lock`, aMinuteAgo, aMinuteAgo);
    const again = await ws.cli(['up']);
    expectConverged(again, 'up over an old unreadable lock');
    expectNoMutatingCalls(again, 'a converged up');
    expect(await exists(`${ws.statePath}.lock`)).toBe(false);
  });

  it('a state file in a folder that does not exist: exit 2 naming the folder', async () => {
    const ws = await fresh();
    const r = await ws.cli(['up', '--config', ws.configPath, '--state', `${ws.dir}/no-such-folder/devenv.state.json`], {
      bare: true,
    });
    expect(r.code, describeResult(r)).toBe(2);
    expect(r.stderr).toContain(`${ws.dir}/no-such-folder: no such folder for the state file`);
    expectNoAwsCalls(r);
  });
});
