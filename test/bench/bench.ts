/**
 * `npm run bench`: AWS calls (mutating / read) and wall time of each command against a fresh moto
 * server, at 8 and 50 developers, without and with a simulated per-call latency (a `before` hook
 * that sleeps), the latter showing what running independent phases at once saves, and the critical
 * path of a fresh `up` (the longest chain of phases) against its wall time. Then the same commands
 * as users run them — `node bin/devenv.js`, a process per command, the latency added by an HTTP
 * proxy in front of moto — with the start-up of `status` and `plan` against a bare `node -e ''`
 * (`--before-bin` measures another build's too), and the same stack in plain Terraform
 * (./terraform/main.tf) behind the same proxy, side by side, requests counted at the proxy; without
 * terraform or its provider mirror those rows are skipped with a message. Prints markdown.
 *
 * Not a test (it asserts nothing but that the commands succeed). Run it with tsx, as package.json's
 * "bench" script does: `npm run build && node --import tsx test/bench/bench.ts [--latency 100]
 * [--cert-wait 20] [--sizes 8] [--parts in-process,process,terraform] [--before-bin <bin/devenv.js>] [--auth cognito] [--s3-state]`;
 * `--auth cognito` runs it with `auth.provider: "cognito"` and says which calls are Cognito's.
 */
import { spawn } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { CallHook } from '../../src/aws/clients.js';
import { isMutating } from '../../src/aws/clients.js';
import { wireCall, type WireCall } from './requests.js';
import { TerraformDir, terraformAvailable } from './terraform.js';
import {
  childEnv,
  describeResult,
  motoAvailable,
  MotoServer,
  newWorkspace,
  phaseSpans,
  smallContainers,
  INSTALL_HINT,
  type CliResult,
  type Workspace,
} from '../integration/moto.js';

// The SDK's Node-version notice is not part of the measurement (bin/devenv.js drops it the same way).
process.removeAllListeners('warning');

const args = process.argv.slice(2);
const LATENCY_MS = Number(args[args.indexOf('--latency') + 1] ?? 50) || 50;
/** Seconds moto keeps a new certificate PENDING_VALIDATION (MOTO_ACM_VALIDATION_WAIT), standing in for ACM's minutes. */
const CERT_WAIT_S = args.includes('--cert-wait') ? Number(args[args.indexOf('--cert-wait') + 1]) : 20;
/** `--sizes 8` for a quick run; the README's figures are at 8 and 50. */
const SIZES = args.includes('--sizes') ? args[args.indexOf('--sizes') + 1]!.split(',').map(Number) : [8, 50];
/** `--parts process,terraform` runs only these: `in-process`, `process` (with the start-up runs), `terraform`. */
const PARTS = args.includes('--parts')
  ? args[args.indexOf('--parts') + 1]!.split(',')
  : ['in-process', 'process', 'terraform'];
/** `--before-bin <path to another checkout's bin/devenv.js>`: the start-up of `status` and `plan` of that build too. */
const BEFORE_BIN = args.includes('--before-bin') ? args[args.indexOf('--before-bin') + 1] : undefined;
/** How often the start-up of `status` and `plan` is measured (the least is shown: the machine's noise only adds). */
const START_RUNS = 5;

/** `--auth cognito`: every developer with an email, the cognito phase making the user pool. */
const AUTH = args.includes('--auth') ? args[args.indexOf('--auth') + 1] : 'password';

function configPatch(developers: number) {
  return (config: Record<string, any>) => {
    smallContainers(config);
    if (AUTH !== 'cognito') return;
    config.auth = { provider: 'cognito' };
    config.developers = Array.from({ length: developers }, (_, i) => ({
      name: `dev${i + 1}`,
      email: `dev${i + 1}@example.com`,
    }));
  };
}

const COGNITO = 'cognito-idp:';
const cognitoCalls = (r: CliResult) => ({
  mutating: r.calls.mutating.filter((c) => c.startsWith(COGNITO)).length,
  read: r.calls.read.filter((c) => c.startsWith(COGNITO)).length,
});

