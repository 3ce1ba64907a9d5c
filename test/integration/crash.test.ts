/**
 * The tests that matter most (DESIGN.md, Testing): `up` killed right after each mutating call in
 * turn — every k, before devenv could record what AWS did — and then run again ends with exactly
 * the resources of one clean run: no duplicate, no orphan; and a third `up` has nothing left to do.
 * The same for `destroy`: crashed after each of its calls, a second `destroy` finishes the job.
 *
 * What moto 5.2.1 cannot show here (docs/aws-behaviour.md#moto-differences; unit-tested instead):
 * - RunInstances and CreateVolume ignore a reused ClientToken (a new resource every call), so the
 *   crash points right after them prove the tag search that adopts the half-made host and volume,
 *   not the token; and the `client-token` filter answers HTTP 500.
 * - No eventual consistency: a resource is visible to Describe and Get calls at once, and an instance
 *   profile is usable by RunInstances at once.
 * - DeleteSecurityGroup / DeleteSubnet / DeleteVpc never answer DependencyViolation, so a
 *   crashed destroy rerun proves that everything goes, not that AWS would accept the order.
 */
import { expect, it } from 'vitest';
import { isMutating, type CallHook } from '../../src/aws/clients.js';
import { PER_DEVELOPER_CONCURRENCY } from '../../src/aws/concurrency.js';
import { crashAfter, crashAfterCall, crashPoints, crashThenRerun } from './crash.js';
import { diffInventory } from './inventory.js';
import { describeResult, newWorkspace } from './moto.js';
import { expectConverged, expectedAfterDestroy, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { describeMoto } from './suite.js';

const DEVELOPERS = ['alice', 'bob', 'carol'];

describeMoto('up crashed after every mutating call, then rerun', (moto) => {
  it('the crash injector stops the run right after the k-th mutating call, and no call reaches AWS after it', async () => {
    const ws = await newWorkspace(moto.server, { developers: DEVELOPERS });
    const injector = crashAfter(3, isMutating);
    // After the injector in the list: its `before` runs only for calls the injector let through.
    const leaked: string[] = [];
    const probe: CallHook = {
      before: (call) => void (injector.crashedAfter !== undefined && leaked.push(call.operation)),
    };
    const r = await ws.cli(['up'], { hooks: [injector, probe], signals: injector.signals });
    expect(r.code).not.toBe(0);
    expect(injector.crashedAfter).toBeDefined();
    expect(r.stderr).toMatch(/injected crash after mutating call #3|interrupted/);
    // The 3rd, and at most the calls already in flight when it was answered: one of each of the other
    // phases running at once (CONCURRENCY 4 in src/commands/run-phases.ts: vpc, iam, secrets and cert
    // start together), the secrets phase with up to PER_DEVELOPER_CONCURRENCY of its own.
    expect(r.calls.changed.length).toBeGreaterThanOrEqual(3);
    expect(r.calls.changed.length).toBeLessThanOrEqual(3 + 2 + PER_DEVELOPER_CONCURRENCY);
    expect(leaked, 'calls reached AWS after the crash').toEqual([]);
    await ws.remove();
  });

  it("for every k: crash after mutating call k, rerun → one clean run's resources exactly; a third up changes nothing", async () => {
    const started = performance.now();
    // The baseline: one clean run, and a converged second one.
    const clean = await newWorkspace(moto.server, { developers: DEVELOPERS });
    const first = await clean.cli(['up']);
    expectConverged(first);
    const baseline = (await clean.inventory()).items;
    const second = await clean.cli(['up']);
    expectConverged(second, 'second up');
    expectNoMutatingCalls(second, 'a second up');
    expectSameInventory((await clean.inventory()).items, baseline, 'after a second up');
    await clean.remove();

    const points = crashPoints(first.calls.changed);
    const n = points.length;
    expect(n).toBeGreaterThan(0);
    const problems: string[] = [];
    const log: string[] = [];
    for (const [k, [operation, occurrence]] of points.entries()) {
      const label = `k=${k + 1}/${n} (after ${operation}${occurrence > 1 ? ` #${occurrence}` : ''})`;
      const ws = await newWorkspace(moto.server, { developers: DEVELOPERS });
      const line = await crashThenRerun(ws, [operation, occurrence], { baseline, label, problems });
      if (line) log.push(line);
      await ws.remove();
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`crash after every k: ${n} crash points, ${seconds.toFixed(1)} s\n${log.join('\n')}`);
    expect(problems, problems.join('\n')).toEqual([]);
  }, 1_200_000);

  it('for every k: destroy crashed after its mutating call k, then run again → what one clean destroy leaves', async () => {
    const started = performance.now();
    // One developer: destroy's calls grow with the developers (a secret each), its crash points do not get more interesting.
    const clean = await newWorkspace(moto.server, { developers: ['alice'] });
    expectConverged(await clean.cli(['up']));
    const baseline = (await clean.inventory()).items;
    const cleanDestroy = await clean.cli(['destroy', '--yes']);
    expect(cleanDestroy.code, describeResult(cleanDestroy)).toBe(0);
    const leftover = (await clean.inventory()).items;
    expectSameInventory(leftover, expectedAfterDestroy(baseline, {}), 'after a clean destroy');
    await clean.remove();

    const points = crashPoints(cleanDestroy.calls.changed);
    const problems: string[] = [];
    for (const [k, [operation, occurrence]] of points.entries()) {
      const label = `k=${k + 1}/${points.length} (after ${operation}${occurrence > 1 ? ` #${occurrence}` : ''})`;
      const ws = await newWorkspace(moto.server, { developers: ['alice'] });
      const up = await ws.cli(['up']);
      if (up.code !== 0) {
        problems.push(`${label}: the clean up failed: ${describeResult(up)}`);
        continue;
      }
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['destroy', '--yes'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined) {
        problems.push(`${label}: the crashed destroy never made that call (${describeResult(crashed)})`);
        continue;
      }
      if (crashed.code === 0) problems.push(`${label}: destroy exited 0 although it crashed`);
      const again = await ws.cli(['destroy', '--yes']);
      if (again.code !== 0) problems.push(`${label}: the second destroy failed: ${describeResult(again)}`);
      const diff = diffInventory(leftover, (await ws.inventory()).items);
      if (diff.length) problems.push(`${label}: after destroying again, AWS holds ${diff.join('; ')}`);
      await ws.remove();
    }
    console.log(
      `destroy crashed after every k: ${points.length} crash points, ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    expect(problems, problems.join('\n')).toEqual([]);
  }, 1_200_000);
});
