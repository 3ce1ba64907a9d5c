import {
  AddRoleToInstanceProfileCommand,
  CreateInstanceProfileCommand,
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListInstanceProfilesForRoleCommand,
  ListRolePoliciesCommand,
  RemoveRoleFromInstanceProfileCommand,
  UpdateAssumeRolePolicyCommand,
  type IAMClient,
  type InstanceProfile,
  type Role,
} from '@aws-sdk/client-iam';
import { hasCode, IamCode, ignoring, isNotFound } from '../aws/errors.js';
import { findInstanceProfile, nameFromArn, parsePolicyDocument, samePolicy } from '../aws/find/iam.js';
import { ensureResource, inspectResource, removeResource, rowOf, type ResourceSpec } from '../aws/resource.js';
import { inlinePolicyFixes } from '../aws/iam/inline-policy.js';
import { afterPropagation, iamNamedSpec, roleSpec } from '../aws/iam/named.js';
import { tagList } from '../config/tags.js';
import { ec2ServicePrincipal, ec2TrustPolicy, hostPolicy, iamBlueprint } from '../blueprint/identity.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import { DevenvError, messageOf } from '../errors.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

function planned(ctx: Context) {
  const resources = iamBlueprint(ctx.model);
  return {
    role: pick(resources, 'iam/role'),
    policy: pick(resources, 'iam/policy'),
    profile: pick(resources, 'iam/profile'),
  };
}

function accountOf(ctx: Context): string {
  const account = ctx.state.data.account;
  if (!account)
    throw new DevenvError('state', 'iam: the AWS account is not known yet, so the policy cannot name its resources', {
      remedy: 'run `devenv phase validate` first',
    });
  return account;
}

const hostRoleSpec = (ctx: Context, p: PlannedResource): ResourceSpec<Role> =>
  roleSpec(ctx, p, ec2TrustPolicy(ctx.model.region), 'the code-server host');

function profileSpec(ctx: Context, p: PlannedResource): ResourceSpec<InstanceProfile> {
  const iam = ctx.aws.iam;
  return iamNamedSpec(
    ctx,
    p,
    (name) => findInstanceProfile(iam, name),
    async () =>
      (await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: p.name, Tags: tagList(p.tags) })))
        .InstanceProfile!,
  );
}

/** The host's inline policy against the least-privilege one; its fix's description is what `plan` says. */
const policyFixes = (ctx: Context, p: ReturnType<typeof planned>, account: string) =>
  inlinePolicyFixes(
    ctx,
    { role: p.role.name, policy: p.policy.name },
    hostPolicy(ctx.model, account),
    'differs from the least-privilege policy',
  );

const trustDiffers = (ctx: Context, role: Role) =>
  !samePolicy(parsePolicyDocument(role.AssumeRolePolicyDocument), ec2TrustPolicy(ctx.model.region));
const otherRoles = (profile: InstanceProfile, roleName: string) =>
  (profile.Roles ?? []).map((r) => r.RoleName!).filter((n) => n !== roleName);
const holdsRole = (profile: InstanceProfile, roleName: string) =>
  (profile.Roles ?? []).some((r) => r.RoleName === roleName);

async function apply(ctx: Context): Promise<void> {
  const iam = ctx.aws.iam;
  const p = planned(ctx);
  const account = accountOf(ctx);

  const { resource: role, outcome } = await ensureResource(ctx, hostRoleSpec(ctx, p.role));
  if (outcome !== 'created' && trustDiffers(ctx, role)) {
    await iam.send(
      new UpdateAssumeRolePolicyCommand({
        RoleName: p.role.name,
        PolicyDocument: JSON.stringify(ec2TrustPolicy(ctx.model.region)),
      }),
    );
    ctx.report.resource({
      action: 'updated',
      logicalId: p.role.logicalId,
      message:
        `reset the trust policy of role ${p.role.name}: only ${ec2ServicePrincipal(ctx.model.region)} ` +
        'may assume it',
    });
  }

  const { exists, fixes } = await policyFixes(ctx, p, account);
  if (fixes.length) {
    for (const fix of fixes) await fix.run();
    ctx.report.resource(
      !exists
        ? {
            action: 'created',
            logicalId: p.policy.logicalId,
            kind: p.policy.kind,
            resourceId: p.policy.name,
            message: `put inline policy ${p.policy.name} on role ${p.role.name}`,
          }
        : {
            action: 'updated',
            logicalId: p.policy.logicalId,
            kind: p.policy.kind,
            resourceId: p.policy.name,
            message: `rewrote inline policy ${p.policy.name}: it differed from the least-privilege policy`,
          },
    );
  } else {
    ctx.report.resource({
      action: 'kept',
      logicalId: p.policy.logicalId,
      kind: p.policy.kind,
      resourceId: p.policy.name,
    });
  }
  if (!ctx.state.resource(p.policy.logicalId))
    await ctx.state.setResource(p.policy.logicalId, {
      kind: p.policy.kind,
      phase: 'iam',
      id: p.policy.name,
      attrs: { role: p.role.name },
    });

  const { resource: profile } = await ensureResource(ctx, profileSpec(ctx, p.profile));
  for (const other of otherRoles(profile, p.role.name)) {
    // A profile holds one role, so a stranger in it would leave no room for ours.
    await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.profile.name, RoleName: other }));
    ctx.report.warn(`removed role ${other} from instance profile ${p.profile.name}: it must hold ${p.role.name} only`);
  }
  if (!holdsRole(profile, p.role.name)) {
    await afterPropagation(ctx, `adding role ${p.role.name} to instance profile ${p.profile.name}`, () =>
      iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: p.profile.name, RoleName: p.role.name })),
    );
    ctx.report.resource({
      action: 'updated',
      logicalId: p.profile.logicalId,
      message: `added role ${p.role.name} to instance profile ${p.profile.name}`,
    });
  }
  await ctx.state.setOutputs('iam', {
    roleName: p.role.name,
    roleArn: role.Arn!,
    instanceProfileName: p.profile.name,
    instanceProfileArn: profile.Arn!,
  });
}

