/**
 * The sg phase against a small in-memory EC2 behind aws-sdk-client-mock: Describe* read `world`,
 * mutating calls change it the way EC2 does (a group name is unique per VPC, an existing rule is
 * InvalidPermission.Duplicate and fails the whole call, a group another group's rule names cannot
 * be deleted …). Any command not faked here fails.
 */
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateTagsCommand,
  DeleteSecurityGroupCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupRulesCommand,
  DescribeSecurityGroupsCommand,
  EC2Client,
  EC2ServiceException,
  RevokeSecurityGroupIngressCommand,
  type Filter,
  type NetworkInterface,
  type SecurityGroup,
  type SecurityGroupRule,
  type Tag,
} from '@aws-sdk/client-ec2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { isMutating } from '../../src/aws/clients.js';
import { tagList } from '../../src/config/tags.js';
import { sgBlueprint } from '../../src/blueprint/network.js';
import { pick } from '../../src/blueprint/types.js';
import { DevenvError } from '../../src/errors.js';
import sgPhase from '../../src/phases/sg.js';
import { type fakeClock, testContext, type TestContext } from '../helpers/context.js';
import { sentCalls } from '../helpers/calls.js';

const VPC_ID = 'vpc-0000cafe';
const ADMIN = '203.0.113.7/32';

// --- a small EC2 -------------------------------------------------------------------------------

interface World {
  groups: SecurityGroup[];
  /** Ingress and egress rules of every group. */
  rules: SecurityGroupRule[];
  interfaces: NetworkInterface[];
  /** Rule ids DescribeSecurityGroupRules does not show yet (EC2 is eventually consistent). */
  lagging: Set<string>;
  /** Group ids DescribeSecurityGroups by filter does not show yet. */
  unlisted: Set<string>;
}

