/**
 * Whatever is deleted by hand, the same command brings it back (issue 15, item 1): for every kind
 * of resource a clean run records — read from the state, so a kind added later is covered or this
 * test names it — one of that kind is deleted outside devenv, then `plan` shows it to be created,
 * `up` exits 0, AWS holds exactly one clean run's resources and a further `up` changes nothing.
 * Then `destroy` killed at several points, then `plan` and `up`: the same.
 *
 * One workspace per test for all its rounds: each round ends with the world back at one clean run,
 * which is what the next round starts from (a reset and a clean `up` per round would cost ~7 s each).
 * The first `destroy` also meets what real AWS answers for a while and moto never does (issue 15,
 * item 2): ResourceInUse on the first DeleteTargetGroup, "selections must be deleted" on the first
 * DeleteBackupPlan, injected before they reach moto; it must wait them out and exit 0.
 *
 * A deletion is done as a person would have to do it on AWS: where AWS refuses to delete a resource
 * something else still uses (a target group with a rule forwarding to it, a certificate on a
 * listener, a subnet or security group with a load balancer in it, a VPC with anything in it, a
 * backup plan with a selection, a role in a profile), what uses it is deleted first, even though
 * moto 5.2.1 would not refuse (docs/aws-behaviour.md#moto-differences). The data volume is the one kind `up` does not simply
 * recreate: it stops and says to pass --new-data-volume (devenv never puts an empty volume in place
 * of the user's data unasked), and with it converges.
 */
import {
  DeleteInternetGatewayCommand,
  DeleteKeyPairCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVolumeCommand,
  DeleteVpcCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DetachInternetGatewayCommand,
  DetachVolumeCommand,
  DisassociateRouteTableCommand,
  RevokeSecurityGroupIngressCommand,
  TerminateInstancesCommand,
} from '@aws-sdk/client-ec2';
import {
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
} from '@aws-sdk/client-iam';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import {
  DeleteListenerCommand,
  DeleteLoadBalancerCommand,
  DeleteRuleCommand,
  DeleteTargetGroupCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DeleteCertificateCommand } from '@aws-sdk/client-acm';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { DeleteLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DeleteAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  DeleteBackupPlanCommand,
  DeleteBackupSelectionCommand,
  DeleteBackupVaultCommand,
  ListBackupSelectionsCommand,
} from '@aws-sdk/client-backup';
import { expect, it } from 'vitest';
import { DeleteFunctionCommand } from '@aws-sdk/client-lambda';
import {
  DeleteRuleCommand as DeleteEventsRuleCommand,
  ListTargetsByRuleCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { crashAfterCall, crashPoints } from './crash.js';
import { diffInventory, type Inventory } from './inventory.js';
import { describeResult, newWorkspace, type TestClients, type Workspace } from './moto.js';
import { describeMoto, type MotoHandle } from './suite.js';
import type { CallHook, CallInfo } from '../../src/aws/clients.js';

interface Recorded {
  logicalId: string;
  kind: string;
  phase: string;
  id?: string;
  attrs?: Record<string, unknown>;
}

/** What a deletion needs: the test's clients and the state's records, by logical id. */
interface Hand {
  aws: TestClients;
  record(logicalId: string): Recorded;
  zoneId: string;
}

const idOf = (h: Hand, logicalId: string) => {
  const id = h.record(logicalId).id;
  if (!id) throw new Error(`the state records no id for ${logicalId}`);
  return id;
};
const nameOf = (arn: string) => arn.slice(arn.lastIndexOf('/') + 1);

async function deleteRole(h: Hand, roleName: string): Promise<void> {
  const { iam } = h.aws;
  for (const p of (await iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName }))).InstanceProfiles ??
    []) {
    await iam.send(
      new RemoveRoleFromInstanceProfileCommand({ RoleName: roleName, InstanceProfileName: p.InstanceProfileName }),
    );
  }
  for (const name of (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? [])
    await iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: name }));
  for (const p of (await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [])
    await iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: p.PolicyArn }));
  await iam.send(new DeleteRoleCommand({ RoleName: roleName }));
}

const deleteLoadBalancer = (h: Hand) =>
  h.aws.elbv2.send(new DeleteLoadBalancerCommand({ LoadBalancerArn: idOf(h, 'alb') }));
const terminateHost = (h: Hand) =>
  h.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [idOf(h, 'instance')] }));

