import type { BackupPlanInput, BackupSelection } from '@aws-sdk/client-backup';
import {
  AttachRolePolicyCommand,
  DetachRolePolicyCommand,
  ListAttachedRolePoliciesCommand,
  type AttachedPolicy,
} from '@aws-sdk/client-iam';
import { deletePlan, planFixes, planSpec } from '../../aws/backup/plan.js';
import {
  deleteSelection,
  findSelections,
  selectionDifferences,
  selectionSpec,
  type LiveSelection,
} from '../../aws/backup/selection.js';
import { deleteRecoveryPoint, deleteVault, recoveryPoints, vaultSpec } from '../../aws/backup/vault.js';
import { planChange, runFixes, type Fix } from '../../aws/fix.js';
import { ignoring, isNotFound } from '../../aws/errors.js';
import { nameFromArn } from '../../aws/find/iam.js';
import { deleteRole } from '../../aws/iam/delete-role.js';
import { afterPropagation, roleSpec } from '../../aws/iam/named.js';
import {
  bumpGeneration,
  ensureResource,
  inspectResource,
  probeResource,
  removeResource,
  rowOf,
  type ResourceSpec,
} from '../../aws/resource.js';
import { partitionOf } from '../../blueprint/identity.js';
import { BACKUP_MANAGED_POLICIES, BACKUP_RULE, monitoringBlueprint } from '../../blueprint/monitoring.js';
import { pick, type PlannedResource } from '../../blueprint/types.js';
import { recordedId } from '../../state/recorded.js';
import type { Context, Inspection, Row } from '../types.js';

/**
 * AWS Backup of the data volume: a service role devenv makes (the console's default role exists
 * only in accounts where someone used the console), a vault, a daily plan and a selection of the
 * volume. A selection cannot be updated: a new data volume means deleting it and making another.
 */

const ROLE = 'backup/role';
const VAULT = 'backup/vault';
const PLAN = 'backup/plan';
const SELECTION = 'backup/selection';
const planned = (ctx: Context, logicalId: string): PlannedResource => pick(monitoringBlueprint(ctx.model), logicalId);

export const backupTrustPolicy = () => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'backup.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

const managedPolicyArns = (ctx: Context) =>
  BACKUP_MANAGED_POLICIES.map((name) => `arn:${partitionOf(ctx.model.region)}:iam::aws:policy/service-role/${name}`);
const volumeArn = (ctx: Context, volumeId: string) =>
  `arn:${partitionOf(ctx.model.region)}:ec2:${ctx.model.region}:${ctx.state.data.account}:volume/${volumeId}`;

const backupRoleSpec = (ctx: Context) =>
  roleSpec(ctx, planned(ctx, ROLE), backupTrustPolicy(), 'AWS Backup of the data volume');

export function planInput(ctx: Context): BackupPlanInput {
  return {
    BackupPlanName: planned(ctx, PLAN).name,
    Rules: [
      {
        RuleName: BACKUP_RULE.name,
        TargetBackupVaultName: planned(ctx, VAULT).name,
        ScheduleExpression: BACKUP_RULE.schedule,
        StartWindowMinutes: BACKUP_RULE.startWindowMinutes,
        CompletionWindowMinutes: BACKUP_RULE.completionWindowMinutes,
        Lifecycle: { DeleteAfterDays: ctx.config.monitoring.backupRetentionDays },
      },
    ],
  };
}

const selectionInput = (ctx: Context, roleArn: string, volumeId: string): BackupSelection => ({
  SelectionName: planned(ctx, SELECTION).name,
  IamRoleArn: roleArn,
  Resources: [volumeArn(ctx, volumeId)],
});

const attachedPolicies = async (ctx: Context, roleName: string): Promise<AttachedPolicy[]> =>
  (await ctx.aws.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName }))).AttachedPolicies ?? [];

/**
 * The role is devenv's: the managed policies it wants are attached, any other (an older devenv's restores policy, one
 * added by hand) detached.
 */
