/**
 * The monitoring phase against aws-sdk-client-mock: CloudWatch Logs, CloudWatch, SNS, AWS Backup
 * and IAM as their docs describe them, where moto 5.2.1 differs (docs/aws-behaviour.md#moto-differences): PutMetricAlarm
 * ignores Tags on an alarm that exists; an e-mail subscription stays PendingConfirmation; a
 * selection cannot be updated, and a just-created role is refused by CreateBackupSelection for a
 * while; UpdateBackupPlan (moto has none); recovery points in the vault.
 */
import {
  BackupClient,
  CreateBackupPlanCommand,
  CreateBackupSelectionCommand,
  CreateBackupVaultCommand,
  DeleteBackupPlanCommand,
  DeleteBackupSelectionCommand,
  DeleteBackupVaultCommand,
  DeleteRecoveryPointCommand,
  DescribeBackupVaultCommand,
  GetBackupPlanCommand,
  GetBackupSelectionCommand,
  InvalidParameterValueException,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListTagsCommand,
  ResourceNotFoundException as BackupNotFound,
  UpdateBackupPlanCommand,
  type BackupPlanInput,
  type BackupSelection,
} from '@aws-sdk/client-backup';
import {
  CloudWatchClient,
  DeleteAlarmsCommand,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as CwListTags,
  PutMetricAlarmCommand,
  TagResourceCommand,
  type MetricAlarm,
  type Tag,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  CreateLogGroupCommand,
  DeleteLogGroupCommand,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as LogsListTags,
  PutRetentionPolicyCommand,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  AttachRolePolicyCommand,
  CreateRoleCommand,
  DeleteRoleCommand,
  DetachRolePolicyCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  CreateTopicCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand as SnsListTags,
  ListTopicsCommand,
  SNSClient,
  SubscribeCommand,
} from '@aws-sdk/client-sns';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { hostPolicy, METRICS_NAMESPACE } from '../../src/blueprint/identity.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { renderAgentConfig, renderAgentScript } from '../../src/remote/cloudwatch-agent.js';
import type { RemoteHost } from '../../src/remote/host.js';
import { loadTemplate } from '../../src/remote/templates.js';
import { DevenvError } from '../../src/errors.js';
import type { Row } from '../../src/phases/types.js';
import monitoring from '../../src/phases/monitoring.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { mutatingOperations, sentCalls } from '../helpers/calls.js';
import { baseConfig, testContext, type TestContext } from '../helpers/context.js';

const logs = sdkMock(CloudWatchLogsClient);
const cw = sdkMock(CloudWatchClient);
const sns = sdkMock(SNSClient);
const backup = sdkMock(BackupClient);
const iam = sdkMock(IAMClient);
const ACCOUNT = '123456789012';
const LB_ARN = `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:loadbalancer/app/demo-alb/50dc6c495c0c9188`;
const tgArn = (d: string) =>
  `arn:aws:elasticloadbalancing:us-east-1:${ACCOUNT}:targetgroup/demo-tg-${d}/73e2d6bc24d8a067`;
const ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/demo-backup-role`;

interface World {
  groups: Map<string, { retentionInDays?: number; tags: Record<string, string> }>;
  alarms: Map<string, { alarm: MetricAlarm; tags: Tag[] }>;
  topics: Map<string, Record<string, string>>;
  subscriptions: { TopicArn: string; Protocol: string; Endpoint: string; SubscriptionArn: string }[];
  role?: { tags: { Key: string; Value: string }[]; policies: string[] };
  vault?: { tags: Record<string, string>; points: string[] };
  plans: Map<string, { plan: BackupPlanInput; tags: Record<string, string>; token?: string }>;
  selections: Map<string, { planId: string; selection: BackupSelection; token?: string }>;
  /** How many CreateBackupSelection calls refuse the role before it has propagated. */
  roleRefusals: number;
}
let world: World;
let ids = 0;

function fakeAws(): void {
  resetSdkMocks();
  for (const m of [logs, cw, sns, backup, iam]) {
    m.onAnyCommand().rejects(new Error('call not faked'));
  }
  logs.on(DescribeLogGroupsCommand).callsFake(({ logGroupNamePrefix }) => ({
    logGroups: [...world.groups]
      .filter(([n]) => n.startsWith(logGroupNamePrefix))
      .map(([logGroupName, g]) => ({
        logGroupName,
        retentionInDays: g.retentionInDays,
        arn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logGroupName}:*`,
        logGroupArn: `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:${logGroupName}`,
      })),
  }));
  logs.on(CreateLogGroupCommand).callsFake(({ logGroupName, tags }) => void world.groups.set(logGroupName, { tags }));
  logs.on(PutRetentionPolicyCommand).callsFake(({ logGroupName, retentionInDays }) => {
    world.groups.get(logGroupName)!.retentionInDays = retentionInDays;
  });
  logs
    .on(LogsListTags)
    .callsFake(({ resourceArn }) => ({ tags: world.groups.get(resourceArn.split(':log-group:')[1])?.tags }));
  logs.on(DeleteLogGroupCommand).callsFake(({ logGroupName }) => void world.groups.delete(logGroupName));

  cw.on(DescribeAlarmsCommand).callsFake(({ AlarmNamePrefix }) => ({
    MetricAlarms: [...world.alarms.values()]
      .map((a) => structuredClone(a.alarm))
      .filter((a) => a.AlarmName!.startsWith(AlarmNamePrefix)),
  }));
  cw.on(PutMetricAlarmCommand).callsFake(({ Tags, ...input }) => {
    const arn = `arn:aws:cloudwatch:us-east-1:${ACCOUNT}:alarm:${input.AlarmName}`;
    const existing = world.alarms.get(input.AlarmName);
    // AWS: Tags are applied only when the alarm is created; an update ignores them.
    world.alarms.set(input.AlarmName, {
      alarm: { ...input, AlarmArn: arn, StateValue: 'INSUFFICIENT_DATA' },
      tags: existing ? existing.tags : (Tags ?? []),
    });
  });
  cw.on(CwListTags).callsFake(({ ResourceARN }) => ({
    Tags: [...world.alarms.values()].find((a) => a.alarm.AlarmArn === ResourceARN)?.tags,
  }));
  cw.on(TagResourceCommand).callsFake(({ ResourceARN, Tags }) => {
    const a = [...world.alarms.values()].find((x) => x.alarm.AlarmArn === ResourceARN)!;
    a.tags = [...a.tags.filter((t) => !Tags.some((n: Tag) => n.Key === t.Key)), ...Tags];
  });
  cw.on(DeleteAlarmsCommand).callsFake(({ AlarmNames }) => {
    for (const n of AlarmNames as string[]) world.alarms.delete(n);
  });

  sns.on(ListTopicsCommand).callsFake(() => ({ Topics: [...world.topics.keys()].map((TopicArn) => ({ TopicArn })) }));
  sns.on(CreateTopicCommand).callsFake(({ Name, Tags }) => {
    const arn = `arn:aws:sns:us-east-1:${ACCOUNT}:${Name}`;
    if (!world.topics.has(arn)) world.topics.set(arn, Object.fromEntries(Tags.map((t: Tag) => [t.Key, t.Value])));
    return { TopicArn: arn };
  });
  sns.on(GetTopicAttributesCommand).callsFake(({ TopicArn }) => ({ Attributes: { TopicArn } }));
  sns.on(SnsListTags).callsFake(({ ResourceArn }) => ({
    Tags: Object.entries(world.topics.get(ResourceArn) ?? {}).map(([Key, Value]) => ({ Key, Value })),
  }));
  sns
    .on(ListSubscriptionsByTopicCommand)
    .callsFake(({ TopicArn }) => ({ Subscriptions: world.subscriptions.filter((s) => s.TopicArn === TopicArn) }));
  // An e-mail subscription waits for the person to click the link: until then its ARN is "PendingConfirmation".
  sns.on(SubscribeCommand).callsFake(({ TopicArn, Protocol, Endpoint }) => {
    world.subscriptions.push({ TopicArn, Protocol, Endpoint, SubscriptionArn: 'PendingConfirmation' });
    return { SubscriptionArn: 'pending confirmation' };
  });

  iam.on(GetRoleCommand).callsFake(() => {
    if (!world.role) throw new NoSuchEntityException({ message: 'no role', $metadata: {} });
    return { Role: { RoleName: 'demo-backup-role', Arn: ROLE_ARN, Tags: world.role.tags } };
  });
  iam.on(CreateRoleCommand).callsFake(({ Tags }) => {
    world.role = { tags: Tags, policies: [] };
    return { Role: { RoleName: 'demo-backup-role', Arn: ROLE_ARN, Tags } };
  });
  iam
    .on(ListAttachedRolePoliciesCommand)
    .callsFake(() => ({ AttachedPolicies: world.role!.policies.map((PolicyArn) => ({ PolicyArn })) }));
  iam.on(AttachRolePolicyCommand).callsFake(({ PolicyArn }) => void world.role!.policies.push(PolicyArn));
  iam.on(DetachRolePolicyCommand).callsFake(({ PolicyArn }) => {
    world.role!.policies = world.role!.policies.filter((p) => p !== PolicyArn);
  });
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: [] });
  iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
  iam.on(DeleteRoleCommand).callsFake(() => {
    world.role = undefined;
  });

  const vaultArn = `arn:aws:backup:us-east-1:${ACCOUNT}:backup-vault:demo-vault`;
  backup.on(DescribeBackupVaultCommand).callsFake(() => {
    if (!world.vault) throw new BackupNotFound({ message: 'no vault', $metadata: {} });
    return {
      BackupVaultName: 'demo-vault',
      BackupVaultArn: vaultArn,
      NumberOfRecoveryPoints: world.vault.points.length,
    };
  });
  backup.on(CreateBackupVaultCommand).callsFake(({ BackupVaultTags }) => {
    world.vault = { tags: BackupVaultTags, points: [] };
    return { BackupVaultName: 'demo-vault', BackupVaultArn: vaultArn };
  });
  backup
    .on(ListRecoveryPointsByBackupVaultCommand)
    .callsFake(() => ({ RecoveryPoints: world.vault!.points.map((RecoveryPointArn) => ({ RecoveryPointArn })) }));
  backup.on(DeleteRecoveryPointCommand).callsFake(({ RecoveryPointArn }) => {
    world.vault!.points = world.vault!.points.filter((p) => p !== RecoveryPointArn);
  });
  backup.on(DeleteBackupVaultCommand).callsFake(() => {
    world.vault = undefined;
  });
  backup.on(ListTagsCommand).callsFake(({ ResourceArn }) => ({
    Tags: ResourceArn === vaultArn ? world.vault?.tags : world.plans.get(ResourceArn.split(':backup-plan:')[1])?.tags,
  }));
  const planArn = (id: string) => `arn:aws:backup:us-east-1:${ACCOUNT}:backup-plan:${id}`;
  backup.on(ListBackupPlansCommand).callsFake(() => ({
    BackupPlansList: [...world.plans].map(([id, p]) => ({
      BackupPlanId: id,
      BackupPlanArn: planArn(id),
      BackupPlanName: p.plan.BackupPlanName,
    })),
  }));
  backup.on(GetBackupPlanCommand).callsFake(({ BackupPlanId }) => {
    const p = world.plans.get(BackupPlanId);
    if (!p) throw new BackupNotFound({ message: 'no plan', $metadata: {} });
    return { BackupPlan: structuredClone(p.plan), BackupPlanArn: planArn(BackupPlanId) };
  });
  backup.on(CreateBackupPlanCommand).callsFake(({ BackupPlan, BackupPlanTags, CreatorRequestId }) => {
    const id = `plan-${++ids}`;
    world.plans.set(id, { plan: BackupPlan, tags: BackupPlanTags, token: CreatorRequestId });
    return { BackupPlanId: id, BackupPlanArn: planArn(id) };
  });
  backup.on(UpdateBackupPlanCommand).callsFake(({ BackupPlanId, BackupPlan }) => {
    world.plans.get(BackupPlanId)!.plan = BackupPlan;
  });
  backup.on(DeleteBackupPlanCommand).callsFake(({ BackupPlanId }) => void world.plans.delete(BackupPlanId));
  backup.on(ListBackupSelectionsCommand).callsFake(({ BackupPlanId }) => ({
    BackupSelectionsList: [...world.selections]
      .filter(([, s]) => s.planId === BackupPlanId)
      .map(([SelectionId, s]) => ({ SelectionId, SelectionName: s.selection.SelectionName })),
  }));
  const missingSelection = () => new InvalidParameterValueException({ message: 'Invalid selection', $metadata: {} });
  backup.on(GetBackupSelectionCommand).callsFake(({ SelectionId }) => {
    const s = world.selections.get(SelectionId);
    if (!s) throw missingSelection();
    return { BackupSelection: structuredClone(s.selection), SelectionId };
  });
  backup.on(CreateBackupSelectionCommand).callsFake(({ BackupPlanId, BackupSelection, CreatorRequestId }) => {
    if (world.roleRefusals-- > 0)
      throw new InvalidParameterValueException({
        message: `IAM Role ${BackupSelection.IamRoleArn} is not authorized to call tag:GetResources`,
        $metadata: {},
      });
    // A token seen before gives back that request's selection.
    const again = [...world.selections].find(([, s]) => s.token === CreatorRequestId);
    if (again) return { SelectionId: again[0] };
    const id = `sel-${++ids}`;
    world.selections.set(id, { planId: BackupPlanId, selection: BackupSelection, token: CreatorRequestId });
    return { SelectionId: id };
  });
  backup.on(DeleteBackupSelectionCommand).callsFake(({ SelectionId }) => {
    if (!world.selections.delete(SelectionId)) throw missingSelection();
  });
}

