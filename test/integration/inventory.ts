/**
 * Everything devenv could have made in moto, by kind, each item named by its `devenv:resource`
 * tag (its logical id) and its relations to other items by their logical ids — never AWS ids, so
 * two runs' inventories compare structurally: same kinds, same logical ids, same counts, same
 * wiring. Things moto has before anyone calls it (the default VPC, its subnets, route table and
 * security group, the AMI snapshots) are left out; anything else is listed, tagged or not, so an
 * untagged orphan shows up as `untagged(<Name or id>)`.
 */
import {
  DescribeAddressesCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeKeyPairsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeSubnetsCommand,
  DescribeVolumesCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  type IpPermission,
  type Tag,
} from '@aws-sdk/client-ec2';
import {
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesCommand,
  ListRolePoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import {
  DescribeListenersCommand,
  DescribeLoadBalancerAttributesCommand,
  DescribeLoadBalancersCommand,
  DescribeRulesCommand,
  DescribeTagsCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
} from '@aws-sdk/client-acm';
import { DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAlarmsCommand, ListTagsForResourceCommand as CwListTagsCommand } from '@aws-sdk/client-cloudwatch';
import {
  ListSubscriptionsByTopicCommand,
  ListTagsForResourceCommand as SnsListTagsCommand,
  ListTopicsCommand,
} from '@aws-sdk/client-sns';
import {
  GetBackupPlanCommand,
  GetBackupSelectionCommand,
  ListBackupPlansCommand,
  ListBackupSelectionsCommand,
  ListBackupVaultsCommand,
  ListTagsCommand as BackupListTagsCommand,
} from '@aws-sdk/client-backup';
import {
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ListUsersCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ListTagsForResourceCommand as SchedulerListTagsCommand,
} from '@aws-sdk/client-scheduler';
import {
  GetPolicyCommand,
  ListFunctionsCommand,
  ListTagsCommand as LambdaListTagsCommand,
} from '@aws-sdk/client-lambda';
import {
  ListRulesCommand as EventsListRulesCommand,
  ListTagsForResourceCommand as EventsListTagsCommand,
  ListTargetsByRuleCommand,
} from '@aws-sdk/client-eventbridge';
import { MOTO_ACCOUNT, type TestClients } from './moto.js';

/** kind → sorted items. Kinds with nothing in them are left out, so "nothing" is `{}`. */
export type Inventory = Record<string, string[]>;

/** The tags every resource devenv makes must carry (DESIGN.md, the resource rule). */
export const REQUIRED_TAGS = ['Name', 'Project', 'Environment', 'ManagedBy', 'devenv:project', 'devenv:resource'];

export interface InventoryResult {
  items: Inventory;
  /** `<kind> <logical id>: missing <tags>` for every EC2 resource lacking one of REQUIRED_TAGS. */
  tagProblems: string[];
  /** Logical id of every AWS id seen (for messages). */
  ids: Map<string, string>;
}

const tag = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

export async function takeInventory(aws: TestClients, zoneId: string): Promise<InventoryResult> {
  const ids = new Map<string, string>();
  const tagProblems: string[] = [];
  const items: Inventory = {};
  const add = (kind: string, item: string) => {
    items[kind] ??= [];
    items[kind].push(item);
  };
  /** The logical id of an EC2 resource, recorded for the relations of the others. */
  const name = (kind: string, id: string, tags: Tag[] | undefined): string => {
    const logical = tag(tags, 'devenv:resource') ?? `untagged(${tag(tags, 'Name') ?? id})`;
    ids.set(id, logical);
    const missing = REQUIRED_TAGS.filter((k) => tag(tags, k) === undefined);
    if (missing.length) tagProblems.push(`${kind} ${logical}: missing ${missing.join(', ')}`);
    return logical;
  };
  const ref = (id: string | undefined) => (id === undefined ? '-' : (ids.get(id) ?? `foreign(${id})`));

  // EC2 first: the other parts name the subnets, groups and instances they refer to by the ids it records.
  await ec2Part();
  await Promise.all([iamPart(), otherPart(), monitoringPart(), cognitoPart(), schedulerPart()]);
  await wakePart();
  for (const list of Object.values(items)) list.sort();
  tagProblems.sort();
  return { items, tagProblems, ids };

  async function ec2Part(): Promise<void> {
    const [vpcs, subnets, igws, rtbs, sgs, instances, volumes, snapshots, keys, addresses] = await Promise.all([
      aws.ec2.send(new DescribeVpcsCommand({})),
      aws.ec2.send(new DescribeSubnetsCommand({})),
      aws.ec2.send(new DescribeInternetGatewaysCommand({})),
      aws.ec2.send(new DescribeRouteTablesCommand({})),
      aws.ec2.send(new DescribeSecurityGroupsCommand({})),
      aws.ec2.send(new DescribeInstancesCommand({})),
      aws.ec2.send(new DescribeVolumesCommand({})),
      // moto ignores OwnerIds=self and lists its 1,177 AMI snapshots (1.3 s); the owner-id filter works.
      aws.ec2.send(new DescribeSnapshotsCommand({ Filters: [{ Name: 'owner-id', Values: [MOTO_ACCOUNT] }] })),
      aws.ec2.send(new DescribeKeyPairsCommand({})),
      aws.ec2.send(new DescribeAddressesCommand({})),
    ]);

    const defaultVpcs = new Set((vpcs.Vpcs ?? []).filter((v) => v.IsDefault).map((v) => v.VpcId!));
    for (const v of vpcs.Vpcs ?? []) {
      if (v.IsDefault) continue;
      const [hostnames, support] = await Promise.all(
        (['enableDnsHostnames', 'enableDnsSupport'] as const).map((Attribute) =>
          aws.ec2.send(new DescribeVpcAttributeCommand({ VpcId: v.VpcId, Attribute })),
        ),
      );
      add(
        'vpc',
        `${name('vpc', v.VpcId!, v.Tags)} ${v.CidrBlock} dnsHostnames=${hostnames.EnableDnsHostnames?.Value} dnsSupport=${support.EnableDnsSupport?.Value}`,
      );
    }
    for (const s of subnets.Subnets ?? []) {
      if (defaultVpcs.has(s.VpcId!)) continue;
      add(
        'subnet',
        `${name('subnet', s.SubnetId!, s.Tags)} vpc=${ref(s.VpcId)} ${s.AvailabilityZone} ${s.CidrBlock} publicIp=${s.MapPublicIpOnLaunch}`,
      );
    }
    for (const g of igws.InternetGateways ?? []) {
      if (g.Attachments?.some((a) => defaultVpcs.has(a.VpcId!))) continue;
      const attached =
        (g.Attachments ?? [])
          .map((a) => ref(a.VpcId))
          .sort()
          .join(',') || 'none';
      add('internet gateway', `${name('internet gateway', g.InternetGatewayId!, g.Tags)} attached=${attached}`);
    }
    // Security groups before route tables and instances, whose items refer to them.
    const groups = (sgs.SecurityGroups ?? []).filter((g) => g.GroupName !== 'default');
    for (const g of groups)
      add('security group', `${name('security group', g.GroupId!, g.Tags)} vpc=${ref(g.VpcId)} name=${g.GroupName}`);
    const rules = (sg: string, dir: string, perms: IpPermission[] | undefined) => {
      for (const p of perms ?? []) {
        const ports =
          p.IpProtocol === '-1'
            ? 'all'
            : `${p.IpProtocol} ${p.FromPort}${p.ToPort !== p.FromPort ? `-${p.ToPort}` : ''}`;
        const sources = [
          ...(p.IpRanges ?? []).map((r) => r.CidrIp!),
          ...(p.Ipv6Ranges ?? []).map((r) => r.CidrIpv6!),
          ...(p.UserIdGroupPairs ?? []).map((u) => ref(u.GroupId)),
          ...(p.PrefixListIds ?? []).map((l) => l.PrefixListId!),
        ];
        for (const s of sources)
          add('security group rule', `${sg} ${dir} ${ports} ${dir === 'ingress' ? 'from' : 'to'} ${s}`);
      }
    };
    for (const g of groups) {
      rules(ref(g.GroupId), 'ingress', g.IpPermissions);
      rules(ref(g.GroupId), 'egress', g.IpPermissionsEgress);
    }
    for (const t of rtbs.RouteTables ?? []) {
      if (defaultVpcs.has(t.VpcId!) || t.Associations?.some((a) => a.Main)) continue;
      const id = name('route table', t.RouteTableId!, t.Tags);
      add('route table', `${id} vpc=${ref(t.VpcId)}`);
      for (const r of t.Routes ?? []) {
        if (r.GatewayId === 'local') continue;
        add(
          'route',
          `${id} ${r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock} → ${ref(r.GatewayId ?? r.NatGatewayId ?? r.InstanceId)}`,
        );
      }
      for (const a of t.Associations ?? []) add('route table association', `${id} → ${ref(a.SubnetId ?? a.GatewayId)}`);
    }
    for (const k of keys.KeyPairs ?? []) {
      ids.set(k.KeyPairId!, k.KeyName!);
      add('key pair', k.KeyName!);
    }
    const live = (instances.Reservations ?? [])
      .flatMap((r) => r.Instances ?? [])
      .filter((i) => i.State?.Name !== 'terminated');
    for (const i of live) name('instance', i.InstanceId!, i.Tags);
    for (const i of live) {
      const sgIds = (i.SecurityGroups ?? [])
        .map((g) => ref(g.GroupId))
        .sort()
        .join(',');
      const profile = i.IamInstanceProfile?.Arn?.split('/').at(-1) ?? '-';
      add(
        'instance',
        `${ref(i.InstanceId)} ${i.State?.Name} ${i.InstanceType} subnet=${ref(i.SubnetId)} sg=${sgIds} profile=${profile} key=${i.KeyName ?? '-'}`,
      );
    }
    for (const v of volumes.Volumes ?? []) {
      const attached = (v.Attachments ?? []).map((a) => `${ref(a.InstanceId)}:${a.Device}`).join(',') || 'none';
      const root = (v.Attachments ?? []).find((a) => /^\/dev\/(sda1|xvda)$/.test(a.Device ?? ''));
      // A root volume is the instance's: named after it, not required to carry devenv's tags (RunInstances may tag it, or not).
      const logical =
        tag(v.Tags, 'devenv:resource') ??
        (root ? `root-of(${ref(root.InstanceId)})` : name('volume', v.VolumeId!, v.Tags));
      ids.set(v.VolumeId!, logical);
      add(
        'volume',
        `${logical} ${v.VolumeType} ${v.Size}GiB encrypted=${v.Encrypted} ${v.AvailabilityZone} attached=${attached}`,
      );
    }
    for (const s of snapshots.Snapshots ?? []) {
      if ((s.Description ?? '').startsWith('Auto-created snapshot for AMI')) continue; // moto's own, one per built-in AMI
      add(
        'snapshot',
        `${name('snapshot', s.SnapshotId!, s.Tags)} of=${ids.get(s.VolumeId ?? '') ?? 'a deleted volume'} ${s.VolumeSize}GiB`,
      );
    }
    for (const a of addresses.Addresses ?? [])
      add('elastic ip', `${name('elastic ip', a.AllocationId!, a.Tags)} → ${ref(a.InstanceId)}`);
  }

  // IAM: names are devenv's deterministic ones; list everything (moto starts with none).
  async function iamPart(): Promise<void> {
    const roles = (await aws.iam.send(new ListRolesCommand({}))).Roles ?? [];
    await Promise.all(
      roles.map(async (r) => {
        add('iam role', r.RoleName!);
        const [inline, attached] = await Promise.all([
          aws.iam.send(new ListRolePoliciesCommand({ RoleName: r.RoleName })),
          aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: r.RoleName })),
        ]);
        for (const p of inline.PolicyNames ?? []) add('iam inline policy', `${r.RoleName}/${p}`);
        for (const p of attached.AttachedPolicies ?? []) add('iam attached policy', `${r.RoleName} ← ${p.PolicyArn}`);
      }),
    );
    for (const p of (await aws.iam.send(new ListInstanceProfilesCommand({}))).InstanceProfiles ?? []) {
      add(
        'instance profile',
        `${p.InstanceProfileName} roles=${
          (p.Roles ?? [])
            .map((r) => r.RoleName)
            .sort()
            .join(',') || 'none'
        }`,
      );
    }
  }

  /** User pools (tagged), with their domain, app clients (callback URLs) and users (enabled or not): none are EC2's. */
  async function cognitoPart(): Promise<void> {
    const pools = await aws.cognito.send(new ListUserPoolsCommand({ MaxResults: 60 }));
    for (const { Id } of pools.UserPools ?? []) {
      const { UserPool: p } = await aws.cognito.send(new DescribeUserPoolCommand({ UserPoolId: Id }));
      const logical = p?.UserPoolTags?.['devenv:resource'] ?? `untagged(${p?.Name})`;
      add('user pool', `${logical} ${p?.Name} protection=${p?.DeletionProtection}`);
      if (p?.Domain) add('user pool domain', `${p.Domain} of ${logical}`);
      const clients = await aws.cognito.send(new ListUserPoolClientsCommand({ UserPoolId: Id, MaxResults: 60 }));
      for (const c of clients.UserPoolClients ?? []) {
        const { UserPoolClient: d } = await aws.cognito.send(
          new DescribeUserPoolClientCommand({ UserPoolId: Id, ClientId: c.ClientId }),
        );
        add(
          'user pool client',
          `${c.ClientName} of ${logical} callbacks=${[...(d?.CallbackURLs ?? [])].sort().join(',')}`,
        );
      }
      const users = await aws.cognito.send(new ListUsersCommand({ UserPoolId: Id }));
      for (const u of users.Users ?? []) {
        const email = u.Attributes?.find((a) => a.Name === 'email')?.Value;
        add('cognito user', `${email} of ${logical} ${u.Enabled === false ? 'disabled' : 'enabled'}`);
      }
    }
  }

  async function otherPart(): Promise<void> {
    const [secrets, records, certs, logGroups] = await Promise.all([
      listAll(
        (token) => aws.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true, NextToken: token })),
        (o) => o.SecretList,
      ),
      aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })),
      aws.acm.send(new ListCertificatesCommand({})),
      aws.logs.send(new DescribeLogGroupsCommand({})),
    ]);
    for (const s of secrets) add('secret', `${s.Name}${s.DeletedDate ? ' (scheduled for deletion)' : ''}`);
    for (const c of certs.CertificateSummaryList ?? []) {
      const [{ Tags }, { Certificate: d }] = await Promise.all([
        aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: c.CertificateArn })),
        aws.acm.send(new DescribeCertificateCommand({ CertificateArn: c.CertificateArn })),
      ]);
      add(
        'certificate',
        `${tag(Tags, 'devenv:resource') ?? 'untagged'} ${c.DomainName} +${(d?.SubjectAlternativeNames ?? []).filter((n) => n !== c.DomainName).join(',')} ${d?.Status}`,
      );
    }
    const lbNames = await elbv2Part();
    for (const r of records.ResourceRecordSets ?? []) {
      const apex = r.Name!.replace(/\.$/, '') === zoneApex(records.ResourceRecordSets ?? []);
      if (apex && (r.Type === 'SOA' || r.Type === 'NS')) continue; // the zone's own
      const alias = r.AliasTarget
        ? ` alias → ${lbNames.get(r.AliasTarget.DNSName!.replace(/\.$/, '').toLowerCase()) ?? `foreign(${r.AliasTarget.DNSName})`} evaluateHealth=${r.AliasTarget.EvaluateTargetHealth}`
        : '';
      add('dns record', `${r.Name} ${r.Type}${alias}`);
    }
    for (const g of logGroups.logGroups ?? []) add('log group', g.logGroupName!);
  }

  /** Schedule groups (but moto's `default`) with their tags, and every schedule: expression, zone, target, input. */
  async function schedulerPart(): Promise<void> {
    const groups = (await aws.scheduler.send(new ListScheduleGroupsCommand({}))).ScheduleGroups ?? [];
    for (const g of groups) {
      if (g.Name === 'default') continue;
      const { Tags } = await aws.scheduler.send(new SchedulerListTagsCommand({ ResourceArn: g.Arn }));
      const missing = REQUIRED_TAGS.filter((k) => tag(Tags, k) === undefined);
      if (missing.length) tagProblems.push(`schedule group ${g.Name}: missing ${missing.join(', ')}`);
      add('schedule group', `${tag(Tags, 'devenv:resource') ?? `untagged(${g.Name})`} ${g.Name}`);
    }
    for (const g of groups) {
      const schedules = (await aws.scheduler.send(new ListSchedulesCommand({ GroupName: g.Name }))).Schedules ?? [];
      for (const s of schedules) {
        const d = await aws.scheduler.send(new GetScheduleCommand({ GroupName: g.Name, Name: s.Name }));
        const input = JSON.parse(d.Target?.Input ?? '{}') as { InstanceIds?: string[] };
        add(
          'schedule',
          `${g.Name}/${s.Name} ${d.ScheduleExpression} ${d.ScheduleExpressionTimezone} ${d.Target?.Arn} ` +
            `instances=${(input.InstanceIds ?? []).map((i) => ref(i)).join(',')} role=${d.Target?.RoleArn?.split('/').at(-1)}`,
        );
      }
    }
  }

  /** Alarms, SNS topics and their subscriptions, backup vaults, plans and their selections. */
  async function monitoringPart(): Promise<void> {
    const [alarms, topics, vaults, plans] = await Promise.all([
      aws.cloudwatch.send(new DescribeAlarmsCommand({})),
      aws.sns.send(new ListTopicsCommand({})),
      aws.backup.send(new ListBackupVaultsCommand({})),
      aws.backup.send(new ListBackupPlansCommand({})),
    ]);
    for (const a of alarms.MetricAlarms ?? []) {
      const { Tags } = await aws.cloudwatch.send(new CwListTagsCommand({ ResourceARN: a.AlarmArn }));
      const dims = (a.Dimensions ?? []).map((d) => d.Name).join(',');
      add(
        'alarm',
        `${tag(Tags, 'devenv:resource') ?? `untagged(${a.AlarmName})`} ${a.AlarmName} ${a.Namespace}/${a.MetricName} dims=${dims} period=${a.Period} missing=${a.TreatMissingData} actions=${(a.AlarmActions ?? []).length}`,
      );
    }
    for (const t of topics.Topics ?? []) {
      const [{ Tags }, { Subscriptions }] = await Promise.all([
        aws.sns.send(new SnsListTagsCommand({ ResourceArn: t.TopicArn })),
        aws.sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: t.TopicArn })),
      ]);
      add(
        'sns topic',
        `${tag(Tags, 'devenv:resource') ?? 'untagged'} ${t.TopicArn!.split(':').at(-1)} subscriptions=${
          (Subscriptions ?? [])
            .map((s) => `${s.Protocol}:${s.Endpoint}`)
            .sort()
            .join(',') || 'none'
        }`,
      );
    }
    for (const v of vaults.BackupVaultList ?? []) add('backup vault', v.BackupVaultName!);
    for (const p of plans.BackupPlansList ?? []) {
      const [{ Tags }, { BackupPlan }, { BackupSelectionsList }] = await Promise.all([
        aws.backup.send(new BackupListTagsCommand({ ResourceArn: p.BackupPlanArn })),
        aws.backup.send(new GetBackupPlanCommand({ BackupPlanId: p.BackupPlanId })),
        aws.backup.send(new ListBackupSelectionsCommand({ BackupPlanId: p.BackupPlanId })),
      ]);
      const logical = Tags?.['devenv:resource'] ?? `untagged(${p.BackupPlanName})`;
      const rule = BackupPlan?.Rules?.[0];
      add(
        'backup plan',
        `${logical} ${p.BackupPlanName} ${rule?.ScheduleExpression} start=${rule?.StartWindowMinutes} keep=${rule?.Lifecycle?.DeleteAfterDays} vault=${rule?.TargetBackupVaultName}`,
      );
      for (const s of BackupSelectionsList ?? []) {
        const { BackupSelection } = await aws.backup.send(
          new GetBackupSelectionCommand({ BackupPlanId: p.BackupPlanId, SelectionId: s.SelectionId }),
        );
        const volumes = (BackupSelection?.Resources ?? []).map((arn) => ref(arn.split('/').at(-1))).join(',');
        add(
          'backup selection',
          `${s.SelectionName} plan=${logical} role=${BackupSelection?.IamRoleArn?.split('/').at(-1)} resources=${volumes}`,
        );
      }
    }
  }

  /** Lambda functions (with who may invoke them, from where), EventBridge rules and their targets, by logical id. */
  async function wakePart(): Promise<void> {
    const rules = await Promise.all(
      ((await aws.events.send(new EventsListRulesCommand({}))).Rules ?? []).map(async (r) => {
        const { Tags } = await aws.events.send(new EventsListTagsCommand({ ResourceARN: r.Arn }));
        const id = tag(Tags, 'devenv:resource') ?? `untagged(${r.Name})`;
        ids.set(r.Arn!, id);
        return { r, id };
      }),
    );
    const fns = await Promise.all(
      ((await aws.lambda.send(new ListFunctionsCommand({}))).Functions ?? []).map(async (f) => {
        const { Tags } = await aws.lambda.send(new LambdaListTagsCommand({ Resource: f.FunctionArn }));
        const id = Tags?.['devenv:resource'] ?? `untagged(${f.FunctionName})`;
        ids.set(f.FunctionArn!, id);
        return { f, id };
      }),
    );
    for (const { f, id } of fns) {
      const policy = await aws.lambda
        .send(new GetPolicyCommand({ FunctionName: f.FunctionName }))
        .then((o) => JSON.parse(o.Policy ?? '{}').Statement ?? [])
        .catch(() => []);
      const invokers = policy
        .map((st: any) => `${st.Sid}:${st.Principal?.Service}←${ref(st.Condition?.ArnLike?.['AWS:SourceArn'])}`)
        .sort()
        .join(',');
      const env = Object.keys(f.Environment?.Variables ?? {})
        .sort()
        .join(',');
      add(
        'lambda function',
        `${id} ${f.FunctionName} ${f.Runtime} ${f.Handler} ${f.MemorySize}MiB ${f.Timeout}s role=${f.Role?.split('/').at(-1)} env=${env} invokers=${invokers || 'none'}`,
      );
    }
    for (const { r, id } of rules) {
      const targets = (await aws.events.send(new ListTargetsByRuleCommand({ Rule: r.Name }))).Targets ?? [];
      const pattern = r.EventPattern ? JSON.parse(r.EventPattern) : {};
      add(
        'eventbridge rule',
        `${id} ${r.Name} ${r.State} source=${pattern.source} states=${pattern.detail?.state} instance=${ref(pattern.detail?.['instance-id']?.[0])} targets=${targets.map((t) => `${t.Id}→${ref(t.Arn)}`).join(',') || 'none'}`,
      );
    }
  }

  /**
   * Load balancers, listeners, rules and target groups, by their devenv:resource tags, with what
   * a user would check: the attributes devenv sets, the TLS policy, the rules' hosts and targets,
   * each target group's registered targets. Returns the logical id of each load balancer's DNS name.
   */
  async function elbv2Part(): Promise<Map<string, string>> {
    const [lbs, tgs] = await Promise.all([
      aws.elbv2.send(new DescribeLoadBalancersCommand({})),
      aws.elbv2.send(new DescribeTargetGroupsCommand({})),
    ]);
    const arns = [
      ...(lbs.LoadBalancers ?? []).map((l) => l.LoadBalancerArn!),
      ...(tgs.TargetGroups ?? []).map((t) => t.TargetGroupArn!),
    ];
    const listeners = (
      await Promise.all(
        (lbs.LoadBalancers ?? []).map((lb) =>
          aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn })),
        ),
      )
    ).flatMap((o) => o.Listeners ?? []);
    const rules = (
      await Promise.all(listeners.map((l) => aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: l.ListenerArn }))))
    ).flatMap((o) => o.Rules ?? []);
    const all = [
      ...arns,
      ...listeners.map((l) => l.ListenerArn!),
      ...rules.filter((r) => !r.IsDefault).map((r) => r.RuleArn!),
    ];
    const tags = new Map<string, Tag[]>();
    for (let i = 0; i < all.length; i += 20) {
      const out = await aws.elbv2.send(new DescribeTagsCommand({ ResourceArns: all.slice(i, i + 20) }));
      for (const d of out.TagDescriptions ?? []) tags.set(d.ResourceArn!, d.Tags ?? []);
    }
    const logical = (arn: string) => {
      const id = tag(tags.get(arn), 'devenv:resource') ?? `untagged(${arn.split('/').slice(-2).join('/')})`;
      ids.set(arn, id);
      return id;
    };
    const dnsNames = new Map<string, string>();
    for (const lb of lbs.LoadBalancers ?? []) {
      const id = logical(lb.LoadBalancerArn!);
      dnsNames.set(lb.DNSName!.toLowerCase(), id);
      const attrs =
        (await aws.elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: lb.LoadBalancerArn })))
          .Attributes ?? [];
      const attr = (k: string) => attrs.find((a) => a.Key === k)?.Value ?? 'unset';
      const subnets = (lb.AvailabilityZones ?? [])
        .map((z) => ref(z.SubnetId))
        .sort()
        .join(',');
      add(
        'load balancer',
        `${id} ${lb.LoadBalancerName} ${lb.Scheme} subnets=${subnets} sg=${(lb.SecurityGroups ?? []).map(ref).join(',')} idleTimeout=${attr('idle_timeout.timeout_seconds')} http2=${attr('routing.http2.enabled')} dropInvalidHeaders=${attr('routing.http.drop_invalid_header_fields.enabled')} preserveHost=${attr('routing.http.preserve_host_header.enabled')}`,
      );
    }
    for (const t of tgs.TargetGroups ?? []) {
      const id = logical(t.TargetGroupArn!);
      const health =
        (await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: t.TargetGroupArn })))
          .TargetHealthDescriptions ?? [];
      const targets =
        health
          .map((h) =>
            h.Target?.Id?.startsWith('arn:aws:lambda:')
              ? `function ${h.Target.Id.split(':').at(-1)}`
              : `${ref(h.Target?.Id)}:${h.Target?.Port}`,
          )
          .sort()
          .join(',') || 'none';
      add(
        'target group',
        `${id} ${t.TargetGroupName} ${t.Protocol} port=${t.Port} health=${t.HealthCheckPath} ${t.HealthCheckIntervalSeconds}/${t.HealthCheckTimeoutSeconds}/${t.HealthyThresholdCount}/${t.UnhealthyThresholdCount} targets=${targets}`,
      );
    }
    for (const l of listeners) {
      const id = logical(l.ListenerArn!);
      const action = l.DefaultActions?.[0];
      const what =
        action?.Type === 'redirect'
          ? `redirect ${action.RedirectConfig?.Protocol}:${action.RedirectConfig?.Port} ${action.RedirectConfig?.StatusCode}`
          : `${action?.Type} ${action?.FixedResponseConfig?.StatusCode ?? ''}`.trim();
      const cert = l.Certificates?.[0]?.CertificateArn ? ' cert' : '';
      add(
        'listener',
        `${id} ${ref(l.LoadBalancerArn)}:${l.Port} ${l.Protocol}${l.Protocol === 'HTTPS' ? ` ${l.SslPolicy}` : ''}${cert} default=${what}`,
      );
    }
    for (const r of rules.filter((r) => !r.IsDefault)) {
      const host =
        r.Conditions?.find((c) => c.Field === 'host-header')?.HostHeaderConfig?.Values?.join(',') ??
        r.Conditions?.[0]?.Values?.join(',');
      add(
        'listener rule',
        `${logical(r.RuleArn!)} priority=${r.Priority} host=${host} → ${ref(r.Actions?.[0]?.TargetGroupArn)}`,
      );
    }
    return dnsNames;
  }
}

