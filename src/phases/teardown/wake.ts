import type { LogGroup } from '@aws-sdk/client-cloudwatch-logs';
import { ListRulesCommand, ListTagsForResourceCommand, type Rule } from '@aws-sdk/client-eventbridge';
import { ListTagsCommand, paginateListFunctions, type FunctionConfiguration } from '@aws-sdk/client-lambda';
import { lambdaLogGroup } from '../../blueprint/wake.js';
import { collect } from '../../aws/ec2/collections.js';
import { deleteEventRule } from '../../aws/events/rule.js';
import { deleteFunction } from '../../aws/lambda/function.js';
import { deleteLogGroup, listLogGroups, logGroupTags } from '../../aws/logs/log-groups.js';
import { TAG, tagValue } from '../../config/tags.js';
import { mayBeNamedFor, sweeper, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// The wake page: its EventBridge rule (with its targets), its function and the function's log
// group. Its target group and role are swept with the others of their kind (edge, identity).

const eventRules = sweeper<Rule>({
  name: 'wake-event-rules',
  needs: [],
  list: async (ctx) => {
    // EventBridge has no paginator for ListRules.
    const rules: Rule[] = [];
    let NextToken: string | undefined;
    do {
      const page = await ctx.aws.events.send(
        new ListRulesCommand({ NamePrefix: ctx.model.project.slice(0, 40), NextToken }),
      );
      rules.push(...(page.Rules ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    const ours: Rule[] = [];
    for (const r of rules) {
      const { Tags } = await ctx.aws.events.send(new ListTagsForResourceCommand({ ResourceARN: r.Arn }));
      if (tagValue(Tags, TAG.project) === ctx.model.project) ours.push(r);
    }
    return ours.map((r) => ({ kind: 'EventBridge rule', id: r.Name!, resource: r }));
  },
  remove: (ctx, f) => deleteEventRule(ctx, f.id),
});

const functions = sweeper<FunctionConfiguration>({
  name: 'wake-functions',
  needs: ['wake-event-rules'],
  list: async (ctx) => {
    const all = await collect(paginateListFunctions({ client: ctx.aws.lambda }, {}), (p) => p.Functions);
    const ours: FunctionConfiguration[] = [];
    for (const f of all.filter((f) => mayBeNamedFor(ctx.model.project, f.FunctionName))) {
      const { Tags } = await ctx.aws.lambda.send(new ListTagsCommand({ Resource: f.FunctionArn }));
      if (Tags?.[TAG.project] === ctx.model.project) ours.push(f);
    }
    return ours.map((f) => ({ kind: 'Lambda function', id: f.FunctionName!, resource: f }));
  },
  remove: async (ctx, f) => void (await deleteFunction(ctx, f.id)),
});

const functionLogGroups = sweeper<LogGroup>({
  name: 'wake-log-groups',
  // The function would write on.
  needs: ['wake-functions'],
  list: async (ctx) => {
    const ours: LogGroup[] = [];
    const prefix = lambdaLogGroup(ctx.model.project);
    for (const g of await listLogGroups(ctx, prefix))
      if (g.logGroupName?.startsWith(prefix) && (await logGroupTags(ctx, g))[TAG.project] === ctx.model.project)
        ours.push(g);
    return ours.map((g) => ({ kind: 'log group', id: g.logGroupName!, resource: g }));
  },
  remove: async (ctx, f) => void (await deleteLogGroup(ctx, f.id)),
});

export const WAKE_SWEEPERS: Sweeper[] = [eventRules, functions, functionLogGroups];
