import { expect, it } from 'vitest';
import { waitFor, waitOptions } from '../../src/aws/wait.js';
import { fakeClock, testContext } from '../helpers/context.js';

/** The one place a wait takes the run's clock, its interrupt and its progress lines from. */
it("a wait built with waitOptions sleeps on the run's clock, passes its signal and says its progress", async () => {
  const ctx = await testContext('ec2');
  const clock = fakeClock();
  const abort = new AbortController();
  const run = { ...ctx, clock, signal: abort.signal };
  let polls = 0;
  const value = await waitFor(async () => ({ done: ++polls === 3, value: 'up', seen: `poll ${polls}` }), {
    what: 'the thing',
    timeoutMs: 60_000,
    intervalMs: 5_000,
    ...waitOptions(run),
  });
  expect(value).toBe('up');
  expect(clock.slept).toEqual([5_000, 5_000]);
  expect(ctx.events.filter((e) => e.type === 'progress').map((e) => e.message)).toEqual([
    'waiting for the thing (0s; poll 1)',
    'waiting for the thing (5s; poll 2)',
  ]);
  const options = waitOptions(run);
  expect(options.signal).toBe(abort.signal);
  expect(options.clock).toBe(clock);
});
