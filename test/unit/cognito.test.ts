/**
 * The cognito phase against a fake Cognito, for what the emulator does not do as AWS does
 * (docs/aws-behaviour.md#cognito): UpdateUserPoolClient resets every field it is not sent, so the
 * one update carries them all; CreateUserPool refuses MFA ON with software tokens only, so MFA is
 * set after; a prefix another pool holds is refused; a protected pool, or one with a domain, cannot
 * be deleted. Also: removing a developer disables their user (deletes it with --purge-removed), and
 * the client secret CreateUserPoolClient answers with goes nowhere.
 */
import { readFileSync } from 'node:fs';
import {
  AdminCreateUserCommand,
  AdminDeleteUserCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DeleteUserPoolCommand,
  DeleteUserPoolDomainCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  DescribeUserPoolDomainCommand,
  GetUserPoolMfaConfigCommand,
  InvalidParameterException,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
  SetUserPoolMfaConfigCommand,
  UpdateUserPoolCommand,
  type UserPoolType,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import { beforeEach, describe, expect, it } from 'vitest';
import { clientSettings } from '../../src/aws/cognito/client.js';
import { PASSWORD_POLICY } from '../../src/blueprint/sign-in.js';
import { tagsFor } from '../../src/config/tags.js';
import { DevenvError } from '../../src/errors.js';
import cognito from '../../src/phases/cognito.js';
import type { RunOptions } from '../../src/phases/types.js';
import { mutatingOperations, operations, sentCalls } from '../helpers/calls.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

const idp = sdkMock(CognitoIdentityProviderClient);
const POOL_ID = 'us-east-1_abc123';
const CLIENT_ID = 'client0123';
const SECRET = 'client-secret-3f9a1c77e2b04d5e';
const callback = (name: string) => `https://${name}.dev.example.com/oauth2/idpresponse`;

async function context(
  o: { developers?: string[]; mfa?: 'required' | 'optional'; domainPrefix?: string } = {},
  options: RunOptions = {},
) {
  const names = o.developers ?? ['alice', 'bob'];
  return testContext(
    'cognito',
    {
      auth: {
        provider: 'cognito',
        cognito: { mfa: o.mfa ?? 'required', ...(o.domainPrefix ? { domainPrefix: o.domainPrefix } : {}) },
      },
      developers: names.map((name) => ({ name, email: `${name}@example.com` })),
    },
    options,
  );
}

/** A pool as devenv makes it, with this project's tags. */
function pool(ctx: TestContext, over: Partial<UserPoolType> = {}): UserPoolType {
  return {
    Id: POOL_ID,
    Arn: `arn:aws:cognito-idp:us-east-1:123456789012:userpool/${POOL_ID}`,
    Name: 'demo-cognito-pool',
    Policies: { PasswordPolicy: { ...PASSWORD_POLICY } },
    AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    DeletionProtection: 'ACTIVE',
    MfaConfiguration: 'ON',
    UserPoolTags: tagsFor(ctx.model, 'cognito/pool'),
    ...over,
  };
}

const user = (name: string, enabled = true): UserType => ({
  Username: `sub-${name}`,
  Enabled: enabled,
  UserStatus: 'CONFIRMED',
  Attributes: [{ Name: 'email', Value: `${name}@example.com` }],
});

/** Everything converged for these developers, as the state records it; `over` changes what AWS answers. */
async function converged(
  ctx: TestContext,
  o: { callbacks?: string[]; users?: UserType[]; pool?: Partial<UserPoolType>; mfa?: string } = {},
) {
  const live = pool(ctx, { Domain: 'demo-prefix', ...o.pool });
  await ctx.state.setResource('cognito/pool', { kind: 'user pool', phase: 'cognito', id: POOL_ID });
  await ctx.state.setResource('cognito/domain', { kind: 'user pool domain', phase: 'cognito', id: 'demo-prefix' });
  await ctx.state.setResource('cognito/client', { kind: 'user pool client', phase: 'cognito', id: CLIENT_ID });
  idp.on(DescribeUserPoolCommand).resolves({ UserPool: live });
  idp.on(GetUserPoolMfaConfigCommand).resolves({
    MfaConfiguration: (o.mfa ?? 'ON') as 'ON',
    SoftwareTokenMfaConfiguration: { Enabled: true },
  });
  idp.on(DescribeUserPoolDomainCommand).resolves({ DomainDescription: { Domain: 'demo-prefix', UserPoolId: POOL_ID } });
  idp.on(DescribeUserPoolClientCommand).resolves({
    UserPoolClient: {
      ...clientSettings(
        POOL_ID,
        'demo-cognito-client',
        o.callbacks ?? ctx.model.developers.map((d) => callback(d.name)),
      ),
      ClientId: CLIENT_ID,
      ClientSecret: SECRET,
    },
  });
  idp.on(ListUsersCommand).resolves({ Users: o.users ?? ctx.model.developers.map((d) => user(d.name)) });
}

beforeEach(() => resetSdkMocks());

describe('cognito phase', () => {
  it('a converged pool makes no mutating call', async () => {
    const ctx = await context({ domainPrefix: 'demo-prefix' });
    await converged(ctx);
    await cognito.apply(ctx);
    expect(mutatingOperations(idp)).toEqual([]);
  });

  it('a new developer: the client update carries every field, not only the callback URLs (omitted ones are reset)', async () => {
    const ctx = await context({ developers: ['alice', 'bob'], domainPrefix: 'demo-prefix' });
    await converged(ctx, { callbacks: [callback('alice')], users: [user('alice')] });
    idp.on(AdminCreateUserCommand).resolves({ User: user('bob') });
    await cognito.apply(ctx);
    const updates = sentCalls(idp).filter((c) => c.op === 'UpdateUserPoolClient');
    expect(updates).toHaveLength(1);
    expect(updates[0].input).toEqual({
      UserPoolId: POOL_ID,
      ClientId: CLIENT_ID,
      ClientName: 'demo-cognito-client',
      AllowedOAuthFlows: ['code'],
      AllowedOAuthScopes: ['openid', 'email'],
      AllowedOAuthFlowsUserPoolClient: true,
      SupportedIdentityProviders: ['COGNITO'],
      CallbackURLs: [callback('alice'), callback('bob')],
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
    });
    const created = sentCalls(idp).find((c) => c.op === 'AdminCreateUser')!;
    expect(created.input).toEqual({
      UserPoolId: POOL_ID,
      Username: 'bob@example.com',
      UserAttributes: [
        { Name: 'email', Value: 'bob@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ],
      DesiredDeliveryMediums: ['EMAIL'],
    });
    expect(ctx.state.resource('cognito/user/bob')).toMatchObject({
      id: 'sub-bob',
      attrs: { email: 'bob@example.com' },
    });
  });

  it("a removed developer's user is disabled, not deleted; --purge-removed deletes it", async () => {
    const users = [user('alice'), user('bob')];
    const ctx = await context({ developers: ['alice'], domainPrefix: 'demo-prefix' });
    await converged(ctx, { users });
    idp.on(AdminDisableUserCommand).resolves({});
    await cognito.apply(ctx);
    expect(mutatingOperations(idp)).toEqual(['AdminDisableUser']);
    expect(sentCalls(idp).find((c) => c.op === 'AdminDisableUser')!.input).toEqual({
      UserPoolId: POOL_ID,
      Username: 'sub-bob',
    });

    resetSdkMocks();
    const purging = await context({ developers: ['alice'], domainPrefix: 'demo-prefix' }, { purgeRemoved: true });
    await converged(purging, { users: [user('alice'), user('bob', false)] });
    await purging.state.setResource('cognito/user/bob', { kind: 'Cognito user', phase: 'cognito', id: 'sub-bob' });
    idp.on(AdminDeleteUserCommand).resolves({});
    await cognito.apply(purging);
    expect(mutatingOperations(idp)).toEqual(['AdminDeleteUser']);
    expect(purging.state.resource('cognito/user/bob')).toBeUndefined();
  });

  it('a disabled user of a current developer is enabled again', async () => {
    const ctx = await context({ developers: ['alice'], domainPrefix: 'demo-prefix' });
    await converged(ctx, { users: [user('alice', false)] });
    await cognito.apply(ctx);
    expect(mutatingOperations(idp)).toEqual(['AdminEnableUser']);
  });

  for (const [mfa, mode] of [
    ['required', 'ON'],
    ['optional', 'OPTIONAL'],
  ] as const) {
    it(`creates the pool with MFA off, then sets authenticator-app MFA ${mode} (CreateUserPool refuses it without SMS)`, async () => {
      const ctx = await context({ mfa, developers: ['alice'], domainPrefix: 'demo-prefix' });
      idp.on(ListUserPoolsCommand).resolves({ UserPools: [] });
      idp.on(CreateUserPoolCommand).resolves({ UserPool: pool(ctx, { MfaConfiguration: 'OFF' }) });
      idp.on(GetUserPoolMfaConfigCommand).resolves({ MfaConfiguration: 'OFF' });
      idp.on(DescribeUserPoolDomainCommand).resolves({ DomainDescription: {} });
      idp.on(ListUserPoolClientsCommand).resolves({ UserPoolClients: [] });
      idp.on(CreateUserPoolClientCommand).resolves({
        UserPoolClient: {
          ...clientSettings(POOL_ID, 'demo-cognito-client', [callback('alice')]),
          ClientId: CLIENT_ID,
          ClientSecret: SECRET,
        },
      });
      idp.on(ListUsersCommand).resolves({ Users: [] });
      idp.on(AdminCreateUserCommand).resolves({ User: user('alice') });
      await cognito.apply(ctx);
      expect(mutatingOperations(idp)).toEqual([
        'CreateUserPool',
        'SetUserPoolMfaConfig',
        'CreateUserPoolDomain',
        'CreateUserPoolClient',
        'AdminCreateUser',
      ]);
      const create = sentCalls(idp).find((c) => c.op === 'CreateUserPool')!.input;
      expect(create).toMatchObject({
        PoolName: 'demo-cognito-pool',
        MfaConfiguration: 'OFF',
        DeletionProtection: 'ACTIVE',
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        UsernameAttributes: ['email'],
        Policies: {
          PasswordPolicy: {
            MinimumLength: 14,
            RequireUppercase: true,
            RequireLowercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
          },
        },
        UserPoolTags: { 'devenv:project': 'demo', 'devenv:resource': 'cognito/pool', ManagedBy: 'devenv' },
      });
      expect(sentCalls(idp).find((c) => c.op === 'SetUserPoolMfaConfig')!.input).toEqual({
        UserPoolId: POOL_ID,
        MfaConfiguration: mode,
        SoftwareTokenMfaConfiguration: { Enabled: true },
      });
      expect(sentCalls(idp).find((c) => c.op === 'CreateUserPoolClient')!.input).toMatchObject({
        GenerateSecret: true,
      });
      // The secret AWS answered with is nowhere: not in the state, not in what the run reported.
      expect(readFileSync(ctx.state.path, 'utf8')).not.toContain(SECRET);
      expect(JSON.stringify(ctx.events)).not.toContain(SECRET);
    });
  }

  it('an existing pool whose MFA differs from the config gets SetUserPoolMfaConfig', async () => {
    const ctx = await context({ mfa: 'required', domainPrefix: 'demo-prefix' });
    await converged(ctx, { mfa: 'OPTIONAL' });
    idp.on(SetUserPoolMfaConfigCommand).resolves({});
    await cognito.apply(ctx);
    expect(
      sentCalls(idp)
        .filter((c) => c.op === 'SetUserPoolMfaConfig')
        .map((c) => c.input.MfaConfiguration),
    ).toEqual(['ON']);
    expect(mutatingOperations(idp)).toEqual(['SetUserPoolMfaConfig']);
  });

  it('self sign-up turned on by hand is turned off again, with every other setting sent along', async () => {
    const ctx = await context({ domainPrefix: 'demo-prefix' });
    await converged(ctx, { pool: { AdminCreateUserConfig: { AllowAdminCreateUserOnly: false } } });
    idp.on(UpdateUserPoolCommand).resolves({});
    await cognito.apply(ctx);
    expect(mutatingOperations(idp)).toEqual(['UpdateUserPool']);
    expect(sentCalls(idp)[operations(idp).indexOf('UpdateUserPool')].input).toMatchObject({
      UserPoolId: POOL_ID,
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
      Policies: { PasswordPolicy: PASSWORD_POLICY },
      DeletionProtection: 'ACTIVE',
      MfaConfiguration: 'ON',
      UserPoolTags: { 'devenv:project': 'demo' },
    });
  });

  it('a domain prefix another pool holds stops the run naming auth.cognito.domainPrefix (exit 2)', async () => {
    const ctx = await context({ domainPrefix: 'taken-prefix' });
    await converged(ctx, { pool: { Domain: undefined } });
    idp
      .on(DescribeUserPoolDomainCommand)
      .resolves({ DomainDescription: { Domain: 'taken-prefix', UserPoolId: 'us-east-1_other' } });
    idp
      .on(CreateUserPoolDomainCommand)
      .rejects(
        new InvalidParameterException({ message: 'Domain already associated with another user pool.', $metadata: {} }),
      );
    const err = await cognito.apply(ctx).catch((e) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(/"taken-prefix" \(auth\.cognito\.domainPrefix\) is taken/);
    expect(err.remedy).toMatch(/set auth\.cognito\.domainPrefix/);
    expect(err.exitCode).toBe(2);
  });

  it('destroy turns deletion protection off (with the other settings kept), deletes the domain, then the pool', async () => {
    const ctx = await context({ domainPrefix: 'demo-prefix' });
    await converged(ctx);
    idp.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: POOL_ID, Name: 'demo-cognito-pool' }] });
    idp.on(UpdateUserPoolCommand).resolves({});
    idp.on(DeleteUserPoolDomainCommand).resolves({});
    idp.on(DeleteUserPoolCommand).resolves({});
    await cognito.destroy(ctx);
    expect(mutatingOperations(idp)).toEqual(['UpdateUserPool', 'DeleteUserPoolDomain', 'DeleteUserPool']);
    expect(sentCalls(idp).find((c) => c.op === 'UpdateUserPool')!.input).toMatchObject({
      DeletionProtection: 'INACTIVE',
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
    expect(ctx.state.resourcesOf('cognito').filter(([, r]) => r.id)).toEqual([]);
  });

  it('with another provider and no pool in the state, makes no call at all', async () => {
    const ctx = await testContext('cognito');
    await cognito.apply(ctx);
    expect(await cognito.plan(ctx)).toEqual([]);
    expect(operations(idp)).toEqual([]);
  });
});
