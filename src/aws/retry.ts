import { messageOf } from '../errors.js';
import type { Clock } from './wait.js';
import { formatDuration } from '../duration.js';

/** A named window in which AWS is known to be eventually consistent, and how often to try again in it. */
export interface ConsistencyWindow {
  name: string;
  windowMs: number;
  intervalMs: number;
}

/**
 * A new role or instance profile can be unknown to IAM's next call, or refused by RunInstances, for a while (Terraform
 * retries 2 minutes).
 */
export const IAM_PROPAGATION: ConsistencyWindow = { name: 'IAM propagation', windowMs: 2 * 60_000, intervalMs: 5_000 };
/**
 * A create without a token that failed in transit may still have made its resource, which a
 * search by tags shows only after a while (EC2 describe calls are eventually consistent [ec2-ec]).
 */
export const CREATE_VISIBILITY: ConsistencyWindow = {
  name: 'the resource a failed create may have made to show up',
  windowMs: 60_000,
  intervalMs: 5_000,
};
/** A resource just deleted can still be referenced for a while (ENIs of an ALB, a terminating instance). */
export const DEPENDENCY_RELEASE: ConsistencyWindow = {
  name: 'dependent resources to be released',
  windowMs: 5 * 60_000,
  intervalMs: 10_000,
};

export interface RetryOptions {
  clock: Clock;
  signal?: AbortSignal;
  /** Called before each new attempt, so nothing looks hung. */
  onRetry?(message: string): void;
}

/**
 * Retries `fn` while `isTransient(err)`, for at most the window; then throws the last error, saying how long it tried.
 */
export async function retryWithin<T>(
  window: ConsistencyWindow,
  isTransient: (err: unknown) => boolean,
  fn: () => Promise<T>,
  o: RetryOptions,
): Promise<T> {
  const started = o.clock.now();
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      const elapsed = o.clock.now() - started;
      if (!isTransient(err)) throw err;
      if (elapsed + window.intervalMs > window.windowMs) {
        const e = err as Error;
        e.message = `${messageOf(err)} (still failing after ${formatDuration(elapsed)} of waiting for ${window.name})`;
        throw e;
      }
      o.onRetry?.(`waiting for ${window.name} (${formatDuration(elapsed)}): ${messageOf(err)}`);
      await o.clock.sleep(window.intervalMs, o.signal);
    }
  }
}
