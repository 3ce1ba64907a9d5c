import {
  CreateBackupSelectionCommand,
  DeleteBackupSelectionCommand,
  GetBackupSelectionCommand,
  paginateListBackupSelections,
  type BackupSelection,
} from '@aws-sdk/client-backup';
import type { PlannedResource } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import type { AwsContext } from '../context.js';
import { hasCode, isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { IAM_PROPAGATION, retryWithin } from '../retry.js';
import { BackupCode } from './vault.js';

/** A selection as devenv reads it (selections take no tags: they live inside their plan). */
export interface LiveSelection {
  SelectionId: string;
  BackupSelection: BackupSelection;
}

/**
 * Get/DeleteBackupSelection answer InvalidParameterValueException, not a NotFound code, for a selection that does not
 * exist.
 */
const isMissingSelection = (err: unknown) => isNotFound(err) || hasCode(err, BackupCode.invalidParameterValue);

async function getSelection(
  ctx: Pick<AwsContext, 'aws'>,
  planId: string,
  id: string,
): Promise<LiveSelection | undefined> {
  try {
    const out = await ctx.aws.backup.send(new GetBackupSelectionCommand({ BackupPlanId: planId, SelectionId: id }));
    return {
      SelectionId: id,
      BackupSelection: out.BackupSelection ?? { SelectionName: undefined, IamRoleArn: undefined },
    };
  } catch (err) {
    if (isMissingSelection(err)) return undefined;
    throw err;
  }
}

/**
 * CreateBackupSelection refuses a role IAM has only just made with InvalidParameterValueException
 * for up to about two minutes (Terraform retries it): retried within IAM_PROPAGATION.
 */
async function createSelection(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  planId: string,
  selection: BackupSelection,
  token: string,
): Promise<string> {
  try {
    return await retryWithin(
      IAM_PROPAGATION,
      (err) => hasCode(err, BackupCode.invalidParameterValue),
      async () =>
        (
          await ctx.aws.backup.send(
            new CreateBackupSelectionCommand({
              BackupPlanId: planId,
              BackupSelection: selection,
              CreatorRequestId: token,
            }),
          )
        ).SelectionId!,
      {
        clock: ctx.clock,
        signal: ctx.signal,
        onRetry: (message) => ctx.report.progress(`creating backup selection ${selection.SelectionName}: ${message}`),
      },
    );
  } catch (err) {
    if (!hasCode(err, BackupCode.invalidParameterValue)) throw err;
    throw new DevenvError(
      'aws',
      `AWS Backup refuses selection ${selection.SelectionName} with role ${selection.IamRoleArn}: ${messageOf(err)}`,
      {
        remedy:
          `check that the role exists, trusts backup.amazonaws.com and has the ` +
          `AWSBackupServiceRolePolicyForBackup policy (aws iam get-role / list-attached-role-policies), then run ` +
          `\`devenv up\` again`,
        cause: err,
      },
    );
  }
}

/** The selections of a plan that carry a name (devenv's plan is found by its tags; a selection takes none). */
export async function findSelections(
  ctx: Pick<AwsContext, 'aws'>,
  planId: string,
  name: string,
): Promise<LiveSelection[]> {
  const found: LiveSelection[] = [];
  for await (const page of paginateListBackupSelections({ client: ctx.aws.backup }, { BackupPlanId: planId })) {
    for (const s of (page.BackupSelectionsList ?? []).filter((x) => x.SelectionName === name)) {
      const live = await getSelection(ctx, planId, s.SelectionId!);
      if (live) found.push(live);
    }
  }
  return found;
}

/** The plan's selection of the data volume, by its name within devenv's plan. */
export function selectionSpec(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  p: PlannedResource,
  planId: string,
  want: BackupSelection,
): ResourceSpec<LiveSelection> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (id) => getSelection(ctx, planId, id),
    find: () => findSelections(ctx, planId, p.name),
    create: async (token) => ({ SelectionId: await createSelection(ctx, planId, want, token), BackupSelection: want }),
    idOf: (s) => s.SelectionId,
    attrs: () => ({ planId, resources: want.Resources ?? [] }),
  };
}

/**
 * Why a live selection is not devenv's: a selection cannot be updated, so any difference means delete and create again.
 */
export function selectionDifferences(live: BackupSelection, want: BackupSelection): string[] {
  const out: string[] = [];
  const same = (a: string[] | undefined, b: string[] | undefined) =>
    JSON.stringify([...(a ?? [])].sort()) === JSON.stringify([...(b ?? [])].sort());
  if (!same(live.Resources, want.Resources))
    out.push(`selects ${(live.Resources ?? []).join(', ') || 'nothing'}, not ${(want.Resources ?? []).join(', ')}`);
  if (live.IamRoleArn !== want.IamRoleArn) out.push(`uses role ${live.IamRoleArn}, not ${want.IamRoleArn}`);
  return out;
}

export async function deleteSelection(ctx: Pick<AwsContext, 'aws'>, planId: string, id: string): Promise<void> {
  try {
    await ctx.aws.backup.send(new DeleteBackupSelectionCommand({ BackupPlanId: planId, SelectionId: id }));
  } catch (err) {
    if (!isMissingSelection(err)) throw err;
  }
}