async function context(overrides: Partial<ConfigInput> = {}, options = {}): Promise<TestContext> {
  const ctx = await testContext('monitoring', overrides, options);
  await ctx.state.setResource('instance', { kind: 'EC2 instance', phase: 'ec2', id: 'i-0123456789abcdef0' });
  await ctx.state.setResource('volume/data', { kind: 'EBS volume', phase: 'ec2', id: 'vol-0aaa' });
  await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: LB_ARN });
  for (const d of ctx.model.developers)
    await ctx.state.setResource(`tg/${d.name}`, { kind: 'target group', phase: 'alb', id: tgArn(d.name) });
  return ctx;
}

beforeEach(() => {
  world = {
    groups: new Map(),
    alarms: new Map(),
    topics: new Map(),
    subscriptions: [],
    plans: new Map(),
    selections: new Map(),
    roleRefusals: 0,
  };
  fakeAws();
});

const allMutating = () => [logs, cw, sns, backup, iam].flatMap(mutatingOperations);

describe('monitoring: log groups', () => {
  it('creates the system, docker and one group per developer, tagged in the create call, with the configured retention', async () => {
    const ctx = await context({ monitoring: { logRetentionDays: 14 } });
    await monitoring.apply(ctx);
    expect([...world.groups.keys()].sort()).toEqual([
      '/aws/ec2/demo/containers/alice',
      '/aws/ec2/demo/containers/bob',
      '/aws/ec2/demo/docker',
      '/aws/ec2/demo/system',
    ]);
    for (const create of sentCalls(logs).filter((c) => c.op === 'CreateLogGroup'))
      expect(create.input.tags).toMatchObject({ 'devenv:project': 'demo', ManagedBy: 'devenv' });
    for (const g of world.groups.values()) expect(g.retentionInDays).toBe(14);
  });

  it('puts a changed retention right, and a converged run changes nothing anywhere', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    world.groups.get('/aws/ec2/demo/system')!.retentionInDays = 3653;
    for (const m of [logs, cw, sns, backup, iam]) m.resetHistory();
    await monitoring.apply(ctx);
    expect(allMutating()).toEqual(['PutRetentionPolicy']);
    expect(world.groups.get('/aws/ec2/demo/system')!.retentionInDays).toBe(30);
    for (const m of [logs, cw, sns, backup, iam]) m.resetHistory();
    await monitoring.apply(ctx);
    expect(allMutating()).toEqual([]);
  });

  it("refuses to adopt a log group of the same name that is not this project's", async () => {
    world.groups.set('/aws/ec2/demo/system', { tags: { team: 'other' } });
    const ctx = await context();
    await expect(monitoring.apply(ctx)).rejects.toThrow(
      /log group \/aws\/ec2\/demo\/system already exists but is not devenv's for project demo/,
    );
  });
});

