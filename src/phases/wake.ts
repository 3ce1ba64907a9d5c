import type { TargetGroup } from '@aws-sdk/client-elastic-load-balancing-v2';
import { UpdateAssumeRolePolicyCommand, type Role } from '@aws-sdk/client-iam';
import { deleteEventRule, eventRuleFixes, eventRuleSpec, targetFixes } from '../aws/events/rule.js';
import { lambdaTargetFixes, lambdaTargetGroupSpec } from '../aws/elbv2/lambda-target-group.js';
import { deleteRule, forwardsTo, hostOf, listRules } from '../aws/elbv2/listeners.js';
import { deleteTargetGroup, listTargetGroups, targetHealth } from '../aws/elbv2/target-groups.js';
import { ignoring, isNotFound, orUndefined } from '../aws/errors.js';
import { parsePolicyDocument, samePolicy } from '../aws/find/iam.js';
import { planChange, runFixes, type Fix } from '../aws/fix.js';
import { deleteRole } from '../aws/iam/delete-role.js';
import { inlinePolicyFixes } from '../aws/iam/inline-policy.js';
import { roleSpec } from '../aws/iam/named.js';
import {
  deleteFunction,
  functionFixes,
  functionSpec,
  permissionFixes,
  policyStatements,
  zipOf,
  type FunctionWant,
  type LambdaFunction,
} from '../aws/lambda/function.js';
import { deleteLogGroup, listLogGroups, logGroupSpec, retentionFixes } from '../aws/logs/log-groups.js';
import { ensureResource, inspectResource, removeResource, rowOf, type ResourceSpec } from '../aws/resource.js';
import { INSTANCE } from '../blueprint/compute.js';
import { HTTPS_LISTENER, targetGroupId } from '../blueprint/edge.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import {
  lambdaTrustPolicy,
  WAKE,
  WAKE_HANDLER,
  WAKE_MEMORY_MIB,
  WAKE_PERMISSIONS,
  WAKE_RUNTIME,
  WAKE_TIMEOUT_SECONDS,
  usesWakePage,
  wakeResources,
  wakeEventPattern,
  wakePolicy,
} from '../blueprint/wake.js';
import { recordedId } from '../state/recorded.js';
import { ruleAuth } from './alb/auth.js';
import { ensureRule } from './alb/developers.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/**
 * wake: the page a developer's URL shows while the host is stopped, instead of a 502. A Lambda function (devenv's
 * lambda/wake-page/index.mjs, zipped here) behind a target group of type lambda, and an EventBridge rule on the host's
 * state changes that invokes it: on stopping/stopped the function points every developer's rule at its group, on
 * running back at each developer's own. So `devenv sleep`, the schedule and idle stop all get it, and nothing of
 * devenv's has to run. It costs nothing while nobody opens a sleeping editor (docs/aws-behaviour.md#wake-page).
 */

const CODE = new URL('../../lambda/wake-page/index.mjs', import.meta.url);
const TARGET_ID = 'wake-page';

const planned = (ctx: Context) => {
  const all = wakeResources(ctx.model);
  const of = (id: string) => pick(all, id);
  return {
    role: of(WAKE.role),
    policy: of(WAKE.policy),
    logs: of(WAKE.logs),
    fn: of(WAKE.function),
    tg: of(WAKE.targetGroup),
    events: of(WAKE.events),
  };
};

/** What the function acts on, from what the ec2, https and vpc phases recorded. */
const idsOf = (ctx: Context) => ({
  account: recordedAccount(ctx),
  instanceId: recordedId(ctx, INSTANCE, 'ec2'),
  listenerArn: recordedId(ctx, HTTPS_LISTENER, 'https'),
  vpcId: recordedId(ctx, 'vpc', 'vpc'),
  functionName: planned(ctx).fn.name,
});
type Ids = ReturnType<typeof idsOf>;

const recordedAccount = (ctx: Context) => {
  const account = ctx.state.data.account;
  if (!account) recordedId(ctx, 'account', 'validate', 'AWS account');
  return account!;
};

const wakeRoleSpec = (ctx: Context, p: PlannedResource): ResourceSpec<Role> =>
  roleSpec(ctx, p, lambdaTrustPolicy(), "the wake page's function");

