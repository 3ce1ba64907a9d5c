/**
 * Ports and rule priorities are one truth: what `up` gives a developer is what `status` and
 * `plan --offline` show, a removed developer's port is not handed to someone else while their
 * secrets are in the recovery window, and a lost state file gets every allocation back from the
 * secrets' tags instead of renumbering from the config's order.
 */
import { unlink } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls } from './expect.js';
import { describeResult, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

type Allocations = Record<string, { port: number; priority: number }>;

const byName = (developers: { name: string; port: number; priority: number }[]): Allocations =>
  Object.fromEntries(developers.map((d) => [d.name, { port: d.port, priority: d.priority }]));

async function statusAllocations(ws: Workspace): Promise<Allocations> {
  const r = await ws.cli(['status', '--json']);
  expect(r.stdout, describeResult(r)).toMatch(/^\{/);
  // JSON lines: the status document first; after a lost state an error line may follow (the host phases' state is unknown).
  return byName(JSON.parse(r.stdout.split('\n')[0]).developers);
}

async function offlineAllocations(ws: Workspace): Promise<{ developers: Allocations; reserved: Allocations }> {
  const r = await ws.cli(['plan', '--offline', '--json']);
  expect(r.code, describeResult(r)).toBe(0);
  expect([...r.calls.mutating, ...r.calls.read], 'plan --offline made AWS calls').toEqual([]);
  const plan = JSON.parse(r.stdout);
  return { developers: byName(plan.developers), reserved: plan.reserved };
}

describeMoto('ports and priorities', (moto) => {
  it("are not given away while a removed developer's secrets are kept, and survive a lost state file", async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    expectConverged(await ws.cli(['up']));
    const first = await statusAllocations(ws);
    expect(first).toEqual({
      alice: { port: 8443, priority: 1 },
      bob: { port: 8444, priority: 2 },
      carol: { port: 8445, priority: 3 },
    });

    // bob leaves (his secret goes into its recovery window), dave joins.
    await ws.editConfig((c) => (c.developers = ['alice', 'carol', 'dave']));
    const planned = await offlineAllocations(ws);
    expectConverged(await ws.cli(['up', '--yes']), 'up without bob, with dave');
    const second = await statusAllocations(ws);
    expect(second, "dave took bob's port or priority while bob's secret is kept").toEqual({
      alice: first.alice,
      carol: first.carol,
      dave: { port: 8446, priority: 4 },
    });
    expect(planned.developers, 'plan --offline before up showed other ports than up gave').toEqual(second);
    expect(await offlineAllocations(ws), 'plan --offline and status disagree').toEqual({
      developers: second,
      reserved: { bob: first.bob },
    });

    // The state file is lost: every allocation comes back from the secrets' tags, bob's held one too.
    await unlink(ws.statePath);
    expect((await offlineAllocations(ws)).developers, 'plan --offline without a state numbers from the config').toEqual(
      {
        alice: first.alice,
        carol: { port: 8444, priority: 2 },
        dave: { port: 8445, priority: 3 },
      },
    );
    const plan = await ws.cli(['plan', '--json']);
    expect(plan.code, describeResult(plan)).toBe(0);
    expectNoMutatingCalls(plan, 'plan');
    expect(plan.stdout, 'plan without a state wants to retag secrets: it renumbered someone').not.toMatch(/tag port/);
    const again = await ws.cli(['up']);
    expectConverged(again, 'up without a state file');
    expectNoMutatingCalls(again, 'up without a state file');
    expect(again.stderr).toMatch(/recovered the ports and priorities of alice, carol, dave from their secrets' tags/);
    expect(await statusAllocations(ws), 'renumbered after the state file was lost').toEqual(second);
    expect(await offlineAllocations(ws)).toEqual({ developers: second, reserved: { bob: first.bob } });

    // bob comes back within his recovery window: his old port and priority, his secret restored.
    await ws.editConfig((c) => (c.developers = ['alice', 'bob', 'carol', 'dave', 'erin']));
    expectConverged(await ws.cli(['up']), 'up with bob back and erin new');
    expect(await statusAllocations(ws)).toEqual({ ...second, bob: first.bob, erin: { port: 8447, priority: 5 } });
    expect((await ws.state()).reserved).toEqual({});
  });

  it('status and plan show the recovered allocations without writing the state file', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    expectConverged(await ws.cli(['up']));
    await ws.editConfig((c) => (c.developers = ['alice', 'carol']));
    expectConverged(await ws.cli(['up', '--yes']), 'up without bob');
    await unlink(ws.statePath);

    expect(await statusAllocations(ws), 'status renumbered carol').toEqual({
      alice: { port: 8443, priority: 1 },
      carol: { port: 8445, priority: 3 },
    });
    const plan = await ws.cli(['plan']);
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.stdout, 'plan wants to retag secrets: it renumbered someone').not.toMatch(/tag port/);
    await expect(ws.state(), 'status or plan wrote a state file').rejects.toThrow(/ENOENT/);
  });
});
