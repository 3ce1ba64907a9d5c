import { configureLogShipping } from '../remote/cloudwatch-agent.js';
import { containerStates } from '../remote/containers.js';
import { runningDevelopers } from './containers.js';
import { ensureAlarms, inspectAlarms, removeAlarms } from './monitoring/alarms.js';
import { ensureBackup, inspectBackup, removeBackup } from './monitoring/backup.js';
import { ensureLogGroups, inspectLogGroups, recordedLogGroups, removeLogGroups } from './monitoring/logs.js';
import { fromInspection, joinInspections } from './inspection.js';
import type { Context, Inspection, Phase } from './types.js';

/**
 * monitoring: the log groups the host's CloudWatch agent ships to, the alarms and their optional
 * e-mail topic, and AWS Backup of the data volume. It needs ec2 (the host, the volume) and alb (the
 * alarms' dimensions), and runs after containers when both run: the containers phase points the
 * agent only at groups that exist (it cannot wait for this phase, which waits for the certificate),
 * and this one, once it has made the groups, points the agent at all of them.
 */

/**
 * Once the groups exist: the host's agent is pointed at them, with the log files of the containers
 * the containers phase started (it runs first in the same `up`, and shipped only to groups that
 * existed then). No host to log in to before that phase has run: it configures the agent itself.
 */
async function shipToLogGroups(ctx: Context): Promise<void> {
  const developers = runningDevelopers(ctx);
  if (developers.length === 0) return;
  const host = await ctx.ssh();
  ctx.report.step(
    await configureLogShipping(host, ctx.model, await containerStates(host, developers), recordedLogGroups(ctx)),
  );
}

/** The three parts share nothing: they run at once, and the first failure is thrown once all have stopped. */
async function apply(ctx: Context): Promise<void> {
  const [groups, ...others] = await Promise.allSettled([ensureLogGroups(ctx), ensureAlarms(ctx), ensureBackup(ctx)]);
  const shipped = groups.status === 'fulfilled' ? await Promise.allSettled([shipToLogGroups(ctx)]) : [];
  const failed = [groups, ...others, ...shipped].find((o): o is PromiseRejectedResult => o.status === 'rejected');
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
