import { ensureAlarms, inspectAlarms, removeAlarms } from './monitoring/alarms.js';
import { ensureBackup, inspectBackup, removeBackup } from './monitoring/backup.js';
import { ensureLogGroups, inspectLogGroups, removeLogGroups } from './monitoring/logs.js';
import { fromInspection, joinInspections } from './inspection.js';
import type { Context, Inspection, Phase } from './types.js';

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

/** One read for `plan` and `status` (the three parts at once): what `plan` would change is what `status` marks. */
const inspect = async (ctx: Context): Promise<Inspection> =>
  joinInspections(await Promise.all([inspectLogGroups(ctx), inspectAlarms(ctx), inspectBackup(ctx)]));

/** Backup first (a plan before its vault, the role last), then the alarms and their topic, then the log groups. */
async function destroy(ctx: Context): Promise<void> {
  await removeBackup(ctx);
  await removeAlarms(ctx);
  await removeLogGroups(ctx);
}

const phase: Phase = { name: 'monitoring', apply, destroy, ...fromInspection(inspect) };
export default phase;
