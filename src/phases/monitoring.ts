import { alarmRows, ensureAlarms, planAlarms, removeAlarms } from './monitoring/alarms.js';
import { backupRows, ensureBackup, planBackup, removeBackup } from './monitoring/backup.js';
import { ensureLogGroups, logGroupRows, planLogGroups, removeLogGroups } from './monitoring/logs.js';
import type { Change, Context, Phase, Row } from './types.js';

/**
 * monitoring: the log groups the host's CloudWatch agent ships to (the containers phase configures
 * the agent: containers cannot wait for this phase), the alarms and their optional e-mail topic,
 * and AWS Backup of the data volume. It needs ec2 (the host, the volume) and alb (the alarms'
 * dimensions).
 */

/** The three parts share nothing: they run at once, and the first failure is thrown once all have stopped. */
async function apply(ctx: Context): Promise<void> {
  const outcomes = await Promise.allSettled([ensureLogGroups(ctx), ensureAlarms(ctx), ensureBackup(ctx)]);
  const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
  if (failed) throw failed.reason;
}

async function plan(ctx: Context): Promise<Change[]> {
  return [...await planLogGroups(ctx), ...await planAlarms(ctx), ...await planBackup(ctx)];
}

async function status(ctx: Context): Promise<Row[]> {
  return [...await logGroupRows(ctx), ...await alarmRows(ctx), ...await backupRows(ctx)];
}

/** Backup first (a plan before its vault, the role last), then the alarms and their topic, then the log groups. */
async function destroy(ctx: Context): Promise<void> {
  await removeBackup(ctx);
  await removeAlarms(ctx);
  await removeLogGroups(ctx);
}

const phase: Phase = { name: 'monitoring', apply, destroy, plan, status };
export default phase;
