/**
 * Reads shared by the phases of one run: a listing two phases' `plan` or `status` both need is made
 * once. Keyed by what is read; a failed read is not kept, so the next asker retries. A phase that
 * writes reads for itself, unless the phase before it hands over what it saw and left in place.
 */
export type ReadCache = Map<string, Promise<unknown>>;

export function readOnce<T>(ctx: { reads?: ReadCache }, key: string, read: () => Promise<T>): Promise<T> {
  const cache = ctx.reads;
  if (!cache) return read();
  const known = cache.get(key) as Promise<T> | undefined;
  if (known) return known;
  const reading = read();
  cache.set(key, reading);
  reading.catch(() => cache.delete(key));
  return reading;
}

/** GetCallerIdentity's answer: the session checks the account with it, and validate reports it. */
export const CALLER_IDENTITY = 'sts:GetCallerIdentity';
