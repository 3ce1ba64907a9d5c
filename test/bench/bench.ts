/**
 * `npm run bench`: AWS calls (mutating / read) and wall time of each command against a fresh moto
 * server, at 8 and 50 developers, without and with a simulated per-call latency (a `before` hook
 * that sleeps), the latter showing what running independent phases at once saves, and the critical
 * path of a fresh `up` (the longest chain of phases) against its wall time. Prints markdown.
 *
 * Not a test (it asserts nothing but that the commands succeed). Run it with tsx, as package.json's
 * "bench" script does: `npm run build && node --import tsx test/bench/bench.ts [--latency 50] [--cert-wait 5]`.
 */
import type { CallHook } from '../../src/aws/clients.js';
import { describeResult, motoAvailable, MotoServer, newWorkspace, phaseSpans, INSTALL_HINT, type CliResult } from '../integration/moto.js';

// The SDK's Node-version notice is not part of the measurement (bin/devenv.js drops it the same way).
process.removeAllListeners('warning');

const args = process.argv.slice(2);
const LATENCY_MS = Number(args[args.indexOf('--latency') + 1] ?? 50) || 50;
/** Seconds moto keeps a new certificate PENDING_VALIDATION (MOTO_ACM_VALIDATION_WAIT), standing in for ACM's minutes. */
const CERT_WAIT_S = args.includes('--cert-wait') ? Number(args[args.indexOf('--cert-wait') + 1]) : 5;
const SIZES = [8, 50];

interface Row {
  developers: number;
  latency: number;
  command: string;
  mutating: number;
  read: number;
  ms: number;
  phases?: Record<string, number>;
  spans?: ReturnType<typeof phaseSpans>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const latencyHook = (ms: number): CallHook => ({ before: () => sleep(ms) });

/** Without a host, `up` leaves storage, containers and test out: `status` exits 1 naming only those. */
function onlyPendingPhases(r: CliResult): boolean {
  const { problems } = JSON.parse(r.stdout.split('\n')[0]!) as { problems: string[] };
  return r.code === 1 && problems.every((p) => / not created yet: /.test(p));
}

function ok(command: string, r: CliResult): void {
  const fine = command === 'status' ? r.code === 0 || onlyPendingPhases(r) : r.code === 0;
  if (!fine) throw new Error(`${command} failed: ${describeResult(r)}`);
}

/** Phase → duration, from the JSON lines of a `--json` run. */
function phaseTimes(stdout: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of stdout.split('\n')) {
    let e: { type?: string; phase?: string; durationMs?: number };
    try {
      e = JSON.parse(line);
    } catch {
      continue; // `status --json` prints one indented document, not event lines
    }
    if (e.type === 'phase-done' && e.phase) out[e.phase] = e.durationMs ?? 0;
  }
  return out;
}

async function scenario(moto: MotoServer, developers: number, latency: number): Promise<Row[]> {
  const ws = await newWorkspace(moto, {
    developers,
    project: 'bench',
    // 50 developers on one t3.2xlarge (8 vCPUs, 32 GiB): validate checks the reservations fit, so keep them small.
    patch: (c) => (c.containers = { ...c.containers, cpuReservation: 0.1, memoryReservationMiB: 256, cpuLimit: 1, memoryLimitMiB: 1024 }),
  });
  const hooks = latency > 0 ? [latencyHook(latency)] : [];
  const rows: Row[] = [];
  const measure = async (command: string, argv: string[]) => {
    const r = await ws.cli([...argv, '--json'], { hooks });
    ok(command, r);
    rows.push({ developers, latency, command, mutating: r.calls.mutating.length, read: r.calls.read.length, ms: r.ms, phases: phaseTimes(r.stdout), spans: phaseSpans(r.stdout) });
  };
  await measure('up (fresh)', ['up']);
  await measure('up (converged)', ['up']);
  await measure('status', ['status']);
  await measure('destroy', ['destroy', '--yes']);
  await ws.remove();
  return rows;
}

function table(rows: Row[]): string {
  const lines = [
    '| developers | latency per call | command | mutating calls | read calls | wall time | calls × latency (one at a time) |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const serial = r.latency ? `${((r.mutating + r.read) * r.latency / 1000).toFixed(1)} s` : '–';
    lines.push(`| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none (moto)'} | ${r.command} | ${r.mutating} | ${r.read} | ${(r.ms / 1000).toFixed(2)} s | ${serial} |`);
  }
  return lines.join('\n');
}

function phaseTable(rows: Row[]): string {
  const fresh = rows.filter((r) => r.command === 'up (fresh)' && r.latency > 0);
  const names = [...new Set(fresh.flatMap((r) => Object.keys(r.phases ?? {})))];
  const lines = [
    `| developers | ${names.join(' | ')} | sum of phases | wall time |`,
    `| ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: |`,
  ];
  for (const r of fresh) {
    const p = r.phases ?? {};
    const sum = Object.values(p).reduce((a, b) => a + b, 0);
    lines.push(`| ${r.developers} | ${names.map((n) => (p[n] === undefined ? '–' : `${(p[n] / 1000).toFixed(1)} s`)).join(' | ')} | ${(sum / 1000).toFixed(1)} s | ${(r.ms / 1000).toFixed(1)} s |`);
  }
  return lines.join('\n');
}

