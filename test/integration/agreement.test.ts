/**
 * `plan` and `status` never disagree: both come from one read per phase, so after each phase is
 * broken out of band (one at a time, then repaired by `up`), every change `plan --json` would make
 * is a problem on the same resource in `status --json`, and every problem `status` finds is a change
 * in `plan`; the phases not created yet are the same in both, and `plan --detailed-exitcode` is
 * non-zero exactly when `status` exits 1.
 *
 * Without a host (moto), storage, containers and test are left out by `up`: both name them as not
 * created yet, and their resources are compared through that list rather than one by one. validate
 * creates nothing to break. moto has no UpdateBackupPlan (it answers an HTML page), so a backup plan
 * changed by hand is shown to be a problem in status by test/unit/monitoring.test.ts.
 */
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { ModifySubnetAttributeCommand, RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { UpdateAssumeRolePolicyCommand } from '@aws-sdk/client-iam';
import { DeleteSecretCommand } from '@aws-sdk/client-secrets-manager';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { PutRetentionPolicyCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeAlarmsCommand, PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { DeleteBackupSelectionCommand } from '@aws-sdk/client-backup';
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls, HOST_PHASES, statusJson } from './expect.js';
import { describeResult, newWorkspace, PROJECT, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

interface PlanJson {
  changes: { phase: string; logicalId: string; action: string; blocked?: string }[];
  pending: { phase: string }[];
}

/** Reads plan and status, asserts they agree, and returns the resources they name (`phase logicalId`). */
async function agree(ws: Workspace, what: string): Promise<string[]> {
  const plan = await ws.cli(['plan', '--json']);
  expectNoMutatingCalls(plan, 'plan');
  const planJson = JSON.parse(plan.stdout.split('\n')[0]!) as PlanJson;
  const status = await ws.cli(['status', '--json']);
  expectNoMutatingCalls(status, 'status');
  const json = statusJson(status);
  const changed = planJson.changes
    .filter((c) => !HOST_PHASES.includes(c.phase) && (c.blocked || !['keep', 'adopt'].includes(c.action)))
    .map((c) => `${c.phase} ${c.logicalId}`)
    .sort();
  const flagged = json.resources
    .filter((r) => r.problem)
    .map((r) => `${r.phase} ${r.logicalId}`)
    .sort();
  expect(
    flagged,
    `${what}: status's problems are plan's changes\n${describeResult(status)}\n${describeResult(plan)}`,
  ).toEqual(changed);
  expect(
    json.pending.map((p) => p.phase),
    `${what}: the same phases not created yet`,
  ).toEqual(planJson.pending.map((p) => p.phase));
  const detailed = await ws.cli(['plan', '--detailed-exitcode']);
  expect(
    detailed.code !== 0,
    `${what}: plan --detailed-exitcode (${detailed.code}) against status (${status.code})`,
  ).toBe(status.code !== 0);
  return changed;
}

describeMoto('plan and status agree', (moto) => {
  it('after each phase is broken by hand: every change plan would make is a problem in status, and the reverse', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice', 'bob'],
      patch: (c) => (c.monitoring = { ...c.monitoring, alarmEmail: 'ops@example.com' }),
    });
    expectConverged(await ws.cli(['up']));
    expect(await agree(ws, 'after a clean up')).toEqual([]);
    const aws = await moto.server.clients();
    const id = async (logicalId: string) => ((await ws.state()).resources[logicalId] as { id: string }).id;

    const breakages: [string, () => Promise<unknown>, string][] = [
      [
        'vpc: a subnet stops giving public IPs',
        async () =>
          aws.ec2.send(
            new ModifySubnetAttributeCommand({ SubnetId: await id('subnet/a'), MapPublicIpOnLaunch: { Value: false } }),
          ),
        'vpc subnet/a',
      ],
      [
        'sg: the HTTPS rule revoked',
        async () =>
          aws.ec2.send(
            new RevokeSecurityGroupIngressCommand({
              GroupId: await id('sg/alb'),
              IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
            }),
          ),
        'sg sg/alb',
      ],
      [
        'iam: the role trusts another service',
        () =>
          aws.iam.send(
            new UpdateAssumeRolePolicyCommand({
              RoleName: `${PROJECT}-ec2-role`,
              PolicyDocument: JSON.stringify({
                Version: '2012-10-17',
                Statement: [
                  { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
                ],
              }),
            }),
          ),
        'iam iam/role',
      ],
      [
        "secrets: bob's password deleted",
        () =>
          aws.secrets.send(
            new DeleteSecretCommand({ SecretId: `${PROJECT}/bob/password`, ForceDeleteWithoutRecovery: true }),
          ),
        'secrets secret/bob/password',
      ],
      [
        "alb: alice's target deregistered",
        async () =>
          aws.elbv2.send(
            new DeregisterTargetsCommand({
              TargetGroupArn: await id('tg/alice'),
              Targets: [{ Id: await id('instance'), Port: 8443 }],
            }),
          ),
        'alb tg/alice',
      ],
      [
        "dns: bob's record deleted",
        async () => {
          const records = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ws.zoneId }));
          const bob = records.ResourceRecordSets!.find((r) => r.Name === 'bob.dev.example.com.' && r.Type === 'A')!;
          await aws.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: ws.zoneId,
              ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: bob }] },
            }),
          );
        },
        'dns record/bob',
      ],
      [
        'cert: the validation record deleted',
        async () => {
          const records = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ws.zoneId }));
          const cname = records.ResourceRecordSets!.filter((r) => r.Type === 'CNAME' && r.Name!.startsWith('_'));
          await aws.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: ws.zoneId,
              ChangeBatch: { Changes: cname.map((r) => ({ Action: 'DELETE', ResourceRecordSet: r })) },
            }),
          );
        },
        'cert cert/validation',
      ],
      [
        "monitoring: a log group's retention changed",
        () =>
          aws.logs.send(
            new PutRetentionPolicyCommand({ logGroupName: `/aws/ec2/${PROJECT}/system`, retentionInDays: 1 }),
          ),
        'monitoring logs/system',
      ],
      [
        "monitoring: an alarm's threshold changed",
        async () => {
          const alarm = (
            await aws.cloudwatch.send(
              new DescribeAlarmsCommand({ AlarmNamePrefix: `${PROJECT}-alarm-unhealthy-alice` }),
            )
          ).MetricAlarms![0]!;
          await aws.cloudwatch.send(
            new PutMetricAlarmCommand({ ...alarm, Threshold: (alarm.Threshold ?? 0) + 5 } as never),
          );
        },
        'monitoring alarm/unhealthy/alice',
      ],
      [
        'monitoring: the backup selection deleted',
        async () =>
          aws.backup.send(
            new DeleteBackupSelectionCommand({
              BackupPlanId: await id('backup/plan'),
              SelectionId: await id('backup/selection'),
            }),
          ),
        'monitoring backup/selection',
      ],
    ];
    for (const [what, breakIt, expected] of breakages) {
      await breakIt();
      const named = await agree(ws, what);
      expect(named, `${what}: plan and status name the broken resource`).toContain(expected);
      expectConverged(await ws.cli(['up']), `up after ${what}`);
      expect(await agree(ws, `after up repaired ${what}`), `up repaired ${what}`).toEqual([]);
    }
  }, 600_000);

  it('a DNS name another record holds: plan shows the conflict up would stop at and fails, as status does', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    const aws = await moto.server.clients();
    await aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ws.zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'carol.dev.example.com',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'old-server.example.net' }],
              },
            },
          ],
        },
      }),
    );
    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(1);
    expect(await agree(ws, 'after up stopped at the DNS conflict')).toContain('dns record/carol');
    const plan = await ws.cli(['plan']);
    expect(plan.code, describeResult(plan)).toBe(1);
    expect(plan.stdout).toMatch(
      /^!\s+conflict\s+dns\s+DNS record\s+carol\.dev\.example\.com\s+not devenv's: CNAME old-server\.example\.net/m,
    );
    expect(plan.stderr).toMatch(
      /`devenv up` would stop at a conflict: dns DNS record carol\.dev\.example\.com: not devenv's/,
    );
    const detailed = await ws.cli(['plan', '--detailed-exitcode']);
    expect(detailed.code, 'a plan up cannot carry out is an error, not "no changes"').toBe(1);
  }, 240_000);
});
