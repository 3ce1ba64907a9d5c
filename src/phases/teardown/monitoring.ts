import {
  paginateListBackupPlans,
  paginateListBackupSelections,
  paginateListBackupVaults,
  type BackupPlansListMember,
  type BackupVaultListMember,
  type RecoveryPointByBackupVault,
} from '@aws-sdk/client-backup';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import type { LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import {
  ListTagsForResourceCommand as ListTopicTagsCommand,
  paginateListTopics,
  type Topic,
} from '@aws-sdk/client-sns';
import { logGroupPrefix } from '../../blueprint/identity.js';
import { deletePlan } from '../../aws/backup/plan.js';
import { deleteSelection } from '../../aws/backup/selection.js';
import {
  backupTags,
  deleteRecoveryPoint,
  deleteVault,
  recoveryPoints as listRecoveryPoints,
} from '../../aws/backup/vault.js';
import { alarmTags, deleteAlarms, listAlarms } from '../../aws/cloudwatch/alarms.js';
import { collect } from '../../aws/ec2/collections.js';
import { deleteLogGroup, listLogGroups, logGroupTags } from '../../aws/logs/log-groups.js';
import { deleteTopic } from '../../aws/sns/topic.js';
import { TAG, tagValue } from '../../config/tags.js';
import { mayBeNamedFor, sweeper, type Found, type SweepContext, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// Monitoring: log groups, alarms, the alarm topic, and AWS Backup's plan (with its selection),
// recovery points and vault. Each service lists without tags, so each candidate's tags are read,
// except a log group's or alarm's that the state records (one per developer each).

const isOurs = (ctx: SweepContext, project: string | undefined) => project === ctx.model.project;

/** Candidates whose tags say they are this project's; `tagsOf` gives the value of the devenv:project tag. */
async function withProjectTag<T>(
  ctx: SweepContext,
  candidates: T[],
  projectTagOf: (c: T) => Promise<string | undefined>,
): Promise<T[]> {
  const out: T[] = [];
  for (const c of candidates) if (isOurs(ctx, await projectTagOf(c))) out.push(c);
  return out;
}

/**
 * Ids the state records for this kind. Each was created with the project's tags in the same call (the resource rule),
 * and the phases' own deletes trust them as this project's: their tags need no read. What the state forgot is read.
 */
const recordedIds = (ctx: SweepContext, kind: string) =>
  new Set(ctx.state.existing().flatMap(([, r]) => (r.kind === kind ? [r.id!] : [])));

const logGroups = sweeper<LogGroup>({
  name: 'log-groups',
  // A host still running would write on.
  needs: ['instances'],
  list: async (ctx) => {
    const prefix = `${logGroupPrefix(ctx.model)}/`;
    const recorded = recordedIds(ctx, 'log group');
    const found = await withProjectTag(ctx, await listLogGroups(ctx, prefix), async (g) =>
      recorded.has(g.logGroupName!) ? ctx.model.project : (await logGroupTags(ctx, g))[TAG.project],
    );
    return found.map((g) => ({ kind: 'log group', id: g.logGroupName!, resource: g }));
  },
  remove: async (ctx, f) => void (await deleteLogGroup(ctx, f.id)),
});

const alarms = sweeper<MetricAlarm>({
  name: 'alarms',
  needs: [],
  list: async (ctx) => {
    const all = await listAlarms(ctx, ctx.model.project.slice(0, 40));
    const recorded = recordedIds(ctx, 'CloudWatch alarm');
    const found = await withProjectTag(ctx, all, async (a) =>
      recorded.has(a.AlarmArn!) ? ctx.model.project : tagValue(await alarmTags(ctx, a.AlarmArn!), TAG.project),
    );
    return found.map((a) => ({ kind: 'CloudWatch alarm', id: a.AlarmName!, resource: a }));
  },
  remove: (ctx, f) => deleteAlarms(ctx, [f.id]),
});

const topicName = (t: Topic) => t.TopicArn!.slice(t.TopicArn!.lastIndexOf(':') + 1);

/** The alarm e-mail topic; deleting it deletes its subscriptions. */
const topics = sweeper<Topic>({
  name: 'topics',
  needs: ['alarms'],
  list: async (ctx) => {
    const all = (await collect(paginateListTopics({ client: ctx.aws.sns }, {}), (p) => p.Topics)).filter((t) =>
      mayBeNamedFor(ctx.model.project, topicName(t)),
    );
    const found = await withProjectTag(ctx, all, async (t) =>
      tagValue((await ctx.aws.sns.send(new ListTopicTagsCommand({ ResourceArn: t.TopicArn }))).Tags, TAG.project),
    );
    return found.map((t) => ({ kind: 'SNS topic', id: t.TopicArn!, resource: t }));
  },
  remove: async (ctx, f) => void (await deleteTopic(ctx, f.id)),
});

const backupTag = async (ctx: SweepContext, arn: string) => tagValue(await backupTags(ctx, arn), TAG.project);

/** The plan, after its selections (a plan with selections cannot be deleted). */
const backupPlans = sweeper<BackupPlansListMember>({
  name: 'backup-plans',
  needs: [],
  list: async (ctx) => {
    const all = await collect(paginateListBackupPlans({ client: ctx.aws.backup }, {}), (p) => p.BackupPlansList);
    const found = await withProjectTag(ctx, all, (p) => backupTag(ctx, p.BackupPlanArn!));
    return found.map((p) => ({
      kind: 'backup plan',
      id: p.BackupPlanId!,
      label: `${p.BackupPlanName} (${p.BackupPlanId})`,
      resource: p,
    }));
  },
  remove: async (ctx, f) => {
    for (const s of await collect(
      paginateListBackupSelections({ client: ctx.aws.backup }, { BackupPlanId: f.id }),
      (p) => p.BackupSelectionsList,
    )) {
      await deleteSelection(ctx, f.id, s.SelectionId!);
      ctx.report.step(`deleted backup selection ${s.SelectionName} of plan ${f.resource.BackupPlanName}`);
    }
    await deletePlan(ctx, f.id);
  },
});

const projectVaults = (ctx: SweepContext): Promise<BackupVaultListMember[]> =>
  ctx.once('backup-vaults', async () => {
    const all = await collect(paginateListBackupVaults({ client: ctx.aws.backup }, {}), (p) => p.BackupVaultList);
    return withProjectTag(ctx, all, (v) => backupTag(ctx, v.BackupVaultArn!));
  });

/** Recovery points still there (one being deleted is on its way out). */
async function pointsIn(ctx: SweepContext, vault: string): Promise<RecoveryPointByBackupVault[]> {
  return (await listRecoveryPoints(ctx, vault)).filter((p) => p.Status !== 'DELETING');
}

const KEEP_RECOVERY_POINT = 'a backup of the data volume; `destroy --delete-data` deletes it';

/** Backups of the data volume are data: deleted only with --delete-data. */
const recoveryPoints = sweeper<RecoveryPointByBackupVault>({
  name: 'recovery-points',
  needs: ['backup-plans'],
  list: async (ctx) => {
    const found: Found<RecoveryPointByBackupVault>[] = [];
    for (const v of await projectVaults(ctx)) {
      for (const p of await pointsIn(ctx, v.BackupVaultName!)) {
        found.push({
          kind: 'recovery point',
          id: p.RecoveryPointArn!,
          label: `${p.RecoveryPointArn} of ${p.ResourceArn}`,
          resource: p,
          ...(ctx.options.deleteData ? {} : { kept: KEEP_RECOVERY_POINT }),
        });
      }
    }
    return found;
  },
  remove: async (ctx, f) => void (await deleteRecoveryPoint(ctx, f.resource.BackupVaultName!, f.id)),
});

const backupVaults = sweeper<BackupVaultListMember>({
  name: 'backup-vaults',
  needs: ['recovery-points'],
  list: async (ctx) => {
    const found: Found<BackupVaultListMember>[] = [];
    for (const v of await projectVaults(ctx)) {
      const kept = ctx.options.deleteData ? 0 : (await pointsIn(ctx, v.BackupVaultName!)).length;
      found.push({
        kind: 'backup vault',
        id: v.BackupVaultName!,
        resource: v,
        ...(kept ? { kept: `holds ${kept} recovery point${kept > 1 ? 's' : ''} of the data volume` } : {}),
      });
    }
    return found;
  },
  remove: async (ctx, f) => void (await deleteVault(ctx, f.id)),
});

export const MONITORING_SWEEPERS: Sweeper[] = [logGroups, alarms, topics, backupPlans, recoveryPoints, backupVaults];
