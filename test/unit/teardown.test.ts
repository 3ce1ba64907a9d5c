/**
 * The teardown sweep against aws-sdk-client-mock: one of every kind devenv creates, tagged as the
 * project's, next to foreign ones. What moto 5.2.1 cannot show is here: backup selections
 * (CreateBackupSelection is not implemented there) and plans and vaults found by their tags (its
 * ListTags answers nothing to the SDK's request), recovery points, DependencyViolation order.
 */
import {
  ACMClient,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
} from '@aws-sdk/client-acm';
import {
  BackupClient,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListBackupVaultsCommand,
  ListRecoveryPointsByBackupVaultCommand,
  ListTagsCommand,
} from '@aws-sdk/client-backup';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  ListTagsForResourceCommand as AlarmTags,
} from '@aws-sdk/client-cloudwatch';
import {
  CloudWatchLogsClient,
  DescribeLogGroupsCommand,
  ListTagsForResourceCommand as LogTags,
} from '@aws-sdk/client-cloudwatch-logs';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListUserPoolsCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcsCommand,
  EC2Client,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteTargetGroupCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  ElasticLoadBalancingV2Client,
  ElasticLoadBalancingV2ServiceException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetInstanceProfileCommand,
  GetRoleCommand,
  IAMClient,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { ListSecretsCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListTagsForResourceCommand as TopicTags, ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import {
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand as ScheduleGroupTags,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import { isDevelopersRecord } from '../../src/phases/teardown/edge.js';
import { keptSummary, notDeleted, type Leftover } from '../../src/phases/teardown/report.js';
import type { Sweeper } from '../../src/phases/teardown/types.js';
import type { RunOptions } from '../../src/phases/types.js';
import { teardown } from '../../src/phases/teardown.js';
import { testContext } from '../helpers/context.js';

const ec2 = sdkMock(EC2Client);
const elb = sdkMock(ElasticLoadBalancingV2Client);
const acm = sdkMock(ACMClient);
const r53 = sdkMock(Route53Client);
const iam = sdkMock(IAMClient);
const sm = sdkMock(SecretsManagerClient);
const logs = sdkMock(CloudWatchLogsClient);
const cw = sdkMock(CloudWatchClient);
const sns = sdkMock(SNSClient);
const backup = sdkMock(BackupClient);
// The wake page's kinds have a test of their own (wake-phase.test.ts): none of them here.
const idp = sdkMock(CognitoIdentityProviderClient);
const scheduler = sdkMock(SchedulerClient);
const lambda = sdkMock(LambdaClient);
const events = sdkMock(EventBridgeClient);
const MOCKS = { ec2, elb, acm, r53, iam, sm, logs, cw, sns, backup, idp, scheduler, lambda, events };

const ours = (resource: string, extra: { Key: string; Value: string }[] = []): { Key: string; Value: string }[] => [
  { Key: 'devenv:project', Value: 'demo' },
  { Key: 'devenv:resource', Value: resource },
  ...extra,
];
const foreign = [{ Key: 'devenv:project', Value: 'demo2' }];
const LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-alb/1';
const OTHER_LB = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo2-alb/2';
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-tg-alice/1';
const CERT = 'arn:aws:acm:us-east-1:123456789012:certificate/c1';
const ZONE_RECORDS: ResourceRecordSet[] = [
  {
    Name: 'alice.dev.example.com.',
    Type: 'A',
    AliasTarget: { DNSName: 'demo-alb-1.us-east-1.elb.amazonaws.com.', HostedZoneId: 'Z1', EvaluateTargetHealth: true },
  },
  {
    Name: 'carol.dev.example.com.',
    Type: 'A',
    AliasTarget: {
      DNSName: 'demo2-alb-7.us-east-1.elb.amazonaws.com.',
      HostedZoneId: 'Z1',
      EvaluateTargetHealth: true,
    },
  },
  { Name: 'www.dev.example.com.', Type: 'A', ResourceRecords: [{ Value: '192.0.2.1' }], TTL: 300 },
  { Name: '_v1.dev.example.com.', Type: 'CNAME', ResourceRecords: [{ Value: '_x.acm-validations.aws.' }], TTL: 300 },
];

/** One of every kind devenv creates, the project's, and a few of another project's next to them. */
function world(): void {
  resetSdkMocks();
  for (const m of Object.values(MOCKS)) {
    m.resolves({});
  }
  // EventBridge Scheduler: this project's group with its two schedules, another project's, and the default group.
  const groupArn = (name: string) => `arn:aws:scheduler:us-east-1:123456789012:schedule-group/${name}`;
  scheduler.on(ListScheduleGroupsCommand).resolves({
    ScheduleGroups: ['demo-schedule', 'demo2-schedule', 'default'].map((Name) => ({ Name, Arn: groupArn(Name) })),
  });
  scheduler.on(ScheduleGroupTags).resolves({ Tags: [] });
  scheduler
    .on(ScheduleGroupTags, { ResourceArn: groupArn('demo-schedule') })
    .resolves({ Tags: ours('schedule/group') });
  scheduler.on(ScheduleGroupTags, { ResourceArn: groupArn('demo2-schedule') }).resolves({ Tags: foreign });
  scheduler.on(ListSchedulesCommand).resolves({ Schedules: [{ Name: 'demo-start' }, { Name: 'demo-stop' }] });
  // EC2
  ec2.on(DescribeInstancesCommand).resolves({
    Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'running' }, Tags: ours('instance') }] }],
  });
  ec2
    .on(DescribeInstancesCommand, { InstanceIds: ['i-1'] })
    .resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', State: { Name: 'terminated' } }] }] });
  ec2.on(DescribeVolumesCommand).resolves({
    Volumes: [
      { VolumeId: 'vol-d', State: 'available', Tags: ours('volume/data') },
      { VolumeId: 'vol-r', State: 'available', Tags: ours('volume/root') },
    ],
  });
  ec2.on(DescribeSnapshotsCommand).resolves({
    Snapshots: [
      { SnapshotId: 'snap-f', VolumeId: 'vol-old', State: 'completed', Tags: ours('snapshot/data-final') },
      {
        SnapshotId: 'snap-b',
        VolumeId: 'vol-d',
        State: 'completed',
        Tags: ours('volume/data', [{ Key: 'aws:backup:source-resource', Value: 'vol-d' }]),
      },
    ],
  });
  ec2
    .on(DescribeKeyPairsCommand)
    .resolves({ KeyPairs: [{ KeyPairId: 'key-1', KeyName: 'demo-admin-key', Tags: ours('keypair') }] });
  ec2.on(DescribeSecurityGroupsCommand).resolves({
    SecurityGroups: [
      { GroupId: 'sg-a', GroupName: 'demo-alb-sg', Tags: ours('sg/alb') },
      { GroupId: 'sg-h', GroupName: 'demo-host-sg', Tags: ours('sg/host') },
    ],
  });
  ec2.on(DescribeSecurityGroupRulesCommand).resolves({ SecurityGroupRules: [] });
  ec2.on(DescribeSecurityGroupRulesCommand, { Filters: [{ Name: 'group-id', Values: ['sg-h'] }] }).resolves({
    SecurityGroupRules: [
      {
        SecurityGroupRuleId: 'sgr-1',
        GroupId: 'sg-h',
        IsEgress: false,
        IpProtocol: 'tcp',
        FromPort: 8443,
        ToPort: 8450,
        ReferencedGroupInfo: { GroupId: 'sg-a' },
      },
    ],
  });
  ec2.on(DescribeRouteTablesCommand).resolves({
    RouteTables: [
      {
        RouteTableId: 'rtb-1',
        Associations: [{ RouteTableAssociationId: 'rtbassoc-1', SubnetId: 'subnet-1' }],
        Tags: ours('rtb'),
      },
    ],
  });
  ec2.on(DescribeInternetGatewaysCommand).resolves({
    InternetGateways: [
      { InternetGatewayId: 'igw-1', Attachments: [{ VpcId: 'vpc-1', State: 'attached' }], Tags: ours('igw') },
    ],
  });
  ec2.on(DescribeSubnetsCommand).resolves({ Subnets: [{ SubnetId: 'subnet-1', Tags: ours('subnet/a') }] });
  ec2.on(DescribeVpcsCommand).resolves({ Vpcs: [{ VpcId: 'vpc-1', Tags: ours('vpc') }] });
  // ELBv2
  elb.on(DescribeLoadBalancersCommand).resolves({
    LoadBalancers: [
      { LoadBalancerArn: LB, LoadBalancerName: 'demo-alb', DNSName: 'demo-alb-1.us-east-1.elb.amazonaws.com' },
      { LoadBalancerArn: OTHER_LB, LoadBalancerName: 'demo2-alb', DNSName: 'demo2-alb-7.us-east-1.elb.amazonaws.com' },
    ],
  });
  elb.on(DescribeLoadBalancersCommand, { LoadBalancerArns: [LB] }).rejects(
    new ElasticLoadBalancingV2ServiceException({
      name: 'LoadBalancerNotFoundException',
      $fault: 'client',
      $metadata: {},
    }),
  );
  elb.on(DescribeTagsCommand).callsFake((input: { ResourceArns: string[] }) => ({
    TagDescriptions: input.ResourceArns.map((arn) => ({
      ResourceArn: arn,
      Tags: arn === OTHER_LB ? foreign : ours(arn === TG ? 'tg/alice' : 'alb'),
    })),
  }));
  elb.on(DescribeListenersCommand).resolves({ Listeners: [{ ListenerArn: 'l-1', Port: 443 }] });
  elb.on(DescribeRulesCommand).resolves({
    Rules: [
      { RuleArn: 'r-default', IsDefault: true },
      { RuleArn: 'r-1', IsDefault: false },
    ],
  });
  elb
    .on(DescribeTargetGroupsCommand)
    .resolves({ TargetGroups: [{ TargetGroupArn: TG, TargetGroupName: 'demo-tg-alice' }] });
  // ACM and Route 53
  acm
    .on(ListCertificatesCommand)
    .resolves({ CertificateSummaryList: [{ CertificateArn: CERT, DomainName: '*.dev.example.com' }] });
  acm.on(ListTagsForCertificateCommand).resolves({ Tags: ours('cert') });
  acm.on(DescribeCertificateCommand).callsFake((input: { CertificateArn: string }) => ({
    Certificate:
      input.CertificateArn === CERT
        ? {
            CertificateArn: CERT,
            DomainName: '*.dev.example.com',
            Status: 'ISSUED',
            DomainValidationOptions: [
              {
                DomainName: '*.dev.example.com',
                ResourceRecord: { Name: '_v1.dev.example.com.', Type: 'CNAME', Value: '_x.acm-validations.aws.' },
              },
            ],
          }
        : undefined,
  }));
  r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: ZONE_RECORDS, IsTruncated: false });
  r53
    .on(ChangeResourceRecordSetsCommand)
    .resolves({ ChangeInfo: { Id: 'c1', Status: 'INSYNC', SubmittedAt: new Date() } });
  // IAM: the host's role and profile, the backup role; another project's role of a like name; a stranger's.
  iam
    .on(ListInstanceProfilesCommand)
    .resolves({ InstanceProfiles: [{ InstanceProfileName: 'demo-ec2-profile' } as never] });
  iam.on(GetInstanceProfileCommand).resolves({
    InstanceProfile: {
      InstanceProfileName: 'demo-ec2-profile',
      Roles: [{ RoleName: 'demo-ec2-role' } as never],
      Tags: ours('iam/profile'),
    } as never,
  });
  iam.on(ListRolesCommand).resolves({
    Roles: [
      { RoleName: 'demo-ec2-role' },
      { RoleName: 'demo-backup-role' },
      { RoleName: 'demo2-ec2-role' },
      { RoleName: 'ops-admin' },
    ] as never,
  });
  iam.on(GetRoleCommand).callsFake((input: { RoleName: string }) => ({
    Role: { RoleName: input.RoleName, Tags: input.RoleName.startsWith('demo2') ? foreign : ours('iam/role') },
  }));
  iam.on(ListRolePoliciesCommand).resolves({ PolicyNames: ['demo-ec2-policy'] });
  iam.on(ListAttachedRolePoliciesCommand).resolves({ AttachedPolicies: [] });
  iam.on(ListAttachedRolePoliciesCommand, { RoleName: 'demo-backup-role' }).resolves({
    AttachedPolicies: [{ PolicyArn: 'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup' }],
  });
  iam.on(ListInstanceProfilesForRoleCommand).resolves({ InstanceProfiles: [] });
  // Secrets, logs, alarms, topic, backup
  sm.on(ListSecretsCommand).resolves({
    SecretList: [
      { ARN: 'arn:s1', Name: 'demo/alice/password', Tags: ours('secret/alice/password') },
      { ARN: 'arn:s2', Name: 'demo/bob/password', Tags: ours('secret/bob/password'), DeletedDate: new Date() },
    ],
  });
  logs
    .on(DescribeLogGroupsCommand)
    .resolves({ logGroups: [{ logGroupName: '/aws/ec2/demo/system', logGroupArn: 'arn:logs:system' }] });
  logs.on(LogTags).resolves({ tags: { 'devenv:project': 'demo' } });
  cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'demo-alarm-cpu', AlarmArn: 'arn:alarm:cpu' }] });
  cw.on(AlarmTags).resolves({ Tags: ours('alarm/cpu') });
  sns.on(ListTopicsCommand).resolves({
    Topics: [
      { TopicArn: 'arn:aws:sns:us-east-1:123456789012:demo-alarms' },
      { TopicArn: 'arn:aws:sns:us-east-1:123456789012:billing' },
    ],
  });
  sns.on(TopicTags).resolves({ Tags: ours('topic') });
  backup.on(ListBackupPlansCommand).resolves({
    BackupPlansList: [{ BackupPlanId: 'plan-1', BackupPlanArn: 'arn:plan-1', BackupPlanName: 'demo-backup-plan' }],
  });
  backup.on(ListTagsCommand).resolves({ Tags: { 'devenv:project': 'demo' } });
  backup
    .on(ListBackupSelectionsCommand)
    .resolves({ BackupSelectionsList: [{ SelectionId: 'sel-1', SelectionName: 'demo-backup-selection' }] });
  backup
    .on(ListBackupVaultsCommand)
    .resolves({ BackupVaultList: [{ BackupVaultName: 'demo-backup-vault', BackupVaultArn: 'arn:vault' }] });
  // Cognito: the project's pool (protected, with its hosted domain), another project's of a similar name
  idp.on(ListUserPoolsCommand).resolves({
    UserPools: [
      { Id: 'us-east-1_demo', Name: 'demo-cognito-pool' },
      { Id: 'us-east-1_demo2', Name: 'demo2-cognito-pool' },
    ],
  });
  idp.on(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_demo' }).resolves({
    UserPool: {
      Id: 'us-east-1_demo',
      Name: 'demo-cognito-pool',
      DeletionProtection: 'ACTIVE',
      Domain: 'demo-1a2b3c4d',
      UserPoolTags: { 'devenv:project': 'demo', 'devenv:resource': 'cognito/pool' },
    },
  });
  idp.on(DescribeUserPoolCommand, { UserPoolId: 'us-east-1_demo2' }).resolves({
    UserPool: { Id: 'us-east-1_demo2', Name: 'demo2-cognito-pool', UserPoolTags: { 'devenv:project': 'demo2' } },
  });
  backup.on(ListRecoveryPointsByBackupVaultCommand).resolves({
    RecoveryPoints: [
      {
        RecoveryPointArn: 'arn:rp-1',
        BackupVaultName: 'demo-backup-vault',
        ResourceArn: 'arn:vol-d',
        Status: 'COMPLETED',
      },
    ],
  });
}

