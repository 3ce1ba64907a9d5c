import { chmod, open } from 'node:fs/promises';
import { unlinkSync } from 'node:fs';

/**
 * Writes a file only its owner can read (0600) and flushes it to disk before returning.
 * `wx` refuses to replace an existing file; `a` appends to it.
 */
export async function writeOwnerOnlyFile(path: string, content: string, flag: 'w' | 'wx' | 'a'): Promise<void> {
  const handle = await open(path, flag, 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, 0o600); // the mode given to open is only used when the file is new, and the umask applies
}

/** Temp files being written now: a second Ctrl-C ends the process (process.exit) in the middle of a write. */
const inFlight = new Set<string>();
const removeInFlight = () => {
  for (const path of inFlight) {
    try {
      unlinkSync(path);
    } catch {
      // already renamed or never created
    }
  }
};

/**
 * Removes `path` if the process exits before `done()` is called: 'exit' handlers run on
 * process.exit too, synchronously, so no `*.tmp-*` file outlives a run that was quit at once.
 */
export function removeOnExit(path: string): () => void {
  if (inFlight.size === 0) process.once('exit', removeInFlight);
  inFlight.add(path);
  return () => {
    inFlight.delete(path);
    if (inFlight.size === 0) process.off('exit', removeInFlight);
  };
}
