import { keptParts, namedOrCounted, type Leftover } from '../phases/teardown/report.js';
import { messageOf } from '../errors.js';
import type { Context } from '../phases/types.js';
import type { Sweeper } from '../phases/teardown/types.js';

/**
 * What `destroy` deletes and what it keeps, said before it asks: from the teardown sweep's own
 * listings of what carries the project's tag now, not from the state, whose records may name
 * resources a destroy killed part-way (or a hand) deleted already. What is really left at the end
 * is what the sweep finds then (src/phases/teardown/report.ts).
 */

export interface DestroyPreview {
  deleted: string;
  kept: string[];
  /** Kinds whose listing failed, with why: the preview cannot say what of them is there. */
  unlisted: string[];
}

export async function destroyPreview(ctx: Context, sweepers?: Sweeper[]): Promise<DestroyPreview> {
  const { listAll, sweepContext } = await import('../phases/teardown.js');
  const listings = await listAll(ctx, sweepers);
  const sweepCtx = sweepContext(ctx);
  const deleted: Leftover[] = [];
  const stays: Leftover[] = [];
  const leaves: string[] = [];
  for (const { sweeper, found } of listings) {
    for (const f of found) {
      const why = f.kept ?? sweeper.stays?.(sweepCtx, f);
      const item = { kind: f.kind, id: f.id, label: f.label, why: why ?? '', kept: why !== undefined };
      (why === undefined ? deleted : stays).push(item);
      const left = why === undefined ? sweeper.leaves?.(sweepCtx, f) : undefined;
      if (left) leaves.push(left);
    }
  }
  return {
    deleted: namedOrCounted(deleted) || `nothing: no resource carries the tag devenv:project=${ctx.model.project}`,
    kept: [...leaves, ...keptParts(stays)],
    unlisted: listings
      .filter((l) => l.error !== undefined)
      .map((l) => `${l.sweeper.name.replaceAll('-', ' ')} (${messageOf(l.error).split('\n')[0]})`),
  };
}