interface Call {
  op: string;
  input: Record<string, any>;
  at: number;
}

/** Every mutating call of every mocked client, in the order they were made (sinon numbers calls across spies). */
function mutatingCalls(): Call[] {
  const calls = Object.values(MOCKS).flatMap((m) =>
    m.calls().map((c) => {
      const command = c.args[0] as { constructor: { name: string }; input: Record<string, any> };
      return {
        op: command.constructor.name.replace(/Command$/, ''),
        input: command.input,
        at: (c as unknown as { callId: number }).callId,
      };
    }),
  );
  return calls.filter((c) => !/^(Describe|Get|List)/.test(c.op)).sort((a, b) => a.at - b.at);
}

/** Index of the first call matching; fails the test when there is none. */
function indexOf(calls: Call[], op: string, match: (input: Record<string, any>) => boolean = () => true): number {
  const i = calls.findIndex((c) => c.op === op && match(c.input));
  expect(i, `${op} was not called: ${calls.map((c) => c.op).join(', ')}`).toBeGreaterThanOrEqual(0);
  return i;
}

async function sweep(options: RunOptions) {
  const ctx = await testContext('teardown', {}, options);
  const left = await teardown(ctx);
  return { ctx, left, calls: mutatingCalls() };
}

describe('teardown: the sweep by the project tag', () => {
  beforeEach(world);

  it("deletes this project's schedule group, its schedules first, and no other project's", async () => {
    const { calls } = await sweep({});
    const mine = calls.filter((c) => /Schedule/.test(c.op));
    expect(mine.map((c) => `${c.op} ${c.input.GroupName ?? ''}/${c.input.Name}`)).toEqual([
      'DeleteSchedule demo-schedule/demo-start',
      'DeleteSchedule demo-schedule/demo-stop',
      'DeleteScheduleGroup /demo-schedule',
    ]);
    expect(scheduler.commandCalls(DeleteScheduleCommand)).toHaveLength(2);
    expect(scheduler.commandCalls(DeleteScheduleGroupCommand)).toHaveLength(1);
  });

  it('deletes every kind in dependency order', async () => {
    const { calls } = await sweep({ deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true });
    const precedes = (a: number, b: number, what: string) => expect(a, what).toBeLessThan(b);
    const terminate = indexOf(calls, 'TerminateInstances');
    precedes(
      indexOf(
        calls,
        'ChangeResourceRecordSets',
        (i) => i.ChangeBatch.Changes[0].ResourceRecordSet.Name === 'alice.dev.example.com.',
      ),
      indexOf(calls, 'DeleteLoadBalancer'),
      'records before the load balancer they alias',
    );
    precedes(indexOf(calls, 'DeleteRule'), indexOf(calls, 'DeleteListener'), 'rules before their listener');
    precedes(
      indexOf(calls, 'DeleteListener'),
      indexOf(calls, 'DeleteLoadBalancer'),
      'listeners before the load balancer',
    );
    precedes(
      indexOf(calls, 'DeleteLoadBalancer'),
      indexOf(calls, 'DeleteTargetGroup'),
      'load balancer before target groups',
    );
    precedes(
      indexOf(calls, 'DeleteLoadBalancer'),
      indexOf(calls, 'DeleteCertificate'),
      'load balancer before the certificate',
    );
    precedes(
      indexOf(calls, 'DeleteCertificate'),
      indexOf(calls, 'ChangeResourceRecordSets', (i) => i.ChangeBatch.Changes[0].ResourceRecordSet.Type === 'CNAME'),
      'certificate before its validation record',
    );
    precedes(terminate, indexOf(calls, 'DeleteVolume'), 'instance before volumes');
    precedes(
      indexOf(calls, 'DeleteVolume', (i) => i.VolumeId === 'vol-d'),
      indexOf(calls, 'DeleteSnapshot'),
      'volumes before snapshots',
    );
    precedes(terminate, indexOf(calls, 'RevokeSecurityGroupIngress'), 'instance before security groups');
    precedes(
      indexOf(calls, 'RevokeSecurityGroupIngress'),
      indexOf(calls, 'DeleteSecurityGroup'),
      'rules naming a group before any group',
    );
    precedes(
      indexOf(calls, 'DeleteLoadBalancer'),
      indexOf(calls, 'DeleteSecurityGroup'),
      'load balancer before security groups',
    );
    precedes(
      indexOf(calls, 'DisassociateRouteTable'),
      indexOf(calls, 'DeleteRouteTable'),
      'associations before the route table',
    );
    precedes(
      indexOf(calls, 'DetachInternetGateway'),
      indexOf(calls, 'DeleteInternetGateway'),
      'detach before deleting the gateway',
    );
    precedes(indexOf(calls, 'DeleteRouteTable'), indexOf(calls, 'DeleteSubnet'), 'route table before subnets');
    for (const op of ['DeleteSubnet', 'DeleteSecurityGroup', 'DeleteInternetGateway', 'DeleteRouteTable'])
      precedes(indexOf(calls, op), indexOf(calls, 'DeleteVpc'), `${op} before the VPC`);
    precedes(terminate, indexOf(calls, 'DeleteKeyPair'), 'instance before its key pair');
    precedes(terminate, indexOf(calls, 'DeleteLogGroup'), 'instance before the log groups it writes to');
    precedes(terminate, indexOf(calls, 'RemoveRoleFromInstanceProfile'), 'instance before its profile');
    precedes(
      indexOf(calls, 'RemoveRoleFromInstanceProfile'),
      indexOf(calls, 'DeleteInstanceProfile'),
      'role out of the profile first',
    );
    precedes(indexOf(calls, 'DeleteInstanceProfile'), indexOf(calls, 'DeleteRole'), 'profile before roles');
    precedes(indexOf(calls, 'DeleteRolePolicy'), indexOf(calls, 'DeleteRole'), 'inline policy before its role');
    precedes(
      indexOf(calls, 'DetachRolePolicy'),
      indexOf(calls, 'DeleteRole', (i) => i.RoleName === 'demo-backup-role'),
      'managed policy detached before the backup role',
    );
    precedes(indexOf(calls, 'DeleteBackupSelection'), indexOf(calls, 'DeleteBackupPlan'), 'selection before its plan');
    precedes(
      indexOf(calls, 'DeleteBackupSelection'),
      indexOf(calls, 'DeleteRole', (i) => i.RoleName === 'demo-backup-role'),
      'selection before the role it names',
    );
    precedes(
      indexOf(calls, 'DeleteRecoveryPoint'),
      indexOf(calls, 'DeleteBackupVault'),
      'recovery points before their vault',
    );
    precedes(indexOf(calls, 'DeleteAlarms'), indexOf(calls, 'DeleteTopic'), 'alarms before the topic they notify');
    precedes(indexOf(calls, 'DeleteLoadBalancer'), indexOf(calls, 'DeleteUserPool'), 'rules naming the pool first');
    precedes(
      indexOf(calls, 'UpdateUserPool', (i) => i.DeletionProtection === 'INACTIVE'),
      indexOf(calls, 'DeleteUserPoolDomain'),
      'deletion protection off before anything of the pool goes',
    );
    precedes(indexOf(calls, 'DeleteUserPoolDomain'), indexOf(calls, 'DeleteUserPool'), 'domain before its pool');
  });

  it('touches nothing of another project or of nobody: foreign records, roles, load balancers, topics, backup snapshots', async () => {
    const { calls } = await sweep({ deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true });
    const deletedRecords = calls
      .filter((c) => c.op === 'ChangeResourceRecordSets')
      .flatMap((c) => c.input.ChangeBatch.Changes.map((ch: any) => ch.ResourceRecordSet.Name));
    expect(deletedRecords.sort()).toEqual(['_v1.dev.example.com.', 'alice.dev.example.com.']);
    expect(
      calls
        .filter((c) => c.op === 'DeleteRole')
        .map((c) => c.input.RoleName)
        .sort(),
    ).toEqual(['demo-backup-role', 'demo-ec2-role']);
    expect(
      iam.commandCalls(GetRoleCommand).map((c) => c.args[0].input.RoleName),
      'reads the tags of devenv-like names only',
    ).not.toContain('ops-admin');
    expect(calls.filter((c) => c.op === 'DeleteLoadBalancer').map((c) => c.input.LoadBalancerArn)).toEqual([LB]);
    expect(sns.commandCalls(TopicTags).map((c) => c.args[0].input.ResourceArn)).toEqual([
      'arn:aws:sns:us-east-1:123456789012:demo-alarms',
    ]);
    expect(calls.filter((c) => c.op === 'DeleteUserPool').map((c) => c.input.UserPoolId)).toEqual(['us-east-1_demo']);
    // AWS Backup's snapshots are recovery points: ec2:DeleteSnapshot refuses them.
    expect(calls.filter((c) => c.op === 'DeleteSnapshot').map((c) => c.input.SnapshotId)).toEqual(['snap-f']);
  });

  it('by default keeps the data: volume, final snapshot, recovery points and their vault; secrets go into their recovery window', async () => {
    const { left, calls } = await sweep({});
    expect(calls.filter((c) => c.op === 'DeleteVolume').map((c) => c.input.VolumeId)).toEqual(['vol-r']);
    for (const op of ['DeleteSnapshot', 'DeleteRecoveryPoint', 'DeleteBackupVault'])
      expect(calls.map((c) => c.op)).not.toContain(op);
    expect(calls.filter((c) => c.op === 'DeleteSecret').map((c) => c.input)).toEqual([
      { SecretId: 'arn:s1', RecoveryWindowInDays: 7 },
    ]);
    expect(notDeleted(left)).toEqual([]);
    expect(left.map((l) => `${l.kind} ${l.id}`)).toEqual([
      'data volume vol-d',
      'EBS snapshot snap-f',
      'secret demo/bob/password',
      'secret demo/alice/password',
      'recovery point arn:rp-1',
      'backup vault demo-backup-vault',
    ]);
    expect(keptSummary(left)).toBe(
      'kept: data volume vol-d (--delete-data deletes it, after a final snapshot); ' +
        'EBS snapshot snap-f of vol-old (final snapshot of the data volume; `destroy --delete-data --no-final-snapshot` deletes it); ' +
        '2 secrets (in a 7-day recovery window: `devenv up` restores it; --force-delete-secrets deletes it at once); ' +
        'recovery point arn:rp-1 of arn:vol-d (a backup of the data volume; `destroy --delete-data` deletes it); ' +
        'backup vault demo-backup-vault (holds 1 recovery point of the data volume)',
    );
  });

  it('keeps the data volume a restore set aside (volume/data-previous) unless --delete-data', async () => {
    ec2.on(DescribeVolumesCommand).resolves({
      Volumes: [
        { VolumeId: 'vol-d', State: 'available', Tags: ours('volume/data') },
        { VolumeId: 'vol-p', State: 'available', Tags: ours('volume/data-previous') },
        { VolumeId: 'vol-r', State: 'available', Tags: ours('volume/root') },
      ],
    });
    const kept = await sweep({});
    expect(kept.calls.filter((c) => c.op === 'DeleteVolume').map((c) => c.input.VolumeId)).toEqual(['vol-r']);
    expect(keptSummary(kept.left)).toContain(
      'previous data volume vol-p (the data volume a restore replaced; --delete-data deletes it)',
    );

    ec2.resetHistory();
    const deleted = await sweep({ deleteData: true, noFinalSnapshot: true });
    expect(
      deleted.calls
        .filter((c) => c.op === 'DeleteVolume')
        .map((c) => c.input.VolumeId)
        .sort(),
    ).toEqual(['vol-d', 'vol-p', 'vol-r']);
  });

  it('--force-delete-secrets deletes every secret at once, one already scheduled too', async () => {
    const { left, calls } = await sweep({ forceDeleteSecrets: true });
    expect(calls.filter((c) => c.op === 'DeleteSecret').map((c) => c.input)).toEqual([
      { SecretId: 'arn:s1', ForceDeleteWithoutRecovery: true },
      { SecretId: 'arn:s2', ForceDeleteWithoutRecovery: true },
    ]);
    expect(left.filter((l) => l.kind === 'secret')).toEqual([]);
  });

  it('a failure holds back only what depends on it, and the report names each resource left and why', async () => {
    ec2.on(TerminateInstancesCommand).rejects(
      Object.assign(new Error('You are not authorized to perform this operation.'), {
        name: 'UnauthorizedOperation',
      }),
    );
    const { left, calls } = await sweep({ deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true });
    const ops = calls.map((c) => c.op);
    for (const op of [
      'DeleteSecurityGroup',
      'DeleteSubnet',
      'DeleteVpc',
      'DeleteKeyPair',
      'DeleteVolume',
      'DeleteInstanceProfile',
      'DeleteRole',
      'DeleteLogGroup',
    ]) {
      expect(ops, `${op} ran although the instance is still there`).not.toContain(op);
    }
    for (const op of [
      'DeleteLoadBalancer',
      'DeleteTargetGroup',
      'DeleteCertificate',
      'DeleteSecret',
      'DeleteAlarms',
      'DeleteTopic',
      'DeleteBackupPlan',
      'DeleteBackupVault',
    ]) {
      expect(ops, `${op} does not need the instance gone`).toContain(op);
    }
    const lines = notDeleted(left);
    expect(lines[0]).toBe('EC2 instance i-1: deleting it failed: You are not authorized to perform this operation.');
    expect(lines).toContain('security group sg-h: not deleted: it waits for instances, which failed');
    expect(lines).toContain('VPC vpc-1: not deleted: it waits for subnets, which could not run');
    expect(lines).toContain('IAM role demo-ec2-role: not deleted: it waits for instance-profiles, which could not run');
    expect(left.filter((l) => !l.kept).map((l) => l.kind)).not.toContain('load balancer');
  });

  it('NotFound on a delete counts as done; a listing that fails is reported, not thrown', async () => {
    elb.on(DeleteTargetGroupCommand).rejects(
      new ElasticLoadBalancingV2ServiceException({
        name: 'TargetGroupNotFoundException',
        $fault: 'client',
        $metadata: {},
      }),
    );
    logs.on(DescribeLogGroupsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: logs:DescribeLogGroups'), {
        name: 'AccessDeniedException',
      }),
    );
    const { left } = await sweep({ deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true });
    expect(notDeleted(left)).toEqual([
      'log groups (not listed): could not list them: User is not authorized to perform: logs:DescribeLogGroups',
      // The wake page's function log group is listed by its own sweeper, refused the same way.
      'wake log groups (not listed): could not list them: User is not authorized to perform: logs:DescribeLogGroups',
    ]);
  });
});

