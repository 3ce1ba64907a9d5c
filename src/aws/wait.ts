import { formatDuration } from '../duration.js';
import { DevenvError, InterruptedError } from '../errors.js';
import { isNotFound, isThrottling } from './errors.js';

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

/** A wait that ran out of time. Callers that go on after one test for this class, never the message. */
export class WaitTimeoutError extends DevenvError {
  constructor(
    readonly what: string,
    readonly waitedMs: number,
    readonly lastSeen?: string,
    options: { remedy?: string; cause?: unknown } = {},
  ) {
    const seen = lastSeen ? ` (last seen: ${lastSeen})` : '';
    super('aws', `timed out after ${formatDuration(waitedMs)} waiting for ${what}${seen}`, options);
    this.name = 'WaitTimeoutError';
  }
}

export interface WaitOptions {
  /** What we wait for, for messages: "instance i-0ab to be running". */
  what: string;
  timeoutMs: number;
  intervalMs: number;
  clock: Clock;
  signal?: AbortSignal;
  /**
   * Where a progress line goes before each new poll after the first, so nothing looks hung:
   * `waiting for <what> (<time waited>; <last seen>)`, or what `say` words from those two.
   */
  progress?(message: string): void;
  say?(elapsedMs: number, seen: string): string;
  /** What to do about a timeout, for its error. */
  remedy?: string;
}

/** A run's clock, signal and progress lines, for a wait: `{ what, timeoutMs, intervalMs, ...waitOptions(ctx) }`. */
export const waitOptions = <S extends AbortSignal | undefined>(ctx: {
  clock: Clock;
  signal: S;
  report: { progress(message: string): void };
}) => ({ clock: ctx.clock, signal: ctx.signal, progress: (m: string) => ctx.report.progress(m) });

/**
 * Polls until `poll` reports done, for the waits the SDK has no waiter for. An error `poll` throws
 * ends the wait at once; a timeout is a `WaitTimeoutError` saying what was last seen, so a stuck
 * wait is never a bare "timed out".
 */
export async function waitFor<T>(
  poll: () => Promise<{ done: boolean; value: T; seen: string }>,
  o: WaitOptions,
): Promise<T> {
  const started = o.clock.now();
  for (;;) {
    const r = await poll();
    if (r.done) return r.value;
    const elapsed = o.clock.now() - started;
    if (elapsed + o.intervalMs > o.timeoutMs) throw new WaitTimeoutError(o.what, elapsed, r.seen, { remedy: o.remedy });
    o.progress?.(o.say?.(elapsed, r.seen) ?? `waiting for ${o.what} (${formatDuration(elapsed)}; ${r.seen})`);
    await o.clock.sleep(o.intervalMs, o.signal);
  }
}

/** What an SDK wait needs of the run: its progress lines, its abort signal, its clock. */
export interface WaitContext {
  report: { progress(message: string): void };
  signal: AbortSignal;
  clock: Clock;
}

/** The parameters every SDK waiter (`waitUntil…`) takes. */
export interface WaiterParams<C> {
  client: C;
  maxWaitTime: number;
  abortSignal: AbortSignal;
}

interface Sender {
  send(...args: never[]): Promise<unknown>;
}

/** The first progress line waits a little, so a wait that is over at the first poll (a converged run) stays silent. */
const FIRST_PROGRESS_MS = 3_000;
const PROGRESS_EVERY_MS = 30_000;
const RESUME = 'then run the same command again: devenv resumes where it stopped';

/**
 * Runs one of the SDK's waiters (`waitUntil…`) with a bound in seconds, the run's abort signal and
 * a progress line after 3 s, then every 30 s (the waiters have no callback of their own, and a
 * silent wait looks like a hang). It stops at the first error no later poll can fix (AccessDenied,
 * expired credentials), which the SDK's waiters would poll through until the bound. Their other
 * errors, JSON blobs, become one sentence naming what we waited for; a timeout is a `WaitTimeoutError`.
 */
export async function sdkWait<C extends Sender>(
  ctx: WaitContext,
  client: C,
  what: string,
  maxWaitTime: number,
  wait: (params: WaiterParams<C>) => Promise<unknown>,
  o: { remedy?: string } = {},
): Promise<void> {
  const started = ctx.clock.now();
  const tell = () => ctx.report.progress(`waiting for ${what} (${formatDuration(ctx.clock.now() - started)})`);
  let ticker: NodeJS.Timeout | undefined;
  const first = setTimeout(() => {
    tell();
    ticker = setInterval(tell, PROGRESS_EVERY_MS).unref();
  }, FIRST_PROGRESS_MS).unref();
  const stop = stopOnLastingError(client, ctx.signal);
  try {
    await wait({ client: stop.client, maxWaitTime, abortSignal: stop.signal });
  } catch (err) {
    const remedy = o.remedy ?? `check it in the AWS console, ${RESUME}`;
    throw stop.error ?? waiterError(err, what, ctx.clock.now() - started, maxWaitTime, remedy);
  } finally {
    clearTimeout(first);
    clearInterval(ticker);
  }
}

/** Errors a later poll can outlive: throttling, a 5xx, a NotFound just after a create. */
const isPassing = (err: unknown) =>
  isThrottling(err) || isNotFound(err) || (err as { $fault?: string }).$fault === 'server';

/**
 * The SDK's waiters retry every error their acceptors do not name (docs/aws-behaviour.md#waiters), so expired
 * credentials or an AccessDenied would poll until the bound, up to hours. This client stops the
 * waiter at the first error no later poll can fix, and keeps it to throw instead.
 */
function stopOnLastingError<C extends Sender>(client: C, runSignal: AbortSignal): Stopper<C> {
  const lasting = new AbortController();
  const stop: Stopper<C> = {
    signal: AbortSignal.any([runSignal, lasting.signal]),
    client: new Proxy(client, {
      get(target, prop, receiver) {
        if (prop !== 'send') return Reflect.get(target, prop, receiver);
        return async (...args: Parameters<C['send']>) => {
          try {
            return await target.send(...args);
          } catch (err) {
            if (!isPassing(err)) {
              stop.error = err;
              lasting.abort();
            }
            throw err;
          }
        };
      },
    }),
  };
  return stop;
}

type Stopper<C> = { client: C; signal: AbortSignal; error?: unknown };

function waiterError(err: unknown, what: string, elapsedMs: number, maxWaitTime: number, remedy: string): Error {
  const e = err as Error;
  if (e.name === 'AbortError') return new InterruptedError();
  const seen = lastSeen(e.message);
  if (e.name === 'TimeoutError') return new WaitTimeoutError(what, maxWaitTime * 1000, seen, { remedy, cause: err });
  if (looksLikeWaiterResult(e.message)) {
    const suffix = seen ? ` (last seen: ${seen})` : '';
    const waited = formatDuration(elapsedMs);
    const message = `gave up after ${waited} waiting for ${what}: it reached a state it cannot leave${suffix}`;
    return new DevenvError('aws', message, { cause: err });
  }
  return e; // a real API error (AccessDenied …), not a waiter verdict
}

const looksLikeWaiterResult = (message: string) => message.startsWith('{"state":');

/** The most recent response the waiter recorded, from the JSON it puts in its error message. */
function lastSeen(message: string): string | undefined {
  if (!looksLikeWaiterResult(message)) return undefined;
  try {
    const result = JSON.parse(message) as { observedResponses?: Record<string, number> };
    return Object.keys(result.observedResponses ?? {}).at(-1);
  } catch {
    return undefined;
  }
}
