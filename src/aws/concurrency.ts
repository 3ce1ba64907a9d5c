/** How many per-developer resources a phase works on at once: well inside every API's rate limit. */
export const PER_DEVELOPER_CONCURRENCY = 8;

/**
 * Maps `items` with at most `limit` calls of `fn` running at once, keeping the order of results.
 * On the first failure no new call starts, the running ones finish, and that failure is thrown,
 * so a failed run stops as cleanly as a serial one.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.error;
  return results;
}
