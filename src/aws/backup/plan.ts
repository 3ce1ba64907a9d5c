import {
  CreateBackupPlanCommand,
  DeleteBackupPlanCommand,
  GetBackupPlanCommand,
  UpdateBackupPlanCommand,
  paginateListBackupPlans,
  type BackupPlanInput,
  type BackupPlansListMember,
  type GetBackupPlanOutput,
} from '@aws-sdk/client-backup';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { hasCode } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { retryWithin, type ConsistencyWindow } from '../retry.js';
import { ownedByName } from '../../config/tags.js';
import { backupTags, BackupCode } from './vault.js';

/** The plan as devenv reads it: GetBackupPlan's answer, with its id. */
export type LivePlan = GetBackupPlanOutput & { BackupPlanId: string };

async function getPlan(ctx: Pick<AwsContext, 'aws'>, id: string): Promise<LivePlan | undefined> {
  const out = await ctx.aws.backup.send(new GetBackupPlanCommand({ BackupPlanId: id }));
  // A deleted plan stays readable, with its deletion date.
  return out.DeletionDate ? undefined : { ...out, BackupPlanId: id };
}

/** The backup plan, by its name (plans have ids; devenv's name is deterministic and checked against the tags). */
export function planSpec(
  ctx: Pick<AwsContext, 'aws' | 'model'>,
  p: PlannedResource,
  want: BackupPlanInput,
): ResourceSpec<LivePlan> {
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (id) => getPlan(ctx, id),
    find: async () => {
      const listed: BackupPlansListMember[] = [];
      for await (const page of paginateListBackupPlans({ client: ctx.aws.backup }, {}))
        listed.push(...(page.BackupPlansList ?? []));
      const ours = await ownedByName(ctx.model.project, 'backup plan', listed, p.name, {
        nameOf: (x) => (x.DeletionDate ? undefined : x.BackupPlanName),
        tagsOf: (found) => Promise.all(found.map((x) => backupTags(ctx, x.BackupPlanArn!))),
      });
      const live = await Promise.all(ours.map((x) => getPlan(ctx, x.BackupPlanId!)));
      return live.filter((x): x is LivePlan => x !== undefined);
    },
    create: async (token) => {
      const out = await ctx.aws.backup.send(
        new CreateBackupPlanCommand({ BackupPlan: want, BackupPlanTags: p.tags, CreatorRequestId: token }),
      );
      return {
        BackupPlanId: out.BackupPlanId!,
        BackupPlanArn: out.BackupPlanArn,
        VersionId: out.VersionId,
        BackupPlan: { BackupPlanName: want.BackupPlanName, Rules: [] },
      };
    },
    // AWS returns the existing plan for a repeated CreatorRequestId; moto answers AlreadyExists
    // (docs/aws-behaviour.md#moto-differences).
    alreadyExists: (err) => hasCode(err, BackupCode.alreadyExists),
    idOf: (plan) => plan.BackupPlanId,
    attrs: (plan) => ({ arn: plan.BackupPlanArn! }),
  };
}

/** The rule's settings devenv owns, as `want` and the live plan hold them. */
function ruleSummary(
  rule:
    | {
        TargetBackupVaultName?: string;
        ScheduleExpression?: string;
        StartWindowMinutes?: number;
        CompletionWindowMinutes?: number;
        Lifecycle?: { DeleteAfterDays?: number };
      }
    | undefined,
): string {
  if (!rule) return 'no rule';
  return (
    `vault ${rule.TargetBackupVaultName}, ${rule.ScheduleExpression}, start ` +
    `within ${rule.StartWindowMinutes} min, done within ${rule.CompletionWindowMinutes} min, ` +
    `keep ${rule.Lifecycle?.DeleteAfterDays ?? 'forever'} days`
  );
}

/** UpdateBackupPlan when the live rule differs from devenv's (a changed retention, a rule edited in the console). */
export function planFixes(ctx: Pick<AwsContext, 'aws'>, live: LivePlan, want: BackupPlanInput): Fix[] {
  const rules = live.BackupPlan?.Rules ?? [];
  const now =
    rules.length === 1 && rules[0]!.RuleName === want.Rules?.[0]?.RuleName
      ? ruleSummary(rules[0])
      : `${rules.length} rules`;
  const wanted = ruleSummary(want.Rules?.[0]);
  if (now === wanted) return [];
  return [
    {
      description: `rule: ${now} → ${wanted}`,
      run: () =>
        ctx.aws.backup.send(new UpdateBackupPlanCommand({ BackupPlanId: live.BackupPlanId, BackupPlan: want })),
    },
  ];
}

/**
 * DeleteBackupPlan right after DeleteBackupSelection answers InvalidRequestException ("Related backup
 * plan selections must be deleted prior to backup plan deletion") until the selection's deletion
 * has gone through (Terraform retries 2 minutes).
 */
export const SELECTIONS_DELETION: ConsistencyWindow = {
  name: "the plan's deleted selections to be gone",
  windowMs: 2 * 60_000,
  intervalMs: 5_000,
};
const selectionsRemain = (err: unknown) =>
  hasCode(err, BackupCode.invalidRequest) && /selections must be deleted/i.test((err as Error).message ?? '');

export const deletePlan = (ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>, id: string) =>
  retryWithin(
    SELECTIONS_DELETION,
    selectionsRemain,
    () => ctx.aws.backup.send(new DeleteBackupPlanCommand({ BackupPlanId: id })),
    {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`deleting backup plan ${id}: ${message}`),
    },
  );
