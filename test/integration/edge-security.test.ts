/**
 * Who reaches the environment, and what the host may read, read back from moto after `up`: the
 * HTTPS listener's HSTS attribute, port 80, the load balancer's and the host's security group
 * rules, the host role's inline policy and the backup role's managed policies. A config whose
 * Docker pool overlaps the VPC, or whose TLS policy allows TLS 1.0, is refused before any call.
 *
 * moto stores listener attributes and IAM policy documents as given but evaluates no IAM condition:
 * that the tag condition keeps another project's secrets out is shown on the document itself
 * (test/unit/iam.test.ts), not by a refused GetSecretValue here.
 */
import { DescribeSecurityGroupRulesCommand, DescribeSecurityGroupsCommand } from '@aws-sdk/client-ec2';
import {
  DescribeListenerAttributesCommand,
  DescribeListenersCommand,
  DescribeLoadBalancersCommand,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { expect, it } from 'vitest';
import { expectConverged, expectNoAwsCalls, expectNoMutatingCalls } from './expect.js';
import { describeResult, MOTO_ACCOUNT, newWorkspace, PROJECT, REGION, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const HSTS = 'routing.http.response.strict_transport_security.header_value';

describeMoto("edge security: HSTS, port 80, allowed sources, the roles' policies", (moto) => {
  async function listeners(): Promise<Map<number, string>> {
    const aws = await moto.server.clients();
    const lb = (await aws.elbv2.send(new DescribeLoadBalancersCommand({ Names: [`${PROJECT}-alb`] })))
      .LoadBalancers![0]!;
    const all =
      (await aws.elbv2.send(new DescribeListenersCommand({ LoadBalancerArn: lb.LoadBalancerArn }))).Listeners ?? [];
    return new Map(all.map((l) => [l.Port!, l.ListenerArn!]));
  }

  async function hsts(): Promise<string | undefined> {
    const aws = await moto.server.clients();
    const https = (await listeners()).get(443)!;
    const attrs =
      (await aws.elbv2.send(new DescribeListenerAttributesCommand({ ListenerArn: https }))).Attributes ?? [];
    return attrs.find((a) => a.Key === HSTS)?.Value;
  }

  /** `tcp 443 from 0.0.0.0/0` for each ingress rule of a group, sorted. */
  async function ingress(groupName: string): Promise<string[]> {
    const aws = await moto.server.clients();
    const group = (
      await aws.ec2.send(new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [groupName] }] }))
    ).SecurityGroups![0]!;
    const rules =
      (
        await aws.ec2.send(
          new DescribeSecurityGroupRulesCommand({ Filters: [{ Name: 'group-id', Values: [group.GroupId!] }] }),
        )
      ).SecurityGroupRules ?? [];
    return rules
      .filter((r) => !r.IsEgress)
      .map(
        (r) =>
          `${r.IpProtocol} ${r.FromPort === r.ToPort ? r.FromPort : `${r.FromPort}-${r.ToPort}`} from ${r.CidrIpv4 ?? r.CidrIpv6 ?? 'sg'}`,
      )
      .sort();
  }

  async function up(ws: Workspace) {
    const r = await ws.cli(['up']);
    expectConverged(r);
    return r;
  }

  it('up sends HSTS and keeps 301 on port 80; both roles read back least privilege; narrowing the sources, closing port 80 and two admin networks converge, then nothing changes', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const before = await ws.cli(['plan']);
    expect(before.stdout + before.stderr).toContain(
      "the login pages are open to the whole internet: code-server's login limiter",
    );
    const first = await up(ws);
    expect(first.stdout + first.stderr).toContain('the login pages are open to the whole internet');
    expect(await hsts()).toBe('max-age=31536000; includeSubDomains');
    expect([...(await listeners()).keys()].sort()).toEqual([443, 80]);
    expect(await ingress(`${PROJECT}-alb-sg`)).toEqual(['tcp 443 from 0.0.0.0/0', 'tcp 80 from 0.0.0.0/0']);

    const aws = await moto.server.clients();
    const inline = await aws.iam.send(
      new GetRolePolicyCommand({ RoleName: `${PROJECT}-ec2-role`, PolicyName: `${PROJECT}-ec2-policy` }),
    );
    const doc = JSON.parse(decodeURIComponent(inline.PolicyDocument!));
    expect(doc.Statement.find((s: { Sid: string }) => s.Sid === 'ReadOwnSecrets')).toEqual({
      Sid: 'ReadOwnSecrets',
      Effect: 'Allow',
      Action: 'secretsmanager:GetSecretValue',
      Resource: `arn:aws:secretsmanager:${REGION}:${MOTO_ACCOUNT}:secret:${PROJECT}/*`,
      Condition: { StringEquals: { 'secretsmanager:ResourceTag/devenv:project': PROJECT } },
    });
    const backup = await aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: `${PROJECT}-backup-role` }));
    expect(backup.AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([
      'arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup',
    ]);

    await ws.editConfig((c) => {
      c.alb = {
        ...c.alb,
        allowedCidrs: ['198.51.100.0/24', '2001:DB8::/32'],
        httpRedirect: false,
        hsts: { maxAgeSeconds: 63072000 },
      };
      c.ssh = { ...c.ssh, adminCidr: undefined, adminCidrs: ['203.0.113.7/32', '192.0.2.0/24'] };
    });
    const plan = await ws.cli(['plan']);
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.stdout + plan.stderr).not.toContain('the login pages are open to the whole internet');
    const second = await up(ws);
    expect(second.calls.mutating).toEqual(
      expect.arrayContaining([
        'elbv2:ModifyListenerAttributes',
        'elbv2:DeleteListener',
        'ec2:RevokeSecurityGroupIngress',
      ]),
    );
    expect(await hsts()).toBe('max-age=63072000; includeSubDomains');
    expect([...(await listeners()).keys()]).toEqual([443]);
    expect(await ingress(`${PROJECT}-alb-sg`)).toEqual(['tcp 443 from 198.51.100.0/24', 'tcp 443 from 2001:db8::/32']);
    expect((await ingress(`${PROJECT}-host-sg`)).filter((r) => r.startsWith('tcp 22 '))).toEqual([
      'tcp 22 from 192.0.2.0/24',
      'tcp 22 from 203.0.113.7/32',
    ]);

    expectNoMutatingCalls(await up(ws), 'a converged up after the change');
  }, 240_000);

  it.each([
    [
      'a VPC inside the Docker pool',
      (c: Record<string, any>) =>
        (c.network = { vpcCidr: '172.20.0.0/16', subnetCidrs: ['172.20.1.0/24', '172.20.2.0/24'] }),
      'containers.networkPool: "172.20.0.0/16" overlaps network.vpcCidr 172.20.0.0/16',
    ],
    [
      "a pool over Docker's own bridge",
      (c: Record<string, any>) => (c.containers = { ...c.containers, networkPool: '172.16.0.0/12' }),
      'containers.networkPool: "172.16.0.0/12" overlaps Docker\'s default bridge network 172.17.0.0/16',
    ],
    [
      'a TLS policy that allows TLS 1.0',
      (c: Record<string, any>) => (c.alb = { ...c.alb, sslPolicy: 'ELBSecurityPolicy-TLS13-1-0-2021-06' }),
      'alb.sslPolicy: "ELBSecurityPolicy-TLS13-1-0-2021-06" is not a TLS policy whose oldest protocol is TLS 1.2 or 1.3; use one of ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09',
    ],
  ])('%s: validate, plan and up stop with exit 2, naming both, before any AWS call', async (_what, patch, message) => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'], patch });
    for (const command of [['phase', 'validate'], ['plan'], ['up']]) {
      const r = await ws.cli(command);
      expect(r.code, `${command.join(' ')}: ${describeResult(r)}`).toBe(2);
      expect(r.stderr).toContain(message);
      expectNoAwsCalls(r);
    }
  });
});
