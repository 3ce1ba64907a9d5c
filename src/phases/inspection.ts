import type { Change, Context, Inspection, Phase, Problem, Row, ProblemVerdict } from './types.js';

/**
 * `plan` and `status` of a phase from its one live read: `plan` returns the changes, `status` the
 * rows with each change that is not a keep marked on the row it concerns. A phase that writes its
 * `inspect` once cannot have a `status` that disagrees with its `plan`, and reads AWS once for either.
 */
export function fromInspection(
  inspect: (ctx: Context, purpose: Purpose) => Promise<Inspection>,
): Pick<Phase, 'plan' | 'status'> {
  return {
    plan: async (ctx) => (await inspect(ctx, 'plan')).changes,
    status: async (ctx) => markDrift(await inspect(ctx, 'status')),
  };
}

/** What the read is for: a phase may leave out, for `status`, a read only `plan` needs (a secret's value). */
export type Purpose = 'plan' | 'status';

const VERDICT: Partial<Record<Change['action'], ProblemVerdict>> = {
  create: 'missing',
  update: 'drifted',
  replace: 'drifted',
  delete: 'drifted',
};
const SAYS: Partial<Record<Change['action'], string>> = {
  create: 'missing',
  update: 'differs from the config',
  replace: 'must be replaced',
  delete: 'is left over',
};
/** The worse verdict first when one resource has several. */
const RANK: ProblemVerdict[] = ['missing', 'drifted', 'unhealthy'];

/** What a change `up` would make (or stop at) says is wrong now; `undefined` for a keep or an adopt. */
export function problemOfChange(c: Change): Problem | undefined {
  if (c.blocked)
    return { verdict: 'drifted', message: `${c.phase} ${c.kind} ${c.name ?? c.id ?? c.logicalId}: ${c.blocked}` };
  const verdict = VERDICT[c.action];
  if (!verdict) return undefined;
  const detail = c.action !== 'create' && c.detail ? ` (${c.detail.split('\n')[0]})` : '';
  return { verdict, message: `${c.phase} ${c.kind} ${c.name ?? c.id ?? c.logicalId} ${SAYS[c.action]}${detail}` };
}

/**
 * The rows, each carrying the problems the changes name for its resource; a change with no row of
 * its own (a removed developer's rule, say) becomes a row. A problem the phase set (unhealthy) stays.
 */
export function markDrift({ changes, rows }: Inspection): Row[] {
  const problems = new Map<string, Problem[]>();
  for (const c of changes) {
    const p = problemOfChange(c);
    if (p) problems.set(c.logicalId, [...(problems.get(c.logicalId) ?? []), p]);
  }
  const marked = rows.map((row) => withProblems(row, problems.get(row.logicalId) ?? []));
  const unmatched = changes.filter(
    (c) => problems.has(c.logicalId) && !rows.some((r) => r.logicalId === c.logicalId) && problemOfChange(c),
  );
  const extra = unmatched.map(
    (c): Row =>
      withProblems(
        {
          phase: c.phase,
          logicalId: c.logicalId,
          kind: c.kind,
          id: c.id,
          state: c.action === 'delete' ? 'left over' : 'missing',
          detail: c.detail,
        },
        [problemOfChange(c)!],
      ),
  );
  return [...marked, ...extra];
}

function withProblems(row: Row, found: Problem[]): Row {
  const all = [...(row.problem ? [row.problem] : []), ...found];
  if (all.length === 0) return row;
  const verdict = RANK.find((v) => all.some((p) => p.verdict === v))!;
  return { ...row, problem: { verdict, message: all.map((p) => p.message).join('; ') } };
}

/** A row's problem: the one it carries, or `missing` for a row whose state says so (a phase that sets none). */
export function problemOf(row: Row): Problem | undefined {
  if (row.problem) return row.problem;
  if (row.state === 'missing')
    return { verdict: 'missing', message: `${row.phase} ${row.kind} ${row.id ?? row.logicalId} missing` };
  return undefined;
}

/** Several reads' changes and rows, in order. */
export const joinInspections = (parts: Inspection[]): Inspection => ({
  changes: parts.flatMap((p) => p.changes),
  rows: parts.flatMap((p) => p.rows),
});
