import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mapLimit } from '../../src/aws/concurrency.js';

/** Ends after `ms` of the fake clock, which each test moves on by itself. */
const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('mapLimit', () => {
  it('keeps the order of results and never runs more than the limit at once', async () => {
    let running = 0;
    let peak = 0;
    const mapped = mapLimit([5, 1, 4, 2, 3, 1, 2], 3, async (n) => {
      running++;
      peak = Math.max(peak, running);
      await tick(n);
      running--;
      return n * 10;
    });
    await vi.runAllTimersAsync();
    const out = await mapped;
    expect(out).toEqual([50, 10, 40, 20, 30, 10, 20]);
    expect(peak).toBe(3);
  });

  it('starts nothing new after a failure, lets the running calls finish, and throws that failure', async () => {
    const started: number[] = [];
    const finished: number[] = [];
    const failed = mapLimit([1, 2, 3, 4, 5, 6], 2, async (n) => {
      started.push(n);
      if (n === 2) throw new Error('two failed');
      await tick(5);
      finished.push(n);
    }).catch((e: unknown) => e);
    await vi.runAllTimersAsync();
    const err = await failed;
    expect((err as Error).message).toBe('two failed');
    expect(started).toEqual([1, 2]);
    expect(finished).toEqual([1]);
  });
});
