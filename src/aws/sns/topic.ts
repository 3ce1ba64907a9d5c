import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTagsForResourceCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  paginateListSubscriptionsByTopic,
  paginateListTopics,
  type Subscription,
} from '@aws-sdk/client-sns';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import type { ResourceSpec } from '../resource.js';
import { requireProjectTag, tagList } from '../../config/tags.js';

export interface Topic {
  arn: string;
}

/** What SNS shows, until the person confirms, in place of an e-mail subscription's ARN. */
export const PENDING_CONFIRMATION = 'PendingConfirmation';

const topicName = (arn: string) => arn.slice(arn.lastIndexOf(':') + 1);

async function topicArnNamed(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<string | undefined> {
  for await (const page of paginateListTopics({ client: ctx.aws.sns }, {})) {
    const found = page.Topics?.find((t) => topicName(t.TopicArn!) === name);
    if (found) return found.TopicArn;
  }
  return undefined;
}

/**
 * The alarms' topic, by its deterministic name. CreateTopic returns the existing topic of that name, so a rerun after a
 * crash makes no second one.
 */
export function topicSpec(ctx: Pick<AwsContext, 'aws' | 'model'>, p: PlannedResource): ResourceSpec<Topic> {
  const sns = ctx.aws.sns;
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: async (arn) => {
      await sns.send(new GetTopicAttributesCommand({ TopicArn: arn })); // NotFound when it is gone
      return { arn };
    },
    find: async () => {
      const arn = await topicArnNamed(ctx, p.name);
      if (!arn) return [];
      requireProjectTag(
        ctx.model.project,
        (await sns.send(new ListTagsForResourceCommand({ ResourceArn: arn }))).Tags,
        `SNS topic ${p.name}`,
      );
      return [{ arn }];
    },
    create: async () => ({
      arn: (await sns.send(new CreateTopicCommand({ Name: p.name, Tags: tagList(p.tags) }))).TopicArn!,
    }),
    idOf: (t) => t.arn,
  };
}

export async function subscriptionsOf(ctx: Pick<AwsContext, 'aws'>, topicArn: string): Promise<Subscription[]> {
  const subs: Subscription[] = [];
  for await (const page of paginateListSubscriptionsByTopic({ client: ctx.aws.sns }, { TopicArn: topicArn }))
    subs.push(...(page.Subscriptions ?? []));
  return subs;
}

/**
 * The topic's e-mail subscriptions brought to the one address of the config: subscribe it when it
 * is missing, unsubscribe other addresses (one still pending confirmation has no ARN to unsubscribe:
 * SNS drops it after three days).
 */
export function subscriptionFixes(
  ctx: Pick<AwsContext, 'aws'>,
  topicArn: string,
  subs: Subscription[],
  email: string,
): Fix[] {
  const emails = subs.filter((s) => s.Protocol === 'email');
  const fixes: Fix[] = [];
  if (!emails.some((s) => s.Endpoint === email)) {
    fixes.push({
      description: `subscribe ${email} (SNS sends it a confirmation e-mail)`,
      run: () => ctx.aws.sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: email })),
    });
  }
  for (const s of emails.filter((x) => x.Endpoint !== email && x.SubscriptionArn?.startsWith('arn:'))) {
    fixes.push({
      description: `unsubscribe ${s.Endpoint} (no longer monitoring.alarmEmail)`,
      run: () => ctx.aws.sns.send(new UnsubscribeCommand({ SubscriptionArn: s.SubscriptionArn })),
    });
  }
  return fixes;
}

/** `confirmed`, or `PendingConfirmation` while the person has not clicked the link in SNS's e-mail. */
export const subscriptionState = (s: Subscription | undefined): string =>
  !s ? 'missing' : s.SubscriptionArn === PENDING_CONFIRMATION ? PENDING_CONFIRMATION : 'confirmed';

/** Deleting a topic deletes its subscriptions. */
export const deleteTopic = (ctx: Pick<AwsContext, 'aws'>, arn: string) =>
  ctx.aws.sns.send(new DeleteTopicCommand({ TopicArn: arn }));
