/**
 * Identity at the edge, read back from moto: every developer's rule authenticates before it forwards, the OIDC client
 * secret reaches the load balancer API and nothing else (not the output, with --verbose or --json; not the state),
 * a rerun changes nothing, and switching provider converges the rules. The issuer's discovery document comes from a
 * stand-in for the internet (this process's `fetch`, for the issuer's URL only).
 *
 * moto differs from AWS here: it keeps and echoes the ClientSecret DescribeRules never returns (devenv drops it from
 * what it reads: test/unit/edge-auth.test.ts), and with UseExistingClientSecret it keeps no secret at all. The Cognito
 * user pool is the cognito phase's: here its ids are recorded in the state as that phase records them.
 */
import { readFile } from 'node:fs/promises';
import {
  AuthorizeSecurityGroupEgressCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  RevokeSecurityGroupEgressCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { expectConverged, expectNoAwsCalls, expectNoMutatingCalls } from './expect.js';
import { BASE_DOMAIN, newWorkspace, PROJECT, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const ISSUER = 'https://idp.corp.example';
const SECRET = 'itest-client-secret-Zq8vX3mN7pL2';
const ENV = { ITEST_OIDC_SECRET: SECRET };
const developers = [
  { name: 'alice', email: 'alice@corp.example' },
  { name: 'bob', email: 'bob@corp.example' },
];
const oidc = { issuer: ISSUER, clientId: 'devenv-itest', clientSecret: { env: 'ITEST_OIDC_SECRET' } };

describeMoto('identity at the edge: authenticate before forward, the client secret kept to the API', (moto) => {
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

  async function rules(): Promise<Map<string, Rule>> {
    const aws = await moto.server.clients();
    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [`${PROJECT}-alb`] })))
      .LoadBalancers![0]!;
    const https = (
      await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))
    ).Listeners!.find((l) => l.Port === 443)!;
    const all = (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: https.ListenerArn }))).Rules ?? [];
    return new Map(
      all
        .filter((r) => !r.IsDefault)
        .map((r) => [r.Conditions![0]!.HostHeaderConfig?.Values?.[0] ?? r.Conditions![0]!.Values![0]!, r]),
    );
  }
  /** Each developer's rule's action types, in their order. */
  async function actionTypes(): Promise<Record<string, string[]>> {
    return Object.fromEntries(
      [...(await rules())].map(([host, r]) => [
        host.split('.')[0],
        [...r.Actions!].sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0)).map((a) => a.Type!),
      ]),
    );
  }

  async function albGroupEgress(): Promise<{ id: string; rules: string[] }> {
    const aws = await moto.server.clients();
    const group = (
      await aws.ec2.send(
        new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [`${PROJECT}-alb-sg`] }] }),
      )
    ).SecurityGroups![0]!;
    const all =
      (
        await aws.ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [group.GroupId!] }] }),
        )
      ).SecurityGroupRules ?? [];
    return {
      id: group.GroupId!,
      rules: all.filter((r) => r.IsEgress).map((r) => `${r.IpProtocol} ${r.FromPort} ${r.CidrIpv4}`),
    };
  }

  async function expectNoSecretAnywhere(ws: Workspace): Promise<void> {
    for (const text of ws.transcript) expect(text).not.toContain(SECRET);
    expect(await readFile(ws.statePath, 'utf8')).not.toContain(SECRET);
  }

  it('oidc: rules read back [authenticate-oidc, forward] on every developer; the secret is in no output or state; a rerun makes no call that changes anything; a changed client id is one ModifyRule each', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice', 'bob'],
      patch: (c) => {
        c.developers = developers;
        c.auth = { provider: 'oidc', oidc, sessionTimeoutSeconds: 3600 };
      },
    });
    const callbacks = await ws.cli(['auth', 'callbacks']);
    expect(callbacks.code).toBe(0);
    expectNoAwsCalls(callbacks);
    expect(callbacks.stdout).toContain(`https://alice.${BASE_DOMAIN}/oauth2/idpresponse`);
    expect(callbacks.stdout).toContain(`https://bob.${BASE_DOMAIN}/oauth2/idpresponse`);

    const plan = await ws.cli(['plan'], { env: ENV });
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout + plan.stderr).toContain(`register https://alice.${BASE_DOMAIN}/oauth2/idpresponse`);

    expectConverged(await ws.cli(['up', '--verbose'], { env: ENV }));
    expect(await actionTypes()).toEqual({
      alice: ['authenticate-oidc', 'forward'],
      bob: ['authenticate-oidc', 'forward'],
    });
    const alice = (await rules()).get(`alice.${BASE_DOMAIN}`)!;
    const [auth, forward] = [...alice.Actions!].sort((a, b) => a.Order! - b.Order!);
    expect(auth!.Order).toBeLessThan(forward!.Order!);
    expect(auth!.AuthenticateOidcConfig).toMatchObject({
      Issuer: ISSUER,
      AuthorizationEndpoint: `${ISSUER}/authorize`,
      TokenEndpoint: `${ISSUER}/token`,
      UserInfoEndpoint: `${ISSUER}/userinfo`,
      ClientId: 'devenv-itest',
      Scope: 'openid email',
      SessionTimeout: 3600,
      OnUnauthenticatedRequest: 'authenticate',
      SessionCookieName: `devenv-${PROJECT}-auth`,
    });
    // moto keeps what it was sent: the secret reached the API (and only the API).
    expect(auth!.AuthenticateOidcConfig!.ClientSecret).toBe(SECRET);

    const again = await ws.cli(['up', '--json', '--verbose'], { env: ENV });
    expectConverged(again);
    expectNoMutatingCalls(again, 'a second up');
    const status = await ws.cli(['status', '--json'], { env: ENV });
    // JSON lines: the status document first (an error line follows: storage and containers never ran here).
    const parsed = JSON.parse(status.stdout.split('\n')[0]!);
    expect(parsed.auth).toEqual({ provider: 'oidc', password: true, issuer: ISSUER });
    expect(parsed.developers.map((d: { identity: string }) => d.identity)).toEqual([
      'alice@corp.example',
      'bob@corp.example',
    ]);
    expect((await ws.cli(['status'], { env: ENV })).stdout).toContain('alice@corp.example');

    await ws.editConfig((c) => {
      c.auth.oidc.clientId = 'devenv-itest-2';
    });
    const changed = await ws.cli(['up', '--verbose'], { env: ENV });
    expectConverged(changed);
    expect(changed.calls.mutating).toEqual(['elbv2:ModifyRule', 'elbv2:ModifyRule']);
    expect(
      (await rules()).get(`bob.${BASE_DOMAIN}`)!.Actions!.find((a) => a.Order === 1)!.AuthenticateOidcConfig,
    ).toMatchObject({ ClientId: 'devenv-itest-2' });
    const rotated = await ws.cli(['up', '--rotate-client-secret'], { env: ENV });
    expectConverged(rotated);
    expect(rotated.calls.mutating).toEqual(['elbv2:ModifyRule', 'elbv2:ModifyRule']);
    await expectNoSecretAnywhere(ws);
  }, 600_000);

  it('switching providers converges the rules: password → oidc → cognito → password, then nothing changes; a narrowed egress gets 443 back', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice', 'bob'],
      patch: (c) => {
        c.developers = developers;
      },
    });
    expectConverged(await ws.cli(['up']));
    expect(await actionTypes()).toEqual({ alice: ['forward'], bob: ['forward'] });

    // The default egress (all traffic) narrowed outside devenv: the load balancer could not reach the provider.
    const aws = await moto.server.clients();
    const before = await albGroupEgress();
    await aws.ec2.send(
      new RevokeSecurityGroupEgressCommand({
        GroupId: before.id,
        IpPermissions: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    await aws.ec2.send(
      new AuthorizeSecurityGroupEgressCommand({
        GroupId: before.id,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8543, IpRanges: [{ CidrIp: '10.0.0.0/16' }] }],
      }),
    );
    await ws.editConfig((c) => {
      c.auth = { provider: 'oidc', oidc };
    });
    expectConverged(await ws.cli(['up'], { env: ENV }));
    expect(await actionTypes()).toEqual({
      alice: ['authenticate-oidc', 'forward'],
      bob: ['authenticate-oidc', 'forward'],
    });
    expect((await albGroupEgress()).rules).toContain('tcp 443 0.0.0.0/0');

    await ws.editConfig((c) => {
      c.auth = { provider: 'cognito' };
    });
    expectConverged(await ws.cli(['up']));
    expect(await actionTypes()).toEqual({
      alice: ['authenticate-cognito', 'forward'],
      bob: ['authenticate-cognito', 'forward'],
    });
    // The rule signs in with what the cognito phase made and recorded: the pool (its ARN), the client, the domain.
    const state = await ws.state();
    const poolArn = state.resources['cognito/pool'].attrs.arn;
    expect(poolArn).toMatch(/^arn:aws:cognito-idp:/);
    const cognito = (await rules()).get(`alice.${BASE_DOMAIN}`)!.Actions!.find((a) => a.Order === 1)!;
    expect(cognito.AuthenticateCognitoConfig).toMatchObject({
      UserPoolArn: poolArn,
      UserPoolClientId: state.resources['cognito/client'].id,
      UserPoolDomain: state.resources['cognito/domain'].id,
      Scope: 'openid email',
    });
    expectNoMutatingCalls(await ws.cli(['up']), 'a rerun with cognito');

    await ws.editConfig((c) => {
      c.auth = { provider: 'password' };
    });
    expectConverged(await ws.cli(['up']));
    expect(await actionTypes()).toEqual({ alice: ['forward'], bob: ['forward'] });
    expect((await albGroupEgress()).rules).not.toContain('tcp 443 0.0.0.0/0');
    expectNoMutatingCalls(await ws.cli(['up']), 'a rerun back on passwords');
    await expectNoSecretAnywhere(ws);
  }, 600_000);
});