interface Row {
  /** With --auth cognito: the calls of the cognito phase (and of the teardown's user-pool sweep). */
  cognito?: { mutating: number; read: number };
  developers: number;
  latency: number;
  command: string;
  mutating: number;
  read: number;
  ms: number;
  phases?: Record<string, number>;
  spans?: ReturnType<typeof phaseSpans>;
  /** Seconds from the run's first event to each call's answer, by `service:Operation` (with --verbose). */
  callTimes?: Map<string, number[]>;
  /** Process mode: from spawning node to devenv's first AWS call. */
  startMs?: number;
  /** `oidc`: developers sign in at the load balancer (auth.provider), what it adds to each command. */
  auth?: string;
  /** Process mode: the requests the latency proxy passed, by whether they read or change. */
  wire?: { mutating: number; read: number };
  /** `destroy`: what it said it keeps (its `will keep:` line). */
  keeps?: string;
}

/** `destroy --yes`, with what it says it keeps. */
const DESTROY = 'destroy';
const commandCell = (r: Row) => (r.keeps === undefined ? r.command : `${r.command} (keeps: ${r.keeps})`);

/** What a `destroy --json` run said it would keep (its `will keep:` step). */
function keptBy(stdout: string): string | undefined {
  for (const line of stdout.split('\n')) {
    if (!line.includes('will keep: ')) continue;
    try {
      return (JSON.parse(line) as { message: string }).message.replace(/^will keep: /, '');
    } catch {
      // not an event line
    }
  }
  return undefined;
}

/** When each AWS call was answered, from the `aws-call` lines of a `--json --verbose` run, in ms from its first event. */
function callTimes(stdout: string, origin?: number): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of stdout.split('\n')) {
    let e: { type?: string; service?: string; operation?: string; time?: string };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!e.time) continue;
    origin ??= Date.parse(e.time);
    if (e.type !== 'aws-call') continue;
    const name = `${e.service}:${e.operation}`;
    out.set(name, [...(out.get(name) ?? []), Date.parse(e.time) - origin]);
  }
  return out;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const latencyHook = (ms: number): CallHook => ({ before: () => sleep(ms) });