describe("monitoring: the host's CloudWatch agent", () => {
  /** A host with alice's and bob's containers running; records the agent configurations written to it. */
  function fakeHost() {
    const written: string[] = [];
    const host = {
      check: async (what: string) => {
        if (what !== 'listing the containers') throw new Error(`unexpected host call: ${what}`);
        return ['alice', 'bob']
          .map((d) => `${d} ${d}-id 0 /var/lib/docker/containers/${d}-id/${d}-id-json.log running healthy`)
          .join('\n');
      },
      upload: async (path: string, content: string) =>
        void (path.endsWith('cloudwatch-agent.json') && written.push(content)),
      runScript: async () =>
        'cloudwatch-agent: shipping the system, Docker and container logs with the new configuration\n',
    };
    return { host: host as unknown as RemoteHost, written };
  }
  const shipped = (config: string) =>
    (JSON.parse(config).logs?.logs_collected.files.collect_list ?? [])
      .map((f: { log_group_name: string }) => f.log_group_name)
      .sort();

  it('points the agent at every group once they exist, with the containers the containers phase started', async () => {
    const ctx = await context();
    const { host, written } = fakeHost();
    ctx.ssh = async () => host;
    await ctx.state.setOutputs('containers', { developers: 'alice bob' });
    await ctx.state.setPhase('containers', 'complete');
    await monitoring.apply(ctx);
    expect(written).toHaveLength(1);
    expect(shipped(written[0]!)).toEqual([
      '/aws/ec2/demo/containers/alice',
      '/aws/ec2/demo/containers/bob',
      '/aws/ec2/demo/docker',
      '/aws/ec2/demo/system',
    ]);
    for (const group of shipped(written[0]!)) expect(world.groups.has(group)).toBe(true);
  });

  it('does not log in to the host before the containers phase has run there (the moto tier has no host)', async () => {
    const ctx = await context();
    await monitoring.apply(ctx); // ctx.ssh() rejects: any login would fail the phase
    expect(world.groups.size).toBe(4);
  });
});