const functionWant = async (ctx: Context, ids: Ids, roleArn: string, groupArn: string): Promise<FunctionWant> => ({
  zip: await zipOf(CODE),
  roleArn,
  runtime: WAKE_RUNTIME,
  handler: WAKE_HANDLER,
  memoryMiB: WAKE_MEMORY_MIB,
  timeoutSeconds: WAKE_TIMEOUT_SECONDS,
  description: `devenv ${ctx.model.project}: the page a sleeping editor shows, and the switch of its rules`,
  environment: {
    INSTANCE_ID: ids.instanceId,
    LISTENER_ARN: ids.listenerArn,
    WAKE_TARGET_GROUP_ARN: groupArn,
    PROJECT: ctx.model.project,
    VPC_ID: ids.vpcId,
  },
});

const trustFixes = (ctx: Context, role: Role): Fix[] =>
  samePolicy(parsePolicyDocument(role.AssumeRolePolicyDocument), lambdaTrustPolicy())
    ? []
    : [
        {
          description: 'trust policy: only lambda.amazonaws.com may assume it',
          run: () =>
            ctx.aws.iam.send(
              new UpdateAssumeRolePolicyCommand({
                RoleName: role.RoleName,
                PolicyDocument: JSON.stringify(lambdaTrustPolicy()),
              }),
            ),
        },
      ];

/** The inline policy's fix (none when it is as wanted), and whether the role has it at all. */
const policyFixes = (ctx: Context, p: ReturnType<typeof planned>, ids: Ids) =>
  inlinePolicyFixes(
    ctx,
    { role: p.role.name, policy: p.policy.name },
    wakePolicy(ctx.model, ids),
    `inline policy ${p.policy.name}: start ${ids.instanceId}, switch the rules of the HTTPS listener`,
  );

/** Who may invoke the function: the load balancer from this group (before RegisterTargets), EventBridge this rule. */
const invokers = (groupArn: string, ruleArn?: string) => [
  { statementId: WAKE_PERMISSIONS.loadBalancer, principal: 'elasticloadbalancing.amazonaws.com', sourceArn: groupArn },
  ...(ruleArn ? [{ statementId: WAKE_PERMISSIONS.events, principal: 'events.amazonaws.com', sourceArn: ruleArn }] : []),
];

async function apply(ctx: Context): Promise<void> {
  if (!usesWakePage(ctx.model)) {
    if (ctx.state.resourcesOf('wake').length) await remove(ctx, false);
    return;
  }
  const p = planned(ctx);
  const ids = idsOf(ctx);
  const { resource: role, outcome: roleOutcome } = await ensureResource(ctx, wakeRoleSpec(ctx, p.role));
  await runFixes(ctx, roleOutcome === 'created' ? [] : trustFixes(ctx, role), { logicalId: p.role.logicalId });
  const { fixes: policyFix } = await policyFixes(ctx, p, ids);
  const recorded = ctx.state.resource(p.policy.logicalId) !== undefined;
  if (recorded) await runFixes(ctx, policyFix, { logicalId: p.policy.logicalId });
  else {
    for (const fix of policyFix) await fix.run();
    await ctx.state.setResource(p.policy.logicalId, {
      kind: p.policy.kind,
      phase: 'wake',
      id: p.policy.name,
      attrs: { role: p.role.name },
    });
    ctx.report.resource({
      action: policyFix.length ? 'created' : 'adopted',
      logicalId: p.policy.logicalId,
      kind: p.policy.kind,
      resourceId: p.policy.name,
      message: `${policyFix.length ? 'put' : 'found'} inline policy ${p.policy.name} on role ${p.role.name}`,
    });
  }

  const groups = await listLogGroups(ctx, p.logs.name);
  const { resource: logs } = await ensureResource(ctx, logGroupSpec(ctx, p.logs, groups));
  await runFixes(ctx, retentionFixes(ctx, logs, ctx.config.monitoring.logRetentionDays), {
    logicalId: p.logs.logicalId,
    subject: `log group ${p.logs.name}`,
  });

  const { resource: group, outcome: groupOutcome } = await ensureResource(
    ctx,
    lambdaTargetGroupSpec(ctx, p.tg, await listTargetGroups(ctx)),
  );
  const groupArn = group.TargetGroupArn!;
  const want = await functionWant(ctx, ids, role.Arn!, groupArn);
  const { resource: fn, outcome } = await ensureResource(
    ctx,
    functionSpec(ctx, p.fn, async () => want),
  );
  const fnArn = fn.FunctionArn!;
  await runFixes(ctx, outcome === 'created' ? [] : functionFixes(ctx, fn, want), {
    logicalId: p.fn.logicalId,
    subject: `Lambda function ${p.fn.name}`,
  });

  const { resource: rule } = await ensureResource(
    ctx,
    eventRuleSpec(ctx, p.events, () => wakeEventPattern(ids.instanceId)),
  );
  const statements = outcome === 'created' ? [] : await policyStatements(ctx, p.fn.name);
  await runFixes(
    ctx,
    invokers(groupArn, rule.Arn).flatMap((w) => permissionFixes(ctx, p.fn.name, statements, w)),
    { logicalId: p.fn.logicalId, subject: `Lambda function ${p.fn.name}` },
  );
  // After the load balancer's permission: AWS refuses to register a function it may not invoke.
  await runFixes(
    ctx,
    lambdaTargetFixes(ctx, groupArn, groupOutcome === 'created' ? [] : await targetHealth(ctx, groupArn), fnArn),
    { logicalId: p.tg.logicalId, subject: `target group ${p.tg.name}` },
  );
  await runFixes(
    ctx,
    [
      ...eventRuleFixes(ctx, rule, wakeEventPattern(ids.instanceId)),
      ...(await targetFixes(ctx, p.events.name, { id: TARGET_ID, arn: fnArn })),
    ],
    { logicalId: p.events.logicalId, subject: `EventBridge rule ${p.events.name}` },
  );
}