/** A security group, after the rules of other groups that refer to it. */
async function deleteSecurityGroup(h: Hand, groupId: string): Promise<void> {
  const groups = (await h.aws.ec2.send(new DescribeSecurityGroupsCommand({}))).SecurityGroups ?? [];
  for (const g of groups) {
    const referring = (g.IpPermissions ?? []).filter((p) =>
      p.UserIdGroupPairs?.some((pair) => pair.GroupId === groupId),
    );
    if (g.GroupId !== groupId && referring.length)
      await h.aws.ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: g.GroupId, IpPermissions: referring }));
  }
  await h.aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: groupId }));
}

async function deleteRouteTable(h: Hand, id: string): Promise<void> {
  const [table] = (await h.aws.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [id] }))).RouteTables ?? [];
  for (const a of table?.Associations ?? [])
    if (!a.Main) await h.aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }));
  await h.aws.ec2.send(new DeleteRouteTableCommand({ RouteTableId: id }));
}

async function deleteRecord(h: Hand, name: string): Promise<void> {
  const all =
    (await h.aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: h.zoneId }))).ResourceRecordSets ?? [];
  const sets = all.filter(
    (r) => r.Name!.replace(/\.$/, '') === name.replace(/\.$/, '') && r.Type !== 'NS' && r.Type !== 'SOA',
  );
  if (!sets.length) throw new Error(`no record ${name} in the zone`);
  await h.aws.route53.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: h.zoneId,
      ChangeBatch: { Changes: sets.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
    }),
  );
}

/**
 * How a person deletes one recorded resource of each kind (keyed `phase:kind`, as the state names
 * them), with whatever AWS makes them delete first. A kind missing here fails the test by name.
 */
