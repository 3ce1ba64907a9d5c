import type { Model } from '../config/model.js';
import { logGroupPrefix } from './identity.js';
import { awsResource, type PlannedResource } from './types.js';

/**
 * What the monitoring phase creates, from the config alone: the log groups the host's CloudWatch
 * agent ships to, the alarms, the optional e-mail topic, and AWS Backup of the data volume.
 */

/**
 * The log group of each thing the host's CloudWatch agent ships: the system log, Docker's, each developer's container.
 */
export const logGroupName = (model: Pick<Model, 'project'>, source: 'system' | 'docker' | { developer: string }) =>
  `${logGroupPrefix(model)}/${typeof source === 'string' ? source : `containers/${source.developer}`}`;

/**
 * Where a dimension's value comes from: the host, the load balancer, or a developer's target group (resolved by the
 * phase from the state).
 */
export type DimensionSource = 'instance' | 'loadBalancer' | 'targetGroup';

/** One alarm as CloudWatch takes it, but with its dimensions named by source rather than value. */
export interface AlarmDefinition {
  logicalId: string;
  developer?: string;
  namespace: string;
  metricName: string;
  dimensions: [name: string, source: DimensionSource][];
  statistic: 'Average' | 'Sum' | 'Maximum';
  periodSeconds: number;
  evaluationPeriods: number;
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
  /** Chosen per alarm: what a period without data points means for that metric. */
  treatMissingData: 'notBreaching' | 'breaching' | 'missing';
  description: string;
}

export function alarmDefinitions(model: Model): AlarmDefinition[] {
  return [
    {
      // Basic monitoring publishes CPUUtilization every 5 minutes: a shorter period would always lack data.
      logicalId: 'alarm/cpu',
      namespace: 'AWS/EC2',
      metricName: 'CPUUtilization',
      dimensions: [['InstanceId', 'instance']],
      statistic: 'Average',
      periodSeconds: 300,
      evaluationPeriods: 2,
      threshold: 80,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      description: 'host CPU above 80% for 10 minutes (a stopped host is not busy: no data is not an alarm)',
    },
    {
      // Status checks are published every minute. A host that stops reporting them is down, or stopped: that is worth
      // an e-mail.
      logicalId: 'alarm/status-check',
      namespace: 'AWS/EC2',
      metricName: 'StatusCheckFailed',
      dimensions: [['InstanceId', 'instance']],
      statistic: 'Maximum',
      periodSeconds: 60,
      evaluationPeriods: 2,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
      // With office hours or idle stop the host sleeps on purpose, and a sleeping host reports nothing.
      treatMissingData: model.config.schedule ? 'notBreaching' : 'breaching',
      description: model.config.schedule
        ? 'host status check failed for 2 minutes'
        : 'host status check failed for 2 minutes, or the host stopped reporting',
    },
    {
      // t3 runs in unlimited mode: CPU beyond the earned credits is billed. Other types never publish the metric.
      logicalId: 'alarm/cpu-credits',
      namespace: 'AWS/EC2',
      metricName: 'CPUSurplusCreditsCharged',
      dimensions: [['InstanceId', 'instance']],
      statistic: 'Sum',
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      description: 'surplus CPU credits charged (unlimited mode bills CPU beyond the earned credits)',
    },
    {
      // The load balancer publishes 5xx counts only when there are some.
      logicalId: 'alarm/alb-5xx',
      namespace: 'AWS/ApplicationELB',
      metricName: 'HTTPCode_ELB_5XX_Count',
      dimensions: [['LoadBalancer', 'loadBalancer']],
      statistic: 'Sum',
      periodSeconds: 300,
      evaluationPeriods: 1,
      threshold: 10,
      comparison: 'GreaterThanThreshold',
      treatMissingData: 'notBreaching',
      description: 'more than 10 load balancer 5xx answers in 5 minutes',
    },
    ...model.developers.map(
      (d): AlarmDefinition => ({
        // UnHealthyHostCount exists only per load balancer and target group together.
        logicalId: `alarm/unhealthy/${d.name}`,
        developer: d.name,
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions: [
          ['LoadBalancer', 'loadBalancer'],
          ['TargetGroup', 'targetGroup'],
        ],
        statistic: 'Maximum',
        periodSeconds: 60,
        evaluationPeriods: 3,
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
        treatMissingData: 'notBreaching',
        description: `${d.name}'s code-server unhealthy for 3 minutes`,
      }),
    ),
  ];
}