/** One read for `plan` and `status`. Before ec2 and https have run, only what would be created is shown. */
async function inspect(ctx: Context): Promise<Inspection> {
  if (!usesWakePage(ctx.model))
    return {
      changes: ctx.state.resourcesOf('wake').map(([logicalId, r]) => ({
        phase: 'wake',
        action: 'delete' as const,
        logicalId,
        kind: r.kind,
        ...(r.id ? { name: r.id } : {}),
        detail: 'no `schedule` in the config: the host never sleeps, so no wake page',
      })),
      rows: [],
    };
  const p = planned(ctx);
  const ids = ctx.state.resource(INSTANCE)?.id && ctx.state.resource(HTTPS_LISTENER)?.id ? idsOf(ctx) : undefined;
  const changes: Change[] = [];
  const rows: Row[] = [];
  const add = (probed: Change & { resource?: unknown }, planned: PlannedResource, fixes: Fix[], state: string) => {
    changes.push(planChange(probed, planned, fixes));
    rows.push(rowOf(probed, () => state));
  };

  const role = await inspectResource(ctx, wakeRoleSpec(ctx, p.role), p.role.name);
  add(role, p.role, role.resource ? trustFixes(ctx, role.resource) : [], 'exists');
  const { exists, fixes: policy } =
    role.resource && ids ? await policyFixes(ctx, p, ids) : { exists: role.resource !== undefined, fixes: [] };
  changes.push({
    phase: 'wake',
    action: !exists ? 'create' : policy.length ? 'update' : 'keep',
    logicalId: p.policy.logicalId,
    kind: p.policy.kind,
    name: p.policy.name,
    ...(policy.length ? { detail: policy[0]!.description } : {}),
  });

  const logs = await inspectResource(
    ctx,
    logGroupSpec(ctx, p.logs, await listLogGroups(ctx, p.logs.name)),
    p.logs.name,
  );
  add(
    logs,
    p.logs,
    logs.resource ? retentionFixes(ctx, logs.resource, ctx.config.monitoring.logRetentionDays) : [],
    'exists',
  );

  const tg = await inspectResource(ctx, lambdaTargetGroupSpec(ctx, p.tg, await listTargetGroups(ctx)), p.tg.name);
  const group = tg.resource as TargetGroup | undefined;
  const fn = await inspectResource(
    ctx,
    functionSpec(ctx, p.fn, async () => ({}) as FunctionWant),
    p.fn.name,
  );
  const live = fn.resource as LambdaFunction | undefined;
  const registration =
    group && live
      ? lambdaTargetFixes(ctx, group.TargetGroupArn!, await targetHealth(ctx, group.TargetGroupArn!), live.FunctionArn!)
      : [];
  add(tg, p.tg, registration, 'exists');

  const rule = await inspectResource(
    ctx,
    eventRuleSpec(ctx, p.events, () => ({})),
    p.events.name,
  );
  const fnFixes: Fix[] = [];
  if (live && group && ids && role.resource) {
    fnFixes.push(...functionFixes(ctx, live, await functionWant(ctx, ids, role.resource.Arn!, group.TargetGroupArn!)));
    const statements = await policyStatements(ctx, p.fn.name);
    fnFixes.push(
      ...invokers(group.TargetGroupArn!, rule.resource?.Arn).flatMap((w) =>
        permissionFixes(ctx, p.fn.name, statements, w),
      ),
    );
  }
  add(fn, p.fn, fnFixes, live?.State ?? 'unknown');
  const ruleFixes =
    rule.resource && ids && live
      ? [
          ...eventRuleFixes(ctx, rule.resource, wakeEventPattern(ids.instanceId)),
          ...(await targetFixes(ctx, p.events.name, { id: TARGET_ID, arn: live.FunctionArn! })),
        ]
      : [];
  add(rule, p.events, ruleFixes, rule.resource?.State ?? 'unknown');
  return { changes, rows };
}