/** Without a host, `up` leaves storage, containers and test out: `status` exits 1 naming only those. */
function onlyPendingPhases(r: CliResult): boolean {
  // The status document, after the `aws-call` lines of --verbose.
  const { problems } = JSON.parse(r.stdout.split('\n').find((l) => l.includes('"problems"')) ?? '{}') as {
    problems?: string[];
  };
  if (!problems) return false;
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

const ISSUER = 'https://idp.bench.example';
/** The issuer's discovery document, from this process's `fetch` (the bench has no internet); anything else passes. */
function standInIssuer(): () => void {
  const real = globalThis.fetch;
  globalThis.fetch = async (input, init) =>
    String(input) === `${ISSUER}/.well-known/openid-configuration`
      ? Response.json({
          issuer: ISSUER,
          authorization_endpoint: `${ISSUER}/authorize`,
          token_endpoint: `${ISSUER}/token`,
          userinfo_endpoint: `${ISSUER}/userinfo`,
        })
      : real(input, init);
  return () => {
    globalThis.fetch = real;
  };
}

/** An OIDC provider at the load balancer: each developer bound to an e-mail, the client secret from the environment. */
function withOidc(config: Record<string, any>): void {
  smallContainers(config);
  const n = config.developers as number;
  config.developers = Array.from({ length: n }, (_, i) => ({ name: `dev${i + 1}`, email: `dev${i + 1}@corp.example` }));
  config.auth = {
    provider: 'oidc',
    oidc: { issuer: ISSUER, clientId: 'bench', clientSecret: { env: 'BENCH_SECRET' } },
  };
}

async function scenario(moto: MotoServer, developers: number, latency: number, auth?: 'oidc'): Promise<Row[]> {
  const ws = await newWorkspace(moto, {
    developers,
    project: 'bench',
    // 50 developers on one t3.2xlarge (8 vCPUs, 32 GiB): validate checks the reservations fit, so keep them small.
    patch: auth ? withOidc : configPatch(developers),
  });
  const hooks = latency > 0 ? [latencyHook(latency)] : [];
  const rows: Row[] = [];
  const restore = auth ? standInIssuer() : () => undefined;
  const measure = async (command: string, argv: string[]) => {
    const r = await ws.cli([...argv, '--json', '--verbose'], { hooks, env: { BENCH_SECRET: 'bench-secret-value' } });
    ok(command, r);
    rows.push({
      developers,
      latency,
      ...(auth ? { auth } : {}),
      command,
      mutating: r.calls.mutating.length,
      read: r.calls.read.length,
      ms: r.ms,
      cognito: cognitoCalls(r),
      phases: phaseTimes(r.stdout),
      spans: phaseSpans(r.stdout),
      callTimes: callTimes(r.stdout),
      ...(command === DESTROY ? { keeps: keptBy(r.stdout) } : {}),
    });
  };
  await measure('up (fresh)', ['up']);
  await measure('up (converged)', ['up']);
  await measure('status', ['status']);
  await measure('plan', ['plan']);
  await measure('logs dev1 (CloudWatch)', ['logs', 'dev1']);
  await measure('sleep', ['sleep', '--yes']);
  await measure('wake', ['wake']);
  await measure(DESTROY, ['destroy', '--yes']);
  restore();
  await ws.remove();
  return rows;
}

const BIN = join(import.meta.dirname, '../../bin/devenv.js');

/**
 * An HTTP proxy in front of moto that holds each request `ms` before passing it on: latency at the
 * network, as AWS has. Every request is also recorded in `calls` (what it asks for: ./requests.ts).
 */
interface Proxy {
  endpoint: string;
  server: Server;
  /** Every request since it was last emptied. */
  calls: WireCall[];
}

async function latencyProxy(target: string, ms: number): Promise<Proxy> {
  const to = new URL(target);
  const calls: WireCall[] = [];
  const server = createServer((req, res) => {
    const body: Buffer[] = [];
    req.on('data', (b: Buffer) => body.push(b));
    req.on('end', () => {
      const bytes = Buffer.concat(body);
      calls.push(wireCall(req.method ?? 'GET', req.url ?? '/', req.headers, bytes.toString('utf8')));
      setTimeout(() => {
        const out = request(
          { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        out.on('error', (err) => res.destroy(err));
        out.end(bytes);
      }, ms);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, calls };
}

/**
 * `node bin/devenv.js <argv>` as a user runs it; calls counted from its `aws-call` lines. `cacheHome` holds a price
 * cache of today, as a user who ran `plan` this month has (Workspace.freshPriceCache): moto has no Price List.
 */
function runProcess(
  endpoint: string,
  argv: string[],
  cwd: string,
  cacheHome: string,
  bin = BIN,
): Promise<CliResult & { startMs?: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const spawnedAt = Date.now();
    const child = spawn(process.execPath, [bin, ...argv], {
      cwd,
      env: { ...childEnv(endpoint), XDG_CACHE_HOME: cacheHome },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - started;
      const calls = {
        mutating: [] as string[],
        read: [] as string[],
        refused: [] as string[],
        changed: [] as string[],
      };
      let first: number | undefined;
      for (const line of stdout.split('\n')) {
        if (!line.includes('"aws-call"')) continue;
        const e = JSON.parse(line) as { service: string; operation: string; time: string; durationMs: number };
        first ??= Date.parse(e.time) - e.durationMs;
        (isMutating(e.operation) ? calls.mutating : calls.read).push(`${e.service}:${e.operation}`);
      }
      resolve({
        code: code ?? 1,
        stdout,
        stderr,
        calls,
        ms,
        startMs: first === undefined ? undefined : first - spawnedAt,
      });
    });
  });
}

/** Start-up of a command: spawn to exit and spawn to its first AWS call, the least of START_RUNS runs. */
interface StartUp {
  developers: number;
  build: string;
  command: string;
  exitMs: number;
  firstCallMs?: number;
}

/** The same commands, a process each, with the latency at the network; then the start-up of `status` and `plan`. */
async function processScenario(
  moto: MotoServer,
  proxy: Proxy,
  developers: number,
  latency: number,
  starts: StartUp[],
): Promise<Row[]> {
  const ws: Workspace = await newWorkspace(moto, {
    developers,
    project: 'benchp',
    patch: configPatch(developers),
  });
  const rows: Row[] = [];
  const files = ['--config', ws.configPath, '--state', ws.statePath, '--json', '--verbose'];
  const cacheHome = await ws.freshPriceCache();
  const measure = async (command: string, argv: string[]) => {
    proxy.calls.length = 0;
    const r = await runProcess(proxy.endpoint, [...argv, ...files], ws.dir, cacheHome);
    ok(command, r);
    rows.push({
      developers,
      latency,
      command,
      mutating: r.calls.mutating.length,
      read: r.calls.read.length,
      ms: r.ms,
      startMs: r.startMs,
      wire: wireCounts(proxy.calls),
      ...(command === DESTROY ? { keeps: keptBy(r.stdout) } : {}),
    });
  };
  await measure('up (fresh)', ['up', '--skip', 'storage,containers,test']);
  await measure('up (converged)', ['up', '--skip', 'storage,containers,test']);
  await measure('status', ['status']);
  await measure('plan', ['plan']);
  const builds: [string, string][] = [
    ['this build', BIN],
    ...(BEFORE_BIN ? [['before', BEFORE_BIN] as [string, string]] : []),
  ];
  // The builds take turns, so that a change in the machine's load falls on both alike.
  for (const command of ['status', 'plan']) {
    const runs = new Map<string, (CliResult & { startMs?: number })[]>(builds.map(([build]) => [build, []]));
    for (let i = 0; i < START_RUNS; i++)
      for (const [build, bin] of builds) {
        const r = await runProcess(proxy.endpoint, [command, ...files], ws.dir, cacheHome, bin);
        ok(command, r);
        runs.get(build)!.push(r);
      }
    for (const [build, all] of runs) {
      const firsts = all.flatMap((r) => (r.startMs === undefined ? [] : [r.startMs]));
      starts.push({
        developers,
        build,
        command,
        exitMs: Math.min(...all.map((r) => r.ms)),
        ...(firsts.length ? { firstCallMs: Math.min(...firsts) } : {}),
      });
    }
  }
  await measure(DESTROY, ['destroy', '--yes']);
  await ws.remove();
  return rows;
}

/** Terraform's apply (fresh, then with nothing to change), plan and destroy of the same stack, behind the same proxy. */
async function terraformScenario(moto: MotoServer, proxy: Proxy, developers: number, latency: number): Promise<Row[]> {
  const ws = await newWorkspace(moto, { developers, project: 'benchtf', patch: smallContainers });
  const tf = await TerraformDir.create(ws, proxy.endpoint, developers, 'benchtf');
  const rows: Row[] = [];
  const measure = async (command: string, name: 'apply' | 'plan' | 'destroy') => {
    proxy.calls.length = 0;
    const r = await tf.command(name);
    const wire = wireCounts(proxy.calls);
    rows.push({ developers, latency, command, ms: r.ms, wire, ...wire });
  };
  try {
    await measure('apply (fresh)', 'apply');
    await measure('apply (no change)', 'apply');
    await measure('plan', 'plan');
    await measure('destroy', 'destroy');
  } finally {
    await tf.remove();
    await ws.remove();
  }
  return rows;
}

const wireCounts = (calls: WireCall[]) => ({
  mutating: calls.filter((c) => !c.read).length,
  read: calls.filter((c) => c.read).length,
});

/** Wall time of `node -e ''`: what any Node command costs before it does anything. */
async function bareNode(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const started = performance.now();
    await new Promise<void>((r) => spawn(process.execPath, ['-e', ''], { stdio: 'ignore' }).on('close', () => r()));
    times.push(performance.now() - started);
  }
  return Math.min(...times);
}

function processTable(rows: Row[], bare: number): string {
  const s = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
  const lines = [
    "| developers | latency per call (proxy) | command | mutating calls | read calls | wall time | start-up (to the first AWS call) | start-up − bare `node -e ''` |",
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.developers} | ${r.latency} ms | ${commandCell(r)} | ${r.mutating} | ${r.read} | ${s(r.ms)} | ${s(r.startMs)} | ${r.startMs === undefined ? '–' : s(r.startMs - bare)} |`,
    );
  }
  return lines.join('\n');
}

function table(rows: Row[]): string {
  const lines = [
    '| developers | latency per call | command | mutating calls | read calls | wall time | calls × latency (one at a time) |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const serial = r.latency ? `${(((r.mutating + r.read) * r.latency) / 1000).toFixed(1)} s` : '–';
    lines.push(
      `| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none (moto)'} | ${commandCell(r)}${r.auth ? `, ${r.auth}` : ''} | ${r.mutating} | ${r.read} | ${(r.ms / 1000).toFixed(2)} s | ${serial} |`,
    );
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
    lines.push(
      `| ${r.developers} | ${names.map((n) => (p[n] === undefined ? '–' : `${(p[n] / 1000).toFixed(1)} s`)).join(' | ')} | ${(sum / 1000).toFixed(1)} s | ${(r.ms / 1000).toFixed(1)} s |`,
    );
  }
  return lines.join('\n');
}

/**
 * The timeline of each fresh `up`: the cert phase (waiting for ACM) against the host and the load
 * balancer. CreateLoadBalancer comes before the certificate is issued (the end of cert), the alb
 * phase (and its wait for the load balancer to be active) inside the validation wait, https after it.
 */
function overlapTable(rows: Row[]): string {
  const s = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(1)} s`);
  const lines = [
    '| developers | latency per call | cert (start → end) | ec2 (start → end) | alb (start → end) | CreateLoadBalancer | CreateTargetGroup (first → last) | https (start → end) | HTTPS CreateListener | gaps between certificate polls |',
    '| ---: | ---: | --- | --- | --- | ---: | --- | --- | ---: | --- |',
  ];
  for (const r of rows.filter((x) => x.command === 'up (fresh)')) {
    const { cert, ec2, alb, https } = r.spans ?? {};
    const lb = r.callTimes?.get('elbv2:CreateLoadBalancer')?.[0];
    const listener = r.callTimes?.get('elbv2:CreateListener')?.at(-1);
    const groups = r.callTimes?.get('elbv2:CreateTargetGroup') ?? [];
    // The cert phase's reads of the certificate (https reads it once more, after).
    const polls = (r.callTimes?.get('acm:DescribeCertificate') ?? []).filter(
      (t) => cert?.end === undefined || t <= cert.end,
    );
    const gaps = polls
      .slice(1)
      .map((t, i) => ((t - polls[i]!) / 1000).toFixed(1))
      .join(', ');
    lines.push(
      `| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none'} | ${s(cert?.start)} → ${s(cert?.end)} | ${s(ec2?.start)} → ${s(ec2?.end)} | ${s(alb?.start)} → ${s(alb?.end)} | ${s(lb)} | ${s(groups[0])} → ${s(groups.at(-1))} | ${s(https?.start)} → ${s(https?.end)} | ${s(listener)} | ${gaps || '–'} s |`,
    );
  }
  return lines.join('\n');
}

