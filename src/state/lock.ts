import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { DevenvError } from '../errors.js';

interface LockInfo {
  pid: number;
  host: string;
  startedAt: string;
  command: string;
}

export interface Lock {
  path: string;
  release(): Promise<void>;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(path: string): Promise<LockInfo | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as LockInfo;
  } catch {
    return undefined; // vanished, or half-written by a run killed while taking it
  }
}

/**
 * Takes `<state>.lock` with an exclusive create. A lock left by a dead process on this host is
 * stale and taken over; a live one (or one from another host, whose pid we cannot check) refuses.
 */
export async function acquireLock(statePath: string, command: string): Promise<Lock> {
  const path = `${statePath}.lock`;
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await open(path, 'wx', 0o600);
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      return { path, release: () => unlink(path).catch(() => undefined) };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = await readLock(path);
    const stale = !holder || (holder.host === me.host && !isAlive(holder.pid));
    if (!stale) {
      throw new DevenvError('locked', `${statePath} is locked by \`devenv ${holder.command}\` (pid ${holder.pid} on ${holder.host}, since ${holder.startedAt})`, {
        remedy: holder.host === me.host
          ? `wait for it to finish, or stop it (kill ${holder.pid}); a lock of a dead process is cleared automatically`
          : `if no devenv run is active on ${holder.host}, delete ${path}`,
      });
    }
    await unlink(path).catch(() => undefined);
  }
  throw new DevenvError('locked', `could not take the lock ${path}`, { remedy: `delete ${path} if no devenv run is active` });
}
