/**
 * The test phase's container check right after `up` started the containers: a container whose
 * healthcheck is still `starting` is waited for (bounded, with progress) before it is judged, as
 * an `initial` target is; one that stays `starting` past the bound fails, naming its state.
 */
import { describe, expect, it } from 'vitest';
import { CONTAINER_WAIT_MS, containerChecks } from '../../src/checks/containers.js';
import type { RemoteHost } from '../../src/remote/host.js';
import { fakeClock, testContext } from '../helpers/context.js';

/** `docker inspect` lines as the host prints them: developer, id, restarts, log path, status, health. */
const line = (developer: string, health: string) =>
  `${developer} c-${developer} 0 /var/lib/docker/${developer}.log running ${health}`;

/** A host whose container listing answers each poll with the next of `answers` (the last one again once they run out). */
function hostAnswering(answers: string[][]): RemoteHost & { polls: number } {
  const host = {
    polls: 0,
    check: async () => answers[Math.min(host.polls++, answers.length - 1)]!.join('\n'),
  };
  return host as unknown as RemoteHost & { polls: number };
}

async function checksWith(host: RemoteHost) {
  const ctx = await testContext('test');
  const clock = fakeClock();
  const results = await containerChecks({ ...ctx, clock, ssh: async () => host }, ['alice', 'bob']);
  const progress = ctx.events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message);
  return { results, clock, progress };
}

describe('container checks', () => {
  it('waits while a container is starting, then passes it once healthy', async () => {
    const host = hostAnswering([
      [line('alice', 'healthy'), line('bob', 'starting')],
      [line('alice', 'healthy'), line('bob', 'starting')],
      [line('alice', 'healthy'), line('bob', 'healthy')],
    ]);
    const { results, clock, progress } = await checksWith(host);
    expect(results.map((r) => [r.developer, r.verdict, r.detail])).toEqual([
      ['alice', 'pass', 'code-server-alice running, healthy'],
      ['bob', 'pass', 'code-server-bob running, healthy'],
    ]);
    expect(host.polls).toBe(3);
    expect(clock.slept).toEqual([5_000, 5_000]);
    expect(progress).toEqual([
      expect.stringMatching(/^waiting for the containers' healthchecks \(0s; starting: bob\)$/),
      expect.stringMatching(/^waiting for the containers' healthchecks \(5s; starting: bob\)$/),
    ]);
  });

  it('does not wait when no container is starting', async () => {
    const host = hostAnswering([[line('alice', 'healthy'), line('bob', 'unhealthy')]]);
    const { results, clock } = await checksWith(host);
    expect(results.map((r) => r.verdict)).toEqual(['pass', 'fail']);
    expect(clock.slept).toEqual([]);
  });

  it('a container still starting after the bound fails as starting', async () => {
    const host = hostAnswering([[line('alice', 'healthy'), line('bob', 'starting')]]);
    const { results, clock } = await checksWith(host);
    expect(results[1]).toMatchObject({
      developer: 'bob',
      verdict: 'fail',
      detail: 'code-server-bob running, starting',
    });
    const waited = clock.slept.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(CONTAINER_WAIT_MS);
    expect(waited).toBeGreaterThan(CONTAINER_WAIT_MS - 10_000);
  });
});