/** The reads of a command by API, most first: where a converged `up` or a `destroy` spends its reads. */
function readsByApi(rows: Row[], command: string): string {
  const lines: string[] = [];
  for (const r of rows.filter((x) => x.command === command && x.latency === 0)) {
    const reads = [...(r.callTimes ?? [])]
      .filter(([name]) => !isMutating(name.split(':')[1]!))
      .map(([name, times]) => [name, times.length] as const)
      .sort((a, b) => b[1] - a[1]);
    lines.push(`- ${r.developers} developers, ${command}: ${reads.map(([n, c]) => `${n} ${c}`).join(', ')}`);
  }
  return lines.join('\n');
}

function startTable(starts: StartUp[], bare: number): string {
  const s = (ms?: number) => (ms === undefined ? '–' : `${(ms / 1000).toFixed(2)} s`);
  const lines = [
    "| developers | build | command | spawn → exit | spawn → first AWS call | first AWS call − bare `node -e ''` |",
    '| ---: | --- | --- | ---: | ---: | ---: |',
  ];
  for (const r of starts)
    lines.push(
      `| ${r.developers} | ${r.build} | ${r.command} | ${s(r.exitMs)} | ${s(r.firstCallMs)} | ${r.firstCallMs === undefined ? '–' : s(r.firstCallMs - bare)} |`,
    );
  return lines.join('\n');
}

