import { CreateSecurityGroupCommand, type SecurityGroup } from '@aws-sdk/client-ec2';
import { Ec2Code, hasCode } from '../aws/errors.js';
import { filter, findByTags, SECURITY_GROUPS } from '../aws/ec2/collections.js';
import { deleteSecurityGroup } from '../aws/ec2/delete.js';
import { tagFixes } from '../aws/ec2/fixes.js';
import { planChange, runFixes, type Fix } from '../aws/fix.js';
import { ec2Resource, ensureEc2Resource } from '../aws/ec2/resource.js';
import {
  groupRulesOf,
  ingressRulesOf,
  revokeRules,
  ruleFixes,
  signInEgressFixes,
  type WantedRule,
} from '../aws/ec2/rules.js';
import { inspectResource, removeResource, rowOf } from '../aws/resource.js';
import { tagSpecifications } from '../config/tags.js';
import { ingressRules, sgBlueprint } from '../blueprint/network.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import { recordedId } from '../state/recorded.js';
import { DevenvError } from '../errors.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

const PHASE = 'sg';
const GROUPS = ['sg/alb', 'sg/host'] as const;
type GroupLogicalId = (typeof GROUPS)[number];

const planned = (ctx: Context, logicalId: GroupLogicalId) => pick(sgBlueprint(ctx.model), logicalId);
const recordedVpcId = (ctx: Context) => ctx.state.resource('vpc')?.id;

// --- the groups --------------------------------------------------------------------------------

/**
 * A group is found by devenv's tags; failing that by its name, which is unique per VPC (a group the seed scripts made,
 * say).
 */
function groupSpec(ctx: Context, logicalId: GroupLogicalId, vpcId?: string) {
  const p = planned(ctx, logicalId);
  const spec = ec2Resource(ctx, SECURITY_GROUPS, p, () => createGroup(ctx, p, vpcId));
  const find = async () => {
    const tagged = await findByTags(ctx.aws.ec2, SECURITY_GROUPS, ctx.model, logicalId);
    return tagged.length > 0 || !vpcId ? tagged : findByName(ctx, p, vpcId);
  };
  // A taken name (a group a killed run made, not yet in EC2's describe) is found again by name: it is ours by name.
  return {
    ...spec,
    find,
    idempotent: false as const,
    alreadyExists: (err: unknown) => hasCode(err, Ec2Code.groupDuplicate),
  };
}

const findByName = (ctx: Context, p: PlannedResource, vpcId: string) =>
  SECURITY_GROUPS.list(ctx.aws.ec2, { filters: [filter('group-name', p.name), filter('vpc-id', vpcId)] });

async function createGroup(ctx: Context, p: PlannedResource, vpcId: string | undefined): Promise<SecurityGroup> {
  if (!vpcId) throw new Error('sg: the VPC id is needed to create a security group');
  const out = await ctx.aws.ec2Untokened.send(
    new CreateSecurityGroupCommand({
      GroupName: p.name,
      Description: String(p.properties.description),
      VpcId: vpcId,
      TagSpecifications: tagSpecifications('security-group', p.tags),
    }),
  );
  return { GroupId: out.GroupId, GroupName: p.name, VpcId: vpcId };
}

function mustBeIn(group: SecurityGroup, vpcId: string): void {
  if (group.VpcId === vpcId) return;
  throw new DevenvError(
    'aws',
    `security group ${group.GroupId} (${group.GroupName}) is in ${group.VpcId}, but devenv's VPC is ${vpcId}`,
    {
      remedy: `delete that group (aws ec2 delete-security-group --group-id ${group.GroupId}), then run again`,
    },
  );
}

// --- the rules ---------------------------------------------------------------------------------

/** The blueprint's rules of a group, with `sg/alb` resolved to the ALB group's id. */
function wantedRules(ctx: Context, logicalId: GroupLogicalId, albGroupId: string): WantedRule[] {
  const rules = ingressRules(ctx.model)[logicalId === 'sg/alb' ? 'alb' : 'host'];
  return rules.map((r) => (r.source === 'sg/alb' ? { ...r, groupId: albGroupId } : { ...r, cidr: r.source }));
}

