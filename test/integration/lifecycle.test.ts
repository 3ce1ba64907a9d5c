/**
 * The life of one environment against moto: a clean `up`, a converged `up`, `status`, `up` after
 * the state file is lost, Ctrl-C, developers leaving and joining, `destroy` (twice, with and
 * without --delete-data, and after the state file is lost), and `devenv phase` refusing to run
 * before what it needs.
 *
 * Where moto 5.2.1 differs from AWS (docs/aws-behaviour.md#moto-differences), the part it cannot show is unit-tested:
 * - destroy: moto deletes a referenced security group, a VPC with dependents and a subnet with an
 *   instance without DependencyViolation, so these tests prove destroy leaves nothing, not that
 *   AWS would accept its order. CreateSnapshot is emulated (completed at once), so the final
 *   snapshot of --delete-data is checked here.
 * - a secret's name in its recovery window: moto answers CreateSecret with ResourceExistsException
 *   (AWS: InvalidRequestException); "up after destroy" restores through DescribeSecret's
 *   DeletedDate, which moto shows as AWS does.
 */
import { EventEmitter } from 'node:events';
import { readdir, stat, unlink } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { isMutating, type CallHook } from '../../src/aws/clients.js';
import { ExitCode } from '../../src/errors.js';
import {
  expectConverged,
  expectedAfterDestroy,
  expectHostPhasesPendingOnly,
  expectMatchesPlan,
  expectNoAwsCalls,
  expectNoMutatingCalls,
  expectNothingChanged,
  expectSameInventory,
} from './expect.js';
import { callCounter, describeResult, newWorkspace, REGION, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

/** Phases this tier runs: those not logging in to the host (moto's instances answer no SSH: `up` skips those here, the host lab runs them). */
const runsHere = (name: string) => !['storage', 'containers'].includes(name);
/** `plan --json`'s changes for the phases this tier runs; plan must change nothing. */
async function planActions(
  ws: Workspace,
): Promise<{ changes: { phase: string; action: string; logicalId: string }[]; actions: string[] }> {
  const r = await ws.cli(['plan', '--json']);
  expect(r.code, describeResult(r)).toBe(0);
  expectNoMutatingCalls(r, 'plan');
  const changes = (
    JSON.parse(r.stdout) as { changes: { phase: string; action: string; logicalId: string }[] }
  ).changes.filter((c) => runsHere(c.phase));
  return { changes, actions: [...new Set(changes.map((c) => c.action))] };
}

/** destroy's closing "kept: …" line, or '' when it kept nothing. */
const keptLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('kept:')) ?? '';