describe('config: monitoring', () => {
  const parse = (monitoring: unknown) => () => parseConfig(JSON.stringify({ ...baseConfig, monitoring }));

  it('accepts only the retention periods CloudWatch Logs takes, naming the key and the allowed values', () => {
    expect(parse({})().monitoring).toEqual({ logRetentionDays: 30, backupRetentionDays: 30 });
    expect(parse({ logRetentionDays: 3653 })().monitoring.logRetentionDays).toBe(3653);
    expect(parse({ logRetentionDays: 45 })).toThrow(
      /monitoring\.logRetentionDays: 45 must be one of 1, 3, 5, 7, 14, 30, 60, 90, .*3653 \(the retention periods CloudWatch Logs accepts\)/,
    );
    expect(parse({ alarmEmail: 'not-an-address' })).toThrow(
      /monitoring\.alarmEmail: "not-an-address" is not an e-mail address/,
    );
    expect(parse({ backupRetentionDays: 0 })).toThrow(/monitoring\.backupRetentionDays: 0 must be at least 1 days/);
  });
});

describe('monitoring: alarms', () => {
  it('names the load balancer and target group by their ARN suffixes, sets TreatMissingData per alarm, and tags them in the create call', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    const alarm = (name: string) => world.alarms.get(name)!.alarm;
    expect(alarm('demo-alarm-unhealthy-alice').Dimensions).toEqual([
      { Name: 'LoadBalancer', Value: 'app/demo-alb/50dc6c495c0c9188' },
      { Name: 'TargetGroup', Value: 'targetgroup/demo-tg-alice/73e2d6bc24d8a067' },
    ]);
    expect(alarm('demo-alarm-alb-5xx').Dimensions).toEqual([
      { Name: 'LoadBalancer', Value: 'app/demo-alb/50dc6c495c0c9188' },
    ]);
    expect(alarm('demo-alarm-cpu')).toMatchObject({
      Period: 300,
      Namespace: 'AWS/EC2',
      Dimensions: [{ Name: 'InstanceId', Value: 'i-0123456789abcdef0' }],
    });
    expect(Object.fromEntries([...world.alarms].map(([n, a]) => [n, a.alarm.TreatMissingData]))).toEqual({
      'demo-alarm-cpu': 'notBreaching',
      'demo-alarm-status-check': 'breaching',
      'demo-alarm-cpu-credits': 'notBreaching',
      'demo-alarm-alb-5xx': 'notBreaching',
      'demo-alarm-unhealthy-alice': 'notBreaching',
      'demo-alarm-unhealthy-bob': 'notBreaching',
    });
    for (const a of world.alarms.values()) expect(a.tags).toContainEqual({ Key: 'devenv:project', Value: 'demo' });
    expect(alarm('demo-alarm-cpu').AlarmActions).toEqual([]);
  });

  it('puts tags right with TagResource, since PutMetricAlarm ignores them on an existing alarm', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    const changed = await context({ tags: { costCenter: 'rnd' } });
    Object.assign(changed.state.data, ctx.state.data);
    cw.resetHistory();
    await monitoring.apply(changed);
    const tagged = sentCalls(cw).filter((c) => c.op === 'TagResource');
    expect(tagged).toHaveLength(world.alarms.size);
    expect(sentCalls(cw).filter((c) => c.op === 'PutMetricAlarm')).toEqual([]);
    for (const a of world.alarms.values()) expect(a.tags).toContainEqual({ Key: 'costCenter', Value: 'rnd' });
    // The state now says which tags were put: a converged run reads no alarm's tags.
    cw.resetHistory();
    await monitoring.apply(changed);
    expect(sentCalls(cw).map((c) => c.op)).toEqual(['DescribeAlarms']);
  });

  it("rewrites an alarm whose definition drifted, and deletes a removed developer's alarm", async () => {
    const ctx = await context({ developers: ['alice', 'bob', 'carol'] });
    await monitoring.apply(ctx);
    world.alarms.get('demo-alarm-cpu')!.alarm.TreatMissingData = 'missing';
    const fewer = await context({ developers: ['alice', 'bob'] });
    Object.assign(fewer.state.data, { ...ctx.state.data, allocations: fewer.state.data.allocations });
    cw.resetHistory();
    await monitoring.apply(fewer);
    expect(
      sentCalls(cw)
        .filter((c) => c.op === 'PutMetricAlarm')
        .map((c) => c.input.AlarmName),
    ).toEqual(['demo-alarm-cpu']);
    expect(world.alarms.get('demo-alarm-cpu')!.alarm.TreatMissingData).toBe('notBreaching');
    expect(
      sentCalls(cw)
        .filter((c) => c.op === 'DeleteAlarms')
        .map((c) => c.input.AlarmNames),
    ).toEqual([['demo-alarm-unhealthy-carol']]);
    expect(fewer.state.resource('alarm/unhealthy/carol')).toBeUndefined();
  });

  it('with monitoring.alarmEmail: a tagged topic, the e-mail subscribed, every alarm notifying it, and status saying the subscription waits for confirmation', async () => {
    const ctx = await context({ monitoring: { alarmEmail: 'ops@example.com' } });
    await monitoring.apply(ctx);
    const topicArn = `arn:aws:sns:us-east-1:${ACCOUNT}:demo-alarms`;
    expect(world.topics.get(topicArn)).toMatchObject({ 'devenv:project': 'demo' });
    expect(world.subscriptions).toEqual([expect.objectContaining({ Protocol: 'email', Endpoint: 'ops@example.com' })]);
    for (const a of world.alarms.values()) expect(a.alarm.AlarmActions).toEqual([topicArn]);
    const row = (await monitoring.status(ctx)).find((r) => r.logicalId === 'alarm/topic')!;
    expect(row.state).toBe('subscription PendingConfirmation');
    expect(row.detail).toMatch(/ops@example.com has not confirmed yet/);
    sns.resetHistory();
    await monitoring.apply(ctx);
    expect(mutatingOperations(sns)).toEqual([]); // a pending subscription is not made again
  });

  it('refuses to run before the alb phase recorded the load balancer, naming the phase to run', async () => {
    const ctx = await testContext('monitoring');
    await ctx.state.setResource('instance', { kind: 'EC2 instance', phase: 'ec2', id: 'i-0123456789abcdef0' });
    await expect(monitoring.apply(ctx)).rejects.toThrow(/monitoring needs alb, which the alb phase creates/);
  });
});