/** AWS Backup's daily rule: 02:00 UTC, started within the hour, done within a day. */
export const BACKUP_RULE = {
  name: 'DailyBackup',
  schedule: 'cron(0 2 * * ? *)',
  startWindowMinutes: 60,
  completionWindowMinutes: 24 * 60,
} as const;

/** The managed policies AWS Backup's own service role gets (the console's AWSBackupDefaultServiceRole). */
/**
 * What the backup role may do: take the backups. Restores never go through AWS Backup (the README's
 * restore makes a volume from the snapshot with EC2 and adopts it), so AWS's restores policy, which
 * may create and overwrite resources of every kind AWS Backup knows, is not attached.
 */
export const BACKUP_MANAGED_POLICIES = ['AWSBackupServiceRolePolicyForBackup'] as const;

/**
 * The SNS topic the alarms notify: made only when `monitoring.alarmEmail` is set (and deleted when it no longer is).
 */
/** The alarm e-mail topic's logical id. */
export const ALARM_TOPIC = 'alarm/topic';

export const alarmTopic = (model: Model): PlannedResource =>
  awsResource(
    model,
    ALARM_TOPIC,
    'SNS topic',
    {
      subscription: `e-mail to ${model.config.monitoring.alarmEmail ?? '(none)'}, confirmed from its first message`,
    },
    undefined,
    `${model.project}-alarms`,
  );

export function monitoringBlueprint(model: Model): PlannedResource[] {
  const { logRetentionDays, backupRetentionDays, alarmEmail } = model.config.monitoring;
  const logGroup = (logicalId: string, name: string, developer?: string) =>
    awsResource(
      model,
      logicalId,
      'log group',
      { retentionDays: logRetentionDays, shippedBy: "the host's CloudWatch agent" },
      developer,
      name,
    );
  const alarmDetail = (a: AlarmDefinition) =>
    `${a.metricName} ${a.comparison === 'GreaterThanThreshold' ? '>' : '≥'} ${a.threshold} ` +
    `(${a.statistic}, ${a.periodSeconds} s × ${a.evaluationPeriods}), missing data ${a.treatMissingData}`;
  return [
    logGroup('logs/system', logGroupName(model, 'system')),
    logGroup('logs/docker', logGroupName(model, 'docker')),
    ...model.developers.map((d) =>
      logGroup(`logs/containers/${d.name}`, logGroupName(model, { developer: d.name }), d.name),
    ),
    ...(alarmEmail ? [alarmTopic(model)] : []),
    ...alarmDefinitions(model).map((a) =>
      awsResource(
        model,
        a.logicalId,
        'CloudWatch alarm',
        { metric: alarmDetail(a), notifies: alarmEmail ? ALARM_TOPIC : 'nobody (no monitoring.alarmEmail)' },
        a.developer,
      ),
    ),
    awsResource(
      model,
      'backup/role',
      'IAM role',
      { trust: 'backup.amazonaws.com', managedPolicies: [...BACKUP_MANAGED_POLICIES] },
      undefined,
      `${model.project}-backup-role`,
    ),
    awsResource(
      model,
      'backup/vault',
      'backup vault',
      { holds: 'the daily recovery points of the data volume (kept by destroy unless --delete-data)' },
      undefined,
      `${model.project}-vault`,
    ),
    awsResource(
      model,
      'backup/plan',
      'backup plan',
      {
        schedule: `${BACKUP_RULE.schedule} (02:00 UTC)`,
        startWindowMinutes: BACKUP_RULE.startWindowMinutes,
        keepDays: backupRetentionDays,
        vault: 'backup/vault',
      },
      undefined,
      `${model.project}-daily-backup`,
    ),
    // A selection takes no tags: it lives inside its plan, and goes with it.
    {
      ...awsResource(
        model,
        'backup/selection',
        'backup selection',
        { resources: ['volume/data'], role: 'backup/role' },
        undefined,
        `${model.project}-ebs-backup`,
      ),
      tags: {},
    },
  ];
}