/** devenv (a process per command) beside Terraform, the same stack behind the same proxy; calls counted at the proxy. */
function sideBySideTable(devenv: Row[], terraform: Row[]): string {
  const pairs: [string, string][] = [
    ['up (fresh)', 'apply (fresh)'],
    ['up (converged)', 'apply (no change)'],
    ['plan', 'plan'],
    [DESTROY, 'destroy'],
  ];
  const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const calls = (r: Row) => `${r.wire!.mutating} + ${r.wire!.read}`;
  const lines = [
    '| developers | latency per call | devenv | wall time | calls (mutating + read) | terraform | wall time | calls (mutating + read) | devenv ÷ terraform: wall time | requests | reads |',
    '| ---: | ---: | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const n of [...new Set(terraform.map((r) => r.developers))])
    for (const [d, t] of pairs) {
      const a = devenv.find((r) => r.developers === n && r.command === d);
      const b = terraform.find((r) => r.developers === n && r.command === t);
      if (!a?.wire || !b?.wire) continue;
      const total = (r: Row) => r.wire!.mutating + r.wire!.read;
      lines.push(
        `| ${n} | ${a.latency} ms | ${d} | ${s(a.ms)} | ${calls(a)} | ${t} | ${s(b.ms)} | ${calls(b)} | ${(a.ms / b.ms).toFixed(2)} | ${(total(a) / total(b)).toFixed(2)} | ${(a.wire.read / b.wire.read).toFixed(2)} |`,
      );
    }
  return lines.join('\n');
}

/**
 * The critical path of a fresh `up`: the chain of phases, each after what it needs, whose durations
 * add up to the most. No scheduler can finish `up` sooner; the wall time minus it is what the runner
 * loses (start-up, the account check, waiting for a slot), the sum of phases minus the wall time what concurrency saves.
 */
function criticalPath(
  durations: Record<string, number>,
  graph: readonly { name: string; needs: readonly string[] }[],
): { path: string[]; ms: number } {
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
    lines.push(
      `| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none'} | ${cp.path.join(' → ')} | ${s(cp.ms)} | ${s(r.ms)} | ${s(r.ms - cp.ms)} | ${s(sum)} |`,
    );
  }
  return lines.join('\n');
}