function policyFixes(ctx: Context, roleName: string, attached: AttachedPolicy[]): Fix[] {
  const wanted = managedPolicyArns(ctx);
  const attach = wanted
    .filter((arn) => !attached.some((a) => a.PolicyArn === arn))
    .map(
      (arn): Fix => ({
        description: `attach ${arn.slice(arn.lastIndexOf('/') + 1)}`,
        run: () =>
          afterPropagation(ctx, `attaching ${arn} to role ${roleName}`, () =>
            ctx.aws.iam.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: arn })),
          ),
      }),
    );
  const detach = attached
    .filter((a) => !wanted.includes(a.PolicyArn!))
    .map(
      (a): Fix => ({
        description: `detach ${a.PolicyArn!.slice(a.PolicyArn!.lastIndexOf('/') + 1)} (more than backups need)`,
        run: () =>
          ignoring(isNotFound, () =>
            ctx.aws.iam.send(new DetachRolePolicyCommand({ RoleName: roleName, PolicyArn: a.PolicyArn })),
          ),
      }),
    );
  return [...attach, ...detach];
}

/**
 * The selection of the data volume. A selection cannot be updated, so one that selects another
 * volume (the data volume was replaced or adopted) or uses another role is deleted and made again,
 * with a new token (the old one would give back the deleted selection).
 */
async function ensureSelection(ctx: Context, planId: string, roleArn: string, volumeId: string): Promise<void> {
  const want = selectionInput(ctx, roleArn, volumeId);
  const spec = (): ResourceSpec<LiveSelection> => selectionSpec(ctx, planned(ctx, SELECTION), planId, want);
  const { resource, outcome } = await ensureResource(ctx, spec());
  const differences = outcome === 'created' ? [] : selectionDifferences(resource.BackupSelection, want);
  if (!differences.length) return;
  await deleteSelection(ctx, planId, resource.SelectionId);
  ctx.report.resource({
    action: 'deleted',
    logicalId: SELECTION,
    kind: 'backup selection',
    resourceId: resource.SelectionId,
    message: `deleted backup selection ${resource.SelectionId}: it ${differences.join('; ')}`,
  });
  await bumpGeneration(ctx, SELECTION);
  await ensureResource(ctx, spec());
}

export async function ensureBackup(ctx: Context): Promise<void> {
  const volumeId = recordedId(ctx, 'volume/data', 'ec2');
  const { resource: role, outcome } = await ensureResource(ctx, backupRoleSpec(ctx));
  await runFixes(
    ctx,
    policyFixes(ctx, role.RoleName!, outcome === 'created' ? [] : await attachedPolicies(ctx, role.RoleName!)),
    { logicalId: ROLE, subject: `role ${role.RoleName}` },
  );
  await ensureResource(ctx, vaultSpec(ctx, planned(ctx, VAULT)));
  const want = planInput(ctx);
  const { resource: plan, outcome: planOutcome } = await ensureResource(ctx, planSpec(ctx, planned(ctx, PLAN), want));
  if (planOutcome !== 'created')
    await runFixes(ctx, planFixes(ctx, plan, want), { logicalId: PLAN, subject: `backup plan ${want.BackupPlanName}` });
  await ensureSelection(ctx, plan.BackupPlanId, role.Arn!, volumeId);
}

/**
 * One read for `plan` and `status`: the role and its policies, the vault, the plan and its rule, the selection and what
 * it selects.
 */