let world: World;
let counter = 0;
let crashAfter: string | undefined;
const newId = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(8, '0')}`;
const ec2 = sdkMock(EC2Client);

const awsError = (code: string, message = code) =>
  new EC2ServiceException({ name: code, $fault: 'client', $metadata: {}, message });
const tagOf = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;
const ingress = (groupId: string) => world.rules.filter((r) => r.GroupId === groupId && !r.IsEgress);
const sourceOf = (r: SecurityGroupRule) => r.CidrIpv4 ?? r.CidrIpv6 ?? r.ReferencedGroupInfo?.GroupId;
const sameRule = (a: SecurityGroupRule, b: SecurityGroupRule) =>
  a.GroupId === b.GroupId &&
  a.IsEgress === b.IsEgress &&
  a.IpProtocol === b.IpProtocol &&
  a.FromPort === b.FromPort &&
  a.ToPort === b.ToPort &&
  sourceOf(a) === sourceOf(b);

function groupFilter(g: SecurityGroup, { Name, Values }: Filter): boolean {
  const name = Name!;
  if (name.startsWith('tag:')) return Values!.includes(tagOf(g.Tags, name.slice(4))!);
  if (name === 'group-name') return Values!.includes(g.GroupName!);
  if (name === 'vpc-id') return Values!.includes(g.VpcId!);
  if (name === 'ip-permission.group-id')
    return ingress(g.GroupId!).some((r) => Values!.includes(r.ReferencedGroupInfo?.GroupId ?? ''));
  throw new Error(`fake EC2 has no security group filter ${name}`);
}

function groupOf(id: string | undefined): SecurityGroup {
  const group = world.groups.find((g) => g.GroupId === id);
  if (!group) throw awsError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
  return group;
}

function mutating<I, O>(op: string, change: (input: I) => O): (input: I) => O {
  return (input) => {
    const output = change(input);
    if (crashAfter === op) throw new Error(`crash after ${op}`);
    return output;
  };
}

function fakeEc2(): void {
  ec2.onAnyCommand().rejects(new Error('EC2 call not faked in this test'));
  ec2.on(DescribeSecurityGroupsCommand).callsFake((i: DescribeSecurityGroupsCommand['input']) => {
    if (i.GroupIds?.length) return { SecurityGroups: structuredClone(i.GroupIds.map(groupOf)) };
    const listed = world.groups.filter(
      (g) => !world.unlisted.has(g.GroupId!) && (i.Filters ?? []).every((f) => groupFilter(g, f)),
    );
    return { SecurityGroups: structuredClone(listed) };
  });
  ec2.on(DescribeSecurityGroupRulesCommand).callsFake((i: DescribeSecurityGroupRulesCommand['input']) => {
    const groupIds = i.Filters?.find((f) => f.Name === 'group-id')?.Values ?? [];
    const rules = world.rules.filter((r) => groupIds.includes(r.GroupId!));
    const shown = rules.filter((r) => !world.lagging.has(r.SecurityGroupRuleId!));
    for (const r of rules) world.lagging.delete(r.SecurityGroupRuleId!); // shown from the next describe on
    return { SecurityGroupRules: structuredClone(shown) };
  });
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((i: DescribeNetworkInterfacesCommand['input']) => {
    const groupIds = i.Filters?.find((f) => f.Name === 'group-id')?.Values ?? [];
    return { NetworkInterfaces: world.interfaces.filter((n) => n.Groups?.some((g) => groupIds.includes(g.GroupId!))) };
  });

  ec2.on(CreateSecurityGroupCommand).callsFake(
    mutating('CreateSecurityGroup', (i: CreateSecurityGroupCommand['input']) => {
      if (world.groups.some((g) => g.GroupName === i.GroupName && g.VpcId === i.VpcId)) {
        throw awsError(
          'InvalidGroup.Duplicate',
          `The security group '${i.GroupName}' already exists for VPC '${i.VpcId}'`,
        );
      }
      const GroupId = newId('sg');
      world.groups.push({
        GroupId,
        GroupName: i.GroupName,
        Description: i.Description,
        VpcId: i.VpcId,
        Tags: i.TagSpecifications?.[0]?.Tags ?? [],
      });
      world.rules.push({
        SecurityGroupRuleId: newId('sgr'),
        GroupId,
        IsEgress: true,
        IpProtocol: '-1',
        FromPort: -1,
        ToPort: -1,
        CidrIpv4: '0.0.0.0/0',
      });
      return { GroupId };
    }),
  );
  ec2.on(AuthorizeSecurityGroupIngressCommand).callsFake(
    mutating('AuthorizeSecurityGroupIngress', (i: AuthorizeSecurityGroupIngressCommand['input']) => {
      groupOf(i.GroupId);
      const added: SecurityGroupRule[] = (i.IpPermissions ?? []).flatMap((p) => {
        const base = {
          GroupId: i.GroupId,
          IsEgress: false,
          IpProtocol: p.IpProtocol,
          FromPort: p.FromPort,
          ToPort: p.ToPort,
          Tags: i.TagSpecifications?.[0]?.Tags,
        };
        return [
          ...(p.IpRanges ?? []).map((r) => ({
            ...base,
            SecurityGroupRuleId: newId('sgr'),
            CidrIpv4: r.CidrIp,
            Description: r.Description,
          })),
          // EC2 writes an IPv6 block in its short lower-case form, however it was sent.
          ...(p.Ipv6Ranges ?? []).map((r) => ({
            ...base,
            SecurityGroupRuleId: newId('sgr'),
            CidrIpv6: r.CidrIpv6!.toLowerCase(),
            Description: r.Description,
          })),
          ...(p.UserIdGroupPairs ?? []).map((r) => ({
            ...base,
            SecurityGroupRuleId: newId('sgr'),
            ReferencedGroupInfo: { GroupId: r.GroupId },
            Description: r.Description,
          })),
        ];
      });
      // All or nothing, as in EC2: one existing rule fails the call.
      if (added.some((a) => world.rules.some((r) => sameRule(a, r))))
        throw awsError('InvalidPermission.Duplicate', 'the specified rule already exists');
      world.rules.push(...added);
      return { Return: true };
    }),
  );
  ec2.on(RevokeSecurityGroupIngressCommand).callsFake(
    mutating('RevokeSecurityGroupIngress', (i: RevokeSecurityGroupIngressCommand['input']) => {
      groupOf(i.GroupId);
      const ids = i.SecurityGroupRuleIds ?? [];
      const unknown = ids.find((id) => !ingress(i.GroupId!).some((r) => r.SecurityGroupRuleId === id));
      if (unknown)
        throw awsError('InvalidSecurityGroupRuleId.NotFound', `The security group rule ID '${unknown}' does not exist`);
      world.rules = world.rules.filter((r) => !ids.includes(r.SecurityGroupRuleId!));
      return { Return: true };
    }),
  );
  ec2.on(DeleteSecurityGroupCommand).callsFake(
    mutating('DeleteSecurityGroup', (i: DeleteSecurityGroupCommand['input']) => {
      groupOf(i.GroupId);
      const referenced = world.rules.some((r) => r.ReferencedGroupInfo?.GroupId === i.GroupId);
      const inUse = world.interfaces.some((n) => n.Groups?.some((g) => g.GroupId === i.GroupId));
      if (referenced || inUse) throw awsError('DependencyViolation', `resource ${i.GroupId} has a dependent object`);
      world.groups = world.groups.filter((g) => g.GroupId !== i.GroupId);
      world.rules = world.rules.filter((r) => r.GroupId !== i.GroupId);
      return {};
    }),
  );
  ec2.on(CreateTagsCommand).callsFake(
    mutating('CreateTags', (i: CreateTagsCommand['input']) => {
      for (const id of i.Resources ?? []) {
        const group = groupOf(id);
        group.Tags = [...(group.Tags ?? []).filter((t) => !i.Tags?.some((n) => n.Key === t.Key)), ...(i.Tags ?? [])];
      }
      return {};
    }),
  );
}

// --- helpers -----------------------------------------------------------------------------------

const sent = () => sentCalls(ec2);
const mutations = () => sent().filter((c) => isMutating(c.op));
const mutatingOps = () => mutations().map((c) => c.op);
const inputsOf = (op: string) =>
  sent()
    .filter((c) => c.op === op)
    .map((c) => c.input);
/** The tags the blueprint gives a group: what every create and authorize call must carry. */
const ourTags = (ctx: TestContext, logicalId: string) => tagList(pick(sgBlueprint(ctx.model), logicalId).tags);
const groupNamed = (name: string) => world.groups.find((g) => g.GroupName === name)!;
const progress = (ctx: TestContext) => ctx.events.filter((e) => e.type === 'progress');
/** `tcp 22 from 203.0.113.7/32` for every ingress rule of a group, sorted. */
const rulesOf = (groupId: string, names: Record<string, string> = {}) =>
  ingress(groupId)
    .map((r) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} from ${names[sourceOf(r)!] ?? sourceOf(r)}`)
    .sort();

