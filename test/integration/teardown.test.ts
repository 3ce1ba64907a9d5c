/**
 * `destroy` ends with the teardown sweep by the `devenv:project` tag: after a run killed mid-way,
 * and with the state file deleted, nothing of the project is left but the data it keeps (and with
 * `--delete-data --no-final-snapshot --force-delete-secrets`, nothing at all); what the state
 * never knew goes too; another project's resources and records that are not devenv's stay.
 *
 * What moto 5.2.1 cannot show (unit-tested in test/unit/teardown.test.ts): backup plans and vaults
 * found by their tags (its ListTags answers `{}` to the SDK, whose request has no trailing slash),
 * backup selections (CreateBackupSelection is not implemented) and recovery points
 * (ListRecoveryPointsByBackupVault answers 404); DependencyViolation, which moto never answers.
 */
import { CreateLogGroupCommand } from '@aws-sdk/client-cloudwatch-logs';
import { PutMetricAlarmCommand } from '@aws-sdk/client-cloudwatch';
import { CreateKeyPairCommand, CreateSecurityGroupCommand, DeleteKeyPairCommand } from '@aws-sdk/client-ec2';
import { CreateRoleCommand, PutRolePolicyCommand } from '@aws-sdk/client-iam';
import { ChangeResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { CreateTopicCommand } from '@aws-sdk/client-sns';
import { unlink } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { crashAfterCall } from './crash.js';
import { diffInventory, type Inventory } from './inventory.js';
import { describeResult, newWorkspace, type Workspace } from './moto.js';
import { expectConverged, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { describeMoto } from './suite.js';

const DELETE_ALL = ['destroy', '--yes', '--delete-data', '--no-final-snapshot', '--force-delete-secrets'];

/** What `destroy --yes` may leave: the data volume, detached, and secrets in their recovery window. */
function onlyKeptData(inv: Inventory): string[] {
  const { volume = [], secret = [], ...rest } = inv;
  return [
    ...Object.entries(rest).flatMap(([kind, items]) => items.map((i) => `${kind}: ${i}`)),
    ...volume.filter((v) => !/^volume\/data .* attached=none$/.test(v)).map((v) => `volume: ${v}`),
    ...secret.filter((s) => !s.endsWith('(scheduled for deletion)')).map((s) => `secret: ${s}`),
  ];
}

const keptLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('kept:')) ?? '';

describeMoto('destroy ends with a sweep by the project tag', (moto) => {
  it('after up killed after each of several calls: destroy leaves only the kept data, then with --delete-data nothing at all', async () => {
    const problems: string[] = [];
    // The profile made but empty, the host launched but not recorded, the edge half built.
    const points: [string, number][] = [
      ['iam:AddRoleToInstanceProfile', 1],
      ['ec2:RunInstances', 1],
      ['elbv2:CreateTargetGroup', 1],
    ];
    for (const [operation, occurrence] of points) {
      const label = `killed after ${operation} #${occurrence}`;
      const ws = await newWorkspace(moto.server, { developers: ['alice'] });
      const injector = crashAfterCall(operation, occurrence);
      const crashed = await ws.cli(['up'], { hooks: [injector], signals: injector.signals });
      if (injector.crashedAfter === undefined || crashed.code === 0) {
        problems.push(`${label}: the run was not killed there (${describeResult(crashed)})`);
        continue;
      }
      const destroyed = await ws.cli(['destroy', '--yes']);
      if (destroyed.code !== 0) problems.push(`${label}: destroy failed: ${describeResult(destroyed)}`);
      const left = onlyKeptData((await ws.inventory()).items);
      if (left.length) problems.push(`${label}: destroy left ${left.join('; ')}`);
      const all = await ws.cli(DELETE_ALL);
      if (all.code !== 0) problems.push(`${label}: destroy --delete-data failed: ${describeResult(all)}`);
      const inv = (await ws.inventory()).items;
      if (Object.keys(inv).length)
        problems.push(`${label}: destroy --delete-data left ${diffInventory({}, inv).join('; ')}`);
      if (keptLine(all.stderr))
        problems.push(`${label}: destroy --delete-data says "${keptLine(all.stderr)}" with nothing left`);
      await ws.remove();
    }
    expect(problems, problems.join('\n')).toEqual([]);
  }, 300_000);

  it('a second destroy, after one killed part-way and a key pair deleted by hand, previews only what is still there', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    expectConverged(await ws.cli(['up']));
    const recorded = (await ws.state()).resources;
    // Killed right after the load balancer went (its listeners and rules with it), before the state forgot it.
    const injector = crashAfterCall('elbv2:DeleteLoadBalancer', 1);
    const killed = await ws.cli(['destroy', '--yes'], { hooks: [injector], signals: injector.signals });
    expect(injector.crashedAfter, describeResult(killed)).toBeDefined();
    expect(killed.code).not.toBe(0);
    await (await moto.server.clients()).ec2.send(
      new DeleteKeyPairCommand({ KeyName: String(recorded.keypair.attrs.name) }),
    );
    const state = (await ws.state()).resources;
    expect(state.alb.id, 'the state still names the deleted load balancer').toBe(recorded.alb.id);
    const inv = (await ws.inventory()).items;
    expect(inv['load balancer'] ?? []).toEqual([]);
    expect(inv['key pair'] ?? []).toEqual([]);

    // On a terminal, answered with a name that is not the project's: the preview, then nothing deleted.
    const preview = await ws.cli(['destroy'], { answer: 'no' });
    expect(preview.code, describeResult(preview)).toBe(1);
    expectNoMutatingCalls(preview, 'a destroy cancelled at its prompt');
    const lines = preview.stderr.split('\n');
    const willDelete = lines.find((l) => l.includes('will delete: ')) ?? '';
    const willKeep = lines.find((l) => l.includes('will keep: ')) ?? '';
    for (const gone of ['load balancer', 'listener', 'key pair', 'log group', 'alarm', 'DNS record', recorded.alb.id!])
      expect(willDelete, `names ${gone}, which is gone`).not.toContain(gone);
    for (const there of [
      `EC2 instance`,
      `VPC`,
      '2 subnets',
      '2 security groups',
      '2 target groups',
      'route table',
      'internet gateway',
      'instance profile',
      'IAM role itest-ec2-role',
    ]) {
      expect(willDelete, `does not name ${there}, which is still there`).toContain(there);
    }
    // The certificate goes in parallel with the load balancer (both wait only for the https phase): named iff it is still there.
    if ((inv['certificate'] ?? []).length)
      expect(willDelete, 'does not name the certificate').toContain('ACM certificate');
    else expect(willDelete, 'names the certificate, which is gone').not.toContain('ACM certificate');
    expect(willKeep).toContain(`data volume ${recorded['volume/data'].id} (--delete-data deletes it`);
    expect(willKeep).toMatch(/2 secrets \(in a 7-day recovery window/);
    expect(preview.stderr).toContain('destroy cancelled: the name did not match; nothing was deleted');
    expect(onlyKeptData((await ws.inventory()).items).length, 'the refusal deleted nothing').toBeGreaterThan(0);

    const done = await ws.cli(['destroy', '--yes']);
    expect(done.code, describeResult(done)).toBe(0);
    expect(onlyKeptData((await ws.inventory()).items)).toEqual([]);
    const named = Object.entries((await ws.state()).resources)
      .filter(([, r]: [string, any]) => r.id !== undefined)
      .map(([id]) => id);
    expect(named, 'the state forgot what is gone').toEqual(['volume/data']);
    const again = await ws.cli(['destroy', '--yes', '--delete-data', '--no-final-snapshot', '--force-delete-secrets']);
    expect(again.stderr).toContain(`will delete: data volume ${recorded['volume/data'].id}, 2 secrets`);
    expect(again.code, describeResult(again)).toBe(0);
    await ws.remove();
  }, 180_000);

  it("with the state file deleted: what the state never knew goes too; another project, a stranger's role and records stay", async () => {
    // Another project in the same account, zone and certificate domain, its name starting like this one's.
    const other = await newWorkspace(moto.server, { project: 'itest2', developers: ['carol'] });
    expectConverged(await other.cli(['up']));
    const aws = await moto.server.clients();
    const tags = (project: string, resource: string) => [
      { Key: 'devenv:project', Value: project },
      { Key: 'devenv:resource', Value: resource },
    ];
    await aws.iam.send(new CreateRoleCommand({ RoleName: 'itest-handmade-role', AssumeRolePolicyDocument: '{}' })); // devenv's prefix, no tag: not ours
    await aws.cloudwatch.send(
      new PutMetricAlarmCommand({ ...alarm('itest2-alarm-cpu'), Tags: tags('itest2', 'alarm/cpu') }),
    );
    await aws.sns.send(new CreateTopicCommand({ Name: 'itest2-alarms', Tags: tags('itest2', 'topic') }));
    await aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: other.zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'www.dev.example.com',
                Type: 'A',
                TTL: 300,
                ResourceRecords: [{ Value: '192.0.2.10' }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'bob.dev.example.com',
                Type: 'CNAME',
                TTL: 300,
                ResourceRecords: [{ Value: 'itest-alb-1.us-east-1.elb.amazonaws.com' }],
              },
            },
          ],
        },
      }),
    );
    const before = (await other.inventory()).items;

    const ws = await newWorkspace(moto.server, { project: 'itest', developers: ['alice'], shareWorld: true });
    expectConverged(await ws.cli(['up']));
    // What the state never knew: left by an older run or a crash, or under names the config no longer gives.
    const vpcId = (await ws.state()).resources.vpc.id as string;
    await aws.ec2.send(
      new CreateKeyPairCommand({
        KeyName: 'itest-old-admin-key',
        TagSpecifications: [{ ResourceType: 'key-pair', Tags: tags('itest', 'keypair') }],
      }),
    );
    await aws.ec2.send(
      new CreateSecurityGroupCommand({
        GroupName: 'itest-old-sg',
        Description: 'old',
        VpcId: vpcId,
        TagSpecifications: [{ ResourceType: 'security-group', Tags: tags('itest', 'sg/old') }],
      }),
    );
    // Under names `up` does not give (the monitoring phase makes itest-backup-role, /aws/ec2/itest/system, itest-alarm-cpu).
    await aws.iam.send(
      new CreateRoleCommand({
        RoleName: 'itest-old-backup-role',
        AssumeRolePolicyDocument: '{}',
        Tags: tags('itest', 'backup/role'),
      }),
    );
    await aws.iam.send(
      new PutRolePolicyCommand({
        RoleName: 'itest-old-backup-role',
        PolicyName: 'p',
        PolicyDocument: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'ec2:DescribeVolumes', Resource: '*' }],
        }),
      }),
    );
    await aws.logs.send(
      new CreateLogGroupCommand({ logGroupName: '/aws/ec2/itest/old', tags: { 'devenv:project': 'itest' } }),
    );
    await aws.cloudwatch.send(
      new PutMetricAlarmCommand({ ...alarm('itest-alarm-old'), Tags: tags('itest', 'alarm/old') }),
    );
    await aws.sns.send(new CreateTopicCommand({ Name: 'itest-alarms', Tags: tags('itest', 'topic') }));
    await unlink(ws.statePath);

    const r = await ws.cli(['destroy', '--yes']);
    expect(r.code, describeResult(r)).toBe(0);
    for (const what of [
      'key pair itest-old-admin-key',
      'security group',
      'IAM role itest-old-backup-role',
      'log group /aws/ec2/itest/old',
      'CloudWatch alarm itest-alarm-old',
      'SNS topic',
    ]) {
      expect(r.stderr, `the sweep did not say it deleted ${what}`).toContain(`deleted ${what}`);
    }
    expect(keptLine(r.stderr)).toMatch(
      /^kept: data volume vol-\S+ \(--delete-data deletes it, after a final snapshot\); secret itest\/alice\/password \(in a 7-day recovery window/,
    );
    const { volume = [], secret = [], ...rest } = (await ws.inventory()).items;
    expectSameInventory(rest, withoutKinds(before, ['volume', 'secret']), 'after destroy without a state file');
    expect(volume.filter((v) => !(before.volume ?? []).includes(v))).toEqual([
      expect.stringMatching(/^volume\/data .* attached=none$/),
    ]);
    expect(secret.filter((s) => !(before.secret ?? []).includes(s))).toEqual([
      'itest/alice/password (scheduled for deletion)',
    ]);

    const all = await ws.cli(DELETE_ALL);
    expect(all.code, describeResult(all)).toBe(0);
    expectSameInventory(
      (await ws.inventory()).items,
      before,
      'after destroy --delete-data --no-final-snapshot --force-delete-secrets',
    );
    expect(keptLine(all.stderr)).toBe('');
  }, 180_000);

  it("reads the tags of no log group or alarm the state records, whatever the developers; an unrecorded one's still decide", async () => {
    const ws = await newWorkspace(moto.server, { project: 'itest', developers: ['alice', 'bob', 'carol'] });
    expectConverged(await ws.cli(['up']));
    const aws = await moto.server.clients();
    const tagged = { 'devenv:project': 'itest', 'devenv:resource': 'old' };
    // Under the project's names, the state never knew them: one tagged as this project's, one not.
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/ec2/itest/old', tags: tagged }));
    await aws.logs.send(new CreateLogGroupCommand({ logGroupName: '/aws/ec2/itest/handmade' }));
    await aws.cloudwatch.send(
      new PutMetricAlarmCommand({
        ...alarm('itest-alarm-old'),
        Tags: Object.entries(tagged).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    await aws.cloudwatch.send(new PutMetricAlarmCommand(alarm('itest-alarm-handmade')));

    const r = await ws.cli(['destroy', '--yes']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toContain('deleted log group /aws/ec2/itest/old');
    expect(r.stderr).toContain('deleted CloudWatch alarm itest-alarm-old');
    const left = (await ws.inventory()).items;
    expect(left['log group']).toEqual(['/aws/ec2/itest/handmade']);
    expect(left.alarm).toEqual([expect.stringMatching(/^untagged\(itest-alarm-handmade\) /)]);
    // Only the two unrecorded of each kind, by the preview and by the phase, and the one kept once more by the sweep:
    // none per developer (the preview read the tags of every alarm and every log group besides before: 10 each here).
    const tagReads = (api: string) => r.calls.read.filter((c) => c === api).length;
    expect(tagReads('logs:ListTagsForResource'), r.calls.read.join(' ')).toBeLessThanOrEqual(5);
    expect(tagReads('cloudwatch:ListTagsForResource'), r.calls.read.join(' ')).toBeLessThanOrEqual(5);
  }, 180_000);
});

function alarm(name: string) {
  return {
    AlarmName: name,
    MetricName: 'CPUUtilization',
    Namespace: 'AWS/EC2',
    Statistic: 'Average' as const,
    Period: 300,
    EvaluationPeriods: 2,
    Threshold: 80,
    ComparisonOperator: 'GreaterThanThreshold' as const,
  };
}

function withoutKinds(inv: Inventory, kinds: string[]): Inventory {
  return Object.fromEntries(Object.entries(inv).filter(([k]) => !kinds.includes(k)));
}

export type { Workspace };
