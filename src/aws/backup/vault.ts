import {
  CreateBackupVaultCommand,
  DeleteBackupVaultCommand,
  DeleteRecoveryPointCommand,
  DescribeBackupVaultCommand,
  ListTagsCommand,
  paginateListRecoveryPointsByBackupVault,
  type DescribeBackupVaultOutput,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import { hasCode, isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { retryWithin, type ConsistencyWindow } from '../retry.js';
import { requireProjectTag, tagList } from '../../config/tags.js';

export const BackupCode = {
  alreadyExists: 'AlreadyExistsException',
  /**
   * Also what Get/DeleteBackupSelection answer for a selection that does not exist, and CreateBackupSelection for a
   * role not usable yet.
   */
  invalidParameterValue: 'InvalidParameterValueException',
  /** "Backup vault cannot be deleted because it contains recovery points." */
  invalidRequest: 'InvalidRequestException',
} as const;

/** A Backup resource's tags (ListTags), as a tag list. */
export async function backupTags(ctx: Pick<AwsContext, 'aws'>, arn: string): Promise<{ Key: string; Value: string }[]> {
  return tagList((await ctx.aws.backup.send(new ListTagsCommand({ ResourceArn: arn }))).Tags ?? {});
}

async function describeVault(
  ctx: Pick<AwsContext, 'aws'>,
  name: string,
): Promise<DescribeBackupVaultOutput | undefined> {
  try {
    return await ctx.aws.backup.send(new DescribeBackupVaultCommand({ BackupVaultName: name }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The backup vault, by its deterministic name (unique per region); its id is that name. */
export function vaultSpec(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  p: PlannedResource,
): ResourceSpec<DescribeBackupVaultOutput> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (name) => describeVault(ctx, name),
    find: async () => {
      const vault = await describeVault(ctx, p.name);
      if (!vault) return [];
      requireProjectTag(ctx.model.project, await backupTags(ctx, vault.BackupVaultArn!), `backup vault ${p.name}`);
      return [vault];
    },
    create: async (token) => {
      const out = await ctx.aws.backup.send(
        new CreateBackupVaultCommand({ BackupVaultName: p.name, BackupVaultTags: p.tags, CreatorRequestId: token }),
      );
      return { BackupVaultName: out.BackupVaultName, BackupVaultArn: out.BackupVaultArn, NumberOfRecoveryPoints: 0 };
    },
    alreadyExists: (err) => hasCode(err, BackupCode.alreadyExists),
    idOf: (v) => v.BackupVaultName!,
    attrs: (v) => ({ arn: v.BackupVaultArn! }),
  };
}

export async function recoveryPoints(
  ctx: Pick<AwsContext, 'aws'>,
  vaultName: string,
): Promise<RecoveryPointByBackupVault[]> {
  const points: RecoveryPointByBackupVault[] = [];
  for await (const page of paginateListRecoveryPointsByBackupVault(
    { client: ctx.aws.backup },
    { BackupVaultName: vaultName },
  ))
    points.push(...(page.RecoveryPoints ?? []));
  return points;
}

export const deleteRecoveryPoint = (ctx: Pick<AwsContext, 'aws'>, vaultName: string, arn: string) =>
  ctx.aws.backup.send(new DeleteRecoveryPointCommand({ BackupVaultName: vaultName, RecoveryPointArn: arn }));

/** Recovery points are deleted asynchronously: the vault refuses to go while one is still there [delstack-370]. */
export const POINTS_DELETION: ConsistencyWindow = {
  name: "the vault's recovery points to be deleted",
  windowMs: 10 * 60_000,
  intervalMs: 15_000,
};
const holdsPoints = (err: unknown) =>
  hasCode(err, BackupCode.invalidRequest) && /recovery points/i.test((err as Error).message ?? '');

/** Deletes the vault, waiting (bounded) for the recovery points deleted just before to be gone. */
export const deleteVault = (ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>, name: string) =>
  retryWithin(
    POINTS_DELETION,
    holdsPoints,
    () => ctx.aws.backup.send(new DeleteBackupVaultCommand({ BackupVaultName: name })),
    {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`deleting backup vault ${name}: ${message}`),
    },
  );