const BY_HAND: Record<string, (h: Hand, r: Recorded) => Promise<unknown>> = {
  'vpc:VPC': async (h, r) => {
    // AWS refuses a VPC with anything in it; the console deletes its subnets, gateway, tables and groups with it.
    await terminateHost(h);
    await deleteLoadBalancer(h);
    await deleteSecurityGroup(h, idOf(h, 'sg/host'));
    await deleteSecurityGroup(h, idOf(h, 'sg/alb'));
    await deleteRouteTable(h, idOf(h, 'rtb'));
    for (const s of ['subnet/a', 'subnet/b']) await h.aws.ec2.send(new DeleteSubnetCommand({ SubnetId: idOf(h, s) }));
    await h.aws.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: idOf(h, 'igw'), VpcId: r.id }));
    await h.aws.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: idOf(h, 'igw') }));
    await h.aws.ec2.send(new DeleteVpcCommand({ VpcId: r.id }));
  },
  'vpc:subnet': async (h, r) => {
    // The load balancer has an interface in each subnet (and the host in one of them).
    await terminateHost(h);
    await deleteLoadBalancer(h);
    // AWS drops the subnet's route table association with it; moto keeps it, pointing at nothing.
    const [table] =
      (await h.aws.ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: [idOf(h, 'rtb')] }))).RouteTables ?? [];
    for (const a of table?.Associations ?? [])
      if (a.SubnetId === r.id)
        await h.aws.ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId }));
    await h.aws.ec2.send(new DeleteSubnetCommand({ SubnetId: r.id }));
  },
  'vpc:internet gateway': async (h, r) => {
    // AWS refuses to detach a gateway while the VPC has public addresses mapped (the host's, the load balancer's).
    await terminateHost(h);
    await deleteLoadBalancer(h);
    await h.aws.ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: r.id, VpcId: idOf(h, 'vpc') }));
    await h.aws.ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: r.id }));
  },
  'vpc:route table': (h, r) => deleteRouteTable(h, r.id!),
  'sg:security group': async (h, r) => {
    if (r.logicalId === 'sg/alb') await deleteLoadBalancer(h);
    else await terminateHost(h);
    await deleteSecurityGroup(h, r.id!);
  },
  'iam:IAM role': (h, r) => deleteRole(h, nameOf(r.id!)),
  'iam:IAM inline policy': (h, r) =>
    h.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: nameOf(idOf(h, 'iam/role')), PolicyName: r.id })),
  'iam:instance profile': async (h, r) => {
    await h.aws.iam.send(
      new RemoveRoleFromInstanceProfileCommand({
        InstanceProfileName: nameOf(r.id!),
        RoleName: nameOf(idOf(h, 'iam/role')),
      }),
    );
    await h.aws.iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: nameOf(r.id!) }));
  },
  'secrets:secret': (h, r) => h.aws.secrets.send(new DeleteSecretCommand({ SecretId: r.id, RecoveryWindowInDays: 7 })),
  'ec2:key pair': (h, r) => h.aws.ec2.send(new DeleteKeyPairCommand({ KeyName: String(r.attrs?.name) })), // moto ignores a KeyPairId
  'ec2:EC2 instance': (h) => terminateHost(h),
  'ec2:EBS volume': async (h, r) => {
    // moto answers an HTML 500 to a DetachVolume without the instance id.
    await h.aws.ec2.send(new DetachVolumeCommand({ VolumeId: r.id, InstanceId: idOf(h, 'instance') }));
    await h.aws.ec2.send(new DeleteVolumeCommand({ VolumeId: r.id }));
  },
  'cert:ACM certificate': async (h, r) => {
    // AWS refuses to delete a certificate a listener uses (ResourceInUseException).
    await h.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: idOf(h, 'listener/https') }));
    await h.aws.acm.send(new DeleteCertificateCommand({ CertificateArn: r.id }));
  },
  'cert:DNS record': (h, r) => deleteRecord(h, r.id!.split(' ')[0]!),
  'alb:load balancer': (h) => deleteLoadBalancer(h),
  'alb:listener': (h, r) => h.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: r.id })),
  'alb:target group': async (h, r) => {
    // AWS refuses a target group a rule forwards to (ResourceInUse).
    await h.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: idOf(h, r.logicalId.replace(/^tg\//, 'rule/')) }));
    await h.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: r.id }));
  },
  'https:listener': (h, r) => h.aws.elbv2.send(new DeleteListenerCommand({ ListenerArn: r.id })),
  'https:listener rule': (h, r) => h.aws.elbv2.send(new DeleteRuleCommand({ RuleArn: r.id })),
  'dns:DNS record': (h, r) => deleteRecord(h, r.id!),
  'monitoring:log group': (h, r) => h.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: r.id })),
  'monitoring:CloudWatch alarm': (h, r) =>
    h.aws.cloudwatch.send(new DeleteAlarmsCommand({ AlarmNames: [nameOf(r.id!.replace(/:alarm:/, '/'))] })),
  'monitoring:IAM role': (h, r) => deleteRole(h, nameOf(r.id!)),
  'monitoring:backup vault': (h, r) => h.aws.backup.send(new DeleteBackupVaultCommand({ BackupVaultName: r.id })),
  'monitoring:backup plan': async (h, r) => {
    // AWS refuses a plan that still has selections.
    for (const s of (await h.aws.backup.send(new ListBackupSelectionsCommand({ BackupPlanId: r.id })))
      .BackupSelectionsList ?? []) {
      await h.aws.backup.send(new DeleteBackupSelectionCommand({ BackupPlanId: r.id, SelectionId: s.SelectionId }));
    }
    await h.aws.backup.send(new DeleteBackupPlanCommand({ BackupPlanId: r.id }));
  },
  'monitoring:backup selection': (h, r) =>
    h.aws.backup.send(new DeleteBackupSelectionCommand({ BackupPlanId: idOf(h, 'backup/plan'), SelectionId: r.id })),
  'wake:IAM role': (h, r) => deleteRole(h, nameOf(r.id!)),
  'wake:IAM inline policy': (h, r) =>
    h.aws.iam.send(new DeleteRolePolicyCommand({ RoleName: nameOf(idOf(h, 'wake/role')), PolicyName: r.id })),
  'wake:log group': (h, r) => h.aws.logs.send(new DeleteLogGroupCommand({ logGroupName: r.id })),
  'wake:target group': (h, r) => h.aws.elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: r.id })),
  'wake:Lambda function': (h, r) => h.aws.lambda.send(new DeleteFunctionCommand({ FunctionName: r.id })),
  'wake:EventBridge rule': async (h, r) => {
    // EventBridge refuses to delete a rule that still has targets.
    const Rule = nameOf(r.id!);
    const targets = (await h.aws.events.send(new ListTargetsByRuleCommand({ Rule }))).Targets ?? [];
    if (targets.length) await h.aws.events.send(new RemoveTargetsCommand({ Rule, Ids: targets.map((t) => t.Id!) }));
    await h.aws.events.send(new DeleteEventsRuleCommand({ Name: Rule }));
  },
};

/**
 * What `plan` shows for a kind deleted by hand, where it is not `create`: a secret deleted by hand
 * is only scheduled for deletion (7 days at least), and `up` restores it, with its value.
 */
const PLANNED: Record<string, { action: string; detail: RegExp }> = {
  'secrets:secret': { action: 'update', detail: /^restore / },
};

