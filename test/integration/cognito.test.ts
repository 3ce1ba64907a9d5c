/**
 * The Cognito user pool devenv makes with `auth.provider: "cognito"` (the `cognito` phase), on the
 * emulator: what `up` creates, a converged rerun making no mutating call, developers coming and
 * going (users added and disabled, or deleted with --purge-removed; callback URLs following), a lost
 * state adopted, `up` crashed after each of the phase's mutating calls then rerun, switching the
 * provider away, and `destroy` leaving nothing.
 *
 * What moto 5.2.1 cannot show (unit-tested instead, test/unit/cognito.test.ts): UpdateUserPoolClient
 * resetting the fields it is not sent (moto merges them), CreateUserPoolDomain refusing a prefix
 * another pool holds, DeleteUserPool refusing a protected pool or one with a domain (and moto keeps
 * a deleted pool's domain), CreateUserPool refusing MFA ON without SMS; it has no Cognito tagging
 * calls, but returns the pool's tags in DescribeUserPool as AWS does.
 */
import { readFile, rm } from 'node:fs/promises';
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { expect, it } from 'vitest';
import { PHASE_NAMES } from '../../src/phase-names.js';
import { crashAfterCall, crashPoints } from './crash.js';
import { expectConverged, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import type { Inventory } from './inventory.js';
import { BASE_DOMAIN, type CliOptions, describeResult, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const dev = (name: string) => ({ name, email: `${name}@example.com` });
const cognito = (names: string[]) => (c: Record<string, any>) => {
  c.auth = { provider: 'cognito', cognito: { mfa: 'required' } };
  c.developers = names.map(dev);
};

/** Only validate and cognito: the rest of `up` is other tests' (and slow on the emulator). */
const ONLY_COGNITO = PHASE_NAMES.filter((n) => n !== 'validate' && n !== 'cognito').join(',');
const run = (ws: Workspace, args: string[], o: CliOptions = {}) =>
  ws.cli([...args, '--config', ws.configPath, '--state', ws.statePath], { ...o, bare: true });
const up = (ws: Workspace, extra: string[] = [], o: CliOptions = {}) =>
  run(ws, ['up', '--skip', ONLY_COGNITO, '--yes', ...extra], o);

const cognitoOnly = (inv: Inventory): Inventory =>
  Object.fromEntries(
    Object.entries(inv).filter(([k]) =>
      ['user pool', 'user pool domain', 'user pool client', 'cognito user'].includes(k),
    ),
  );
const callbacks = (names: string[]) =>
  names
    .map((n) => `https://${n}.${BASE_DOMAIN}/oauth2/idpresponse`)
    .sort()
    .join(',');

describeMoto('cognito: the user pool, its domain, app client and users', (moto) => {
  it('creates them, converges with no mutating call, follows developers coming and going', async () => {
    const ws = await newWorkspace(moto.server, { patch: cognito(['alice', 'bob']) });
    const first = await up(ws);
    expectConverged(first);
    // One listing each of pools, clients and users, whatever the number of developers.
    expect(first.calls.read.filter((c) => c.startsWith('cognito-idp:')).sort()).toEqual([
      'cognito-idp:DescribeUserPoolDomain',
      'cognito-idp:GetUserPoolMfaConfig',
      'cognito-idp:ListUserPoolClients',
      'cognito-idp:ListUserPools',
      'cognito-idp:ListUsers',
    ]);
    const inv = cognitoOnly((await ws.inventory()).items);
    expect(inv['user pool']).toEqual(['cognito/pool itest-cognito-pool protection=ACTIVE']);
    expect(inv['user pool domain']).toHaveLength(1);
    expect(inv['user pool client']).toEqual([
      `itest-cognito-client of cognito/pool callbacks=${callbacks(['alice', 'bob'])}`,
    ]);
    expect(inv['cognito user']).toEqual([
      'alice@example.com of cognito/pool enabled',
      'bob@example.com of cognito/pool enabled',
    ]);
    const state = await ws.state();
    const poolId = state.resources['cognito/pool'].id;
    expect(state.resources['cognito/pool'].attrs.arn).toMatch(/:userpool\//);
    const mfa = await (await moto.server.clients()).cognito.send(
      new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }),
    );
    expect(mfa.MfaConfiguration).toBe('ON');
    expect(mfa.SoftwareTokenMfaConfiguration?.Enabled).toBe(true);

    const second = await up(ws);
    expectConverged(second, 'second up');
    expectNoMutatingCalls(second, 'a second up');

    // carol joins, bob leaves: carol's user and callback URL appear, bob's user is disabled, his URL goes.
    await ws.editConfig(cognito(['alice', 'carol']));
    const changed = await up(ws);
    expectConverged(changed, 'up after carol joined and bob left');
    const after = cognitoOnly((await ws.inventory()).items);
    expect(after['user pool client']).toEqual([
      `itest-cognito-client of cognito/pool callbacks=${callbacks(['alice', 'carol'])}`,
    ]);
    expect(after['cognito user']).toEqual([
      'alice@example.com of cognito/pool enabled',
      'bob@example.com of cognito/pool disabled',
      'carol@example.com of cognito/pool enabled',
    ]);
    expect(changed.stderr + changed.stdout).toMatch(/disabled bob's user bob@example.com/);
    expectNoMutatingCalls(await up(ws), 'up after the change');

    // status shows bob's user disabled; plan proposes nothing
    const status = await run(ws, ['status', '--json']);
    expect(status.stdout).toMatch(/bob@example\.com: not in the config/);

    // --purge-removed deletes bob's user
    const purged = await up(ws, ['--purge-removed']);
    expectConverged(purged, 'up --purge-removed');
    expect(cognitoOnly((await ws.inventory()).items)['cognito user']).toEqual([
      'alice@example.com of cognito/pool enabled',
      'carol@example.com of cognito/pool enabled',
    ]);

    // The client secret Cognito generated is in nothing devenv wrote or printed (--verbose and --json included).
    await run(ws, ['up', '--skip', ONLY_COGNITO, '--verbose']);
    await run(ws, ['status', '--json', '--verbose']);
    const clientId = (await ws.state()).resources['cognito/client'].id;
    const { UserPoolClient } = await (await moto.server.clients()).cognito.send(
      new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }),
    );
    expect(UserPoolClient?.ClientSecret).toMatch(/^[\w-]{20,}$/);
    expect(ws.transcript.join('\n')).not.toContain(UserPoolClient!.ClientSecret!);
    expect(await readFile(ws.statePath, 'utf8')).not.toContain(UserPoolClient!.ClientSecret!);

    // bob comes back: a new user (his old one was purged)
    await ws.editConfig(cognito(['alice', 'carol', 'bob']));
    expectConverged(await up(ws), 'up after bob came back');
    expect(cognitoOnly((await ws.inventory()).items)['cognito user']).toHaveLength(3);
  });
});