describe('monitoring: AWS Backup', () => {
  it('detaches the restores policy an older devenv attached (and anything else on its role), then changes nothing', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    const restores = 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForRestores';
    world.role!.policies.push(restores, 'arn:aws:iam::aws:policy/AdministratorAccess');
    iam.resetHistory();
    await monitoring.apply(ctx);
    expect(
      sentCalls(iam)
        .filter((c) => c.op === 'DetachRolePolicy')
        .map((c) => c.input.PolicyArn)
        .sort(),
    ).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess', restores]);
    expect(world.role!.policies).toEqual(['arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup']);
    iam.resetHistory();
    await monitoring.apply(ctx);
    expect(sentCalls(iam).filter((c) => !/^(Get|List)/.test(c.op))).toEqual([]);
  });

  it('creates the role with the backup policy only (restores go through EC2, not AWS Backup), the vault, a daily plan at 02:00 UTC and a selection of the data volume', async () => {
    const ctx = await context({ monitoring: { backupRetentionDays: 14 } });
    await monitoring.apply(ctx);
    expect(world.role!.policies).toEqual(['arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup']);
    const trust = JSON.parse(
      sentCalls(iam).find((c) => c.op === 'CreateRole')!.input.AssumeRolePolicyDocument as string,
    );
    expect(trust.Statement[0].Principal).toEqual({ Service: 'backup.amazonaws.com' });
    const [plan] = [...world.plans.values()];
    expect(plan!.plan.Rules).toEqual([
      expect.objectContaining({
        ScheduleExpression: 'cron(0 2 * * ? *)',
        StartWindowMinutes: 60,
        Lifecycle: { DeleteAfterDays: 14 },
        TargetBackupVaultName: 'demo-vault',
      }),
    ]);
    expect(plan!.tags).toMatchObject({ 'devenv:project': 'demo' });
    expect(world.vault!.tags).toMatchObject({ 'devenv:project': 'demo' });
    expect([...world.selections.values()].map((s) => s.selection)).toEqual([
      {
        SelectionName: 'demo-ebs-backup',
        IamRoleArn: ROLE_ARN,
        Resources: [`arn:aws:ec2:us-east-1:${ACCOUNT}:volume/vol-0aaa`],
      },
    ]);
  });

  it("uses the partition of the region in the managed policies' and the volume's ARNs", async () => {
    const ctx = await context({
      region: 'cn-north-1',
      availabilityZone: 'cn-north-1a',
      albAvailabilityZone: 'cn-north-1b',
    });
    await monitoring.apply(ctx);
    expect(world.role!.policies).toContain(
      'arn:aws-cn:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
    );
    expect([...world.selections.values()][0]!.selection.Resources).toEqual([
      `arn:aws-cn:ec2:cn-north-1:${ACCOUNT}:volume/vol-0aaa`,
    ]);
  });

  it('retries CreateBackupSelection while AWS Backup refuses the just-created role, within IAM_PROPAGATION', async () => {
    world.roleRefusals = 3;
    const ctx = await context();
    await monitoring.apply(ctx);
    expect(sentCalls(backup).filter((c) => c.op === 'CreateBackupSelection')).toHaveLength(4);
    expect((ctx.clock as unknown as { slept: number[] }).slept).toEqual([5000, 5000, 5000]);
    expect(world.selections.size).toBe(1);
  });

  it('gives up after two minutes of refusals with an error that says what to check', async () => {
    world.roleRefusals = 1000;
    const ctx = await context();
    const err = await monitoring.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toMatch(
      /^AWS Backup refuses selection demo-ebs-backup with role arn:aws:iam::123456789012:role\/demo-backup-role: .*\(still failing after 2m00s of waiting for IAM propagation\)$/,
    );
    expect((err as DevenvError).remedy).toMatch(/trusts backup.amazonaws.com/);
    const slept = (ctx.clock as unknown as { slept: number[] }).slept.reduce((a, b) => a + b, 0);
    expect(slept).toBeLessThanOrEqual(120_000);
    expect(slept).toBeGreaterThanOrEqual(110_000);
  });

  it('a new data volume: the selection (which cannot be updated) is deleted and made again with a new token', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    const [[oldId, old]] = [...world.selections];
    await ctx.state.setResource('volume/data', { kind: 'EBS volume', phase: 'ec2', id: 'vol-0bbb' });
    backup.resetHistory();
    await monitoring.apply(ctx);
    expect(mutatingOperations(backup)).toEqual(['DeleteBackupSelection', 'CreateBackupSelection']);
    const [[newId, now]] = [...world.selections];
    expect(newId).not.toBe(oldId);
    expect(now!.token).not.toBe(old!.token);
    expect(now!.selection.Resources).toEqual([`arn:aws:ec2:us-east-1:${ACCOUNT}:volume/vol-0bbb`]);
    expect(ctx.state.resource('backup/selection')?.id).toBe(newId);
  });

  it('a changed retention updates the plan in place', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    const longer = await context({ monitoring: { backupRetentionDays: 90 } });
    Object.assign(longer.state.data, ctx.state.data);
    // plan and status agree on it before up: the one change plan makes is the one problem status finds.
    const changes = (await monitoring.plan(longer)).filter((c) => c.action !== 'keep');
    expect(changes.map((c) => [c.logicalId, c.action])).toEqual([['backup/plan', 'update']]);
    const problems = markedProblems(await monitoring.status(longer));
    expect(problems).toEqual([
      [
        'backup/plan',
        'drifted',
        expect.stringMatching(/^monitoring backup plan \S+ differs from the config \(rule: .*90/),
      ],
    ]);
    backup.resetHistory();
    await monitoring.apply(longer);
    expect(mutatingOperations(backup)).toEqual(['UpdateBackupPlan']);
    expect([...world.plans.values()][0]!.plan.Rules![0]!.Lifecycle).toEqual({ DeleteAfterDays: 90 });
  });
});