/** Kinds `up` does not simply recreate, and the flag that says the user accepts the new one. */
const NEEDS_CONSENT: Record<string, string> = { 'ec2:EBS volume': '--new-data-volume' };

async function recordsOf(ws: Workspace): Promise<Recorded[]> {
  const resources = (await ws.state()).resources as Record<string, Omit<Recorded, 'logicalId'>>;
  return Object.entries(resources).map(([logicalId, r]) => ({ logicalId, ...r }));
}

async function hand(ws: Workspace): Promise<Hand> {
  const records = new Map((await recordsOf(ws)).map((r) => [r.logicalId, r]));
  return {
    aws: await ws.moto.clients(),
    zoneId: ws.zoneId,
    record: (logicalId) => {
      const r = records.get(logicalId);
      if (!r) throw new Error(`the state records no ${logicalId}`);
      return r;
    },
  };
}

/**
 * The validation CNAME's name is ACM's per account and domain on AWS, but moto makes a new one per
 * certificate; the record of a certificate deleted by hand stays (devenv no longer knows it).
 * Compared by what a user checks: one validation CNAME per certificate name is there.
 */
function comparable(inv: Inventory): Inventory {
  const records = [...new Set((inv['dns record'] ?? []).map((r) => r.replace(/^_[0-9a-f]+\./, '_<acm>.')))];
  return { ...inv, ...(inv['dns record'] ? { 'dns record': records.sort() } : {}) };
}

/**
 * A refusal real AWS gives for a while and moto never does, injected before the first `occurrences`
 * calls of `operation` (which then never reach moto): devenv must wait it out.
 */
function refuseFirst(operation: string, error: () => Error, occurrences = 1): CallHook & { refused: number } {
  const hook = {
    refused: 0,
    before(call: CallInfo) {
      if (`${call.service}:${call.operation}` !== operation || hook.refused >= occurrences) return;
      hook.refused++;
      throw error();
    },
  };
  return hook;
}
const awsError = (name: string, code: string, message: string) => () =>
  Object.assign(new Error(message), { name, Code: code, $fault: 'client', $metadata: { httpStatusCode: 400 } });

/** A clean run of one developer, and a check that a broken world is brought back to it. */
async function cleanWorld(moto: MotoHandle) {
  const ws = await newWorkspace(moto.server, { developers: ['alice'] });
  const first = await ws.cli(['up']);
  expect(first.code, describeResult(first)).toBe(0);
  const baseline = comparable((await ws.inventory()).items);
  const problems: string[] = [];
  const log: string[] = [];
  const problem = (p: string) => {
    problems.push(p);
    console.log(`PROBLEM ${p}`); // seen even if the test runs out of time
  };

  /** `plan` shows each of `ids` as `planned` (and fails on nothing); `up` converges; AWS holds a clean run's resources; another `up` changes nothing. */
  async function bringsBack(
    label: string,
    ids: string[],
    o: { upArgs?: string[]; planned?: { action: string; detail: RegExp }; hooks?: CallHook[] } = {},
  ): Promise<void> {
    const planned = o.planned ?? { action: 'create', detail: /(?:)/ };
    const plan = await ws.cli(['plan', '--json']);
    if (plan.code !== 0) problem(`${label}: plan failed: ${describeResult(plan)}`);
    else {
      const changes = (JSON.parse(plan.stdout) as { changes: { logicalId: string; action: string; detail?: string }[] })
        .changes;
      for (const id of ids) {
        const c = changes.find((x) => x.logicalId === id);
        if (c?.action !== planned.action || !planned.detail.test(c.detail ?? ''))
          problem(
            `${label}: plan shows ${id} as ${c?.action ?? 'nothing'} (${c?.detail}), not ${planned.action} ${planned.detail}`,
          );
      }
      if (plan.calls.mutating.length) problem(`${label}: plan changed ${plan.calls.mutating.join(', ')}`);
    }
    const up = await ws.cli(['up', ...(o.upArgs ?? [])], { hooks: o.hooks });
    if (up.code !== 0) return problem(`${label}: up did not converge: ${describeResult(up)}`);
    const diff = diffInventory(baseline, comparable((await ws.inventory()).items));
    if (diff.length) problem(`${label}: after up, AWS holds ${diff.join('; ')}`);
    const again = await ws.cli(['up']);
    if (again.code !== 0 || again.calls.changed.length)
      problem(
        `${label}: a second up ${again.code === 0 ? `changed ${again.calls.changed.join(', ')}` : `failed: ${describeResult(again)}`}`,
      );
    log.push(`${label}: up ${up.calls.changed.length} changes, ${(up.ms / 1000).toFixed(1)} s`);
  }
  return { ws, problems, problem, log, bringsBack };
}

