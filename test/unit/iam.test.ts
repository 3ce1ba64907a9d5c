import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  CreateRoleCommand,
  DeleteConflictException,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  EntityAlreadyExistsException,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
  PutRolePolicyCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import iam from '../../src/phases/iam.js';
import { hostPolicy } from '../../src/blueprint/identity.js';
import { IAM_PROPAGATION } from '../../src/aws/retry.js';
import { type fakeClock, testContext } from '../helpers/context.js';
import { mutatingOperations, operations as operationsOf } from '../helpers/calls.js';

const ACCOUNT = '123456789012';
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/demo-ec2-role`;
const PROFILE_ARN = `arn:aws:iam::${ACCOUNT}:instance-profile/demo-ec2-profile`;
const ourTags = (logicalId: string) => [
  { Key: 'devenv:project', Value: 'demo' },
  { Key: 'devenv:resource', Value: logicalId },
];
const noSuchEntity = () => new NoSuchEntityException({ message: 'not found', $metadata: {} });

const trust = {
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
};
const leastPrivilege = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'ReadOwnSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: `arn:aws:secretsmanager:us-east-1:${ACCOUNT}:secret:demo/*`,
      Condition: { StringEquals: { 'secretsmanager:ResourceTag/devenv:project': 'demo' } },
    },
    {
      Sid: 'WriteOwnLogs',
      Effect: 'Allow',
      Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/ec2/demo/*`,
    },
    {
      Sid: 'PutAgentMetrics',
      Effect: 'Allow',
      Action: 'cloudwatch:PutMetricData',
      Resource: '*',
      Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
    },
  ],
};
/** The same grants as AWS hands them back: URL-encoded, keys and lists in another order, one-element lists. */
const asAwsReturnsIt = (doc: typeof leastPrivilege | typeof trust) =>
  encodeURIComponent(
    JSON.stringify(
      {
        Statement: [...doc.Statement].reverse().map((s) => ({ ...s, Action: [s.Action].flat().reverse() })),
        Version: doc.Version,
      },
      null,
      2,
    ),
  );

const role = (over: Partial<Role> = {}): Role => ({
  RoleName: 'demo-ec2-role',
  Arn: ROLE_ARN,
  Path: '/',
  RoleId: 'AROA1',
  CreateDate: new Date(),
  AssumeRolePolicyDocument: asAwsReturnsIt(trust),
  Tags: ourTags('iam/role'),
  ...over,
});
const profile = (over: Partial<InstanceProfile> = {}): InstanceProfile => ({
  InstanceProfileName: 'demo-ec2-profile',
  Arn: PROFILE_ARN,
  Path: '/',
  InstanceProfileId: 'AIPA1',
  CreateDate: new Date(),
  Roles: [role()],
  Tags: ourTags('iam/profile'),
  ...over,
});

const mock = sdkMock(IAMClient);
const mutations = () => mutatingOperations(mock);

/** Everything in place and as it should be. */
function inPlace() {
  mock.on(GetRoleCommand).resolves({ Role: role() });
  mock.on(GetRolePolicyCommand).resolves({
    RoleName: 'demo-ec2-role',
    PolicyName: 'demo-ec2-policy',
    PolicyDocument: asAwsReturnsIt(leastPrivilege),
  });
  mock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: profile() });
}

beforeEach(() => {
  resetSdkMocks();
  mock.onAnyCommand().rejects(new Error('unmocked IAM call'));
});

