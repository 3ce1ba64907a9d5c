import { describe, expect, it } from 'vitest';
import { needsIn, PHASES, topologicalOrder } from '../../src/phases/index.js';
import { reverseGraph, runGraph, type Node } from '../../src/runner.js';
import { graphOf } from '../../src/commands/run-phases.js';

const graph: Node[] = [
  { name: 'validate', needs: [] },
  { name: 'vpc', needs: ['validate'] },
  { name: 'cert', needs: ['validate'] },
  { name: 'sg', needs: ['vpc'] },
  { name: 'alb', needs: ['sg', 'cert'] },
];

describe('runner', () => {
  it('runs independent nodes at once and each only after its needs', async () => {
    const log: string[] = [];
    let running = 0;
    let peak = 0;
    // vpc and cert each end only once both have started: run one at a time, they never would.
    const starts = new Map<string, () => void>();
    const bothStarted = Promise.all(['vpc', 'cert'].map((n) => new Promise<void>((r) => starts.set(n, r))));
    await runGraph(graph, {
      concurrency: 4,
      run: async (name) => {
        running++;
        peak = Math.max(peak, running);
        log.push(`start ${name}`);
        if (starts.has(name)) {
          starts.get(name)!();
          await bothStarted;
        }
        log.push(`end ${name}`);
        running--;
      },
    });
    expect(peak).toBeGreaterThanOrEqual(2); // vpc and cert overlap
    for (const n of graph)
      for (const need of n.needs) expect(log.indexOf(`end ${need}`)).toBeLessThan(log.indexOf(`start ${n.name}`));
  });

  it('on failure starts nothing new, lets running nodes finish, reports the first error', async () => {
    const finished: string[] = [];
    // cert, running beside vpc, ends only after vpc has failed.
    let vpcFailing!: () => void;
    const vpcFails = new Promise<void>((r) => (vpcFailing = r));
    const result = await runGraph(graph, {
      concurrency: 4,
      run: async (name) => {
        if (name === 'vpc') {
          vpcFailing();
          throw new Error('vpc broke');
        }
        if (name === 'cert') await vpcFails;
        finished.push(name);
      },
    });
    expect((result.firstError as Error).message).toBe('vpc broke');
    expect(finished).toEqual(['validate', 'cert']);
    expect(result.outcomes.find((o) => o.name === 'alb')?.result).toBe('blocked');
  });

  it('with keepGoing, a failure blocks only what needs it: destroy deletes everything else', async () => {
    const reversed = reverseGraph(graph);
    const finished: string[] = [];
    const result = await runGraph(reversed, {
      concurrency: 4,
      keepGoing: true,
      run: async (name) => {
        if (name === 'cert') throw new Error('cert broke');
        finished.push(name);
      },
    });
    expect((result.firstError as Error).message).toBe('cert broke');
    expect(finished.sort()).toEqual(['alb', 'sg', 'vpc']);
    expect(Object.fromEntries(result.outcomes.map((o) => [o.name, o.result]))).toEqual({
      validate: 'blocked',
      vpc: 'done',
      cert: 'failed',
      sg: 'done',
      alb: 'done',
    });
  });

  it('a node runs after the nodes it follows, even when they failed (with keepGoing)', async () => {
    const log: string[] = [];
    const ordered: Node[] = [
      ...graph,
      { name: 'test', needs: ['alb'], after: ['monitoring'] },
      { name: 'monitoring', needs: ['alb'] },
    ];
    for (const monitoring of ['slow', 'failed'] as const) {
      log.length = 0;
      const result = await runGraph(ordered, {
        concurrency: 4,
        keepGoing: true,
        run: async (name) => {
          if (name === 'monitoring' && monitoring === 'failed') throw new Error('monitoring broke');
          if (name === 'monitoring') for (let turn = 0; turn < 3; turn++) await new Promise((r) => setImmediate(r)); // ends last
          log.push(name);
        },
      });
      expect(result.outcomes.find((o) => o.name === 'test')?.result, monitoring).toBe('done');
      expect(log.at(-1), monitoring).toBe('test');
    }
  });

  it('up: monitoring starts once containers has finished (its log groups then reach the agent), containers never waits for monitoring, and --skip monitoring still runs containers and test', async () => {
    const all = PHASES.map((p) => p.name);
    const log: string[] = [];
    const ended = new Map<string, () => void>();
    const endOf = (name: string) => new Promise<void>((r) => ended.set(name, r));
    /** Each phase ends at once, except `slow`, which ends only after `until` has ended. */
    const runWith = (slow: string, until: string) => {
      log.length = 0;
      const gate = endOf(until);
      return async (name: string) => {
        log.push(`start ${name}`);
        if (name === slow) await gate;
        log.push(`end ${name}`);
        ended.get(name)?.();
      };
    };
    // Containers still busy when alb is done: monitoring (which needs alb) waits for it all the same.
    await runGraph(graphOf(all), { concurrency: 4, run: runWith('containers', 'alb') });
    expect(log.indexOf('end containers')).toBeLessThan(log.indexOf('start monitoring'));
    // The certificate validating until containers is done: containers does not wait for it (nor for monitoring, which does).
    const outcome = await Promise.race([
      runGraph(graphOf(all), { concurrency: 4, run: runWith('cert', 'containers') }),
      new Promise<'deadlock'>((r) => setTimeout(() => r('deadlock'), 5_000)),
    ]);
    expect(outcome).not.toBe('deadlock');
    expect(log.indexOf('end containers')).toBeLessThan(log.indexOf('end cert'));
    const skipMonitoring = await runGraph(graphOf(all.filter((n) => n !== 'monitoring')), {
      concurrency: 4,
      run: async () => undefined,
    });
    expect(Object.fromEntries(skipMonitoring.outcomes.map((o) => [o.name, o.result]))).toMatchObject({
      containers: 'done',
      test: 'done',
    });
    const noContainers = await runGraph(graphOf(all.filter((n) => n !== 'containers' && n !== 'test')), {
      concurrency: 4,
      run: async () => undefined,
    });
    expect(noContainers.outcomes.find((o) => o.name === 'monitoring')?.result).toBe('done');
  });

  it('starts nothing once aborted', async () => {
    const controller = new AbortController();
    const started: string[] = [];
    const result = await runGraph(graph, {
      concurrency: 4,
      signal: controller.signal,
      run: async (name) => {
        started.push(name);
        controller.abort();
      },
    });
    expect(started).toEqual(['validate']);
    expect((result.firstError as Error).name).toBe('DevenvError');
  });

  it('destroy walks the arrows backwards', () => {
    const reversed = reverseGraph(graph);
    expect(reversed.find((n) => n.name === 'validate')?.needs.sort()).toEqual(['cert', 'vpc']);
    expect(reversed.find((n) => n.name === 'alb')?.needs).toEqual([]);
  });

  it('a provider switched away from Cognito: https rewrites the rules before cognito deletes the pool', async () => {
    const all = PHASES.map((p) => p.name);
    const withProvider = (provider: string) => ({ config: { auth: { provider } } }) as never;
    const order = async (provider?: string) => {
      const log: string[] = [];
      await runGraph(graphOf(all, provider ? withProvider(provider) : undefined), {
        concurrency: 4,
        run: async (name) => void log.push(name),
      });
      return (a: string, b: string) => log.indexOf(a) < log.indexOf(b);
    };
    // With Cognito: the pool and its client exist before a rule signs in with them.
    expect((await order('cognito'))('cognito', 'https')).toBe(true);
    for (const provider of ['oidc', 'password']) {
      expect((await order(provider))('https', 'cognito'), provider).toBe(true);
      expect(needsIn('https', withProvider(provider))).not.toContain('cognito');
      expect(needsIn('cognito', withProvider(provider))).toContain('https');
    }
    // destroy (no config): the rules go before the pool whatever the provider.
    expect(reverseGraph(graphOf(all)).find((n) => n.name === 'cognito')?.needs).toContain('https');
  });

  it('the phase registry has no cycle and puts validate first', () => {
    const order = topologicalOrder();
    expect(order[0]).toBe('validate');
    expect(order).toHaveLength(PHASES.length);
    expect(() =>
      topologicalOrder([
        { ...PHASES[0], name: 'vpc', needs: ['sg'] },
        { ...PHASES[0], name: 'sg', needs: ['vpc'] },
      ]),
    ).toThrow('phase dependency cycle: vpc → sg → vpc');
  });
});
