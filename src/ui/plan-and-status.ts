import type { Change, Row } from '../phases/types.js';
import { shorten, table, withoutArns, wrap } from '../table.js';

/** What `status` and `plan` fit in by default; `--wide` lifts it. */
export const DEFAULT_WIDTH = 120;
/** Problems listed one per line, this many at most (`--json` has them all). */
export const PROBLEMS_SHOWN = 20;
const ID_WIDTH = 32;

export interface ViewOptions {
  /** Every column, ARNs and ids whole, no width limit. */
  wide?: boolean;
}

/** `N problems:` then one per line, the first 20 and "and N more"; one problem stays on one line. */
export function listProblems(problems: string[]): string {
  if (problems.length === 1) return `1 problem: ${problems[0]}`;
  const shown = problems.slice(0, PROBLEMS_SHOWN).map((p) => `  ${p}`);
  const more = problems.length - shown.length;
  return [
    `${problems.length} problems:`,
    ...shown,
    ...(more > 0 ? [`  and ${more} more (\`--json\` lists them all)`] : []),
  ].join('\n');
}

/** Each warning once, on lines of at most 120 characters (all of it with `--wide`). */
export const warningLines = (warnings: string[], o: ViewOptions = {}): string[] =>
  [...new Set(warnings)].map((w) => (o.wide ? `warning: ${w}` : wrap(`warning: ${w}`, DEFAULT_WIDTH)));

/** By default a name in place of an ARN (the blueprint's, when it has one) and a long id cut in the middle. */
function idCell(id: string | undefined, name: string | undefined, o: ViewOptions): string {
  if (!id) return '-';
  if (o.wide) return id;
  return id.startsWith('arn:') ? (name ?? shorten(withoutArns(id), ID_WIDTH)) : shorten(id, ID_WIDTH);
}

export interface StatusResource extends Row {
  /** ok, missing, drifted, unhealthy, pending (its phase not created yet), error. */
  verdict: string;
}

export interface StatusDeveloper {
  name: string;
  url: string;
  port: number;
  container: string;
  target: string;
  dns: string;
  problems: string[];
  /** With an identity provider: the identity bound to this developer's editor. */
  identity?: string;
}

export interface StatusView {
  heading: string;
  phases: { name: string; status: string }[];
  resources: StatusResource[];
  developers: StatusDeveloper[];
  /** The blueprint's name of each logical id: shown in place of an ARN. */
  names: Map<string, string>;
  loadBalancerDns: string | null;
  hostAddress: string | null;
  warnings: string[];
  /** How developers sign in: `oidc (https://corp.okta.com), code-server password kept` … */
  signIn?: string;
}

export function renderStatus(v: StatusView, o: ViewOptions = {}): string {
  const maxWidth = o.wide ? undefined : DEFAULT_WIDTH;
  const resources = o.wide
    ? table(
        ['phase', 'resource', 'kind', 'id', 'state', 'verdict', 'detail'],
        v.resources.map((r) => [r.phase, r.logicalId, r.kind, r.id ?? '-', r.state, r.verdict, r.detail ?? '']),
      )
    : table(
        ['phase', 'resource', 'id', 'state', 'verdict', 'detail'],
        v.resources.map((r) => [
          r.phase,
          r.logicalId,
          idCell(r.id, v.names.get(r.logicalId), o),
          r.state,
          r.verdict,
          withoutArns(r.detail ?? ''),
        ]),
        { maxWidth },
      );
  return [
    v.heading,
    '',
    table(
      ['phase', 'status'],
      v.phases.map((p) => [p.name, p.status]),
      { maxWidth },
    ),
    '',
    resources,
    '',
    developerTable(v.developers, maxWidth),
    '',
    `load balancer: ${v.loadBalancerDns ?? 'not created yet'}`,
    `host: ${v.hostAddress ?? 'not created yet'}`,
    ...(v.signIn ? [`sign-in: ${v.signIn}`] : []),
    ...(v.warnings.length ? ['', ...warningLines(v.warnings, o)] : []),
  ].join('\n');
}

/** One row per developer; the identity column only when a provider binds identities. */
function developerTable(developers: StatusDeveloper[], maxWidth: number | undefined): string {
  const bound = developers.some((d) => d.identity !== undefined);
  return table(
    ['developer', 'url', ...(bound ? ['identity'] : []), 'port', 'container', 'target', 'dns', 'verdict'],
    developers.map((d) => [
      d.name,
      d.url,
      ...(bound ? [d.identity ?? '-'] : []),
      String(d.port),
      d.container,
      d.target,
      d.dns,
      d.problems.length ? d.problems.join('; ') : 'ok',
    ]),
    { maxWidth },
  );
}

export interface PlanView {
  changes: Change[];
  /** Phases that could not be planned: a row each. */
  failures: { phase: string; message: string }[];
  /** `phase storage not created yet: …`, one per pending phase. */
  pending: string[];
  summaryLine: string;
  /** `--all`: the keeps too. */
  all?: boolean;
}

const SYMBOL: Record<Change['action'], string> = {
  create: '+',
  adopt: '~',
  update: '~',
  replace: '!',
  delete: '-',
  keep: '=',
};

/**
 * The changes (every line with `--all`), or "No changes." and how many are as planned; pending phases; warnings; the
 * summary last.
 */
export function renderPlan(v: PlanView, o: ViewOptions = {}): string {
  const shown = v.all ? v.changes : v.changes.filter((c) => c.action !== 'keep' || c.blocked);
  const kept = v.changes.length - shown.length;
  const row = (c: Change) => {
    const [symbol, action] = c.blocked ? ['!', 'conflict'] : [SYMBOL[c.action], c.action];
    const name = c.name ?? c.logicalId;
    return o.wide
      ? [symbol, action, c.phase, c.kind, name, c.id ?? '', c.detail ?? '']
      : [symbol, action, c.phase, c.kind, withoutArns(name), withoutArns(c.detail ?? '')];
  };
  const rows = shown.map(row);
  rows.push(
    ...v.failures.map((f) =>
      o.wide
        ? ['!', 'error', f.phase, '-', '-', '', `error: ${f.message}`]
        : ['!', 'error', f.phase, '-', '-', `error: ${f.message}`],
    ),
  );
  const header = o.wide
    ? ['', 'action', 'phase', 'kind', 'name', 'id', 'detail']
    : ['', 'action', 'phase', 'kind', 'name', 'detail'];
  const lines = rows.length
    ? [
        table(header, rows, { maxWidth: o.wide ? undefined : DEFAULT_WIDTH }),
        ...(kept ? ['', `(${kept} more as planned: \`devenv plan --all\` lists them)`] : []),
      ]
    : [`No changes. ${kept} resources and checks as planned${kept ? ' (`devenv plan --all` lists them)' : ''}.`];
  const warnings = v.changes.flatMap((c) => c.warnings ?? []);
  return [
    ...lines,
    ...(v.pending.length ? ['', 'Not created yet (`devenv up` runs them):', ...v.pending.map((p) => `  ${p}`)] : []),
    ...(warnings.length ? ['', ...warningLines(warnings, o)] : []),
    '',
    v.summaryLine,
  ].join('\n');
}