/** A Context whose state records the VPC, as the vpc phase leaves it. */
async function sgContext(overrides: Parameters<typeof testContext>[1] = {}): Promise<TestContext> {
  const ctx = await testContext('sg', overrides);
  await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: VPC_ID });
  return ctx;
}

/** The same project and state as `ctx`, with a changed config (as when the user edits it and runs again). */
async function withConfig(ctx: TestContext, overrides: Parameters<typeof testContext>[1]): Promise<TestContext> {
  const next = await testContext('sg', overrides);
  Object.assign(next.state.data.resources, structuredClone(ctx.state.data.resources));
  return next;
}

/** Applies once, so the world holds both groups as a first apply leaves them; returns their ids. */
async function converged(ctx: TestContext): Promise<{ alb: string; host: string }> {
  await sgPhase.apply(ctx);
  ec2.resetHistory();
  return { alb: groupNamed('demo-alb-sg').GroupId!, host: groupNamed('demo-host-sg').GroupId! };
}

beforeEach(() => {
  resetSdkMocks();
  world = { groups: [], rules: [], interfaces: [], lagging: new Set(), unlisted: new Set() };
  crashAfter = undefined;
  fakeEc2();
});

// --- apply -------------------------------------------------------------------------------------

describe('sg apply', () => {
  it('creates both groups, tagged, and authorizes their rules in one call each, when nothing exists', async () => {
    const ctx = await sgContext();
    await sgPhase.apply(ctx);

    expect(mutatingOps()).toEqual([
      'CreateSecurityGroup',
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupIngress',
    ]);
    const [createAlb, createHost, authorizeAlb, authorizeHost] = mutations().map((c) => c.input);
    expect(createAlb).toEqual({
      GroupName: 'demo-alb-sg',
      Description: 'devenv ALB: HTTP and HTTPS from anywhere',
      VpcId: VPC_ID,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: ourTags(ctx, 'sg/alb') }],
    });
    expect(createHost).toMatchObject({
      GroupName: 'demo-host-sg',
      VpcId: VPC_ID,
      TagSpecifications: [{ ResourceType: 'security-group', Tags: ourTags(ctx, 'sg/host') }],
    });

    const alb = groupNamed('demo-alb-sg').GroupId!;
    expect(authorizeAlb).toEqual({
      GroupId: alb,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 80,
          ToPort: 80,
          IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTP from anywhere (redirected to HTTPS)' }],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 443,
          ToPort: 443,
          IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS from anywhere' }],
        },
      ],
      TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: ourTags(ctx, 'sg/alb') }],
    });
    expect(authorizeHost).toMatchObject({
      GroupId: groupNamed('demo-host-sg').GroupId,
      IpPermissions: [
        {
          IpProtocol: 'tcp',
          FromPort: 8443,
          ToPort: 8444,
          UserIdGroupPairs: [{ GroupId: alb, Description: 'code-server containers, from the ALB only' }],
        },
        {
          IpProtocol: 'tcp',
          FromPort: 22,
          ToPort: 22,
          IpRanges: [{ CidrIp: ADMIN, Description: 'SSH from the admin network' }],
        },
      ],
    });
    expect(world.rules.filter((r) => r.IsEgress)).toHaveLength(2); // the default egress rules, untouched
    expect(ctx.state.resource('sg/host')!.id).toBe(groupNamed('demo-host-sg').GroupId);
    expect(ctx.state.phase('sg')!.outputs).toEqual({
      albGroupId: alb,
      hostGroupId: groupNamed('demo-host-sg').GroupId,
    });
  });

  it('makes no mutating call when both groups and all their rules exist', async () => {
    const ctx = await sgContext();
    await converged(ctx);
    await sgPhase.apply(ctx);
    expect(mutatingOps()).toEqual([]);
  });

  it('adopts both groups and creates nothing when the state file was lost', async () => {
    const { alb } = await converged(await sgContext());
    const fresh = await sgContext();
    await sgPhase.apply(fresh);
    expect(mutatingOps()).toEqual([]);
    expect(fresh.state.resource('sg/alb')!.id).toBe(alb);
  });

  it('authorizes only the rule that is missing', async () => {
    const ctx = await sgContext();
    const { host } = await converged(ctx);
    world.rules = world.rules.filter((r) => !(r.GroupId === host && r.FromPort === 22));

    await sgPhase.apply(ctx);
    expect(mutations()).toEqual([
      {
        op: 'AuthorizeSecurityGroupIngress',
        input: {
          GroupId: host,
          IpPermissions: [
            {
              IpProtocol: 'tcp',
              FromPort: 22,
              ToPort: 22,
              IpRanges: [{ CidrIp: ADMIN, Description: 'SSH from the admin network' }],
            },
          ],
          TagSpecifications: [{ ResourceType: 'security-group-rule', Tags: ourTags(ctx, 'sg/host') }],
        },
      },
    ]);
  });

  it('adopts a group AWS created just before the run died, and gives it its rules', async () => {
    const ctx = await sgContext();
    crashAfter = 'CreateSecurityGroup';
    await expect(sgPhase.apply(ctx)).rejects.toThrow('crash');
    crashAfter = undefined;
    ec2.resetHistory();

    await sgPhase.apply(ctx);
    expect(world.groups.map((g) => g.GroupName)).toEqual(['demo-alb-sg', 'demo-host-sg']);
    expect(mutatingOps()).toEqual([
      'CreateSecurityGroup',
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupIngress',
    ]);
  });

  it('replaces the SSH rule with one revoke and one authorize when the admin CIDR changed', async () => {
    const ctx = await sgContext();
    const { alb, host } = await converged(ctx);
    const oldSsh = ingress(host).find((r) => r.FromPort === 22)!;
    const moved = await withConfig(ctx, { ssh: { adminCidr: '198.51.100.0/24' } });

    await sgPhase.apply(moved);
    expect(mutations()).toEqual([
      {
        op: 'AuthorizeSecurityGroupIngress',
        input: expect.objectContaining({
          GroupId: host,
          IpPermissions: [
            expect.objectContaining({
              FromPort: 22,
              IpRanges: [expect.objectContaining({ CidrIp: '198.51.100.0/24' })],
            }),
          ],
        }),
      },
      {
        op: 'RevokeSecurityGroupIngress',
        input: { GroupId: host, SecurityGroupRuleIds: [oldSsh.SecurityGroupRuleId] },
      },
    ]);
    expect(rulesOf(host, { [alb]: 'sg/alb' })).toEqual(['tcp 22-22 from 198.51.100.0/24', 'tcp 8443-8444 from sg/alb']);
  });

  it('widens the port range, authorizing the new rule before revoking the old, when developers are added', async () => {
    const ctx = await sgContext();
    const { alb, host } = await converged(ctx);
    const grown = await withConfig(ctx, { developers: ['alice', 'bob', 'carol'] });

    const [, hostChange] = await sgPhase.plan(grown);
    expect(hostChange).toMatchObject({
      action: 'update',
      detail: 'authorize tcp 8443-8445 from sg/alb; revoke tcp 8443-8444 from sg/alb',
    });
    expect(mutatingOps()).toEqual([]);

    await sgPhase.apply(grown);
    expect(mutatingOps()).toEqual(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress']);
    expect(rulesOf(host, { [alb]: 'sg/alb' })).toEqual([`tcp 22-22 from ${ADMIN}`, 'tcp 8443-8445 from sg/alb']);
    expect(grown.events).toContainEqual(
      expect.objectContaining({
        type: 'resource',
        action: 'updated',
        logicalId: 'sg/host',
        message: `sg/host ${host}: revoke tcp 8443-8444 from sg/alb`,
      }),
    );
  });

  it('alb.allowedCidrs (IPv4 and IPv6) replace the open rules: the new ones authorized first, the 0.0.0.0/0 ones revoked; a rerun changes nothing', async () => {
    const ctx = await sgContext();
    const { alb } = await converged(ctx);
    const open = ingress(alb).map((r) => r.SecurityGroupRuleId);
    const narrowed = await withConfig(ctx, { alb: { allowedCidrs: ['198.51.100.0/24', '2001:DB8:0:0::/32'] } });

    await sgPhase.apply(narrowed);
    expect(mutatingOps()).toEqual(['AuthorizeSecurityGroupIngress', 'RevokeSecurityGroupIngress']);
    const [authorize, revoke] = mutations();
    expect(authorize!.input.IpPermissions).toEqual([
      {
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'HTTP from alb.allowedCidrs (redirected to HTTPS)' }],
      },
      {
        IpProtocol: 'tcp',
        FromPort: 80,
        ToPort: 80,
        Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32', Description: 'HTTP from alb.allowedCidrs (redirected to HTTPS)' }],
      },
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        IpRanges: [{ CidrIp: '198.51.100.0/24', Description: 'HTTPS from alb.allowedCidrs' }],
      },
      {
        IpProtocol: 'tcp',
        FromPort: 443,
        ToPort: 443,
        Ipv6Ranges: [{ CidrIpv6: '2001:db8::/32', Description: 'HTTPS from alb.allowedCidrs' }],
      },
    ]);
    expect(revoke!.input).toEqual({ GroupId: alb, SecurityGroupRuleIds: open });
    expect(rulesOf(alb)).toEqual([
      'tcp 443-443 from 198.51.100.0/24',
      'tcp 443-443 from 2001:db8::/32',
      'tcp 80-80 from 198.51.100.0/24',
      'tcp 80-80 from 2001:db8::/32',
    ]);

    ec2.resetHistory();
    await sgPhase.apply(narrowed);
    expect(mutatingOps()).toEqual([]);
  });

  it('alb.httpRedirect false revokes port 80 only', async () => {
    const ctx = await sgContext();
    const { alb } = await converged(ctx);
    const port80 = ingress(alb).find((r) => r.FromPort === 80)!;
    await sgPhase.apply(await withConfig(ctx, { alb: { httpRedirect: false } }));
    expect(mutations()).toEqual([
      { op: 'RevokeSecurityGroupIngress', input: { GroupId: alb, SecurityGroupRuleIds: [port80.SecurityGroupRuleId] } },
    ]);
    expect(rulesOf(alb)).toEqual(['tcp 443-443 from 0.0.0.0/0']);
  });

  it('ssh.adminCidrs: one SSH rule per block, reconciled like the others', async () => {
    const ctx = await sgContext({ ssh: { adminCidrs: [ADMIN, '198.51.100.0/24'] } });
    const { alb, host } = await converged(ctx);
    expect(rulesOf(host, { [alb]: 'sg/alb' })).toEqual([
      'tcp 22-22 from 198.51.100.0/24',
      `tcp 22-22 from ${ADMIN}`,
      'tcp 8443-8444 from sg/alb',
    ]);
    await sgPhase.apply(ctx);
    expect(mutatingOps()).toEqual([]);
    const dropped = ingress(host).find((r) => r.CidrIpv4 === '198.51.100.0/24')!;
    await sgPhase.apply(await withConfig(ctx, { ssh: { adminCidrs: [ADMIN] } }));
    expect(mutations()).toEqual([
      {
        op: 'RevokeSecurityGroupIngress',
        input: { GroupId: host, SecurityGroupRuleIds: [dropped.SecurityGroupRuleId] },
      },
    ]);
  });

  it('revokes an inbound rule added by hand, and leaves egress alone', async () => {
    const ctx = await sgContext();
    const { alb } = await converged(ctx);
    world.rules.push({
      SecurityGroupRuleId: 'sgr-0000hand',
      GroupId: alb,
      IsEgress: false,
      IpProtocol: 'tcp',
      FromPort: 3389,
      ToPort: 3389,
      CidrIpv4: '0.0.0.0/0',
    });

    await sgPhase.apply(ctx);
    expect(mutations()).toEqual([
      { op: 'RevokeSecurityGroupIngress', input: { GroupId: alb, SecurityGroupRuleIds: ['sgr-0000hand'] } },
    ]);
    expect(world.rules.filter((r) => r.IsEgress)).toHaveLength(2);
  });

  it('adopts the group its tags find when the recorded id no longer exists', async () => {
    const ctx = await sgContext();
    const { host } = await converged(ctx);
    await ctx.state.setResource('sg/host', { kind: 'security group', phase: 'sg', id: 'sg-0000dead' });

    await sgPhase.apply(ctx);
    expect(mutatingOps()).toEqual([]);
    expect(ctx.state.resource('sg/host')!.id).toBe(host);
  });

  it('stops, naming both, when two groups carry the same tags', async () => {
    const ctx = await sgContext();
    for (const [GroupId, GroupName] of [
      ['sg-00000aaa', 'demo-alb-sg'],
      ['sg-00000bbb', 'copy-of-alb-sg'],
    ]) {
      world.groups.push({ GroupId, GroupName, VpcId: VPC_ID, Tags: ourTags(ctx, 'sg/alb') });
    }
    await expect(sgPhase.apply(ctx)).rejects.toThrow(/sg-00000aaa, sg-00000bbb/);
    expect(mutatingOps()).toEqual([]);
  });

  it('adopts and tags a group that has its name but no devenv tags (one the old scripts made)', async () => {
    const ctx = await sgContext();
    world.groups.push({
      GroupId: 'sg-0000old1',
      GroupName: 'demo-alb-sg',
      VpcId: VPC_ID,
      Tags: [{ Key: 'Project', Value: 'demo' }],
    });

    await sgPhase.apply(ctx);
    expect(world.groups.filter((g) => g.GroupName === 'demo-alb-sg')).toHaveLength(1);
    expect(inputsOf('CreateSecurityGroup').map((i) => i.GroupName)).toEqual(['demo-host-sg']);
    expect(inputsOf('CreateTags')).toEqual([{ Resources: ['sg-0000old1'], Tags: ourTags(ctx, 'sg/alb') }]);
    expect(ctx.state.resource('sg/alb')!.id).toBe('sg-0000old1');
    expect(tagOf(groupNamed('demo-alb-sg').Tags, 'devenv:resource')).toBe('sg/alb');
  });

  it('uses the group when CreateSecurityGroup says the name is taken but Describe did not show it yet', async () => {
    const ctx = await sgContext();
    world.groups.push({
      GroupId: 'sg-0000late',
      GroupName: 'demo-alb-sg',
      VpcId: VPC_ID,
      Tags: ourTags(ctx, 'sg/alb'),
    });
    world.unlisted.add('sg-0000late');
    ec2.on(CreateSecurityGroupCommand, { GroupName: 'demo-alb-sg' }).callsFake(() => {
      world.unlisted.clear(); // by now EC2's describe has caught up
      throw awsError('InvalidGroup.Duplicate', `The security group 'demo-alb-sg' already exists for VPC '${VPC_ID}'`);
    });

    await sgPhase.apply(ctx);
    expect(ctx.state.resource('sg/alb')!.id).toBe('sg-0000late');
    expect(world.groups.filter((g) => g.GroupName === 'demo-alb-sg')).toHaveLength(1);
    expect(ctx.events).toContainEqual(
      expect.objectContaining({ type: 'warn', message: expect.stringContaining('already exists') }),
    );
  });

  it('adopts a group whose CreateSecurityGroup timed out after EC2 made it, sent once, not made twice', async () => {
    const ctx = await sgContext();
    ec2
      .on(CreateSecurityGroupCommand, { GroupName: 'demo-alb-sg' })
      .callsFakeOnce((i: CreateSecurityGroupCommand['input']) => {
        world.groups.push({
          GroupId: 'sg-0000made',
          GroupName: i.GroupName,
          VpcId: i.VpcId,
          Tags: i.TagSpecifications?.[0]?.Tags ?? [],
        });
        throw Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
      });

    await sgPhase.apply(ctx);
    expect(inputsOf('CreateSecurityGroup').map((i) => i.GroupName)).toEqual(['demo-alb-sg', 'demo-host-sg']);
    expect(world.groups.filter((g) => g.GroupName === 'demo-alb-sg')).toHaveLength(1);
    expect(ctx.state.resource('sg/alb')!.id).toBe('sg-0000made');
    expect(ec2.commandCalls(CreateSecurityGroupCommand).map((c) => c.thisValue)).toEqual([
      ctx.aws.ec2Untokened,
      ctx.aws.ec2Untokened,
    ]);
  });

  it('stops, saying so, when the name is taken but no search finds the group within the window', async () => {
    const ctx = await sgContext();
    world.groups.push({
      GroupId: 'sg-0000ghost',
      GroupName: 'demo-alb-sg',
      VpcId: VPC_ID,
      Tags: ourTags(ctx, 'sg/alb'),
    });
    world.unlisted.add('sg-0000ghost'); // EC2's describe never catches up in this test

    const failure = (await sgPhase.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(failure).toBeInstanceOf(DevenvError);
    expect(failure.message).toMatch(
      /AWS says the security group already exists \(The security group 'demo-alb-sg' already exists for VPC 'vpc-0000cafe'\)/,
    );
    expect(failure.remedy).toMatch(/run the same command again/);
    expect(inputsOf('CreateSecurityGroup')).toHaveLength(1);
  });

  it('adds the rest one by one when an authorize fails as a duplicate of a rule Describe did not show', async () => {
    const ctx = await sgContext();
    const { alb, host } = await converged(ctx);
    world.rules = world.rules.filter((r) => !(r.GroupId === host && r.FromPort === 8443));
    world.lagging.add(ingress(host).find((r) => r.FromPort === 22)!.SecurityGroupRuleId!);

    await sgPhase.apply(ctx);
    expect(mutatingOps()).toEqual([
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupIngress',
      'AuthorizeSecurityGroupIngress',
    ]);
    expect(rulesOf(host, { [alb]: 'sg/alb' })).toEqual([`tcp 22-22 from ${ADMIN}`, 'tcp 8443-8444 from sg/alb']);
  });

  it('refuses to run before the vpc phase, saying what to run', async () => {
    const ctx = await testContext('sg');
    const failure = await sgPhase.apply(ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DevenvError);
    expect((failure as DevenvError).remedy).toMatch(/devenv phase vpc/);
    expect(sent()).toEqual([]);
  });
});