describeMoto('an environment from up to destroy', (moto) => {
  async function cleanUp(
    developers: number | string[] = ['alice', 'bob', 'carol'],
  ): Promise<{ ws: Workspace; baseline: Awaited<ReturnType<Workspace['inventory']>> }> {
    const ws = await newWorkspace(moto.server, { developers });
    const r = await ws.cli(['up']);
    expectConverged(r);
    return { ws, baseline: await ws.inventory() };
  }

  it('a clean up creates exactly what the offline plan lists, every resource tagged; a second up changes nothing', async () => {
    // 8 developers, as the seed's .env has them (newWorkspace converts it with `devenv init --from-env`).
    const ws = await newWorkspace(moto.server, { developers: 8 });
    expect((await ws.config()).developers).toBe(8);
    const before = await planActions(ws);
    expect(
      before.actions.filter((a) => a !== 'create' && a !== 'keep'),
      'plan on an empty account',
    ).toEqual([]);
    expect(before.actions).toContain('create');
    const first = await ws.cli(['up']);
    expectConverged(first);
    expect(first.calls.mutating.length, 'a clean up created nothing').toBeGreaterThan(0);
    const inv = await ws.inventory();
    expect(inv.tagProblems, "resources without devenv's tags").toEqual([]);
    await expectMatchesPlan(ws, inv.items);
    expect(inv.items.vpc).toEqual(['vpc 10.0.0.0/16 dnsHostnames=true dnsSupport=true']);
    expect(inv.items['route table association']).toHaveLength(2);
    // One range rule for all developers' ports, from the ALB group only; SSH from the admin CIDR only.
    expect(inv.items['security group rule']?.filter((r) => r.includes(' ingress '))).toEqual([
      'sg/alb ingress tcp 443 from 0.0.0.0/0',
      'sg/alb ingress tcp 80 from 0.0.0.0/0',
      'sg/host ingress tcp 22 from 203.0.113.7/32',
      'sg/host ingress tcp 8443-8450 from sg/alb',
    ]);

    const second = await ws.cli(['up']);
    expectConverged(second, 'second up');
    expectNoMutatingCalls(second, 'a second up');
    expectSameInventory((await ws.inventory()).items, inv.items, 'after a second up');
    const after = await planActions(ws);
    expect(
      after.changes.filter((c) => c.action !== 'keep'),
      'plan after up still has work to do',
    ).toEqual([]);
  });

  it('on a terminal, up shows the plan and asks before a first build and before it deletes; only "yes" goes ahead', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    /** `up` with stdin a terminal, answering `answer` when asked. */
    const upAtTerminal = async (answer: string) => {
      const { run } = await import('../../src/cli.js');
      const { PassThrough, Writable } = await import('node:stream');
      const counter = callCounter(isMutating);
      const stdin = Object.assign(new PassThrough(), { isTTY: true });
      let stderr = '';
      const err = new Writable({
        write: (c, _e, done) => {
          stderr += String(c);
          if (String(c).includes('Go ahead?')) stdin.write(`${answer}\n`);
          done();
        },
      });
      const code = await run(
        ['up', '--skip', 'storage,containers,test', '--config', ws.configPath, '--state', ws.statePath],
        {
          stdout: new PassThrough(),
          stderr: err,
          stdin,
          env: process.env,
          isTTY: false,
          hooks: [counter.hook],
          signals: new EventEmitter(),
        },
      );
      return { code, stderr, calls: counter.calls };
    };
    const declined = await upAtTerminal('no');
    expect(declined.stderr).toContain(`This builds itest in ${REGION}. Go ahead?`);
    expect(declined.stderr).toMatch(/Plan: \d+ to create, 0 to update, 0 to replace, 0 to delete/);
    expect(declined.code, declined.stderr).toBe(ExitCode.badInput);
    expect(declined.calls.mutating, 'a declined first build changed AWS').toEqual([]);
    expectConverged(await ws.cli(['up']), 'a first build without a terminal (nothing to delete: no question)');
    expect((await upAtTerminal('no')).stderr, 'a converged rerun asks nothing').not.toContain('Go ahead?');

    await ws.editConfig((c) => (c.developers = ['alice']));
    const asked = await upAtTerminal('yes');
    expect(asked.stderr).toContain('This deletes or replaces the');
    expect(asked.stderr).toContain('delete dns DNS record bob.dev.example.com');
    expect(asked.code, asked.stderr).toBe(0);
    expect(
      (await ws.inventory()).items['target group']?.some((t) => t.startsWith('tg/bob ')),
      "bob's target group is still there",
    ).toBe(false);
  });

  it('with the state file deleted, up adopts everything and creates nothing', async () => {
    const { ws, baseline } = await cleanUp();
    const keyBefore = await stat(ws.keyPath);
    await unlink(ws.statePath);
    const plan = await planActions(ws);
    expect(
      plan.changes.filter((c) => c.action !== 'adopt' && c.action !== 'keep'),
      'plan without a state file: all adopted',
    ).toEqual([]);
    expect(plan.actions).toContain('adopt');
    const r = await ws.cli(['up']);
    expectConverged(r, 'up without a state file');
    expectNoMutatingCalls(r, 'up without a state file');
    expect(r.stderr).toMatch(/adopted/);
    expectSameInventory((await ws.inventory()).items, baseline.items, 'after up without a state file');
    // Adopted ids are recorded again: a further run only describes them.
    const state = await ws.state();
    expect(Object.values(state.resources as Record<string, { id?: string }>).every((res) => res.id !== undefined)).toBe(
      true,
    );
    expect((await stat(ws.keyPath)).mtimeMs, 'the private key was rewritten').toBe(keyBefore.mtimeMs);
  });

  it('status shows every recorded resource as live and changes nothing', async () => {
    const { ws } = await cleanUp();
    const r = await ws.cli(['status', '--json']);
    expectHostPhasesPendingOnly(r);
    expectNoMutatingCalls(r, 'status');
    const out = JSON.parse(r.stdout.split('\n')[0]!) as {
      resources: { logicalId: string; state: string }[];
      developers: { name: string; url: string }[];
    };
    const rows = new Map(out.resources.map((row) => [row.logicalId, row.state]));
    const recorded = Object.keys((await ws.state()).resources);
    expect(recorded.length).toBeGreaterThan(0);
    for (const id of recorded) {
      expect(rows.has(id), `status has no row for ${id}`).toBe(true);
      expect(rows.get(id), `status says ${id} is ${rows.get(id)}`).not.toMatch(/missing|not in state/);
    }
    expect(out.developers.map((d) => d.url)).toEqual([
      'https://alice.dev.example.com',
      'https://bob.dev.example.com',
      'https://carol.dev.example.com',
    ]);
    const text = await ws.cli(['status']);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain('https://carol.dev.example.com');
  });

  it('destroy --yes removes everything (keeping the data volume and scheduling secrets for deletion); a second destroy exits 0', async () => {
    const { ws, baseline } = await cleanUp();
    const r = await ws.cli(['destroy', '--yes']);
    expect(r.code, describeResult(r)).toBe(0);
    const expected = expectedAfterDestroy(baseline.items, {});
    expectSameInventory((await ws.inventory()).items, expected, 'after destroy');
    if (expected.volume) expect(r.stderr, 'destroy must say what it kept').toMatch(/kept data volume vol-/);
    expect(keptLine(r.stderr), 'destroy says it kept something it deleted').not.toMatch(
      /instance|security group|VPC|role|key pair/i,
    );

    const again = await ws.cli(['destroy', '--yes']);
    expect(again.code, describeResult(again)).toBe(0);
    expectNothingChanged(again, 'a second destroy');
    expectSameInventory((await ws.inventory()).items, expected, 'after a second destroy');
  });

  it('destroy --yes --delete-data --force-delete-secrets leaves nothing but the final snapshot', async () => {
    const { ws, baseline } = await cleanUp();
    const r = await ws.cli(['destroy', '--yes', '--delete-data', '--force-delete-secrets']);
    expect(r.code, describeResult(r)).toBe(0);
    const inv = (await ws.inventory()).items;
    const { snapshot = [], ...rest } = inv;
    expectSameInventory(
      rest,
      expectedAfterDestroy(baseline.items, { deleteData: true, forceDeleteSecrets: true }),
      'after destroy --delete-data',
    );
    if (baseline.items.volume?.some((v) => v.startsWith('volume/data '))) {
      // moto 5.2.1 implements CreateSnapshot (completed at once), so the final snapshot is checked here.
      expect(snapshot, 'the final snapshot of the data volume').toHaveLength(1);
    } else {
      expect(snapshot).toEqual([]);
    }
  });

  it('destroy --yes --delete-data --no-final-snapshot leaves nothing at all', async () => {
    const { ws, baseline } = await cleanUp();
    const r = await ws.cli(['destroy', '--yes', '--delete-data', '--no-final-snapshot', '--force-delete-secrets']);
    expect(r.code, describeResult(r)).toBe(0);
    expectSameInventory(
      (await ws.inventory()).items,
      expectedAfterDestroy(baseline.items, { deleteData: true, forceDeleteSecrets: true }),
      'after destroy --delete-data --no-final-snapshot',
    );
    expect((await ws.inventory()).items).toEqual({});
    // Nothing is left, so nothing may be reported as kept.
    expect(keptLine(r.stderr), 'destroy says it kept something, but AWS holds nothing').toBe('');
  });

  it('destroy without a state file still finds everything by its tags', async () => {
    const { ws, baseline } = await cleanUp();
    await unlink(ws.statePath);
    const r = await ws.cli(['destroy', '--yes']);
    expect(r.code, describeResult(r)).toBe(0);
    expectSameInventory(
      (await ws.inventory()).items,
      expectedAfterDestroy(baseline.items, {}),
      'after destroy without a state file',
    );
  });

  it('up after destroy converges back to one clean run (secrets restored, the kept data volume reused)', async () => {
    const { ws, baseline } = await cleanUp();
    expect((await ws.cli(['destroy', '--yes'])).code).toBe(0);
    const r = await ws.cli(['up']);
    expectConverged(r, 'up after destroy');
    expectSameInventory((await ws.inventory()).items, baseline.items, 'after destroy and up');
  });

  it('Ctrl-C during up: no new AWS call starts, what was made is recorded, exit 130; the next up finishes the job', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const signals = new EventEmitter();
    let pressed = false;
    let startedAfter = 0;
    let changed = 0;
    const ctrlC: CallHook = {
      before: () => void (pressed && startedAfter++),
      after: (call, _ms, error) => {
        if (error === undefined && isMutating(call.operation) && ++changed === 8) {
          pressed = true;
          signals.emit('SIGINT'); // the call in flight has just been answered
        }
      },
    };
    const r = await ws.cli(['up'], { hooks: [ctrlC], signals });
    expect(r.code, describeResult(r)).toBe(130);
    expect(r.stderr).toMatch(/interrupted/);
    expect(startedAfter, 'AWS calls started after Ctrl-C').toBe(0);
    await expect(ws.state(), 'the state file is not valid after Ctrl-C').resolves.toBeTruthy();

    const rerun = await ws.cli(['up']);
    expectConverged(rerun, 'up after Ctrl-C');
    // Everything the interrupted run made was recorded: the rerun found it by id, not by a tag search.
    expect(rerun.stderr, 'the interrupted run did not record what it made').not.toMatch(/adopted/);
    const inv = await ws.inventory();
    expect(inv.tagProblems).toEqual([]);
    await expectMatchesPlan(ws, inv.items);
    expectNoMutatingCalls(await ws.cli(['up']), 'a third up');
  });

  it('developers removed and added: only their secrets change; nobody is renumbered; a returning developer gets the old password back', async () => {
    const { ws, baseline } = await cleanUp(['alice', 'bob', 'carol']);
    const passwords = async () => {
      const { GetSecretValueCommand, ListSecretsCommand } = await import('@aws-sdk/client-secrets-manager');
      const aws = await ws.moto.clients();
      const out: Record<string, string> = {};
      for (const s of (await aws.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }))).SecretList ??
        []) {
        if (!s.DeletedDate)
          out[s.Name!] = (await aws.secrets.send(new GetSecretValueCommand({ SecretId: s.ARN }))).SecretString!;
      }
      return out;
    };
    const before = await passwords();
    const ports = async () => {
      const r = await ws.cli(['status', '--json']);
      return Object.fromEntries(
        (JSON.parse(r.stdout.split('\n')[0]!) as { developers: { name: string; port: number }[] }).developers.map(
          (d) => [d.name, d.port],
        ),
      );
    };
    expect(await ports()).toEqual({ alice: 8443, bob: 8444, carol: 8445 });

    await ws.editConfig((c) => (c.developers = ['alice', 'carol']));
    // Without a terminal and without --yes, up refuses to delete, lists what it would, and changes nothing.
    const refused = await ws.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(ExitCode.badInput);
    expect(refused.stderr).toContain('up would delete or replace');
    expect(refused.stderr).toContain('stdin is not a terminal');
    expect(refused.stderr).toContain('devenv up --yes');
    for (const what of [
      'delete alb listener rule',
      'delete alb target group',
      'delete dns DNS record bob.dev.example.com',
      'delete monitoring CloudWatch alarm itest-alarm-unhealthy-bob',
    ])
      expect(refused.stderr).toContain(what);
    expectNoMutatingCalls(refused, 'up refusing to delete');
    expect(Object.keys((await ws.state()).allocations).sort(), 'the refused up changed the allocations').toEqual([
      'alice',
      'bob',
      'carol',
    ]);
    const removed = await ws.cli(['up', '--yes']);
    expectConverged(removed, 'up without bob');
    expect(await ports(), 'carol was renumbered').toEqual({ alice: 8443, carol: 8445 });
    // His secret, and at the edge his rule, then his target group, then his record.
    const edge = ['elbv2:DeleteRule', 'elbv2:DeleteTargetGroup', 'route53:ChangeResourceRecordSets'];
    // His unhealthy-target alarm goes; his log group stays (its events expire with the retention).
    const monitoring = ['cloudwatch:DeleteAlarms'];
    expect(removed.calls.changed.sort(), 'removing bob changed more than his resources').toEqual(
      ['secretsmanager:DeleteSecret', ...edge, ...monitoring].sort(),
    );
    const notBob = (kind: string) => (baseline.items[kind] ?? []).filter((i) => !/\bbob\b/.test(i));
    const edgeKinds = Object.fromEntries(
      ['target group', 'listener rule', 'dns record', 'alarm'].map((k) => [k, notBob(k)]),
    );
    const expected = {
      ...baseline.items,
      ...edgeKinds,
      secret: baseline.items
        .secret!.map((s) => (s.startsWith('itest/bob/') ? `${s} (scheduled for deletion)` : s))
        .sort(),
    };
    expectSameInventory((await ws.inventory()).items, expected, 'after removing bob');

    await ws.editConfig((c) => (c.developers = ['alice', 'bob', 'carol', 'dave']));
    const added = await ws.cli(['up']);
    expectConverged(added, 'up with bob back and dave new');
    expect(await ports()).toEqual({ alice: 8443, bob: 8444, carol: 8445, dave: 8446 });
    const inv = (await ws.inventory()).items;
    expect(inv['security group rule']).toContain('sg/host ingress tcp 8443-8446 from sg/alb');
    expect(inv.secret).toEqual([
      'itest/alice/password',
      'itest/bob/password',
      'itest/carol/password',
      'itest/dave/password',
    ]);
    const after = await passwords();
    for (const name of ['alice', 'bob', 'carol'])
      expect(after[`itest/${name}/password`], `${name}'s password changed`).toBe(before[`itest/${name}/password`]);
    expectNoMutatingCalls(await ws.cli(['up']), 'a converged up');
  });

  describe('devenv phase', () => {
    it('refuses sg before vpc has completed, naming vpc, and calls no AWS API', async () => {
      const ws = await newWorkspace(moto.server, { developers: ['alice'] });
      const validate = await ws.cli(['phase', 'validate']);
      expect(validate.code, describeResult(validate)).toBe(0);
      const r = await ws.cli(['phase', 'sg']);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/phase sg needs vpc, which has not completed/);
      expect(r.stderr).toMatch(/devenv phase vpc/);
      expectNoAwsCalls(r);
      expect((await ws.inventory()).items).toEqual({});
    });

    it('runs validate, vpc, sg one by one to the same result as up', async () => {
      const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
      for (const name of ['validate', 'vpc', 'sg']) {
        const r = await ws.cli(['phase', name]);
        expect(r.code, `phase ${name}: ${describeResult(r)}`).toBe(0);
        const again = await ws.cli(['phase', name]);
        expect(again.code).toBe(0);
        expectNoMutatingCalls(again, `a second phase ${name}`);
      }
      const inv = await ws.inventory();
      expect(inv.tagProblems).toEqual([]);
      await expectMatchesPlan(ws, inv.items);
    });
  });

  it('writes nothing into its folder but the config, the state, its audit trail and the private key (no stray temp or lock files)', async () => {
    const { ws } = await cleanUp(['alice']);
    const files = (await readdir(ws.dir, { recursive: true })).sort();
    const expected = ['.env', 'devenv.config.json', 'devenv.state.json', 'devenv.state.audit.jsonl', 'keys'];
    expect(files.filter((f) => ![...expected, 'keys/admin.pem'].includes(f))).toEqual([]);
    expect((await stat(ws.statePath)).mode & 0o777).toBe(0o600);
    expect((await stat(`${ws.dir}/devenv.state.audit.jsonl`)).mode & 0o777).toBe(0o600);
  });
});
