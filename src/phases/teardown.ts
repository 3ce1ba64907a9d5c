import { mapLimit } from '../aws/concurrency.js';
import { isNotFound } from '../aws/errors.js';
import { COGNITO_SWEEPERS } from './teardown/cognito.js';
import { EC2_SWEEPERS } from './teardown/ec2.js';
import { EDGE_SWEEPERS } from './teardown/edge.js';
import { IDENTITY_SWEEPERS } from './teardown/identity.js';
import { MONITORING_SWEEPERS } from './teardown/monitoring.js';
import { SCHEDULE_SWEEPERS } from './teardown/schedule.js';
import { WAKE_SWEEPERS } from './teardown/wake.js';
import type { Leftover } from './teardown/report.js';
import type { Found, SweepContext, Sweeper } from './teardown/types.js';
import { InterruptedError, messageOf } from '../errors.js';
import { runGraph } from '../runner.js';
import type { Context } from './types.js';

/**
 * teardown: what `destroy` ends with, after every phase's own destroy. It sweeps by the
 * `devenv:project` tag over every kind of resource devenv creates and deletes whatever is still
 * there — what a crashed run made before it could record it, what a lost state file no longer
 * names, what a phase that failed left — in dependency order (sweepers wait for the kinds they
 * need gone: instances before their security groups, the load balancer before the certificate …).
 * A failure holds back only what depends on it. It returns everything still present: the user's
 * data it keeps on purpose, and what it could not delete, with why.
 */

export const SWEEPERS: Sweeper[] = [
  ...EDGE_SWEEPERS,
  ...EC2_SWEEPERS,
  ...IDENTITY_SWEEPERS,
  ...MONITORING_SWEEPERS,
  ...COGNITO_SWEEPERS,
  ...SCHEDULE_SWEEPERS,
  ...WAKE_SWEEPERS,
];

/** Kinds swept at once: independent services overlap, as the phases do. */
const CONCURRENCY = 4;

/** A sweeper left something it should have deleted: it holds back what needs it, and the report says why. */
class Incomplete extends Error {}

const keptOf = (f: Found, why: string): Leftover => ({ kind: f.kind, id: f.id, label: f.label, why, kept: true });
const failedOf = (f: Found, why: string): Leftover => ({ kind: f.kind, id: f.id, label: f.label, why, kept: false });

/** A phase's context with a memo, fresh for each sweep or listing: listings several sweepers share are read once. */
export function sweepContext(ctx: Context): SweepContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    ...ctx,
    once: <T>(key: string, read: () => Promise<T>) => {
      if (!memo.has(key)) memo.set(key, read());
      return memo.get(key) as Promise<T>;
    },
  };
}

/** One kind's listing, read-only: what it found, or why it could not list. */
export interface Listing {
  sweeper: Sweeper;
  found: Found[];
  error?: unknown;
}

/**
 * What the sweep would find now, without deleting anything: the listings `teardown` makes, read
 * the same way, so `destroy` can say before it starts what is really there (never a resource a
 * state record names but that is gone already).
 */
export async function listAll(ctx: Context, sweepers: Sweeper[] = SWEEPERS): Promise<Listing[]> {
  const sweepCtx = sweepContext(ctx);
  return mapLimit(sweepers, CONCURRENCY, async (sweeper): Promise<Listing> => {
    try {
      return { sweeper, found: await sweeper.list(sweepCtx) };
    } catch (error) {
      if (error instanceof InterruptedError || ctx.signal.aborted) throw error;
      return { sweeper, found: [], error };
    }
  });
}

export async function teardown(ctx: Context, sweepers: Sweeper[] = SWEEPERS): Promise<Leftover[]> {
  const sweepCtx = sweepContext(ctx);
  const byName = new Map(sweepers.map((s) => [s.name, s]));
  const left = new Map<string, Leftover[]>();
  const result = await runGraph(
    sweepers.map((s) => ({ name: s.name, needs: s.needs.filter((n) => byName.has(n)) })),
    {
      concurrency: CONCURRENCY,
      signal: ctx.signal,
      keepGoing: true,
      run: async (name) => {
        const remaining = await sweep(sweepCtx, byName.get(name)!);
        left.set(name, remaining);
        if (remaining.some((l) => !l.kept)) throw new Incomplete(name);
      },
    },
  );
  if (ctx.signal.aborted) throw new InterruptedError();
  for (const o of result.outcomes) {
    if (o.result === 'failed' && !(o.error instanceof Incomplete))
      left.set(o.name, [unlisted(byName.get(o.name)!, o.error)]);
    if (o.result === 'blocked') left.set(o.name, await notTried(sweepCtx, byName.get(o.name)!, o.reason));
  }
  return sweepers.flatMap((s) => left.get(s.name) ?? []);
}

const unlisted = (s: Sweeper, err: unknown): Leftover => ({
  kind: s.name.replaceAll('-', ' '),
  id: '',
  label: '(not listed)',
  why: `could not list them: ${messageOf(err).split('\n')[0]}`,
  kept: false,
});

/** Lists one kind and deletes what is not kept; returns what is still there. */
async function sweep(ctx: SweepContext, s: Sweeper): Promise<Leftover[]> {
  const found = await s.list(ctx);
  const remaining = found.filter((f) => f.kept !== undefined).map((f) => keptOf(f, f.kept!));
  const doomed = found.filter((f) => f.kept === undefined);
  const deleted = (f: Found) =>
    ctx.report.resource({
      action: 'deleted',
      logicalId: `${s.name}/${f.id}`,
      kind: f.kind,
      resourceId: f.id,
      message: `deleted ${f.kind} ${f.label ?? f.id}`,
    });
  if (s.removeAll) {
    try {
      await s.removeAll(ctx, doomed);
      doomed.forEach(deleted);
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      remaining.push(...doomed.map((f) => failedOf(f, `deleting it failed: ${messageOf(err).split('\n')[0]}`)));
    }
    return remaining;
  }
  for (const f of doomed) {
    try {
      const stays = await s.remove!(ctx, f);
      if (stays) {
        ctx.report.step(`${f.kind} ${f.label ?? f.id}: ${stays}`);
        remaining.push(keptOf(f, stays));
      } else {
        deleted(f);
      }
    } catch (err) {
      if (err instanceof InterruptedError) throw err;
      if (!isNotFound(err)) remaining.push(failedOf(f, `deleting it failed: ${messageOf(err).split('\n')[0]}`));
    }
  }
  return remaining;
}

/** What a sweeper held back by a failure would have deleted: listed (read-only), so the report names it. */
async function notTried(ctx: SweepContext, s: Sweeper, reason: string): Promise<Leftover[]> {
  try {
    return (await s.list(ctx)).map((f) =>
      f.kept !== undefined
        ? keptOf(f, f.kept)
        : failedOf(f, `not deleted: it ${reason.replace(/^needs/, 'waits for')}`),
    );
  } catch (err) {
    return [unlisted(s, err)];
  }
}
