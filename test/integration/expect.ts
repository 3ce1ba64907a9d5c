/** Assertions shared by the integration tests: about what a user would see in AWS and in the output. */
import { expect } from 'vitest';
import { describeResult, type CliResult, type Workspace } from './moto.js';
import { diffInventory, type Inventory } from './inventory.js';

export function expectConverged(r: CliResult, what = 'up'): void {
  expect(r.code, `${what} did not converge: ${describeResult(r)}`).toBe(0);
}

export function expectNoMutatingCalls(r: CliResult, what = 'this run'): void {
  expect(r.calls.mutating, `${what} changed something in AWS`).toEqual([]);
}

/** No mutating call that AWS carried out (a delete answered NotFound changes nothing). */
export function expectNothingChanged(r: CliResult, what = 'this run'): void {
  expect(r.calls.changed, `${what} changed something in AWS`).toEqual([]);
}

export function expectNoAwsCalls(r: CliResult): void {
  expect([...r.calls.mutating, ...r.calls.read], 'made AWS calls').toEqual([]);
}

/** Same kinds, logical ids, counts and wiring; the message lists what is extra (+) and missing (-). */
export function expectSameInventory(actual: Inventory, expected: Inventory, what: string): void {
  const diff = diffInventory(expected, actual);
  expect(diff, `${what}: inventory differs from one clean run:\n${diff.join('\n')}`).toEqual([]);
  expect(actual).toEqual(expected);
}

/** Kinds whose items are the resources themselves (not rules, routes or associations derived from them). */
const PRIMARY_KINDS = [
  'vpc',
  'subnet',
  'internet gateway',
  'route table',
  'security group',
  'instance',
  'volume',
  'key pair',
  'snapshot',
  'elastic ip',
  'iam role',
  'instance profile',
  'secret',
  'load balancer',
  'target group',
  'certificate',
  'log group',
  'alarm',
  'backup vault',
  'backup plan',
];

interface OfflinePlan {
  phases: {
    phase: string;
    resources: { logicalId: string; kind: string; name: string; tags: Record<string, string> }[];
  }[];
}

/**
 * What `devenv plan --offline` lists for the phases that completed is exactly what exists: each
 * planned AWS resource is in the inventory (by logical id or name), and each resource in the
 * inventory is a planned one — nothing missing, nothing extra.
 */
export async function expectMatchesPlan(ws: Workspace, inv: Inventory): Promise<void> {
  const r = await ws.cli(['plan', '--offline', '--json']);
  expect(r.code, describeResult(r)).toBe(0);
  const plan = JSON.parse(r.stdout) as OfflinePlan;
  const state = await ws.state();
  const done = plan.phases.filter((p) => state.phases?.[p.phase]?.status === 'complete');
  const planned = done.flatMap((p) => p.resources.filter((res) => Object.keys(res.tags).length > 0));
  const head = (item: string) => item.split(' ')[0];
  const heads = new Set(Object.values(inv).flat().map(head));
  const missing = planned.filter(
    (p) =>
      !heads.has(p.logicalId) &&
      !heads.has(p.name) &&
      !Object.values(inv)
        .flat()
        .some((i) => i.includes(`/${p.name}`)),
  );
  expect(
    missing.map((p) => `${p.kind} ${p.logicalId} (${p.name})`),
    'planned but not in AWS',
  ).toEqual([]);
  const known = new Set(planned.flatMap((p) => [p.logicalId, p.name]));
  // A root volume is part of its instance (the plan lists it as the instance's rootVolume).
  const isRoot = (i: string) => head(i).startsWith('root-of(') || /attached=\S+:\/dev\/(sda1|xvda)\b/.test(i);
  const extra = PRIMARY_KINDS.flatMap((kind) =>
    (inv[kind] ?? []).filter((i) => !known.has(head(i)) && !isRoot(i)).map((i) => `${kind}: ${i}`),
  );
  expect(extra, 'in AWS but not in the plan').toEqual([]);
  const twice = PRIMARY_KINDS.flatMap((kind) =>
    (inv[kind] ?? [])
      .map(head)
      .filter((h, i, all) => all.indexOf(h) !== i)
      .map((h) => `${kind}: ${h}`),
  );
  expect(twice, 'in AWS more than once').toEqual([]);
}

/**
 * What `destroy --yes` leaves of a clean run: the data volume unless --delete-data (detached),
 * its final snapshot when --delete-data without --no-final-snapshot, and the secrets, scheduled
 * for deletion, unless --force-delete-secrets.
 */
export function expectedAfterDestroy(
  baseline: Inventory,
  o: { deleteData?: boolean; finalSnapshot?: boolean; forceDeleteSecrets?: boolean },
): Inventory {
  const out: Inventory = {};
  const volumes = (baseline.volume ?? [])
    .filter((v) => v.startsWith('volume/data '))
    .map((v) => v.replace(/attached=\S+/, 'attached=none'));
  if (volumes.length && !o.deleteData) out.volume = volumes;
  const secrets = (baseline.secret ?? [])
    .map((s) => `${s.replace(/ \(scheduled for deletion\)$/, '')} (scheduled for deletion)`)
    .sort();
  if (secrets.length && !o.forceDeleteSecrets) out.secret = secrets;
  void o.finalSnapshot; // the snapshot's item is checked by the test itself (its size and source)
  return out;
}

/** The phases `up` leaves out without a host (moto has none): `status` and `plan` name each as not created yet. */
export const HOST_PHASES = ['storage', 'containers', 'gate', 'test'];
const HOST_PENDING = HOST_PHASES.map((p) => `phase ${p} not created yet: left out by \`up --skip\``);

export interface StatusJson {
  ok: boolean;
  urls: Record<string, string>;
  loadBalancerDns: string | null;
  hostAddress: string | null;
  pending: { phase: string; reason: string }[];
  resources: {
    phase: string;
    logicalId: string;
    kind: string;
    state: string;
    developer?: string;
    problem?: { verdict: string; message: string };
  }[];
  developers: {
    name: string;
    url: string;
    port: number;
    container: string;
    target: string;
    dns: string;
    problems: string[];
  }[];
  problems: string[];
  warnings: string[];
}

/** `status --json`'s document (the first line: on exit 1 the error follows it). */
export const statusJson = (r: CliResult): StatusJson => JSON.parse(r.stdout.split('\n')[0]!) as StatusJson;

/** Status of a run without a host: exit 1, and its problems are the host phases' lines and `others`, nothing else. */
export function expectHostPhasesPendingOnly(r: CliResult, others: RegExp[] = [], what = 'status'): StatusJson {
  expect(r.code, `${what}: ${describeResult(r)}`).toBe(1);
  const json = statusJson(r);
  expect(json.problems.slice(0, HOST_PENDING.length), what).toEqual(HOST_PENDING);
  const rest = json.problems.slice(HOST_PENDING.length);
  expect(rest, what).toHaveLength(others.length);
  for (const [i, o] of others.entries()) expect(rest[i], what).toMatch(o);
  return json;
}