/** IAM's wildcard match of a Resource pattern (`*` any run of characters, `?` one). */
const arnMatches = (pattern: string, arn: string) =>
  new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('')}$`,
  ).test(arn);

describe("the host role's policy document", () => {
  const secretArn = (name: string, partition = 'aws', region = 'us-east-1') =>
    `arn:${partition}:secretsmanager:${region}:${ACCOUNT}:secret:${name}-AbCdEf`;
  const readSecrets = (project: string, region = 'us-east-1') =>
    hostPolicy({ project, region }, ACCOUNT).Statement.find((s) => s.Sid === 'ReadOwnSecrets')!;

  it("a project named prod reads its own secrets only when they carry its devenv:project tag, and never prod-2's by name", () => {
    const read = readSecrets('prod');
    expect(read.Condition).toEqual({ StringEquals: { 'secretsmanager:ResourceTag/devenv:project': 'prod' } });
    expect(arnMatches(read.Resource, secretArn('prod/alice/password'))).toBe(true);
    expect(arnMatches(read.Resource, secretArn('prod/alice/anthropic-api-key'))).toBe(true);
    expect(arnMatches(read.Resource, secretArn('prod-2/alice/password'))).toBe(false);
    expect(arnMatches(read.Resource, secretArn('production/db'))).toBe(false);
    // A secret of the account that merely starts with prod/ matches the name; the tag condition is what keeps it out.
    expect(arnMatches(read.Resource, secretArn('prod/db/password'))).toBe(true);
  });

  it('every statement names its partition, region and account, or is the namespace-bound PutMetricData', () => {
    for (const [region, partition] of [
      ['cn-north-1', 'aws-cn'],
      ['us-gov-west-1', 'aws-us-gov'],
      ['ap-southeast-7', 'aws'],
    ] as const) {
      for (const s of hostPolicy({ project: 'demo', region }, ACCOUNT).Statement) {
        if (s.Resource === '*') expect(s.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': 'CWAgent' } });
        else
          expect(s.Resource.startsWith(`arn:${partition}:`) && s.Resource.includes(`:${region}:${ACCOUNT}:`)).toBe(
            true,
          );
      }
      expect(
        arnMatches(readSecrets('demo', region).Resource, secretArn('demo/alice/password', partition, region)),
      ).toBe(true);
    }
  });
});

describe('iam apply', () => {
  it('creates the role, its policy and the profile, tagged in the create calls, when nothing exists', async () => {
    const ctx = await testContext('iam');
    mock.on(GetRoleCommand).rejects(noSuchEntity()).on(GetInstanceProfileCommand).rejects(noSuchEntity());
    mock.on(GetRolePolicyCommand).rejects(noSuchEntity());
    mock.on(CreateRoleCommand).resolves({ Role: role() });
    mock.on(PutRolePolicyCommand).resolves({});
    mock.on(CreateInstanceProfileCommand).resolves({ InstanceProfile: profile({ Roles: [] }) });
    mock.on(AddRoleToInstanceProfileCommand).resolves({});

    await iam.apply(ctx);

    expect(mutations()).toEqual(['CreateRole', 'PutRolePolicy', 'CreateInstanceProfile', 'AddRoleToInstanceProfile']);
    const createRole = mock.commandCalls(CreateRoleCommand)[0]!.args[0].input;
    expect(createRole.RoleName).toBe('demo-ec2-role');
    expect(JSON.parse(createRole.AssumeRolePolicyDocument!)).toEqual(trust);
    expect(createRole.Tags).toEqual(
      expect.arrayContaining([
        ...ourTags('iam/role'),
        { Key: 'Name', Value: 'demo-ec2-role' },
        { Key: 'ManagedBy', Value: 'devenv' },
      ]),
    );
    const createProfile = mock.commandCalls(CreateInstanceProfileCommand)[0]!.args[0].input;
    expect(createProfile).toMatchObject({ InstanceProfileName: 'demo-ec2-profile' });
    expect(createProfile.Tags).toEqual(expect.arrayContaining(ourTags('iam/profile')));
    expect(mock.commandCalls(AddRoleToInstanceProfileCommand)[0]!.args[0].input).toEqual({
      InstanceProfileName: 'demo-ec2-profile',
      RoleName: 'demo-ec2-role',
    });
    expect(JSON.parse(mock.commandCalls(PutRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(
      leastPrivilege,
    );

    expect(ctx.state.resource('iam/role')).toMatchObject({ id: ROLE_ARN, phase: 'iam' });
    expect(ctx.state.resource('iam/profile')).toMatchObject({ id: PROFILE_ARN, attrs: { name: 'demo-ec2-profile' } });
    expect(ctx.state.phase('iam')?.outputs).toEqual({
      roleName: 'demo-ec2-role',
      roleArn: ROLE_ARN,
      instanceProfileName: 'demo-ec2-profile',
      instanceProfileArn: PROFILE_ARN,
    });
  });

  it('makes no mutating call when everything exists and the policies grant the same', async () => {
    const ctx = await testContext('iam');
    inPlace();
    await iam.apply(ctx);
    expect(mutations()).toEqual([]);
    expect(ctx.state.resource('iam/role')?.id).toBe(ROLE_ARN); // adopted by name

    mock.resetHistory();
    await iam.apply(ctx);
    expect(operationsOf(mock)).toEqual(['GetRole', 'GetRolePolicy', 'GetInstanceProfile']);
  });

  it('rewrites a drifted policy with exactly one PutRolePolicy scoped to this project', async () => {
    const ctx = await testContext('iam');
    inPlace();
    const widened = {
      ...leastPrivilege,
      Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: '*' }],
    };
    mock.on(GetRolePolicyCommand).resolves({ PolicyDocument: encodeURIComponent(JSON.stringify(widened)) });
    mock.on(PutRolePolicyCommand).resolves({});

    await iam.apply(ctx);

    expect(mutations()).toEqual(['PutRolePolicy']);
    const put = mock.commandCalls(PutRolePolicyCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ RoleName: 'demo-ec2-role', PolicyName: 'demo-ec2-policy' });
    const doc = JSON.parse(put.PolicyDocument!) as typeof leastPrivilege;
    expect(doc).toEqual(leastPrivilege);
    for (const s of doc.Statement) {
      if (s.Resource === '*')
        expect(s).toMatchObject({
          Action: 'cloudwatch:PutMetricData',
          Condition: { StringEquals: { 'cloudwatch:namespace': 'CWAgent' } },
        });
      else expect(s.Resource).toMatch(/:(secret:demo\/\*|log-group:\/aws\/ec2\/demo\/\*)$/);
      if (s.Action === 'secretsmanager:GetSecretValue')
        expect(s.Condition).toEqual({ StringEquals: { 'secretsmanager:ResourceTag/devenv:project': 'demo' } });
    }
    expect(JSON.stringify(doc)).not.toMatch(/logs:CreateLogGroup|secretsmanager:\*|"logs:\*"/);
    expect(ctx.events.map((e) => 'message' in e && e.message)).toContain(
      'rewrote inline policy demo-ec2-policy: it differed from the least-privilege policy',
    );
  });

  it('resets a trust policy that lets anything but EC2 assume the role', async () => {
    const ctx = await testContext('iam');
    inPlace();
    const wider = {
      ...trust,
      Statement: [...trust.Statement, { Effect: 'Allow', Principal: { AWS: '*' }, Action: 'sts:AssumeRole' }],
    };
    mock
      .on(GetRoleCommand)
      .resolves({ Role: role({ AssumeRolePolicyDocument: encodeURIComponent(JSON.stringify(wider)) }) });
    mock.on(UpdateAssumeRolePolicyCommand).resolves({});
    await iam.apply(ctx);
    expect(mutations()).toEqual(['UpdateAssumeRolePolicy']);
    expect(JSON.parse(mock.commandCalls(UpdateAssumeRolePolicyCommand)[0]!.args[0].input.PolicyDocument!)).toEqual(
      trust,
    );
  });

  it('adds the role to a profile that holds none, and swaps out a stranger', async () => {
    const ctx = await testContext('iam');
    inPlace();
    mock.on(GetInstanceProfileCommand).resolves({ InstanceProfile: profile({ Roles: [] }) });
    mock.on(AddRoleToInstanceProfileCommand).resolves({});
    await iam.apply(ctx);
    expect(mutations()).toEqual(['AddRoleToInstanceProfile']);

    mock.resetHistory();
    mock
      .on(GetInstanceProfileCommand)
      .resolves({ InstanceProfile: profile({ Roles: [role({ RoleName: 'someone-else' })] }) });
    mock.on(RemoveRoleFromInstanceProfileCommand).resolves({});
    await iam.apply(ctx);
    expect(mutations()).toEqual(['RemoveRoleFromInstanceProfile', 'AddRoleToInstanceProfile']);
    expect(mock.commandCalls(RemoveRoleFromInstanceProfileCommand)[0]!.args[0].input.RoleName).toBe('someone-else');
  });

  it('adopts a role another run created but did not record (EntityAlreadyExists)', async () => {
    const ctx = await testContext('iam');
    inPlace();
    mock.on(GetRoleCommand).rejectsOnce(noSuchEntity()).resolves({ Role: role() });
    mock.on(CreateRoleCommand).rejects(new EntityAlreadyExistsException({ message: 'exists', $metadata: {} }));
    await iam.apply(ctx);
    expect(mutations()).toEqual(['CreateRole']);
    expect(ctx.state.resource('iam/role')?.id).toBe(ROLE_ARN);
  });

  it('refuses a role of the same name that devenv did not make', async () => {
    const ctx = await testContext('iam');
    inPlace();
    mock.on(GetRoleCommand).resolves({ Role: role({ Tags: [] }) });
    await expect(iam.apply(ctx)).rejects.toThrow(/IAM role demo-ec2-role already exists but is not devenv's/);
    expect(mutations()).toEqual([]);
  });

  it('needs the account that validate records', async () => {
    const ctx = await testContext('iam');
    delete ctx.state.data.account;
    inPlace();
    await expect(iam.apply(ctx)).rejects.toSatisfy(
      (e: DevenvError) => e.kind === 'state' && /devenv phase validate/.test(e.remedy ?? ''),
    );
  });
});

describe('iam apply: a just-created role is not known everywhere yet (IAM propagation)', () => {
  /** Nothing exists: the role and profile are created, and the two calls that name them are answered by `answers`. */
  function freshRole(answers: { put?: Error[]; add?: Error[] }) {
    mock
      .on(GetRoleCommand)
      .rejects(noSuchEntity())
      .on(GetInstanceProfileCommand)
      .rejects(noSuchEntity())
      .on(GetRolePolicyCommand)
      .rejects(noSuchEntity());
    mock.on(CreateRoleCommand).resolves({ Role: role() });
    mock.on(CreateInstanceProfileCommand).resolves({ InstanceProfile: profile({ Roles: [] }) });
    let put = mock.on(PutRolePolicyCommand);
    for (const err of answers.put ?? []) put = put.rejectsOnce(err);
    put.resolves({});
    let add = mock.on(AddRoleToInstanceProfileCommand);
    for (const err of answers.add ?? []) add = add.rejectsOnce(err);
    add.resolves({});
  }
  const calls = (command: typeof PutRolePolicyCommand | typeof AddRoleToInstanceProfileCommand) =>
    mock.commandCalls(command as never).length;
  const roleNotFound = () =>
    new NoSuchEntityException({ message: 'The role with name demo-ec2-role cannot be found.', $metadata: {} });

  it('retries NoSuchEntity on PutRolePolicy and AddRoleToInstanceProfile until IAM knows the role, saying so', async () => {
    const ctx = await testContext('iam');
    freshRole({ put: [roleNotFound(), roleNotFound()], add: [roleNotFound(), roleNotFound()] });
    await iam.apply(ctx);
    expect(calls(PutRolePolicyCommand)).toBe(3);
    expect(calls(AddRoleToInstanceProfileCommand)).toBe(3);
    expect((ctx.clock as ReturnType<typeof fakeClock>).slept).toEqual(Array(4).fill(IAM_PROPAGATION.intervalMs));
    const progress = ctx.events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message);
    expect(progress).toContainEqual(
      expect.stringMatching(
        /^putting inline policy demo-ec2-policy on role demo-ec2-role: waiting for IAM propagation \(\d+s\)/,
      ),
    );
    expect(progress).toContainEqual(
      expect.stringMatching(
        /^adding role demo-ec2-role to instance profile demo-ec2-profile: waiting for IAM propagation/,
      ),
    );
    expect(ctx.state.phase('iam')?.outputs?.instanceProfileArn).toBe(PROFILE_ARN);
  });

  it('gives up after the propagation window with what failed, how long it waited, and what to do', async () => {
    const ctx = await testContext('iam');
    freshRole({ add: Array(100).fill(roleNotFound()) });
    const err = (await iam.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(
      /^adding role demo-ec2-role to instance profile demo-ec2-profile failed: IAM does not know the role or profile: .*cannot be found\. \(still failing after 2m00s of waiting for IAM propagation\)/,
    );
    expect(err.remedy).toMatch(/aws iam get-role.*devenv up/);
    const tries = calls(AddRoleToInstanceProfileCommand);
    expect(tries).toBe(IAM_PROPAGATION.windowMs / IAM_PROPAGATION.intervalMs + 1); // at 0s, 5s, … 120s
  });

  it('does not retry another error', async () => {
    const ctx = await testContext('iam');
    const limit = Object.assign(new Error('Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1'), {
      name: 'LimitExceededException',
      $metadata: {},
    });
    freshRole({ add: [limit] });
    await expect(iam.apply(ctx)).rejects.toThrow('Cannot exceed quota');
    expect(calls(AddRoleToInstanceProfileCommand)).toBe(1);
    expect((ctx.clock as ReturnType<typeof fakeClock>).slept).toEqual([]);
  });
});

describe('iam destroy', () => {
  it('empties and deletes the profile, then the policy, then the role; a second run finds nothing', async () => {
    const ctx = await testContext('iam');
    inPlace();
    await iam.apply(ctx);
    mock.resetHistory();
    for (const c of [
      RemoveRoleFromInstanceProfileCommand,
      DeleteInstanceProfileCommand,
      DeleteRolePolicyCommand,
      DeleteRoleCommand,
    ])
      mock.on(c as typeof DeleteRoleCommand).resolves({});

    await iam.destroy(ctx);
    expect(mutations()).toEqual([
      'RemoveRoleFromInstanceProfile',
      'DeleteInstanceProfile',
      'DeleteRolePolicy',
      'DeleteRole',
    ]);
    expect(ctx.state.existing()).toEqual([]);

    resetSdkMocks();
    mock.onAnyCommand().rejects(noSuchEntity()); // every get and delete: already gone
    await iam.destroy(ctx);
    expect(mutations()).toEqual([]);
  });

  it('explains a DeleteConflict by naming what still holds the role', async () => {
    const ctx = await testContext('iam');
    mock.on(GetInstanceProfileCommand).rejects(noSuchEntity()).on(DeleteRolePolicyCommand).rejects(noSuchEntity());
    mock.on(GetRoleCommand).resolves({ Role: role() });
    mock.on(DeleteRoleCommand).rejects(
      new DeleteConflictException({
        message: 'Cannot delete entity, must detach all policies first.',
        $metadata: {},
      }),
    );
    mock.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
    mock
      .on(ListAttachedRolePoliciesCommand)
      .resolves({ AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }] });
    mock.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
    const err = await iam.destroy(ctx).catch((e: DevenvError) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toBe(
      'cannot delete IAM role demo-ec2-role: it still has managed policy arn:aws:iam::aws:policy/ReadOnlyAccess, added outside devenv',
    );
    expect((err as DevenvError).remedy).toMatch(/detach-role-policy/);
  });
});

describe('iam plan and status', () => {
  it('plans creates when nothing exists and reads only', async () => {
    const ctx = await testContext('iam');
    mock.on(GetRoleCommand).rejects(noSuchEntity()).on(GetInstanceProfileCommand).rejects(noSuchEntity());
    const changes = await iam.plan(ctx);
    expect(changes.map((c) => `${c.action} ${c.kind} ${c.name}`)).toEqual([
      'create IAM role demo-ec2-role',
      'create IAM inline policy demo-ec2-policy',
      'create instance profile demo-ec2-profile',
    ]);
    expect(mutations()).toEqual([]);
  });

  it('plans an update for a drifted policy and reports live rows', async () => {
    const ctx = await testContext('iam');
    inPlace();
    mock
      .on(GetRolePolicyCommand)
      .resolves({ PolicyDocument: encodeURIComponent('{"Version":"2012-10-17","Statement":[]}') });
    expect((await iam.plan(ctx)).map((c) => c.action)).toEqual(['adopt', 'update', 'adopt']);
    const rows = await iam.status(ctx);
    expect(rows.map((r) => [r.logicalId, r.state])).toEqual([
      ['iam/role', 'exists (not in state)'],
      ['iam/policy', 'differs from the least-privilege policy'],
      ['iam/profile', 'exists (not in state)'],
    ]);
    expect(rows[2]!.detail).toBe('roles: demo-ec2-role');
    expect(mutations()).toEqual([]);
  });
});