/** The rows `status` marks, as [logicalId, verdict, message]. */
function markedProblems(rows: Row[]): [string, string, string][] {
  return rows.flatMap((r) =>
    r.problem ? [[r.logicalId, r.problem.verdict, r.problem.message] as [string, string, string]] : [],
  );
}

describe('monitoring: destroy', () => {
  it('keeps the vault and its recovery points without --delete-data, and says so; deletes the rest', async () => {
    const ctx = await context();
    await monitoring.apply(ctx);
    world.vault!.points.push('arn:aws:ec2:us-east-1::snapshot/snap-1');
    await monitoring.destroy(ctx);
    expect(world.vault?.points).toEqual(['arn:aws:ec2:us-east-1::snapshot/snap-1']);
    expect(
      ctx.events.some(
        (e) => 'message' in e && /kept backup vault demo-vault and its 1 recovery point/.test(String(e.message)),
      ),
    ).toBe(true);
    expect([world.plans.size, world.selections.size, world.alarms.size, world.groups.size, world.role]).toEqual([
      0,
      0,
      0,
      0,
      undefined,
    ]);
  });

  it('with --delete-data deletes the recovery points, then the vault', async () => {
    const ctx = await context({}, { deleteData: true });
    await monitoring.apply(ctx);
    world.vault!.points.push('arn:aws:ec2:us-east-1::snapshot/snap-1');
    backup.resetHistory();
    await monitoring.destroy(ctx);
    expect(mutatingOperations(backup)).toEqual([
      'DeleteBackupSelection',
      'DeleteBackupPlan',
      'DeleteRecoveryPoint',
      'DeleteBackupVault',
    ]);
    expect(world.vault).toBeUndefined();
  });
});

