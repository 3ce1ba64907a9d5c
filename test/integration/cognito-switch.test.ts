/**
 * Switching the provider away from Cognito, and back, on the emulator with the load balancer's rules: the rules
 * stop signing in with the user pool before the pool (its domain, its client) is deleted, and the pool and client
 * exist before a rule signs in with them. A run crashed after each mutating call of the switch, then run again,
 * converges with nothing left; at no crash point does a rule sign in with a pool or domain that is gone.
 *
 * `up` leaves out what the rules do not need (monitoring, schedule, wake, dns, gate, test): the order at stake is
 * between the cognito and https phases.
 */
import { DescribeUserPoolCommand, DescribeUserPoolDomainCommand } from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { crashAfterCall, crashPoints } from './crash.js';
import { expectConverged, expectNoMutatingCalls } from './expect.js';
import { type CliOptions, describeResult, newWorkspace, PROJECT, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const ISSUER = 'https://idp.corp.example';
const ENV = { ITEST_OIDC_SECRET: 'itest-client-secret-Zq8vX3mN7pL2' };
const oidc = { issuer: ISSUER, clientId: 'devenv-itest', clientSecret: { env: 'ITEST_OIDC_SECRET' } };
const developers = [
  { name: 'alice', email: 'alice@corp.example' },
  { name: 'bob', email: 'bob@corp.example' },
];
/** No host here (storage, containers), and nothing the order at stake needs. */
const SKIPPED = 'storage,containers,monitoring,schedule,wake,dns,gate,test';

const upSkipping = (ws: Workspace, skip: string, o: CliOptions = {}) =>
  ws.cli(['up', '--skip', skip, '--config', ws.configPath, '--state', ws.statePath], { env: ENV, bare: true, ...o });
const up = (ws: Workspace, o: CliOptions = {}) => upSkipping(ws, SKIPPED, o);
const provider = (p: 'cognito' | 'oidc' | 'password') => (c: Record<string, any>) => {
  c.auth = p === 'oidc' ? { provider: p, oidc } : { provider: p };
};

/** Where in a run's mutating calls the first of these operations is (-1: none). */
const firstOf = (changed: string[], ops: string[]) => changed.findIndex((c) => ops.includes(c));
const lastOf = (changed: string[], ops: string[]) => changed.reduce((last, c, i) => (ops.includes(c) ? i : last), -1);

const POOL_DELETES = ['cognito-idp:DeleteUserPoolDomain', 'cognito-idp:DeleteUserPool'];
const POOL_CREATES = [
  'cognito-idp:CreateUserPool',
  'cognito-idp:CreateUserPoolDomain',
  'cognito-idp:CreateUserPoolClient',
];

describeMoto('switching away from Cognito and back: the rules and the user pool, in order', (moto) => {
  const realFetch = globalThis.fetch;
  beforeEach(() => {
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) =>
      String(input) === `${ISSUER}/.well-known/openid-configuration`
        ? Response.json({
            issuer: ISSUER,
            authorization_endpoint: `${ISSUER}/authorize`,
            token_endpoint: `${ISSUER}/token`,
            userinfo_endpoint: `${ISSUER}/userinfo`,
          })
        : realFetch(input, init),
    );
  });
  afterEach(() => vi.restoreAllMocks());

  async function rules(): Promise<Rule[]> {
    const aws = await moto.server.clients();
    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [`${PROJECT}-alb`] })))
      .LoadBalancers![0]!;
    const https = (
      await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
    ).Listeners!.find((l) => l.Port === 443)!;
    return ((await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules ?? []).filter(
      (r) => !r.IsDefault,
    );
  }

  /** What the rules sign in with, one line each: `authenticate-cognito <pool id> <domain>`, `authenticate-oidc`, `-`. */
  async function signIns(): Promise<string[]> {
    return (await rules()).map((r) => {
      const auth = r.Actions?.find((a) => a.Type?.startsWith('authenticate-'));
      if (!auth) return '-';
      const c = auth.AuthenticateCognitoConfig;
      return c ? `${auth.Type} ${c.UserPoolArn!.split('/').at(-1)} ${c.UserPoolDomain}` : auth.Type!;
    });
  }

  /** The rules that sign in with a user pool or a domain that is gone (what a developer would hit). */
  async function rulesOnSomethingGone(): Promise<string[]> {
    const cognito = (await moto.server.clients()).cognito;
    const gone: string[] = [];
    for (const line of await signIns()) {
      const [type, poolId, domain] = line.split(' ');
      if (type !== 'authenticate-cognito') continue;
      const pool = await cognito.send(new DescribeUserPoolCommand({ UserPoolId: poolId })).catch(() => undefined);
      if (!pool?.UserPool) gone.push(`pool ${poolId}`);
      const d = await cognito.send(new DescribeUserPoolDomainCommand({ Domain: domain }));
      if (d.DomainDescription?.UserPoolId !== poolId) gone.push(`domain ${domain}`);
    }
    return gone;
  }

  it('cognito → oidc → cognito → password: each rule is rewritten before the pool goes, the pool made before a rule uses it', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice', 'bob'],
      patch: (c) => {
        c.developers = developers;
        provider('cognito')(c);
      },
    });
    expectConverged(await up(ws));
    expect((await signIns()).every((s) => s.startsWith('authenticate-cognito '))).toBe(true);

    await ws.editConfig(provider('oidc'));
    const away = await up(ws);
    expectConverged(away, 'up after switching to oidc');
    const changed = away.calls.changed;
    expect(changed.filter((c) => c === 'elbv2:ModifyRule')).toHaveLength(2);
    expect(firstOf(changed, POOL_DELETES), changed.join(', ')).toBeGreaterThan(-1);
    expect(lastOf(changed, ['elbv2:ModifyRule']), changed.join(', ')).toBeLessThan(firstOf(changed, POOL_DELETES));
    expect(await signIns()).toEqual(['authenticate-oidc', 'authenticate-oidc']);
    expectNoMutatingCalls(await up(ws), 'a rerun with oidc');

    await ws.editConfig(provider('cognito'));
    const back = await up(ws);
    expectConverged(back, 'up after switching back to cognito');
    const made = back.calls.changed;
    for (const op of POOL_CREATES) expect(made, op).toContain(op);
    expect(lastOf(made, POOL_CREATES), made.join(', ')).toBeLessThan(firstOf(made, ['elbv2:ModifyRule']));
    expect(await rulesOnSomethingGone()).toEqual([]);

    await ws.editConfig(provider('password'));
    const off = await up(ws);
    expectConverged(off, 'up after switching to password');
    expect(lastOf(off.calls.changed, ['elbv2:ModifyRule'])).toBeLessThan(firstOf(off.calls.changed, POOL_DELETES));
    expect(await signIns()).toEqual(['-', '-']);
    const records = Object.entries((await ws.state()).resources) as [string, { id?: string }][];
    expect(records.filter(([k, r]) => k.startsWith('cognito/') && r.id !== undefined)).toEqual([]);
  }, 900_000);

  it('a run that skips https refuses to delete the pool the rules still sign in with', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: (c) => {
        c.developers = developers.slice(0, 1);
        provider('cognito')(c);
      },
    });
    expectConverged(await up(ws));
    await ws.editConfig(provider('password'));
    const skipped = await upSkipping(ws, `https,${SKIPPED}`);
    expect(skipped.code, describeResult(skipped)).toBe(1);
    expect(skipped.stderr).toMatch(/still sign in with it/);
    expect(skipped.calls.changed.filter((c) => c.startsWith('cognito-idp:Delete'))).toEqual([]);
    expect(await rulesOnSomethingGone()).toEqual([]);
    expectConverged(await up(ws), 'up with https');
    expect(await signIns()).toEqual(['-']);
  }, 600_000);

  it('cognito → password crashed after each mutating call, then rerun: no rule ever on a deleted pool, nothing left', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice'],
      patch: (c) => {
        c.developers = developers.slice(0, 1);
        provider('cognito')(c);
      },
    });
    expectConverged(await up(ws));
    await ws.editConfig(provider('password'));
    const clean = await up(ws);
    expectConverged(clean, 'the clean switch');
    const points = crashPoints(clean.calls.changed);
    expect(points.map(([op]) => op)).toEqual(expect.arrayContaining(['elbv2:ModifyRule', ...POOL_DELETES]));
    const problems: string[] = [];
    for (const [operation, occurrence] of points) {
      const label = `after ${operation} #${occurrence}`;
      await ws.editConfig(provider('cognito'));
      const again = await up(ws);
      if (again.code !== 0) {
        problems.push(`${label}: back to cognito failed: ${describeResult(again)}`);
        continue;
      }
      await ws.editConfig(provider('password'));
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await up(ws, { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: no crash (${describeResult(crashed)})`);
        continue;
      }
      const broken = await rulesOnSomethingGone();
      if (broken.length) problems.push(`${label}: a rule signs in with ${broken.join(', ')}`);
      const rerun = await up(ws);
      if (rerun.code !== 0) {
        problems.push(`${label}: the rerun failed: ${describeResult(rerun)}`);
        continue;
      }
      const inv = (await ws.inventory()).items;
      const left = ['user pool', 'user pool domain', 'user pool client', 'cognito user'].filter((k) => inv[k]?.length);
      if (left.length) problems.push(`${label}: left ${left.join(', ')}`);
      if ((await signIns()).join() !== '-') problems.push(`${label}: rules ${(await signIns()).join(', ')}`);
      const third = await up(ws);
      if (third.calls.mutating.length) problems.push(`${label}: a third up changed ${third.calls.mutating.join(', ')}`);
    }
    expect(problems).toEqual([]);
  }, 1_800_000);
});