describe('the sweep graph', () => {
  it('every need names a sweeper, and there is no cycle', async () => {
    const { SWEEPERS } = await import('../../src/phases/teardown.js');
    const names = new Set(SWEEPERS.map((s) => s.name));
    for (const s of SWEEPERS) for (const n of s.needs) expect(names.has(n), `${s.name} needs unknown ${n}`).toBe(true);
    const fake: Sweeper[] = SWEEPERS.map((s) => ({ ...s, list: async () => [] }));
    const ctx = await testContext('teardown');
    expect(await teardown(ctx, fake)).toEqual([]);
  });

  it('a remove that says the resource stays makes it kept, with that reason', async () => {
    const s: Sweeper = {
      name: 'things',
      needs: [],
      list: async () => [{ kind: 'thing', id: 't-1', resource: {} }],
      remove: async () => 'restorable for a while',
    };
    const left = await teardown(await testContext('teardown'), [s]);
    expect(left).toEqual<Leftover[]>([
      { kind: 'thing', id: 't-1', label: undefined, why: 'restorable for a while', kept: true },
    ]);
    expect(notDeleted(left)).toEqual([]);
  });
});

describe("which DNS records are devenv's", () => {
  const o = {
    baseDomain: 'dev.example.com',
    region: 'us-east-1',
    albName: 'demo-alb',
    targets: ['demo-alb-1.us-east-1.elb.amazonaws.com'],
  };
  const alias = (name: string, target: string): ResourceRecordSet => ({
    Name: name,
    Type: 'A',
    AliasTarget: { DNSName: target, HostedZoneId: 'Z', EvaluateTargetHealth: true },
  });

  it("an alias of a developer name to the project's load balancer, live or (gone) by its name", () => {
    expect(
      isDevelopersRecord(alias('alice.dev.example.com.', 'dualstack.demo-alb-1.us-east-1.elb.amazonaws.com.'), o),
    ).toBe(true);
    expect(isDevelopersRecord(alias('bob.dev.example.com.', 'demo-alb-99.us-east-1.elb.amazonaws.com.'), o)).toBe(true);
  });

  it("never another project's, a deeper name, a plain A record or CNAME, or another load balancer", () => {
    expect(
      isDevelopersRecord(alias('carol.dev.example.com.', 'demo-alb-x-alb-5.us-east-1.elb.amazonaws.com.'), o),
    ).toBe(false);
    expect(isDevelopersRecord(alias('carol.dev.example.com.', 'demo2-alb-5.us-east-1.elb.amazonaws.com.'), o)).toBe(
      false,
    );
    expect(isDevelopersRecord(alias('a.b.dev.example.com.', 'demo-alb-1.us-east-1.elb.amazonaws.com.'), o)).toBe(false);
    expect(isDevelopersRecord(alias('alice.other.com.', 'demo-alb-1.us-east-1.elb.amazonaws.com.'), o)).toBe(false);
    expect(
      isDevelopersRecord({ Name: 'alice.dev.example.com.', Type: 'A', ResourceRecords: [{ Value: '192.0.2.1' }] }, o),
    ).toBe(false);
    expect(
      isDevelopersRecord(
        {
          Name: 'alice.dev.example.com.',
          Type: 'CNAME',
          ResourceRecords: [{ Value: 'demo-alb-1.us-east-1.elb.amazonaws.com' }],
        },
        o,
      ),
    ).toBe(false);
  });
});