// ---------------------------------------------------------------- what a state in S3 adds

/** One `up` of the S3 comparison: its calls (the S3 ones apart) and wall time. */
interface S3Row {
  developers: number;
  command: string;
  state: 'local' | 'S3';
  mutating: number;
  read: number;
  s3Writes: number;
  s3Reads: number;
  ms: number;
}

/**
 * A fresh and a converged `up` with the state in a local file, then with it in S3 (every save a
 * conditional PutObject, plus the lock and the audit record), `latency` ms per call: what S3 adds.
 */
async function s3StateScenario(moto: MotoServer, developers: number, latency: number): Promise<S3Row[]> {
  const { CreateBucketCommand, S3Client } = await import('@aws-sdk/client-s3');
  const rows: S3Row[] = [];
  for (const state of ['local', 'S3'] as const) {
    const ws = await newWorkspace(moto, {
      developers,
      project: 'benchs3',
      patch: (c) => {
        smallContainers(c);
        if (state === 'S3') c.state = { s3: { bucket: 'bench-devenv-state', key: 'benchs3/devenv.state.json' } };
      },
    });
    if (state === 'S3') {
      const s3 = new S3Client({ region: 'us-east-1', endpoint: moto.endpoint, forcePathStyle: true });
      await s3.send(new CreateBucketCommand({ Bucket: 'bench-devenv-state' }));
      s3.destroy();
    }
    for (const command of ['up (fresh)', 'up (converged)']) {
      const r = await ws.cli(['up', '--json'], { hooks: [latencyHook(latency)] });
      ok(command, r);
      const s3 = (list: string[]) => list.filter((c) => c.startsWith('s3:')).length;
      rows.push({
        developers,
        command,
        state,
        mutating: r.calls.mutating.length - s3(r.calls.mutating),
        read: r.calls.read.length - s3(r.calls.read),
        s3Writes: s3(r.calls.mutating),
        s3Reads: s3(r.calls.read),
        ms: r.ms,
      });
    }
    await ws.remove();
  }
  return rows;
}