describeMoto('resources deleted by hand, and a destroy killed half-way: up brings them back', (moto) => {
  it("for every kind the state records, one deleted out of band: plan shows it created, up exits 0, a clean run's resources", async () => {
    const started = performance.now();
    const { ws, problems, problem, log, bringsBack } = await cleanWorld(moto);
    // One of each kind the state records, keyed as BY_HAND is.
    const byKind = new Map<string, Recorded>();
    for (const r of await recordsOf(ws)) if (!byKind.has(`${r.phase}:${r.kind}`)) byKind.set(`${r.phase}:${r.kind}`, r);
    const unknown = [...byKind.keys()].filter((k) => !BY_HAND[k]);
    expect(unknown, 'kinds the state records that this test cannot delete by hand: add them to BY_HAND').toEqual([]);
    expect(byKind.size).toBeGreaterThanOrEqual(20);

    for (const [key, r] of byKind) {
      const label = `${r.logicalId} (${key}) deleted by hand`;
      const h = await hand(ws);
      try {
        // The record as the state holds it now: an earlier round may have replaced the resource.
        await BY_HAND[key]!(h, h.record(r.logicalId));
      } catch (err) {
        problem(`${label}: deleting it failed: ${(err as Error).message}`);
        continue;
      }
      const consent = NEEDS_CONSENT[key];
      if (consent) {
        const refused = await ws.cli(['up']);
        if (refused.code === 0 || !refused.stderr.includes(consent))
          problem(`${label}: up without ${consent} did not stop and name it: ${describeResult(refused)}`);
      }
      await bringsBack(label, [r.logicalId], { upArgs: consent ? [consent] : [], planned: PLANNED[key] });
    }
    console.log(
      `out of band: ${byKind.size} kinds, ${((performance.now() - started) / 1000).toFixed(1)} s\n${log.join('\n')}`,
    );
    expect(problems, problems.join('\n\n')).toEqual([]);
  }, 900_000);

  it("destroy (waiting out AWS's ResourceInUse and draining selections), and destroy killed at several points: plan, then up brings back a clean run's resources", async () => {
    const started = performance.now();
    const { ws, problems, problem, log, bringsBack } = await cleanWorld(moto);
    // Real AWS refuses these for a while right after the rule / the selection went (moto never does).
    const tgInUse = refuseFirst(
      'elbv2:DeleteTargetGroup',
      awsError('ResourceInUseException', 'ResourceInUse', 'Target group is currently in use by a listener or a rule'),
    );
    const planRefused = refuseFirst(
      'backup:DeleteBackupPlan',
      awsError(
        'InvalidRequestException',
        'InvalidRequestException',
        'Related backup plan selections must be deleted prior to backup plan deletion',
      ),
    );
    const destroyed = await ws.cli(['destroy', '--yes'], { hooks: [tgInUse, planRefused] });
    expect(destroyed.code, describeResult(destroyed)).toBe(0);
    expect([tgInUse.refused, planRefused.refused]).toEqual([1, 1]);
    expect(destroyed.calls.changed).toContain('elbv2:DeleteTargetGroup');
    expect(destroyed.calls.changed).toContain('backup:DeleteBackupPlan');
    await bringsBack('after a whole destroy', []);
    // Listeners gone but not the load balancer; the host gone; identity half gone; the network half gone.
    const wanted = ['elbv2:DeleteListener', 'ec2:TerminateInstances', 'iam:DeleteRole', 'ec2:DeleteSubnet'];
    const points = crashPoints(destroyed.calls.changed).filter(([op, n]) => n === 1 && wanted.includes(op));
    const missed = wanted.filter((op) => !points.some(([p]) => p === op));
    if (missed.length) problem(`destroy made none of ${missed.join(', ')}: ${destroyed.calls.changed.join(', ')}`);
    for (const [operation, occurrence] of points) {
      const label = `destroy killed after ${operation}`;
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['destroy', '--yes'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problem(`${label}: destroy was not killed there: ${describeResult(crashed)}`);
        continue;
      }
      await bringsBack(label, []);
    }
    console.log(
      `destroy: ${points.length} kill points, ${((performance.now() - started) / 1000).toFixed(1)} s\n${log.join('\n')}`,
    );
    expect(problems, problems.join('\n\n')).toEqual([]);
  }, 900_000);
});