// --- plan and status ---------------------------------------------------------------------------

describe('sg plan and status', () => {
  it('plans both groups with their rules from the config when nothing exists', async () => {
    const changes = await sgPhase.plan(await sgContext());
    expect(changes.map((c) => [c.action, c.logicalId, c.name])).toEqual([
      ['create', 'sg/alb', 'demo-alb-sg'],
      ['create', 'sg/host', 'demo-host-sg'],
    ]);
    expect(changes[1]!.detail).toContain(`ingress tcp 8443-8444 from sg/alb, tcp 22 from ${ADMIN}`);
    expect(mutatingOps()).toEqual([]);
  });

  it('reports each group in sync, or drifted with what apply would change', async () => {
    const ctx = await sgContext();
    const { host } = await converged(ctx);
    expect((await sgPhase.status(ctx)).map((r) => r.state)).toEqual(['in sync', 'in sync']);

    world.rules = world.rules.filter((r) => !(r.GroupId === host && r.FromPort === 22));
    const [, hostRow] = await sgPhase.status(ctx);
    expect(hostRow).toMatchObject({
      logicalId: 'sg/host',
      id: host,
      state: 'drifted',
      detail: `authorize tcp 22 from ${ADMIN}`,
    });
    expect(mutatingOps()).toEqual([]);
  });
});