function zoneApex(records: { Name?: string; Type?: string }[]): string | undefined {
  return records.find((r) => r.Type === 'SOA')?.Name?.replace(/\.$/, '');
}

async function listAll<O, T>(
  call: (token?: string) => Promise<O & { NextToken?: string }>,
  pick: (o: O) => T[] | undefined,
): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  do {
    const page = await call(token);
    out.push(...(pick(page) ?? []));
    token = page.NextToken;
  } while (token);
  return out;
}

/** `kind: n` lines, for messages and the benchmark. */
export function countByKind(inv: Inventory): Record<string, number> {
  return Object.fromEntries(Object.entries(inv).map(([k, v]) => [k, v.length]));
}

/** Every item whose count differs between two inventories, e.g. `+ subnet subnet/a …` (extra) or `- vpc vpc …` (missing). */
export function diffInventory(expected: Inventory, actual: Inventory): string[] {
  const out: string[] = [];
  for (const kind of new Set([...Object.keys(expected), ...Object.keys(actual)])) {
    const count = (list: string[] | undefined) =>
      (list ?? []).reduce((m, i) => m.set(i, (m.get(i) ?? 0) + 1), new Map<string, number>());
    const e = count(expected[kind]);
    const a = count(actual[kind]);
    for (const item of new Set([...e.keys(), ...a.keys()])) {
      const d = (a.get(item) ?? 0) - (e.get(item) ?? 0);
      if (d > 0) out.push(`+${d > 1 ? d : ''} ${kind}: ${item}`);
      if (d < 0) out.push(`-${-d > 1 ? -d : ''} ${kind}: ${item}`);
    }
  }
  return out;
}
