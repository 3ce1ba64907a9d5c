import {
  CreateRuleCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyRuleCommand,
  type Action,
  type Rule,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import {
  authDrift,
  listRules,
  ruleFixes,
  ruleSpec,
  type RuleAuth,
  type RuleWant,
} from '../../src/aws/elbv2/listeners.js';
import { SIGN_IN_EGRESS, signInEgressFixes } from '../../src/aws/ec2/rules.js';
import { runFixes } from '../../src/aws/fix.js';
import { renderCredential, renderCsv } from '../../src/secrets/credential-files.js';
import { ruleAuth } from '../../src/phases/alb/auth.js';
import { readClientSecret } from '../../src/phases/alb/client-secret.js';
import type { DevenvError } from '../../src/errors.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { testContext } from '../helpers/context.js';

const elb = sdkMock(ElasticLoadBalancingV2Client);
const sm = sdkMock(SecretsManagerClient);
const SECRET = 's3cr3t-client-value-0123456789';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-alice/1';
const RULE = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/demo/1/2/3';

const oidcConfig = {
  Issuer: 'https://corp.okta.com',
  AuthorizationEndpoint: 'https://corp.okta.com/oauth2/v1/authorize',
  TokenEndpoint: 'https://corp.okta.com/oauth2/v1/token',
  UserInfoEndpoint: 'https://corp.okta.com/oauth2/v1/userinfo',
  ClientId: 'client-1',
  SessionCookieName: 'devenv-demo-auth',
  Scope: 'openid email',
  SessionTimeout: 43200,
  OnUnauthenticatedRequest: 'authenticate' as const,
};
const cognitoConfig = {
  UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_abc',
  UserPoolClientId: 'pool-client',
  UserPoolDomain: 'demo-devenv',
  SessionCookieName: 'devenv-demo-auth',
  Scope: 'openid email',
  SessionTimeout: 43200,
  OnUnauthenticatedRequest: 'authenticate' as const,
};

const ctx = () => ({ aws: new AwsClients({ region: 'us-east-1' }) });
const secretReads = () => vi.fn(async () => SECRET);
const oidcAuth = (read = secretReads(), extra: Partial<Extract<RuleAuth, { type: 'authenticate-oidc' }>> = {}) => ({
  type: 'authenticate-oidc' as const,
  config: oidcConfig,
  clientSecret: read,
  ...extra,
});
const want = (auth?: RuleAuth): RuleWant => ({ host: 'alice.dev.example.com', priority: 1, targetGroupArn: TG, auth });
const forward: Action = { Type: 'forward', TargetGroupArn: TG, Order: 1 };
/** A rule as AWS describes it: the OIDC action without its client secret. */
const liveRule = (actions: Action[]): Rule => ({
  RuleArn: RULE,
  Priority: '1',
  Conditions: [{ Field: 'host-header', Values: ['alice.dev.example.com'] }],
  Actions: actions,
});
const oidcRule = (config = oidcConfig) =>
  liveRule([
    { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: config },
    { ...forward, Order: 2 },
  ]);
const modified = () => elb.commandCalls(ModifyRuleCommand).map((c) => c.args[0].input);
const report = { report: { resource: () => undefined } } as never;

beforeEach(() => {
  resetSdkMocks();
  elb.on(ModifyRuleCommand).resolves({});
});

describe("each developer's rule signs in before it forwards", () => {
  it('creates [authenticate-oidc (Order 1, every field, the secret), forward (Order 2)]', async () => {
    elb.on(CreateRuleCommand).resolves({ Rules: [oidcRule()] });
    const planned = { logicalId: 'rule/alice', kind: 'listener rule', name: 'x', tags: {}, properties: {} };
    await ruleSpec(ctx() as never, planned as never, [], 'listener', want(oidcAuth())).create('');
    const [call] = elb.commandCalls(CreateRuleCommand);
    expect(call!.args[0].input.Actions).toEqual([
      { Type: 'authenticate-oidc', Order: 1, AuthenticateOidcConfig: { ...oidcConfig, ClientSecret: SECRET } },
      { Type: 'forward', TargetGroupArn: TG, Order: 2 },
    ]);
  });

  it('creates [authenticate-cognito, forward] with the pool, its client and domain', async () => {
    elb.on(CreateRuleCommand).resolves({ Rules: [liveRule([forward])] });
    const planned = { logicalId: 'rule/alice', kind: 'listener rule', name: 'x', tags: {}, properties: {} };
    const auth: RuleAuth = { type: 'authenticate-cognito', config: cognitoConfig };
    await ruleSpec(ctx() as never, planned as never, [], 'listener', want(auth)).create('');
    expect(elb.commandCalls(CreateRuleCommand)[0]!.args[0].input.Actions).toEqual([
      { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: cognitoConfig },
      { Type: 'forward', TargetGroupArn: TG, Order: 2 },
    ]);
  });

  it('makes no call, and reads no secret, when the rule already holds every field (AWS returns no secret)', async () => {
    const read = secretReads();
    expect(ruleFixes(ctx() as never, oidcRule(), want(oidcAuth(read)))).toEqual([]);
    expect(read).not.toHaveBeenCalled();
    const cognito = liveRule([
      { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: cognitoConfig },
      { ...forward, Order: 2 },
    ]);
    expect(ruleFixes(ctx() as never, cognito, want({ type: 'authenticate-cognito', config: cognitoConfig }))).toEqual(
      [],
    );
  });

  it('a changed field is one ModifyRule with UseExistingClientSecret and no secret', async () => {
    const read = secretReads();
    const fixes = ruleFixes(
      ctx() as never,
      oidcRule({ ...oidcConfig, ClientId: 'old', SessionTimeout: 60 }),
      want(oidcAuth(read)),
    );
    expect(fixes.map((f) => f.description)).toEqual(['authenticate-oidc ClientId, SessionTimeout changed']);
    await runFixes(report, fixes, { logicalId: 'rule/alice' });
    expect(modified()).toEqual([
      {
        RuleArn: RULE,
        Actions: [
          {
            Type: 'authenticate-oidc',
            Order: 1,
            AuthenticateOidcConfig: { ...oidcConfig, UseExistingClientSecret: true },
          },
          { Type: 'forward', TargetGroupArn: TG, Order: 2 },
        ],
      },
    ]);
    expect(read).not.toHaveBeenCalled();
    expect(JSON.stringify(modified())).not.toContain(SECRET);
  });

  it('a rule that only forwarded gets the OIDC action with the secret (there is none to keep)', async () => {
    const fixes = ruleFixes(ctx() as never, liveRule([forward]), want(oidcAuth()));
    expect(fixes.map((f) => f.description)).toEqual(['actions forward → authenticate-oidc, forward']);
    await runFixes(report, fixes, { logicalId: 'rule/alice' });
    expect(modified()[0]!.Actions![0]!.AuthenticateOidcConfig).toEqual({ ...oidcConfig, ClientSecret: SECRET });
  });

  it('--rotate-client-secret sends the secret again though nothing else changed', async () => {
    const fixes = ruleFixes(ctx() as never, oidcRule(), want(oidcAuth(secretReads(), { rotateSecret: true })));
    expect(fixes.map((f) => f.description)).toEqual(['client secret sent again (--rotate-client-secret)']);
    await runFixes(report, fixes, { logicalId: 'rule/alice' });
    expect(modified()[0]!.Actions![0]!.AuthenticateOidcConfig).toEqual({ ...oidcConfig, ClientSecret: SECRET });
  });

  it('switching providers replaces the action: cognito → oidc (with the secret), oidc → password (forward alone)', async () => {
    const cognito = liveRule([
      { Type: 'authenticate-cognito', Order: 1, AuthenticateCognitoConfig: cognitoConfig },
      { ...forward, Order: 2 },
    ]);
    await runFixes(report, ruleFixes(ctx() as never, cognito, want(oidcAuth())), { logicalId: 'rule/alice' });
    const back = ruleFixes(ctx() as never, oidcRule(), want());
    expect(back.map((f) => f.description)).toEqual(['sign-in authenticate-oidc removed']);
    await runFixes(report, back, { logicalId: 'rule/alice' });
    expect(modified().map((m) => m.Actions!.map((a) => a.Type))).toEqual([
      ['authenticate-oidc', 'forward'],
      ['forward'],
    ]);
    expect(modified()[0]!.Actions![0]!.AuthenticateOidcConfig!.ClientSecret).toBe(SECRET);
    expect(modified()[1]!.Actions).toEqual([{ Type: 'forward', TargetGroupArn: TG }]);
  });

  it('an authenticate action after the forward, or a second forward, is drift', () => {
    const swapped = liveRule([
      { ...forward, Order: 1 },
      { Type: 'authenticate-oidc', Order: 2, AuthenticateOidcConfig: oidcConfig },
    ]);
    expect(authDrift(swapped, oidcAuth())).toEqual(['actions forward, authenticate-oidc → authenticate-oidc, forward']);
    expect(authDrift(liveRule([forward]), undefined)).toEqual([]);
  });

  it('an error of a call that carried the secret reaches nobody with it', async () => {
    elb
      .on(CreateRuleCommand)
      .rejects(Object.assign(new Error(`bad ClientSecret ${SECRET}`), { name: 'ValidationError' }));
    const planned = { logicalId: 'rule/alice', kind: 'listener rule', name: 'x', tags: {}, properties: {} };
    const err = await ruleSpec(ctx() as never, planned as never, [], 'l', want(oidcAuth()))
      .create('')
      .catch((e) => e);
    expect(String(err.message)).toBe('bad ClientSecret [REDACTED]');
  });

  it('a listing that echoes a client secret (moto does; AWS never) is kept without it', async () => {
    elb.on(DescribeRulesCommand).resolves({ Rules: [oidcRule({ ...oidcConfig, ClientSecret: SECRET } as never)] });
    const rules = await listRules(ctx() as never, 'listener');
    expect(JSON.stringify(rules)).not.toContain(SECRET);
    expect(rules[0]!.Actions![0]!.AuthenticateOidcConfig!.ClientId).toBe('client-1');
  });
});

describe('the sign-in the https phase wants', () => {
  const oidc = {
    issuer: 'https://corp.okta.com',
    clientId: 'client-1',
    clientSecret: { secretsManager: 'corp/okta' },
    authorizationEndpoint: 'https://corp.okta.com/oauth2/v1/authorize',
    tokenEndpoint: 'https://corp.okta.com/oauth2/v1/token',
    userInfoEndpoint: 'https://corp.okta.com/oauth2/v1/userinfo',
  };
  const developers = [
    { name: 'alice', email: 'alice@corp.example' },
    { name: 'bob', email: 'bob@corp.example' },
  ];

  it('oidc: the config and its endpoints, the scope, the session timeout and a per-project cookie', async () => {
    const c = await testContext('https', { auth: { provider: 'oidc', oidc, sessionTimeoutSeconds: 3600 }, developers });
    const auth = await ruleAuth(c);
    expect(auth).toMatchObject({ type: 'authenticate-oidc', config: { ...oidcConfig, SessionTimeout: 3600 } });
  });

  it('the secret comes from Secrets Manager once a run; a missing one is a config error naming the field', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: `${SECRET}\n` });
    const c = await testContext('https', { auth: { provider: 'oidc', oidc }, developers });
    c.reads = new Map();
    expect(await readClientSecret(c)).toBe(SECRET);
    expect(await readClientSecret(c)).toBe(SECRET);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const env = await testContext('https', {
      auth: { provider: 'oidc', oidc: { ...oidc, clientSecret: { env: 'NOPE' } } },
      developers,
    });
    const err: DevenvError = await readClientSecret(env).catch((e) => e);
    expect(err.kind).toBe('config');
    expect(err.message).toContain('auth.oidc.clientSecret: the environment variable NOPE is not set');
  });

  it('cognito: the ids the cognito phase records; without them, the error names that phase', async () => {
    const c = await testContext('https', { auth: { provider: 'cognito' }, developers });
    await expect(ruleAuth(c)).rejects.toThrow(/the cognito phase creates/);
    expect((await ruleAuth(c, true))?.type).toBe('authenticate-cognito');
    await c.state.setResource('cognito/pool', {
      kind: 'user pool',
      phase: 'cognito',
      id: 'us-east-1_abc',
      attrs: { arn: cognitoConfig.UserPoolArn },
    });
    await c.state.setResource('cognito/client', { kind: 'app client', phase: 'cognito', id: 'pool-client' });
    await c.state.setResource('cognito/domain', { kind: 'domain', phase: 'cognito', id: 'demo-devenv' });
    expect(await ruleAuth(c)).toEqual({ type: 'authenticate-cognito', config: cognitoConfig });
  });

  it('password: no sign-in at the load balancer', async () => {
    expect(await ruleAuth(await testContext('https'))).toBeUndefined();
  });
});