export async function inspectBackup(ctx: Context): Promise<Inspection> {
  const roleP = planned(ctx, ROLE);
  const role = await inspectResource(ctx, backupRoleSpec(ctx), roleP.name);
  const roleFixes = role.resource ? policyFixes(ctx, roleP.name, await attachedPolicies(ctx, roleP.name)) : [];
  const vaultP = planned(ctx, VAULT);
  const vault = await inspectResource(ctx, vaultSpec(ctx, vaultP), vaultP.name);
  const planP = planned(ctx, PLAN);
  const plan = await inspectResource(ctx, planSpec(ctx, planP, planInput(ctx)), planP.name);
  const days = ctx.config.monitoring.backupRetentionDays;
  const changes = [
    planChange(role, roleP, roleFixes),
    planChange(vault, vaultP, []),
    planChange(plan, planP, plan.resource ? planFixes(ctx, plan.resource, planInput(ctx)) : []),
  ];
  const rows = [
    rowOf(role, () => 'exists'),
    rowOf(
      vault,
      () => 'exists',
      (v) => `${v.NumberOfRecoveryPoints ?? 0} recovery points`,
    ),
    rowOf(
      plan,
      () => 'exists',
      () => `${BACKUP_RULE.schedule}, keep ${days} days`,
    ),
  ];
  const selP = planned(ctx, SELECTION);
  const selectionRow: Row = { phase: 'monitoring', logicalId: SELECTION, kind: selP.kind, state: 'missing' };
  if (!plan.resource || !role.resource) {
    return {
      changes: [
        ...changes,
        planChange(
          { phase: 'monitoring', action: 'create', logicalId: SELECTION, kind: selP.kind, name: selP.name },
          selP,
          [],
        ),
      ],
      rows: [...rows, selectionRow],
    };
  }
  // Without a state file the data volume is not known yet (ec2 adopts it first): the selection is then only found, not
  // compared.
  const volumeId = ctx.state.resource('volume/data')?.id;
  const want = volumeId ? selectionInput(ctx, role.resource.Arn!, volumeId) : undefined;
  const sel = await inspectResource(
    ctx,
    selectionSpec(
      ctx,
      selP,
      plan.resource.BackupPlanId,
      want ?? { SelectionName: selP.name, IamRoleArn: role.resource.Arn! },
    ),
    selP.name,
  );
  const differences = sel.resource && want ? selectionDifferences(sel.resource.BackupSelection, want) : [];
  const selChange = differences.length
    ? {
        ...planChange(sel, selP, []),
        action: 'replace' as const,
        detail: `it ${differences.join('; ')}: a selection cannot be changed`,
      }
    : planChange(sel, selP, []);
  const selected = sel.resource?.BackupSelection.Resources ?? [];
  const selRow = rowOf(
    sel,
    () =>
      volumeId && selected.includes(volumeArn(ctx, volumeId)) ? 'selects the data volume' : 'selects another volume',
    () => selected.join(', '),
  );
  return { changes: [...changes, selChange], rows: [...rows, sel.resource ? selRow : selectionRow] };
}

/**
 * Selection, plan, the vault (emptied first only with --delete-data; otherwise a vault holding
 * recovery points is kept and said so), then the role.
 */
export async function removeBackup(ctx: Context): Promise<void> {
  const planP = planned(ctx, PLAN);
  await removeResource(ctx, planSpec(ctx, planP, planInput(ctx)), async (planId) => {
    for (const s of await findSelections(ctx, planId, planned(ctx, SELECTION).name)) {
      await deleteSelection(ctx, planId, s.SelectionId);
      ctx.report.resource({
        action: 'deleted',
        logicalId: SELECTION,
        kind: 'backup selection',
        resourceId: s.SelectionId,
        message: `deleted backup selection ${s.SelectionId}`,
      });
    }
    await deletePlan(ctx, planId);
  });
  if (ctx.state.resource(SELECTION)) await ctx.state.forget(SELECTION);
  await removeVault(ctx);
  await removeResource(ctx, backupRoleSpec(ctx), (arn) => deleteRole(ctx, nameFromArn(arn)));
  for (const id of [PLAN, ROLE]) if (ctx.state.resource(id)) await ctx.state.forget(id);
}

async function removeVault(ctx: Context): Promise<void> {
  const p = planned(ctx, VAULT);
  const vault = (await probeResource(ctx, vaultSpec(ctx, p))).resource;
  if (!vault) {
    if (ctx.state.resource(VAULT)) await ctx.state.forget(VAULT);
    return;
  }
  const points = await recoveryPoints(ctx, p.name);
  if (points.length && !ctx.options.deleteData) {
    ctx.report.resource({
      action: 'kept',
      logicalId: VAULT,
      kind: p.kind,
      resourceId: p.name,
      message:
        `kept backup vault ${p.name} and its ${points.length} recovery point(s) of the data volume: ` +
        `\`devenv destroy --delete-data\` deletes them`,
    });
    return;
  }
  for (const point of points) {
    await ignoring(isNotFound, () => deleteRecoveryPoint(ctx, p.name, point.RecoveryPointArn!));
    ctx.report.resource({
      action: 'deleted',
      logicalId: VAULT,
      kind: 'recovery point',
      resourceId: point.RecoveryPointArn,
      message: `deleted recovery point ${point.RecoveryPointArn}`,
    });
  }
  await removeResource(ctx, vaultSpec(ctx, p), async (name) => void (await deleteVault(ctx, name)));
  if (ctx.state.resource(VAULT)) await ctx.state.forget(VAULT);
}