function s3StateTable(rows: S3Row[], latency: number): string {
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const lines = [
    `| developers | command | state | AWS calls (mutating / read) | S3 calls (writes / reads) | wall time | S3 adds |`,
    '| --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const local = rows.find((l) => l.state === 'local' && l.developers === r.developers && l.command === r.command);
    const adds =
      r.state === 'S3' && local
        ? `${s(r.ms - local.ms)} (${r.s3Writes + r.s3Reads} calls × ${latency} ms = ${s((r.s3Writes + r.s3Reads) * latency)} if one at a time)`
        : '–';
    lines.push(
      `| ${r.developers} | ${r.command} | ${r.state} | ${r.mutating} / ${r.read} | ${r.s3Writes} / ${r.s3Reads} | ${s(r.ms)} | ${adds} |`,
    );
  }
  return lines.join('\n');
}

/** `--s3-state`: only the S3 comparison (the full bench takes a quarter of an hour). */
async function s3StateOnly(): Promise<void> {
  const moto = await MotoServer.start(undefined, { acmValidationWaitSeconds: CERT_WAIT_S });
  moto.useFromThisProcess();
  try {
    console.log(s3StateSection(await s3StateRows(moto)));
  } finally {
    await moto.stop();
  }
}

async function s3StateRows(moto: MotoServer): Promise<S3Row[]> {
  const rows: S3Row[] = [];
  for (const n of SIZES) rows.push(...(await s3StateScenario(moto, n, LATENCY_MS)));
  return rows;
}

function s3StateSection(rows: S3Row[]): string {
  return (
    `\nWhat keeping the state in S3 adds to \`up\` at ${LATENCY_MS} ms per call (every save a conditional PutObject; ` +
    'saves asked for while one is in flight share the next write; plus the lock, taken, renewed and released, and ' +
    'the audit record):\n\n' +
    s3StateTable(rows, LATENCY_MS)
  );
}