describe("the load balancer's way out to the provider", () => {
  const group = 'sg-0alb';
  const rule = (over: Record<string, unknown>) => ({ IsEgress: true, CidrIpv4: '0.0.0.0/0', ...over });
  const ec2 = () => new AwsClients({ region: 'us-east-1' }).ec2;

  it('adds tcp 443 to anywhere only when no egress rule lets 443 out; removes only its own without a provider', () => {
    expect(signInEgressFixes(ec2(), group, [rule({ IpProtocol: '-1' })], true, {})).toEqual([]);
    expect(
      signInEgressFixes(ec2(), group, [rule({ IpProtocol: 'tcp', FromPort: 0, ToPort: 65535 })], true, {}),
    ).toEqual([]);
    const narrowed = [rule({ IpProtocol: 'tcp', FromPort: 8443, ToPort: 8543, CidrIpv4: '10.0.0.0/16' })];
    expect(signInEgressFixes(ec2(), group, narrowed, true, {}).map((f) => f.description)).toEqual([
      'authorize egress tcp 443 to anywhere (the identity provider)',
    ]);
    const ours = rule({ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, Description: SIGN_IN_EGRESS });
    expect(signInEgressFixes(ec2(), group, [rule({ IpProtocol: '-1' }), ours], false, {})).toHaveLength(1);
    expect(signInEgressFixes(ec2(), group, [rule({ IpProtocol: '-1' })], false, {})).toEqual([]);
  });
});

describe('what developers are told', () => {
  it('credentials with a provider: the sign-in and identity; the password only when kept', () => {
    const signIn = { provider: 'oidc' as const, at: 'https://corp.okta.com', identity: 'alice@corp.example' };
    const sso = renderCredential({ developer: 'alice', url: 'https://alice.x', username: 'alice', signIn }, 'txt');
    expect(sso).toContain('Sign-in:   OIDC at https://corp.okta.com');
    expect(sso).toContain('Identity:  alice@corp.example');
    expect(sso).not.toContain('Password');
    const both = renderCredential(
      { developer: 'alice', url: 'https://alice.x', username: 'alice', password: 'pw-123', signIn },
      'txt',
    );
    expect(both).toContain('Password:  pw-123');
    expect(both).toContain("It sends you to your company's sign-in (https://corp.okta.com)");
    expect(renderCsv([{ developer: 'a', url: 'u', username: 'a', signIn }])).toBe(
      'developer,url,username,password,provider,sign-in at,identity\r\na,u,a,,oidc,https://corp.okta.com,alice@corp.example\r\n',
    );
  });
});
