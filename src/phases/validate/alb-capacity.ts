import { orUndefined } from '../../aws/errors.js';
import { HTTPS_LISTENER } from '../../blueprint/edge.js';
import { listRulesOnce, hostOf } from '../../aws/elbv2/listeners.js';
import type { Context } from '../types.js';
import { fail, guarded, pass, type ValidationResult } from './result.js';

/**
 * Fixed per ALB: target groups 100; rules (all listeners, defaults excluded) 100 unless AWS raised the quota
 * [alb-quotas].
 */
export const ALB_LIMITS = { targetGroups: 100, rules: 100 } as const;

/**
 * The developers fit one load balancer: one target group and one host rule each. Rules someone
 * added to devenv's HTTPS listener outside devenv count against the same 100, so when the listener
 * exists they are counted too (one call).
 */
export function checkAlbCapacity(ctx: Context): Promise<ValidationResult> {
  const developers = ctx.model.developers.length;
  return guarded('load balancer', ctx.model.region, async () => {
    const listenerArn = ctx.state.resource(HTTPS_LISTENER)?.id;
    const ours = new Set(ctx.model.developers.map((d) => d.hostname));
    // The listener's rules; none when it is gone (deleted by hand, or by a destroy cut short: `up` makes it again).
    const live = listenerArn ? ((await orUndefined(() => listRulesOnce(ctx, listenerArn))) ?? []) : [];
    const others = live.filter((r) => !r.IsDefault && !ours.has(hostOf(r) ?? '')).length;
    const rules = developers + others;
    const problems = [
      ...(developers > ALB_LIMITS.targetGroups
        ? [
            `${developers} developers need ${developers} target groups, but a load balancer holds at ` +
              `most ${ALB_LIMITS.targetGroups}`,
          ]
        : []),
      ...(rules > ALB_LIMITS.rules
        ? [
            `${developers} developers need ${developers} listener rules` +
              `${others ? ` besides the ${others} other rules on ${listenerArn}` : ''}, but a load ` +
              `balancer holds at most ${ALB_LIMITS.rules}`,
          ]
        : []),
    ];
    if (problems.length)
      return fail(
        'load balancer',
        `${problems.join('; ')}: remove developers${others ? ' or those other rules' : ''}, or split ` +
          'the team over two environments (two project names)',
      );
    return pass(
      'load balancer',
      `${developers} developers use ${developers} of the load balancer's ${ALB_LIMITS.targetGroups} ` +
        `target groups and ${rules} of its ${ALB_LIMITS.rules} rules`,
    );
  });
}