async function main(): Promise<void> {
  const available = motoAvailable();
  if (!available.ok) {
    console.error(`${INSTALL_HINT} (${available.why})`);
    process.exitCode = 1;
    return;
  }
  if (args.includes('--s3-state')) return s3StateOnly();
  const terraform = PARTS.includes('terraform') ? terraformAvailable() : undefined;
  if (terraform && !terraform.ok)
    console.error(
      `[bench] skipping the Terraform rows: ${terraform.why} (they need terraform and the AWS provider 5.100.0 in a filesystem mirror)`,
    );
  const started = performance.now();
  const moto = await MotoServer.start(undefined, { acmValidationWaitSeconds: CERT_WAIT_S });
  moto.useFromThisProcess();
  const rows: Row[] = [];
  const processRows: Row[] = [];
  const s3Rows: S3Row[] = [];
  const terraformRows: Row[] = [];
  const starts: StartUp[] = [];
  const proxy = await latencyProxy(moto.endpoint, LATENCY_MS);
  try {
    if (PARTS.includes('in-process')) {
      for (const latency of [0, LATENCY_MS]) for (const n of SIZES) rows.push(...(await scenario(moto, n, latency)));
      // What an identity provider at the load balancer adds (the discovery read is no AWS call: not counted).
      rows.push(...(await scenario(moto, SIZES[0]!, 0, 'oidc')));
      s3Rows.push(...(await s3StateRows(moto)));
    }
    for (const n of SIZES) {
      if (PARTS.includes('process')) processRows.push(...(await processScenario(moto, proxy, n, LATENCY_MS, starts)));
      if (terraform?.ok) terraformRows.push(...(await terraformScenario(moto, proxy, n, LATENCY_MS)));
    }
  } finally {
    proxy.server.close();
    await moto.stop();
  }
  const bare = await bareNode();
  const { PHASES } = await import('../../src/phases/index.js');
  console.log(`## devenv benchmark against moto server (phases: ${PHASES.map((p) => p.name).join(', ')})\n`);
  console.log(
    'Every `up` runs with `--skip storage,containers,test` (these log in to a host over SSH or through the load balancer; moto has neither, and the host lab is not part of the bench). `destroy` is `destroy --yes`; its row says what it keeps, as destroy says it. `plan` runs with a price cache of today, as for a user who ran it this month: it asks the Price List (11 GetProducts) only when its cache is older than 30 days, and moto has none (it answers 500, and the SDK retries).\n',
  );
  if (rows.length) {
    console.log(table(rows));
    console.log(
      `\nPhase durations of a fresh \`up\` at ${LATENCY_MS} ms per call (phases whose needs are met run at once, so the wall time is less than their sum):\n`,
    );
    console.log(phaseTable(rows));
    console.log(
      `\nThe critical path of each fresh \`up\` (the longest chain of phases through the dependency graph, from the measured phase durations) against its wall time:\n`,
    );
    console.log(criticalPathTable(rows, PHASES));
    console.log(
      `\nThe certificate wait (moto issues a certificate ${CERT_WAIT_S} s after the request; devenv polls at once, then after 2, 4 and 8 s more, then every 10 s) against the host and the load balancer, in each fresh \`up\` (seconds from its first event):\n`,
    );
    console.log(overlapTable(rows));
    console.log(
      `\n"calls × latency" is what the calls would take one after another; the wall time below it is the gain of concurrent phases.`,
    );
    console.log('\nReads by API (in-process, no latency):\n');
    for (const command of ['up (converged)', 'status', DESTROY]) console.log(readsByApi(rows, command));
  }
  if (processRows.length) {
    console.log(
      `\nAs users run it: \`node bin/devenv.js\`, a process per command, ${LATENCY_MS} ms per call added by an HTTP proxy in front of moto (a bare \`node -e ''\` takes ${(bare / 1000).toFixed(2)} s here). Start-up is from spawning node to the first AWS call (loading modules, config and state):\n`,
    );
    console.log(processTable(processRows, bare));
    console.log(
      `\nThe start-up of \`status\` and \`plan\` after a converged \`up\` (the least of ${START_RUNS} runs each; a bare \`node -e ''\` takes ${(bare / 1000).toFixed(2)} s):\n`,
    );
    console.log(startTable(starts, bare));
  }
  if (terraformRows.length) {
    console.log(
      `\nSide by side with Terraform (test/bench/terraform/main.tf: the same stack, provider 5.100.0), both behind the same proxy at ${LATENCY_MS} ms per request, requests counted there:\n`,
    );
    console.log(sideBySideTable(processRows, terraformRows));
  }
  if (AUTH === 'cognito') {
    console.log('\nOf these, the calls to Cognito (`cognito-idp`):\n');
    console.log('| developers | latency per call | command | Cognito mutating | Cognito read |');
    console.log('| ---: | ---: | --- | ---: | ---: |');
    for (const r of rows)
      console.log(
        `| ${r.developers} | ${r.latency ? `${r.latency} ms` : 'none'} | ${r.command} | ${r.cognito?.mutating} | ${r.cognito?.read} |`,
      );
  }
  console.log(
    "\n`logs dev1` reads the monitoring phase's log group (FilterLogEvents, one call per page). `ssh`, `exec`, `restart` and `logs` without CloudWatch log in to the host, which the bench has not: before the login they read GetCallerIdentity and DescribeInstances (and GetConsoleOutput while no host key is recorded for the instance), and nothing after it; test/host/day2.test.ts counts them.",
  );
  console.log(s3StateSection(s3Rows));
  console.log(`\nTotal ${((performance.now() - started) / 1000).toFixed(0)} s, Node ${process.version}.`);
}

await main();