/**
 * The EventBridge rule goes first (nothing switches rules after it), then the rules the function left on its page (a
 * group a rule forwards to cannot be deleted), then the function, its group, its logs and its role. In `destroy` those
 * rules are deleted (the https phase's destroy, next, deletes every rule anyway); when only `schedule` left the config
 * a developer's rule is pointed back at their own group as the https phase wants it, so the URL keeps working.
 */
async function destroy(ctx: Context): Promise<void> {
  await remove(ctx, true);
}

async function remove(ctx: Context, whole: boolean): Promise<void> {
  const p = planned(ctx);
  const listener = ctx.state.resource(HTTPS_LISTENER)?.id;
  const groupArn = ctx.state.resource(WAKE.targetGroup)?.id;
  await removeResource(
    ctx,
    eventRuleSpec(ctx, p.events, () => ({})),
    (arn) => deleteEventRule(ctx, arn.split('/').at(-1)!),
  );
  if (listener && groupArn) {
    const rules = (await orUndefined(() => listRules(ctx, listener))) ?? [];
    const onPage = rules.filter((r) => forwardsTo(r) === groupArn);
    const auth = !whole && onPage.length ? await ruleAuth(ctx) : undefined;
    for (const r of onPage) {
      const d = whole ? undefined : ctx.model.developers.find((d) => d.hostname === hostOf(r));
      const own = d && ctx.state.resource(targetGroupId(d.name))?.id;
      if (d && own) await ensureRule(ctx, d, rules, listener, own, auth);
      else await ignoring(isNotFound, () => deleteRule(ctx, r.RuleArn!));
    }
  }
  await removeResource(
    ctx,
    functionSpec(ctx, p.fn, async () => ({}) as FunctionWant),
    async (arn) => void (await deleteFunction(ctx, arn)),
  );
  await removeResource(
    ctx,
    lambdaTargetGroupSpec(ctx, p.tg, await listTargetGroups(ctx)),
    async (arn) => void (await deleteTargetGroup(ctx, arn)),
  );
  await removeResource(
    ctx,
    logGroupSpec(ctx, p.logs, await listLogGroups(ctx, p.logs.name)),
    async (name) => void (await deleteLogGroup(ctx, name)),
  );
  await removeResource(ctx, wakeRoleSpec(ctx, p.role), (arn) => deleteRole(ctx, arn.split('/').at(-1)!));
  for (const [logicalId] of ctx.state.resourcesOf('wake')) await ctx.state.forget(logicalId);
}

const phase: Phase = { name: 'wake', apply, destroy, ...fromInspection(inspect) };
export default phase;
