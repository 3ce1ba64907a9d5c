/**
 * The host lab's sweep (./lab.ts `sweepLeftovers`): what a killed run left behind — its network
 * namespace and veth pair, a process in the namespace (as its sshd, dockerd and nginx are), a loop
 * device, its /var/tmp folders — is torn down before the next lab starts, and a running lab's is kept.
 * Needs root and iproute2/losetup only, not the lab's image.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { LAB_ROOT, own, readOwner, sweepLeftovers, tearDown, writeOwner, type Owner } from './lab.js';

const run = promisify(execFile);
const unavailable = process.getuid?.() !== 0 ? 'the sweep test needs root (namespaces, loop devices)' : undefined;
if (unavailable && process.env.CI === 'true') throw new Error(`host lab: ${unavailable}`);

interface Leftover {
  owner: Owner;
  /** The process in the lab's namespace, standing in for its sshd, dockerd and nginx. */
  resident: ChildProcess;
  residentExit: Promise<NodeJS.Signals | null>;
}

const exitOf = (child: ChildProcess) =>
  new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));

/** What `Lab.start` makes, on a small scale, owned by the run `ownerPid`. */
async function leftover(ownerPid: number): Promise<Leftover> {
  const id = randomBytes(3).toString('hex');
  const netns = `devenv-lab-${id}`;
  const veth = `dvl${id}`;
  const dir = await mkdtemp(join(LAB_ROOT, 'devenv-lab-'));
  await writeOwner(dir, { netns, veth }, ownerPid);
  await run('ip', ['netns', 'add', netns]);
  await run('ip', ['link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
  await run('ip', ['link', 'set', `${veth}b`, 'netns', netns]);
  await run('truncate', ['-s', '16M', join(dir, 'data-volume.img')]);
  await own(dir, 'loop', (await run('losetup', ['--find', '--show', join(dir, 'data-volume.img')])).stdout.trim());
  await own(dir, 'dir', await mkdtemp(join(LAB_ROOT, 'devenv-edge-')));
  // Started once it says so from inside the namespace.
  const resident = spawn('ip', ['netns', 'exec', netns, 'sh', '-c', 'echo in; exec sleep 600'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const residentExit = exitOf(resident);
  await new Promise((resolve) => resident.stdout!.once('data', resolve));
  return { owner: await readOwner(dir), resident, residentExit };
}

/** A run's process, and its end: once ended, its owner files name a killed run. */
async function aRun(): Promise<{ pid: number; kill: () => Promise<unknown> }> {
  const child = spawn('sleep', ['600'], { stdio: 'ignore' });
  await new Promise((r) => child.once('spawn', r));
  const exited = exitOf(child);
  const kill = () => {
    child.kill('SIGKILL');
    return exited;
  };
  return { pid: child.pid!, kill };
}

const netnsList = async () => (await run('ip', ['netns', 'list'])).stdout;
const linkExists = async (name: string) =>
  run('ip', ['link', 'show', name]).then(
    () => true,
    () => false,
  );
const loops = async () => (await run('losetup', ['-l', '-n', '-O', 'NAME'])).stdout.split('\n').map((l) => l.trim());

async function present(l: Leftover): Promise<Record<string, boolean>> {
  return {
    netns: (await netnsList()).includes(l.owner.netns),
    veth: await linkExists(`${l.owner.veth}a`),
    loop: (await loops()).includes(l.owner.loops[0]!),
    folder: existsSync(l.owner.dir),
    edgeFolder: existsSync(l.owner.dirs[0]!),
  };
}
const all = (value: boolean) => ({ netns: value, veth: value, loop: value, folder: value, edgeFolder: value });

describe.skipIf(unavailable !== undefined)('the host lab sweeps what a killed run left behind', () => {
  const made: Leftover[] = [];
  afterAll(async () => {
    for (const l of made) await tearDown(l.owner);
  });

  it("tears down a killed run's namespace, veth, process, loop device and folders, and keeps a running one's", async () => {
    const killed = await aRun();
    const dead = await leftover(killed.pid);
    await killed.kill();
    const live = await leftover(process.pid);
    made.push(dead, live);
    expect(await present(dead)).toEqual(all(true));

    const swept = await sweepLeftovers();

    expect(swept).toContain(dead.owner.dir);
    expect(swept).not.toContain(live.owner.dir);
    expect(await present(dead)).toEqual(all(false));
    expect(await dead.residentExit).toBe('SIGKILL');
    expect(await present(live)).toEqual(all(true));
    expect(live.resident.exitCode).toBeNull();

    await tearDown(live.owner); // what Lab.stop() does with its own owner file
    expect(await present(live)).toEqual(all(false));
    expect(await live.residentExit).toBe('SIGKILL');
  }, 60_000);
});