async function fixesOf(
  ctx: Context,
  logicalId: GroupLogicalId,
  group: SecurityGroup,
  albGroupId: string,
): Promise<Fix[]> {
  const p = planned(ctx, logicalId);
  const groupId = group.GroupId!;
  const rules = await groupRulesOf(ctx.aws.ec2, groupId);
  const live = rules.filter((r) => !r.IsEgress);
  const names = { [albGroupId]: 'sg/alb' };
  const signIn = ctx.config.auth.provider !== 'password';
  return [
    ...tagFixes(ctx.aws.ec2, groupId, group.Tags, p),
    ...ruleFixes(ctx.aws.ec2, groupId, wantedRules(ctx, logicalId, albGroupId), live, p.tags, names),
    ...(logicalId === 'sg/alb' ? signInEgressFixes(ctx.aws.ec2, groupId, rules, signIn, p.tags) : []),
  ];
}

// --- the phase ---------------------------------------------------------------------------------

async function apply(ctx: Context): Promise<void> {
  const vpcId = recordedId(ctx, 'vpc', 'vpc', 'VPC');
  const groups = new Map<GroupLogicalId, SecurityGroup>();
  for (const logicalId of GROUPS) {
    const group = await ensureEc2Resource(ctx, groupSpec(ctx, logicalId, vpcId));
    mustBeIn(group, vpcId);
    groups.set(logicalId, group);
  }
  const albGroupId = groups.get('sg/alb')!.GroupId!;
  for (const [logicalId, group] of groups)
    await runFixes(ctx, await fixesOf(ctx, logicalId, group, albGroupId), {
      logicalId,
      subject: `${logicalId} ${group.GroupId}`,
    });
  await ctx.state.setOutputs(PHASE, { albGroupId, hostGroupId: groups.get('sg/host')!.GroupId! });
}

/** One read for `plan` and `status`: each group probed once, its rules read once. */
async function inspect(ctx: Context): Promise<Inspection> {
  const vpcId = recordedVpcId(ctx);
  const probed = [];
  for (const logicalId of GROUPS)
    probed.push(await inspectResource(ctx, groupSpec(ctx, logicalId, vpcId), planned(ctx, logicalId).name));
  // `plan` never runs a fix, so a group still to be created can stand in for its id.
  const albGroupId = probed[0]!.id ?? 'sg/alb (to be created)';
  const changes: Change[] = [];
  const rows: Row[] = [];
  for (const [i, logicalId] of GROUPS.entries()) {
    const c = probed[i]!;
    const fixes = c.resource ? await fixesOf(ctx, logicalId, c.resource, albGroupId) : [];
    changes.push(planChange(c, planned(ctx, logicalId), fixes));
    const drift = fixes.map((f) => f.description).join('; ');
    rows.push(
      rowOf(
        c,
        () => (drift ? 'drifted' : 'in sync'),
        (g) => drift || g.GroupName,
      ),
    );
  }
  return { changes, rows };
}

/**
 * Host group first, and its rules that name the ALB group before that: while a rule references
 * the ALB group, AWS refuses to delete it (DependencyViolation) [sg-delete].
 */
async function destroy(ctx: Context): Promise<void> {
  const vpcId = recordedVpcId(ctx);
  const albGroupId = ctx.state.resource('sg/alb')?.id;
  const names = albGroupId ? { [albGroupId]: 'sg/alb' } : {};
  for (const groupId of await hostGroupIds(ctx, vpcId)) {
    const referencing = (await ingressRulesOf(ctx.aws.ec2, groupId)).filter((r) => r.ReferencedGroupInfo?.GroupId);
    await runFixes(ctx, revokeRules(ctx.aws.ec2, groupId, referencing, names), {
      logicalId: 'sg/host',
      subject: `sg/host ${groupId}`,
    });
  }
  for (const logicalId of [...GROUPS].reverse()) {
    await removeResource(ctx, groupSpec(ctx, logicalId, vpcId), (id) => deleteSecurityGroup(ctx, id));
  }
}

/** The recorded host group and any other its tags (or name) find: what destroy deletes. */
async function hostGroupIds(ctx: Context, vpcId: string | undefined): Promise<Set<string>> {
  const known = ctx.state.resource('sg/host')?.id;
  const found = (await groupSpec(ctx, 'sg/host', vpcId).find()).map((g) => g.GroupId!);
  return new Set([...(known ? [known] : []), ...found]);
}

const phase: Phase = { name: PHASE, apply, destroy, ...fromInspection(inspect) };
export default phase;
