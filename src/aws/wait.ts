import { DevenvError, InterruptedError } from '../errors.js';

/** Time, injectable so unit tests never sleep. */
export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(new InterruptedError());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = () => {
        clearTimeout(timer);
        reject(new InterruptedError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export interface WaitOptions {
  /** What we wait for, for messages: "instance i-0ab to be running". */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /** Called before each new poll after the first, with the time waited so far. */
  onWait?(elapsedMs: number, last: string): void;
}

/**
 * Polls until `poll` reports done. For the waits the SDK has no waiter for; a timeout says what
 * was last seen, so a stuck wait is never a bare "timed out".
 */
export async function waitFor<T>(poll: () => Promise<{ done: boolean; value: T; seen: string }>, o: WaitOptions): Promise<T> {
  const started = o.clock.now();
  for (;;) {
    const r = await poll();
    if (r.done) return r.value;
    const elapsed = o.clock.now() - started;
    if (elapsed + o.intervalMs > o.timeoutMs) {
      throw new DevenvError('aws', `timed out after ${formatDuration(elapsed)} waiting for ${o.what} (last seen: ${r.seen})`);
    }
    o.onWait?.(elapsed, r.seen);
    await o.clock.sleep(o.intervalMs, o.signal);
  }
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