describeMoto('cognito: lost state, crashes, switching away, destroy', (moto) => {
  it('a lost state file is adopted: nothing is created, nothing changes', async () => {
    const ws = await newWorkspace(moto.server, { patch: cognito(['alice', 'bob']) });
    expectConverged(await up(ws));
    const before = cognitoOnly((await ws.inventory()).items);
    const state = await ws.state();
    await rm(ws.statePath);
    const again = await up(ws);
    expectConverged(again, 'up without its state');
    expectNoMutatingCalls(again, 'up without its state');
    expectSameInventory(cognitoOnly((await ws.inventory()).items), before, 'after a lost state');
    const adopted = await ws.state();
    for (const id of ['cognito/pool', 'cognito/domain', 'cognito/client', 'cognito/user/alice', 'cognito/user/bob'])
      expect(adopted.resources[id]?.id, id).toBe(state.resources[id].id);
  });

  it("crashed after each of the phase's mutating calls, then rerun: one clean run's resources exactly", async () => {
    const clean = await newWorkspace(moto.server, { patch: cognito(['alice', 'bob']) });
    const first = await up(clean);
    expectConverged(first);
    const baseline = cognitoOnly((await clean.inventory()).items);
    const points = crashPoints(first.calls.changed.filter((c) => c.startsWith('cognito-idp:')));
    expect(points.map(([op]) => op)).toEqual([
      'cognito-idp:CreateUserPool',
      'cognito-idp:SetUserPoolMfaConfig',
      'cognito-idp:CreateUserPoolDomain',
      'cognito-idp:CreateUserPoolClient',
      'cognito-idp:AdminCreateUser',
      'cognito-idp:AdminCreateUser',
    ]);
    const problems: string[] = [];
    for (const [operation, occurrence] of points) {
      const label = `after ${operation} #${occurrence}`;
      const ws = await newWorkspace(moto.server, { patch: cognito(['alice', 'bob']) });
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await up(ws, [], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: no crash (${describeResult(crashed)})`);
        continue;
      }
      const rerun = await up(ws);
      if (rerun.code !== 0) {
        problems.push(`${label}: the rerun failed: ${describeResult(rerun)}`);
        continue;
      }
      const inv = cognitoOnly((await ws.inventory()).items);
      const same = JSON.stringify(inv) === JSON.stringify(baseline);
      if (!same) problems.push(`${label}: ${JSON.stringify(inv)}`);
      const third = await up(ws);
      if (third.calls.mutating.length) problems.push(`${label}: a third up changed ${third.calls.mutating.join(', ')}`);
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('destroy crashed after each of its mutating calls, then run again, leaves nothing', async () => {
    const clean = await newWorkspace(moto.server, { patch: cognito(['alice']) });
    expectConverged(await up(clean));
    const first = await run(clean, ['destroy', '--yes']);
    expect(first.code, describeResult(first)).toBe(0);
    const points = crashPoints(first.calls.changed.filter((c) => c.startsWith('cognito-idp:')));
    expect(points.map(([op]) => op)).toEqual([
      'cognito-idp:UpdateUserPool',
      'cognito-idp:DeleteUserPoolDomain',
      'cognito-idp:DeleteUserPool',
    ]);
    const problems: string[] = [];
    for (const [operation, occurrence] of points) {
      const ws = await newWorkspace(moto.server, { patch: cognito(['alice']) });
      expectConverged(await up(ws));
      const injector = crashAfterCall(operation, occurrence);
      await run(ws, ['destroy', '--yes'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined) problems.push(`after ${operation}: no crash`);
      const again = await run(ws, ['destroy', '--yes']);
      if (again.code !== 0) problems.push(`after ${operation}: the second destroy failed: ${describeResult(again)}`);
      const left = cognitoOnly((await ws.inventory()).items);
      if (Object.keys(left).length) problems.push(`after ${operation}: left ${JSON.stringify(left)}`);
    }
    expect(problems).toEqual([]);
  }, 300_000);

  it('switching to another provider deletes the pool; destroy leaves nothing and can run twice', async () => {
    const ws = await newWorkspace(moto.server, { patch: cognito(['alice']) });
    expectConverged(await up(ws));
    const prefix = (await ws.state()).resources['cognito/domain'].id;
    await ws.editConfig((c) => {
      c.auth = { provider: 'password' };
    });
    const plan = await run(ws, ['plan']);
    expect(plan.stdout).toMatch(/delete.*user pool/);
    const away = await up(ws);
    expectConverged(away, 'up after switching to password');
    expect(cognitoOnly((await ws.inventory()).items)).toEqual({});
    expect(
      Object.keys((await ws.state()).resources).filter((k) => k.startsWith('cognito/') && k !== 'cognito/pool'),
    ).toEqual([]);
    expectNoMutatingCalls(await up(ws), 'up after the pool is gone');

    await ws.editConfig(cognito(['alice']));
    expectConverged(await up(ws), 'up with cognito again');
    const destroyed = await run(ws, ['destroy', '--yes']);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    expect(cognitoOnly((await ws.inventory()).items)).toEqual({});
    // moto keeps a deleted pool's domain: that devenv deleted it shows in DescribeUserPoolDomain
    const domain = await (await moto.server.clients()).cognito.send(
      new DescribeUserPoolDomainCommand({ Domain: prefix }),
    );
    expect(domain.DomainDescription?.UserPoolId).toBeUndefined();
    const twice = await run(ws, ['destroy', '--yes']);
    expect(twice.code, describeResult(twice)).toBe(0);
  });

  it('the teardown sweep deletes a pool a lost state no longer names', async () => {
    const ws = await newWorkspace(moto.server, { patch: cognito(['alice']) });
    expectConverged(await up(ws));
    await rm(ws.statePath);
    const destroyed = await run(ws, ['destroy', '--yes']);
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    expect(cognitoOnly((await ws.inventory()).items)).toEqual({});
  });
});