async function destroy(ctx: Context): Promise<void> {
  const iam = ctx.aws.iam;
  const p = planned(ctx);
  await removeResource(ctx, profileSpec(ctx, p.profile), async (arn, found) => {
    const name = nameFromArn(arn);
    const profile = found ?? (await findInstanceProfile(iam, name));
    for (const r of profile?.Roles ?? [])
      await ignoring(isNotFound, () =>
        iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: r.RoleName })),
      );
    await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: name })).catch((err) => {
      if (!hasCode(err, IamCode.deleteConflict)) throw err;
      throw new DevenvError('aws', `cannot delete instance profile ${name}: ${messageOf(err)}`, {
        remedy:
          'destroy the host first (`devenv destroy` removes the ec2 phase before iam), or remove the ' +
          'role AWS names from the profile',
        cause: err,
      });
    });
  });
  await removeResource(ctx, hostRoleSpec(ctx, p.role), async (arn) => {
    const name = nameFromArn(arn);
    if (
      await ignoring(isNotFound, () =>
        iam.send(new DeleteRolePolicyCommand({ RoleName: name, PolicyName: p.policy.name })),
      )
    )
      ctx.report.step(`deleted inline policy ${p.policy.name}`);
    await iam.send(new DeleteRoleCommand({ RoleName: name })).catch(async (err) => {
      throw hasCode(err, IamCode.deleteConflict) ? await explainRoleConflict(iam, name, err) : err;
    });
  });
  if (ctx.state.resource(p.policy.logicalId)) await ctx.state.forget(p.policy.logicalId);
}

/** DeleteConflict only says "must remove policies first": name what still holds the role. */
async function explainRoleConflict(iam: IAMClient, roleName: string, cause: unknown): Promise<DevenvError> {
  const [inline, attached, profiles] = await Promise.all([
    iam.send(new ListRolePoliciesCommand({ RoleName: roleName })),
    iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName })),
    iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: roleName })),
  ]);
  const holders = [
    ...(inline.PolicyNames ?? []).map((n) => `inline policy ${n}`),
    ...(attached.AttachedPolicies ?? []).map((a) => `managed policy ${a.PolicyArn}`),
    ...(profiles.InstanceProfiles ?? []).map((ip) => `instance profile ${ip.InstanceProfileName}`),
  ];
  return new DevenvError(
    'aws',
    `cannot delete IAM role ${roleName}: ` +
      `${holders.length ? `it still has ${holders.join(', ')}, added outside devenv` : messageOf(cause)}`,
    {
      remedy:
        'remove them (aws iam delete-role-policy / detach-role-policy / ' +
        `remove-role-from-instance-profile), then run \`devenv destroy\` again`,
      cause,
    },
  );
}

/** One read for `plan` and `status`: the role, its inline policy and the profile, each read once. */
async function inspect(ctx: Context): Promise<Inspection> {
  const p = planned(ctx);
  const roleProbe = await inspectResource(ctx, hostRoleSpec(ctx, p.role), p.role.name);
  const { resource: role, ...roleChange } = roleProbe;
  const changes: Change[] = [roleChange];
  if (role && trustDiffers(ctx, role))
    changes.push({
      ...roleChange,
      action: 'update',
      detail: `trust policy: only ${ec2ServicePrincipal(ctx.model.region)} may assume it`,
    });
  const { exists, fixes } = role ? await policyFixes(ctx, p, accountOf(ctx)) : { exists: false, fixes: [] };
  const policyAction = !exists ? 'create' : fixes.length ? 'update' : 'keep';
  changes.push({
    phase: 'iam',
    action: policyAction,
    logicalId: p.policy.logicalId,
    kind: p.policy.kind,
    name: p.policy.name,
    ...(policyAction === 'update' ? { detail: fixes[0]!.description } : {}),
  });
  const profileProbe = await inspectResource(ctx, profileSpec(ctx, p.profile), p.profile.name);
  const { resource: profile, ...profileChange } = profileProbe;
  changes.push(profile ? profileChange : { ...profileChange, detail: `holding role ${p.role.name}` });
  if (profile && (!holdsRole(profile, p.role.name) || otherRoles(profile, p.role.name).length > 0)) {
    changes.push({ ...profileChange, action: 'update', detail: `make it hold role ${p.role.name} only` });
  }
  const policyState = { create: 'missing', keep: 'in sync', update: 'differs from the least-privilege policy' }[
    policyAction
  ];
  const rows: Row[] = [
    rowOf(roleProbe, (r) => (trustDiffers(ctx, r) ? 'trust policy differs' : 'exists')),
    { phase: 'iam', logicalId: p.policy.logicalId, kind: p.policy.kind, id: p.policy.name, state: policyState },
    rowOf(
      profileProbe,
      () => 'exists',
      (ip) => `roles: ${(ip.Roles ?? []).map((r) => r.RoleName).join(', ') || 'none'}`,
    ),
  ];
  return { changes, rows };
}

const phase: Phase = { name: 'iam', apply, destroy, ...fromInspection(inspect) };
export default phase;