// --- destroy -----------------------------------------------------------------------------------

describe('sg destroy', () => {
  it('revokes the host rule that names the ALB group, then deletes the host group, then the ALB group', async () => {
    const ctx = await sgContext();
    const { alb, host } = await converged(ctx);
    const fromAlb = ingress(host).find((r) => r.ReferencedGroupInfo?.GroupId === alb)!;

    await sgPhase.destroy(ctx);
    expect(mutations()).toEqual([
      {
        op: 'RevokeSecurityGroupIngress',
        input: { GroupId: host, SecurityGroupRuleIds: [fromAlb.SecurityGroupRuleId] },
      },
      { op: 'DeleteSecurityGroup', input: { GroupId: host } },
      { op: 'DeleteSecurityGroup', input: { GroupId: alb } },
    ]);
    expect(world.groups).toEqual([]);
    expect(ctx.state.resource('sg/alb')?.id).toBeUndefined();

    ec2.resetHistory();
    await sgPhase.destroy(ctx);
    expect(mutatingOps()).toEqual([]);
  });

  it('finds the groups by their tags when the state file was lost', async () => {
    await converged(await sgContext());
    await sgPhase.destroy(await testContext('sg'));
    expect(world.groups).toEqual([]);
  });

  it('succeeds when the recorded groups are already gone', async () => {
    const ctx = await sgContext();
    await ctx.state.setResource('sg/alb', { kind: 'security group', phase: 'sg', id: 'sg-0000dea1' });
    await ctx.state.setResource('sg/host', { kind: 'security group', phase: 'sg', id: 'sg-0000dea2' });

    await sgPhase.destroy(ctx);
    expect(mutatingOps()).toEqual(['DeleteSecurityGroup', 'DeleteSecurityGroup']);
    expect(ctx.state.resource('sg/alb')?.id).toBeUndefined();
    expect(ctx.state.resource('sg/host')?.id).toBeUndefined();
  });

  it('retries a group still used by a terminating instance until AWS releases it', async () => {
    const ctx = await sgContext();
    const { host } = await converged(ctx);
    world.interfaces.push({
      NetworkInterfaceId: 'eni-0000term',
      Groups: [{ GroupId: host }],
      Attachment: { InstanceId: 'i-0000dying' },
    });
    let polls = 0;
    const clock = ctx.clock as ReturnType<typeof fakeClock>;
    const sleep = clock.sleep;
    clock.sleep = async (ms) => {
      if (++polls === 3) world.interfaces = []; // the instance finished terminating
      await sleep(ms);
    };

    await sgPhase.destroy(ctx);
    expect(world.groups).toEqual([]);
    expect(progress(ctx)).toHaveLength(3);
  });

  it('gives up after the release window, naming the interface and the group that still use it', async () => {
    const ctx = await sgContext();
    const { alb, host } = await converged(ctx);
    world.interfaces.push({
      NetworkInterfaceId: 'eni-0000a1b2',
      Description: 'ELB app/demo-alb/50dc6c495c0c9188',
      Groups: [{ GroupId: alb }],
      RequesterManaged: true,
    });
    world.groups.push({ GroupId: 'sg-0000f0e1', GroupName: 'someone-elses-sg', VpcId: VPC_ID, Tags: [] });
    world.rules.push({
      SecurityGroupRuleId: 'sgr-0000f0e1',
      GroupId: 'sg-0000f0e1',
      IsEgress: false,
      IpProtocol: 'tcp',
      FromPort: 5432,
      ToPort: 5432,
      ReferencedGroupInfo: { GroupId: alb },
    });

    const failure = await sgPhase.destroy(ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DevenvError);
    const { message } = failure as DevenvError;
    expect(message).toMatch(
      new RegExp(
        `^cannot delete security group ${alb}: resource ${alb} has a dependent object \\(still failing after \\dm\\d\\ds of waiting`,
      ),
    );
    expect(message).toContain(
      'network interface eni-0000a1b2 "ELB app/demo-alb/50dc6c495c0c9188" (a load balancer interface',
    );
    expect(message).toContain(
      'security group sg-0000f0e1 (someone-elses-sg) allows traffic from it: revoke that rule or delete the group',
    );
    expect(world.groups.map((g) => g.GroupId)).not.toContain(host);
    expect(ctx.state.resource('sg/alb')!.id).toBe(alb); // kept, so the next destroy tries again
  });
});
