import { paginateFilterLogEvents, type FilteredLogEvent } from '@aws-sdk/client-cloudwatch-logs';
import type { Clock } from '../wait.js';
import type { AwsContext } from '../context.js';

export interface EventQuery {
  logGroupName: string;
  /** Milliseconds since the epoch: events from then on. */
  startTime: number;
  /** A CloudWatch filter pattern (`"text"`); every event when absent. */
  filterPattern?: string;
}

/**
 * Every event of the group from `startTime`, across its streams (one per instance: a replaced host writes new ones),
 * oldest first, page by page (FilterLogEvents may answer a page with no events and a token to go on searching).
 */
export async function readLogEvents(
  ctx: Pick<AwsContext, 'aws'>,
  q: EventQuery,
  each: (event: FilteredLogEvent) => void,
): Promise<void> {
  for await (const page of paginateFilterLogEvents({ client: ctx.aws.logs }, q))
    for (const e of page.events ?? []) each(e);
}

/** Between two reads of a followed group: the CloudWatch agent sends what it collected every 5 seconds. */
export const FOLLOW_INTERVAL_MS = 5_000;

/**
 * readLogEvents, then again every FOLLOW_INTERVAL_MS from the newest event seen, until `signal` aborts (Ctrl-C: it
 * returns). Events of that same millisecond are read again on the next round: those already shown are known by id.
 */
export async function followLogEvents(
  ctx: Pick<AwsContext, 'aws'>,
  q: EventQuery,
  each: (event: FilteredLogEvent) => void,
  o: { clock: Clock; signal: AbortSignal },
): Promise<void> {
  let from = q.startTime;
  let shown = new Set<string>();
  while (!o.signal.aborted) {
    const latest = new Set<string>();
    let newest = from;
    await readLogEvents(ctx, { ...q, startTime: from }, (e) => {
      const id = e.eventId ?? `${e.logStreamName}/${e.timestamp}/${e.message}`;
      if (e.timestamp !== undefined && e.timestamp > newest) {
        newest = e.timestamp;
        latest.clear();
      }
      if (e.timestamp === newest) latest.add(id);
      if (!shown.has(id)) each(e);
    });
    shown = newest === from ? new Set([...shown, ...latest]) : latest;
    from = newest;
    await o.clock.sleep(FOLLOW_INTERVAL_MS, o.signal).catch(() => undefined); // aborted: the loop ends
  }
}
