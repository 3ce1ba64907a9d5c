/**
 * What must still happen when a second Ctrl-C quits at once: releasing a lock held in S3 needs a
 * network call, which the synchronous 'exit' handler (enough for the local lock file) cannot make.
 */
const cleanups = new Set<() => Promise<void>>();

/** Registers `fn` to run before a forced quit; returns the function that unregisters it. */
export function beforeQuit(fn: () => Promise<void>): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** Runs every registered cleanup, giving them `timeoutMs` at most. */
export async function runBeforeQuit(timeoutMs = 3_000): Promise<void> {
  const all = Promise.allSettled([...cleanups].map((fn) => fn()));
  await Promise.race([all, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
}