describe("the host's CloudWatch agent", () => {
  const model = buildModel(parseConfig(JSON.stringify({ ...baseConfig, developers: ['bob', 'alice', 'carol'] })));
  const logPath = (id: string) => `/var/lib/docker/containers/${id}/${id}-json.log`;
  const ALL_GROUPS = new Set(
    ['system', 'docker', 'containers/alice', 'containers/bob', 'containers/carol'].map((g) => `/aws/ec2/demo/${g}`),
  );

  it('ships only to the log groups that exist: the agent may not create one, and events for a missing group are dropped', () => {
    const logsOf = (groups: Set<string>) =>
      JSON.parse(
        renderAgentConfig(
          model,
          new Map([
            ['alice', logPath('a1')],
            ['bob', logPath('b1')],
          ]),
          groups,
        ),
      ).logs;
    expect(logsOf(new Set())).toBeUndefined();
    expect(
      logsOf(new Set(['/aws/ec2/demo/system', '/aws/ec2/demo/containers/bob'])).logs_collected.files.collect_list.map(
        (f: { file_path: string }) => f.file_path,
      ),
    ).toEqual(['/var/log/syslog', logPath('b1')]);
  });

  it("ships the system log, Docker's log and each running container's json-file log to its log group", () => {
    const config = JSON.parse(
      renderAgentConfig(
        model,
        new Map([
          ['alice', logPath('a1')],
          ['bob', logPath('b1')],
        ]),
        ALL_GROUPS,
      ),
    );
    expect(
      config.logs.logs_collected.files.collect_list.map((f: { file_path: string; log_group_name: string }) => [
        f.file_path,
        f.log_group_name,
      ]),
    ).toEqual([
      ['/var/log/syslog', '/aws/ec2/demo/system'],
      ['/var/log/docker.log', '/aws/ec2/demo/docker'],
      [logPath('a1'), '/aws/ec2/demo/containers/alice'],
      [logPath('b1'), '/aws/ec2/demo/containers/bob'],
    ]);
    // carol has no container yet: nothing to ship for her.
  });

  it('needs nothing the host role does not grant: no group creation or retention, metrics only in the namespace the policy allows', () => {
    const text = renderAgentConfig(model, new Map([['alice', logPath('a1')]]), ALL_GROUPS);
    expect(text).not.toMatch(/retention_in_days|log_group_class|ec2_instance_tag_keys|AutoScalingGroupName/);
    const config = JSON.parse(text);
    expect(config.metrics.namespace).toBe(METRICS_NAMESPACE);
    const allowed = hostPolicy(model, ACCOUNT).Statement.find((s) => s.Sid === 'PutAgentMetrics')!;
    expect(allowed.Condition).toEqual({ StringEquals: { 'cloudwatch:namespace': config.metrics.namespace } });
    const logsGrant = hostPolicy(model, ACCOUNT).Statement.find((s) => s.Sid === 'WriteOwnLogs')!;
    expect(logsGrant.Action).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    for (const f of config.logs.logs_collected.files.collect_list)
      expect(f.log_group_name.startsWith('/aws/ec2/demo/')).toBe(true);
    expect(logsGrant.Resource).toBe(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/ec2/demo/*`);
  });

  it('is the same text for the same containers, whatever order docker lists them in (the host script restarts the agent only on a change)', () => {
    const a = renderAgentConfig(
      model,
      new Map([
        ['alice', logPath('a1')],
        ['bob', logPath('b1')],
      ]),
      ALL_GROUPS,
    );
    const b = renderAgentConfig(
      model,
      new Map([
        ['bob', logPath('b1')],
        ['alice', logPath('a1')],
      ]),
      ALL_GROUPS,
    );
    expect(a).toBe(b);
    expect(
      renderAgentConfig(
        model,
        new Map([
          ['alice', logPath('a2')],
          ['bob', logPath('b1')],
        ]),
        ALL_GROUPS,
      ),
    ).not.toBe(a);
  });

  it('the host script skips, with a message and exit 0, on a host without the agent', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-agent-'));
    const script = renderAgentScript(await loadTemplate('cloudwatch-agent.sh')).replace(
      "AGENT_CONFIG_FILE='/etc/devenv/cloudwatch-agent.json'",
      `AGENT_CONFIG_FILE='${dir}/agent.json'`,
    );
    writeFileSync(join(dir, 'agent.sh'), script);
    // No rsyslog to configure here either: systemctl answers "not active".
    const run = spawnSync(
      'bash',
      ['-c', `systemctl() { return 3; }; export -f systemctl; bash ${join(dir, 'agent.sh')}`],
      { encoding: 'utf8' },
    );
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/skipped: the CloudWatch agent is not installed on this host/);
  });
});
