/**
 * Something of the project still in AWS after the sweep: kept on purpose (the user's data), or not deleted, and why.
 */
export interface Leftover {
  kind: string;
  id: string;
  label?: string;
  why: string;
  /** Left on purpose: the data volume, its final snapshot, recovery points, secrets in their recovery window. */
  kept: boolean;
}

const named = (l: Leftover) => `${l.kind} ${l.label ?? l.id}`;

/** "data volume vol-1 (…)", or "3 secrets (…)" for several of a kind kept for the same reason. */
export function keptParts(left: Leftover[]): string[] {
  const groups = new Map<string, Leftover[]>();
  for (const l of left.filter((x) => x.kept))
    groups.set(`${l.kind}\0${l.why}`, [...(groups.get(`${l.kind}\0${l.why}`) ?? []), l]);
  return [...groups.values()].map(
    (g) => `${g.length === 1 ? named(g[0]!) : `${g.length} ${g[0]!.kind}s`} (${g[0]!.why})`,
  );
}

export function keptSummary(left: Leftover[]): string | undefined {
  const parts = keptParts(left);
  return parts.length ? `kept: ${parts.join('; ')}` : undefined;
}

/** "EC2 instance i-1, 2 subnets": one of a kind by name, several by count. */
export function namedOrCounted(items: { kind: string; id: string; label?: string }[]): string {
  const byKind = new Map<string, (typeof items)[number][]>();
  for (const i of items) byKind.set(i.kind, [...(byKind.get(i.kind) ?? []), i]);
  return [...byKind]
    .map(([kind, all]) => (all.length === 1 ? `${kind} ${all[0]!.label ?? all[0]!.id}` : `${all.length} ${kind}s`))
    .join(', ');
}

/** One line per resource devenv should have deleted and did not: what it is and why it is still there. */
export const notDeleted = (left: Leftover[]): string[] =>
  left.filter((l) => !l.kept).map((l) => `${named(l)}: ${l.why}`);