/** When the cert phase (waiting for ACM) and the ec2 phase ran in each fresh `up`, and how long both ran at once. */
function overlapTable(rows: Row[]): string {
  const s = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    '| developers | latency per call | cert (start → end) | ec2 (start → end) | both running | alb starts |',
    '| ---: | ---: | --- | --- | ---: | ---: |',
  ];
  for (const r of rows.filter((x) => x.command === 'up (fresh)')) {
    const { cert, ec2, alb } = r.spans ?? {};
    const overlap = cert?.end !== undefined && ec2?.end !== undefined ? Math.max(0, Math.min(cert.end, ec2.end) - Math.max(cert.start, ec2.start)) : undefined;
    lines.push(`| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none'} | ${s(cert?.start)} → ${s(cert?.end)} | ${s(ec2?.start)} → ${s(ec2?.end)} | ${s(overlap)} | ${s(alb?.start)} |`);
  }
  return lines.join('\n');
}

/**
 * The critical path of a fresh `up`: the chain of phases, each after what it needs, whose durations
 * add up to the most. No scheduler can finish `up` sooner; the wall time minus it is what the runner
 * loses (start-up, the account check, waiting for a slot), the sum of phases minus the wall time what concurrency saves.
 */
function criticalPath(durations: Record<string, number>, graph: readonly { name: string; needs: readonly string[] }[]): { path: string[]; ms: number } {
  const memo = new Map<string, { path: string[]; ms: number }>();
  const longest = (name: string): { path: string[]; ms: number } => {
    const known = memo.get(name);
    if (known) return known;
    const needs = graph.find((p) => p.name === name)!.needs.map(longest);
    const before = needs.reduce((a, b) => (b.ms > a.ms ? b : a), { path: [] as string[], ms: 0 });
    const own = durations[name];
    const result = own === undefined ? before : { path: [...before.path, name], ms: before.ms + own };
    memo.set(name, result);
    return result;
  };
  return graph.map((p) => longest(p.name)).reduce((a, b) => (b.ms > a.ms ? b : a));
}

function criticalPathTable(rows: Row[], graph: Parameters<typeof criticalPath>[1]): string {
  const lines = [
    '| developers | latency per call | critical path (phases) | critical path | wall time | wall − critical path | sum of phases |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows.filter((x) => x.command === 'up (fresh)')) {
    const p = r.phases ?? {};
    const cp = criticalPath(p, graph);
    const sum = Object.values(p).reduce((a, b) => a + b, 0);
    const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    lines.push(`| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none'} | ${cp.path.join(' → ')} | ${s(cp.ms)} | ${s(r.ms)} | ${s(r.ms - cp.ms)} | ${s(sum)} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const available = motoAvailable();
  if (!available.ok) {
    console.error(`${INSTALL_HINT} (${available.why})`);
    process.exitCode = 1;
    return;
  }
  const started = performance.now();
  const moto = await MotoServer.start(undefined, { acmValidationWaitSeconds: CERT_WAIT_S });
  moto.useFromThisProcess();
  const rows: Row[] = [];
  try {
    for (const latency of [0, LATENCY_MS]) for (const n of SIZES) rows.push(...(await scenario(moto, n, latency)));
  } finally {
    await moto.stop();
  }
  const { PHASES } = await import('../../src/phases/index.js');
  console.log(`## devenv benchmark against moto server (phases: ${PHASES.map((p) => p.name).join(', ')})\n`);
  console.log('Every `up` runs with `--skip storage,containers,test` (these log in to a host over SSH or through the load balancer; moto has neither, and the host lab is not part of the bench).\n');
  console.log(table(rows));
  console.log(`\nPhase durations of a fresh \`up\` at ${LATENCY_MS} ms per call (phases whose needs are met run at once, so the wall time is less than their sum):\n`);
  console.log(phaseTable(rows));
  console.log(`\nThe critical path of each fresh \`up\` (the longest chain of phases through the dependency graph, from the measured phase durations) against its wall time:\n`);
  console.log(criticalPathTable(rows, PHASES));
  console.log(`\nThe certificate wait (moto issues a certificate ${CERT_WAIT_S} s after the request; devenv polls every 10 s) against the host, in each fresh \`up\` (seconds from its first event):\n`);
  console.log(overlapTable(rows));
  console.log(`\n"calls × latency" is what the calls would take one after another; the wall time below it is the gain of concurrent phases.`);
  console.log(`\`destroy\` is \`destroy --yes\` (keeps the data volume, schedules the secrets for deletion). Total ${((performance.now() - started) / 1000).toFixed(0)} s, Node ${process.version}.`);
}

await main();
