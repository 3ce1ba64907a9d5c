import { unlinkSync } from 'node:fs';
import { link, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { DevenvError, stateError } from '../errors.js';

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

/** A lock file that does not parse is only judged stale after this long: it may be another tool's, mid-write. */
const UNREADABLE_LOCK_GRACE_MS = 10_000;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseLock(text: string): LockInfo | undefined {
  try {
    const l = JSON.parse(text) as Partial<LockInfo>;
    const valid =
      Number.isInteger(l.pid) &&
      typeof l.host === 'string' &&
      typeof l.startedAt === 'string' &&
      typeof l.command === 'string';
    return valid ? (l as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

type Holder = { kind: 'gone' } | { kind: 'unreadable'; ageMs: number } | { kind: 'held'; info: LockInfo };

async function readHolder(path: string): Promise<Holder> {
  try {
    const [text, info] = await Promise.all([readFile(path, 'utf8'), stat(path)]);
    const lock = parseLock(text);
    return lock ? { kind: 'held', info: lock } : { kind: 'unreadable', ageMs: Date.now() - info.mtimeMs };
  } catch {
    return { kind: 'gone' };
  }
}

/** Creates the lock file with its whole content at once (a hard link of a finished temp file), or reports EEXIST. */
async function createLock(path: string, me: LockInfo): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(me), { mode: 0o600 });
  try {
    await link(tmp, path);
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

/**
 * Takes `<state>.lock`. A lock left by a dead process on this host is stale and taken over; a
 * live one (or one from another host, whose pid we cannot check) refuses, naming pid and host.
 */
export async function acquireLock(statePath: string, command: string): Promise<Lock> {
  const path = `${statePath}.lock`;
  const me: LockInfo = { pid: process.pid, host: hostname(), startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await createLock(path, me);
      return heldLock(path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw stateError(
          `${dirname(statePath)}: no such folder for the state file ${statePath}`,
          'create the folder, or choose another path with --state',
        );
      if (code === 'EACCES' || code === 'EPERM')
        throw stateError(
          `${dirname(statePath)}: not allowed to write the state file ${statePath} there`,
          'choose a writable path with --state',
        );
      if (code !== 'EEXIST') throw err;
    }
    const holder = await readHolder(path);
    if (holder.kind === 'unreadable' && holder.ageMs < UNREADABLE_LOCK_GRACE_MS) {
      throw new DevenvError('locked', `${path} exists but is not a devenv lock file`, {
        remedy: `if no devenv run is active, delete ${path}`,
      });
    }
    if (holder.kind === 'held' && !(holder.info.host === me.host && !isAlive(holder.info.pid)))
      throw lockedError(statePath, path, holder.info, me.host);
    await unlink(path).catch(() => undefined); // stale: its process is gone
  }
  throw new DevenvError('locked', `could not take the lock ${path}`, {
    remedy: `delete ${path} if no devenv run is active`,
  });
}

/**
 * The lock we hold. A second Ctrl-C ends the process at once (process.exit): the 'exit' handler
 * removes the lock file synchronously then, so the next run is not refused.
 */
function heldLock(path: string): Lock {
  const onExit = () => {
    try {
      unlinkSync(path);
    } catch {
      // already gone
    }
  };
  process.once('exit', onExit);
  return {
    path,
    release: async () => {
      process.off('exit', onExit);
      await unlink(path).catch(() => undefined);
    },
  };
}

function lockedError(statePath: string, path: string, holder: LockInfo, myHost: string): DevenvError {
  return new DevenvError(
    'locked',
    `${statePath} is locked by \`devenv ${holder.command}\` (pid ${holder.pid} on ${holder.host}, ` +
      `since ${holder.startedAt})`,
    {
      remedy:
        holder.host === myHost
          ? `wait for it to finish, or stop it (kill ${holder.pid}); a lock of a dead process is cleared automatically`
          : `if no devenv run is active on ${holder.host}, delete ${path}`,
    },
  );
}
