/**
 * The moto harness: a moto server per test file, and a fresh world per test — `newWorkspace()`
 * resets moto (`POST /moto-api/reset`), creates the hosted zone, picks an AMI moto has, and writes
 * the config with `devenv init --from-env` into a temp dir that also holds the state and the key.
 * `Workspace.cli()` runs devenv in-process with captured output and a call counter.
 *
 * No vitest import here: the benchmark (test/bench/bench.ts) uses the same harness. The vitest
 * glue (start and stop the server, skip or fail without moto) is in ./suite.ts.
 *
 * moto's random generator is seeded before the hosted zone is made (its id must start with Z, as
 * real ones do, and moto draws them from A–Z0–9), so the ids moto gives out in a test follow from
 * that seed: the same calls get the same ids in every test. Nothing here relies on that.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import type { CallHook, CallInfo } from '../../src/aws/clients.js';
import type { InventoryResult } from './inventory.js';

/** moto's hosted zones are on no public DNS: every lookup fails at once, as it would on a machine offline (validate then only warns). */
const NO_PUBLIC_DNS = {
  resolveNs: (name: string) =>
    Promise.reject(Object.assign(new Error(`queryNs ENOTFOUND ${name}`), { code: 'ENOTFOUND' })),
  lookup: (name: string) =>
    Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' })),
};

export const REGION = 'us-east-1';
/** moto's account: every resource it makes belongs to it. */
export const MOTO_ACCOUNT = '123456789012';
export const BASE_DOMAIN = 'dev.example.com';
export const PROJECT = 'itest';
const MOTO_SERVER = new URL('./moto_server.py', import.meta.url).pathname;
export const INSTALL_HINT = "moto server is not installed: pip install 'moto[server]'";

/** Whether `python3 -m moto.server` can run here (moto and its server extras). */
export function motoAvailable(): { ok: boolean; why?: string } {
  const r = spawnSync('python3', ['-c', 'import moto, flask, flask_cors'], { encoding: 'utf8' });
  if (r.error) return { ok: false, why: `python3 not found (${r.error.message})` };
  return r.status === 0 ? { ok: true } : { ok: false, why: r.stderr.trim().split('\n').at(-1) };
}

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `python3 -m moto.server` on a free port of 127.0.0.1 (or of `host`: the host lab's gateway, which its fake host can reach). */
export class MotoServer {
  private constructor(
    readonly endpoint: string,
    private readonly child: ChildProcess,
    private readonly log: () => string,
  ) {}

  /**
   * `acmValidationWaitSeconds`: how long moto keeps a requested certificate PENDING_VALIDATION before
   * it turns ISSUED (MOTO_ACM_VALIDATION_WAIT; moto's own default is 60 s). 0 unless a test needs the wait.
   */
  static async start(host = '127.0.0.1', o: { acmValidationWaitSeconds?: number } = {}): Promise<MotoServer> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort(host);
      let output = '';
      // moto.server with AWS Backup selections and the Backup role's managed policies added (./moto_server.py).
      const child = spawn('python3', [MOTO_SERVER, '-H', host, '-p', String(port)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        // MOTO_AMIS_PATH must stay unset: with it, a reset answers HTTP 500 (docs/aws-behaviour.md#moto-differences).
        env: {
          ...process.env,
          MOTO_AMIS_PATH: undefined,
          PYTHONUNBUFFERED: '1',
          MOTO_ACM_VALIDATION_WAIT: String(o.acmValidationWaitSeconds ?? 0),
        },
      });
      child.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      child.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
      const server = new MotoServer(`http://${host}:${port}`, child, () => output);
      // A test process that dies without afterAll must not leave a moto server behind.
      process.once('exit', () => child.kill('SIGKILL'));
      try {
        await server.waitUntilUp(20_000);
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
      }
    }
    throw lastError;
  }

  private async waitUntilUp(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child.exitCode !== null)
        throw new Error(`moto server exited with ${this.child.exitCode}: ${this.log()}`);
      try {
        const res = await fetch(`${this.endpoint}/moto-api/data.json`);
        if (res.ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error(`moto server did not answer on ${this.endpoint} within ${timeoutMs} ms: ${this.log()}`);
  }

  /** Forgets every resource (`POST /moto-api/reset`). */
  async reset(): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/reset`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto reset answered HTTP ${res.status}: ${await res.text()}`);
  }

  /** Seeds moto's random generator: the ids it makes next are fixed. */
  async seed(n: number): Promise<void> {
    const res = await fetch(`${this.endpoint}/moto-api/seed?a=${n}`, { method: 'POST' });
    if (!res.ok) throw new Error(`moto seed answered HTTP ${res.status}`);
  }

  /** Points the AWS SDK of this process (and of children given `childEnv()`) at this server. */
  useFromThisProcess(): void {
    Object.assign(process.env, awsEnv(this.endpoint));
    delete process.env.AWS_PROFILE;
    delete process.env.AWS_SESSION_TOKEN;
  }

  private aws?: Promise<TestClients>;
  /** The test's own SDK clients for this server (setup and inventory), built once. */
  clients(): Promise<TestClients> {
    this.aws ??= testClients(this.endpoint);
    return this.aws;
  }

  /** moto's AMIs never change, so the one picked is picked once. */
  amiId?: string;

  async stop(): Promise<void> {
    if (this.aws) for (const c of Object.values(await this.aws)) c.destroy();
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/** What the SDK needs to reach moto, exactly as a user would point devenv at an emulator. */
export function awsEnv(endpoint: string): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: endpoint,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_REGION: REGION,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

/** An environment for a child `node bin/devenv.js`: this process's, minus any real AWS profile, plus moto. */
export function childEnv(endpoint: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...awsEnv(endpoint) };
  delete env.AWS_PROFILE;
  delete env.AWS_SESSION_TOKEN;
  delete env.NODE_OPTIONS; // vitest's loader flags are not for the child
  return env;
}

// ---------------------------------------------------------------- calls

export interface Calls {
  /** `service:Operation` of every mutating call that reached AWS (answered or refused), in order. */
  mutating: string[];
  read: string[];
  /** The mutating calls AWS refused (NotFound on a delete …): in `mutating` too. */
  refused: string[];
  /** The mutating calls AWS carried out, in order: `mutating` minus `refused`. */
  changed: string[];
}

/** A hook counting every call that reached AWS. Put it first: a crash injector's `before` then stops calls it never sees. */
export function callCounter(isMutating: (op: string) => boolean): { hook: CallHook; calls: Calls } {
  const calls: Calls = { mutating: [], read: [], refused: [], changed: [] };
  const hook: CallHook = {
    after: (call: CallInfo, _ms: number, error?: unknown) => {
      const name = `${call.service}:${call.operation}`;
      (isMutating(call.operation) ? calls.mutating : calls.read).push(name);
      if (isMutating(call.operation)) (error === undefined ? calls.changed : calls.refused).push(name);
    },
  };
  return { hook, calls };
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
  calls: Calls;
  ms: number;
}

export interface CliOptions {
  hooks?: CallHook[];
  env?: Record<string, string | undefined>;
  /** Pass no --config/--state (for `init`). */
  bare?: boolean;
  /** Where the run hears SIGINT from (emit 'SIGINT' on it to press Ctrl-C); a private emitter by default. */
  signals?: EventEmitter;
  /** Runs on a terminal (stdin a TTY) on which the user types this line when asked. */
  answer?: string;
  /** Hears everything the run has written to stderr so far, each time it writes more. */
  onStderr?: (soFar: string) => void;
}

/** A promise `cli()` resolves once the run's stderr matches `pattern`: pass `hear` as its `onStderr`. */
export function whenSaid(pattern: RegExp): { hear: (soFar: string) => void; said: Promise<void> } {
  let resolve!: () => void;
  const said = new Promise<void>((r) => {
    resolve = r;
  });
  return { hear: (soFar) => (pattern.test(soFar) ? resolve() : undefined), said };
}

// ---------------------------------------------------------------- workspace

/** Small container reservations and limits: 50 developers fit on one host, and the lab's code-servers share 2 cores. */
export function smallContainers(config: Record<string, any>): void {
  Object.assign(config.containers, {
    cpuReservation: 0.1,
    memoryReservationMiB: 256,
    cpuLimit: 1,
    memoryLimitMiB: 1024,
  });
}

export interface WorkspaceOptions {
  developers?: number | string[];
  /** Changes to the config after `init --from-env` wrote it. */
  patch?: (config: Record<string, any>) => void;
  project?: string;
  /** Keep what moto holds (another project's environment) instead of resetting it. */
  shareWorld?: boolean;
  /** A host answers over SSH (the host lab): `up` runs storage and containers too. */
  hasHost?: boolean;
}

/** One test's world: a hosted zone in moto, a temp dir with the config, the state and the private key. */
export class Workspace {
  readonly configPath: string;
  readonly statePath: string;
  readonly keyPath: string;
  /** Every stdout and stderr of every `cli()` call: what the secret-leak test searches. */
  readonly transcript: string[] = [];

  constructor(
    readonly dir: string,
    readonly moto: MotoServer,
    readonly zoneId: string,
    readonly amiId: string,
    /** Whether a host answers over SSH (the host lab); without one, `up` skips the phases that log in to it. */
    readonly hasHost = false,
  ) {
    this.configPath = join(dir, 'devenv.config.json');
    this.statePath = join(dir, 'devenv.state.json');
    this.keyPath = join(dir, 'keys', 'admin.pem');
  }

  get endpoint(): string {
    return this.moto.endpoint;
  }

  /** What exists in moto now, by kind and logical id (./inventory.ts). */
  async inventory(): Promise<InventoryResult> {
    const { takeInventory } = await import('./inventory.js');
    return takeInventory(await this.moto.clients(), this.zoneId);
  }

  /** Runs `devenv <args> --config … --state …` in-process, with captured streams and a call counter. */
  async cli(args: string[], o: CliOptions = {}): Promise<CliResult> {
    const { run } = await import('../../src/cli.js');
    const { isMutating } = await import('../../src/aws/clients.js');
    const counter = callCounter(isMutating);
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => {
      err += d.toString();
      o.onStderr?.(err);
    });
    const withoutHost = !this.hasHost && args[0] === 'up' ? ['--skip', 'storage,containers,test'] : [];
    const argv = o.bare ? args : [...args, ...withoutHost, '--config', this.configPath, '--state', this.statePath];
    const stdin = Object.assign(new PassThrough(), { isTTY: o.answer !== undefined });
    if (o.answer !== undefined) stdin.write(`${o.answer}\n`);
    const started = performance.now();
    const code = await run(argv, {
      stdout,
      stderr,
      stdin,
      env: { ...process.env, XDG_CACHE_HOME: await this.freshPriceCache(), ...o.env },
      isTTY: false,
      hooks: [counter.hook, ...(o.hooks ?? [])],
      signals: o.signals ?? new EventEmitter(),
      dns: NO_PUBLIC_DNS,
    });
    const ms = performance.now() - started;
    await new Promise((r) => setImmediate(r));
    this.transcript.push(out, err);
    return { code, stdout: out, stderr: err, calls: counter.calls, ms };
  }

  /**
   * A cache of prices read today, as a user who ran `plan` this month has: moto has no Price List
   * (it answers 500), and the tests of other things should not pay its retries in every `plan`.
   * The bench's processes get it too (XDG_CACHE_HOME).
   */
  async freshPriceCache(): Promise<string> {
    const cacheHome = `${this.dir}-cache`; // beside the workspace: its folder holds only what devenv writes
    const config = await this.config().catch(() => undefined);
    if (!config) return cacheHome;
    const { priceCacheFile } = await import('../../src/commands/prices.js');
    const { shippedPrices } = await import('../../src/blueprint/prices.js');
    const type = config.instance?.type ?? 't3.2xlarge';
    const file = priceCacheFile({ XDG_CACHE_HOME: cacheHome }, config.region ?? REGION, type);
    await mkdir(join(file, '..'), { recursive: true });
    const date = new Date().toISOString().slice(0, 10);
    await writeFile(file, JSON.stringify({ date, sheet: shippedPrices(config.region ?? REGION, type) }));
    return cacheHome;
  }

  async config(): Promise<Record<string, any>> {
    return JSON.parse(await readFile(this.configPath, 'utf8'));
  }

  async writeConfig(config: Record<string, any>): Promise<void> {
    await writeFile(this.configPath, `${JSON.stringify(config, null, 2)}\n`);
  }

  async editConfig(change: (config: Record<string, any>) => void): Promise<void> {
    const c = await this.config();
    change(c);
    await this.writeConfig(c);
  }

  async state(): Promise<Record<string, any>> {
    return JSON.parse(await readFile(this.statePath, 'utf8'));
  }

  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Every workspace this process made, removed by `removeWorkspaces()` (the suite's afterAll). */
const workspaces: Workspace[] = [];

/** Removes the temp dirs of every workspace; DEVENV_IT_KEEP=1 keeps them for a look after a failure. */
export async function removeWorkspaces(): Promise<void> {
  if (process.env.DEVENV_IT_KEEP === '1') {
    if (workspaces.length) console.log(`[integration] kept ${workspaces.map((w) => w.dir).join(', ')}`);
    return;
  }
  await Promise.all(workspaces.splice(0).map((w) => w.remove()));
}

/** A seed-style `.env` (section 0.2 of seed 000), with its comments after values, for this moto. */
export function seedEnv(o: { zoneId: string; amiId: string; developers: number; project: string }): string {
  return `# AWS Configuration
AWS_REGION=${REGION}
AWS_ACCOUNT_ID=${MOTO_ACCOUNT}
AVAILABILITY_ZONE=${REGION}a

# Domain Configuration
BASE_DOMAIN=${BASE_DOMAIN}
ROUTE53_HOSTED_ZONE_ID=${o.zoneId}

# EC2 Configuration
EC2_INSTANCE_TYPE=t3.2xlarge
EC2_AMI_ID=${o.amiId}  # Ubuntu in ${REGION} (moto has no jammy image)
EC2_KEY_NAME=${o.project}-admin-key
ADMIN_SSH_IP=203.0.113.7/32   # Your IP for SSH access

# Storage Configuration
EBS_DATA_VOLUME_SIZE=500  # GB
EBS_ROOT_VOLUME_SIZE=50   # GB

# Container Configuration
NUM_DEVELOPERS=${o.developers}
CONTAINER_BASE_PORT=8443

# Project Name (for tagging)
PROJECT_NAME=${o.project}
ENVIRONMENT=production
`;
}

/** Small SDK clients of the test itself (not devenv's), for setting up and taking inventory. */
export async function testClients(endpoint: string) {
  const [
    { EC2Client },
    { Route53Client },
    { IAMClient },
    { SecretsManagerClient },
    { ElasticLoadBalancingV2Client },
    { ACMClient },
    { CloudWatchLogsClient },
    { CloudWatchClient },
    { SNSClient },
    { BackupClient },
    { CognitoIdentityProviderClient },
    { SchedulerClient },
    { LambdaClient },
    { EventBridgeClient },
  ] = await Promise.all([
    import('@aws-sdk/client-ec2'),
    import('@aws-sdk/client-route-53'),
    import('@aws-sdk/client-iam'),
    import('@aws-sdk/client-secrets-manager'),
    import('@aws-sdk/client-elastic-load-balancing-v2'),
    import('@aws-sdk/client-acm'),
    import('@aws-sdk/client-cloudwatch-logs'),
    import('@aws-sdk/client-cloudwatch'),
    import('@aws-sdk/client-sns'),
    import('@aws-sdk/client-backup'),
    import('@aws-sdk/client-cognito-identity-provider'),
    import('@aws-sdk/client-scheduler'),
    import('@aws-sdk/client-lambda'),
    import('@aws-sdk/client-eventbridge'),
  ]);
  const o = { region: REGION, endpoint, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 };
  return {
    ec2: new EC2Client(o),
    route53: new Route53Client(o),
    iam: new IAMClient(o),
    secrets: new SecretsManagerClient(o),
    elbv2: new ElasticLoadBalancingV2Client(o),
    acm: new ACMClient(o),
    logs: new CloudWatchLogsClient(o),
    cloudwatch: new CloudWatchClient(o),
    sns: new SNSClient(o),
    backup: new BackupClient(o),
    cognito: new CognitoIdentityProviderClient(o),
    scheduler: new SchedulerClient(o),
    lambda: new LambdaClient(o),
    events: new EventBridgeClient(o),
  };
}
export type TestClients = Awaited<ReturnType<typeof testClients>>;

/** The seed that makes moto 5.2.1's first hosted zone id start with "Z", as real ones do (found by search if moto changed). */
let zoneSeed = 88;

/**
 * Sets up a fresh world for one test: resets moto, creates the hosted zone of the base domain
 * (with an id that starts with Z: moto's are random over A–Z0–9, and devenv's config accepts
 * real ids only), picks an Ubuntu AMI moto has, writes a `.env` and converts it with
 * `devenv init --from-env`, then applies `patch`.
 */
export async function newWorkspace(moto: MotoServer, o: WorkspaceOptions = {}): Promise<Workspace> {
  const { CreateHostedZoneCommand, DeleteHostedZoneCommand } = await import('@aws-sdk/client-route-53');
  const { DescribeImagesCommand } = await import('@aws-sdk/client-ec2');
  const aws = await moto.clients();
  if (!o.shareWorld) await moto.reset();
  // A second project in the same world uses the zone that is there: creating it again would reuse
  // the seeded id, and moto would replace the first project's zone, records and all, by an empty one.
  const { ListHostedZonesByNameCommand } = await import('@aws-sdk/client-route-53');
  const existing = o.shareWorld
    ? (await aws.route53.send(new ListHostedZonesByNameCommand({ DNSName: BASE_DOMAIN }))).HostedZones?.find(
        (z) => z.Name === `${BASE_DOMAIN}.`,
      )
    : undefined;
  let zoneId = existing?.Id?.replace('/hostedzone/', '') ?? '';
  for (let tries = 0; tries < 400 && !existing; tries++) {
    await moto.seed(zoneSeed);
    const zone = await aws.route53.send(
      new CreateHostedZoneCommand({ Name: BASE_DOMAIN, CallerReference: `itest-${zoneSeed}-${tries}` }),
    );
    zoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    if (zoneId.startsWith('Z')) break;
    await aws.route53.send(new DeleteHostedZoneCommand({ Id: zoneId }));
    zoneSeed++;
  }
  if (!zoneId.startsWith('Z'))
    throw new Error(`could not get a hosted zone id starting with Z from moto (last ${zoneId})`);
  if (!moto.amiId) {
    // Canonical's Ubuntu images moto ships (trusty, xenial: it has no jammy, docs/aws-behaviour.md#moto-differences); the config names one.
    const images = await aws.ec2.send(
      new DescribeImagesCommand({
        Owners: ['099720109477'],
        Filters: [{ Name: 'name', Values: ['ubuntu/images/hvm-ssd/ubuntu-*-amd64-server-*'] }],
      }),
    );
    moto.amiId = images.Images?.map((i) => i.ImageId!).sort()[0];
    if (!moto.amiId) throw new Error('moto has no Ubuntu AMI');
  }
  const amiId = moto.amiId;

  const dir = await mkdtemp(join(tmpdir(), 'devenv-it-'));
  await mkdir(join(dir, 'keys'), { mode: 0o700 });
  const ws = new Workspace(dir, moto, zoneId, amiId, o.hasHost);
  workspaces.push(ws);
  const project = o.project ?? PROJECT;
  const envFile = join(dir, '.env');
  await writeFile(
    envFile,
    seedEnv({ zoneId, amiId, developers: typeof o.developers === 'number' ? o.developers : 8, project }),
  );
  const init = await ws.cli(['init', '--from-env', envFile, '--output', ws.configPath], { bare: true });
  if (init.code !== 0) throw new Error(`devenv init --from-env failed (${init.code}): ${init.stderr}`);
  await ws.editConfig((c) => {
    c.albAvailabilityZone = `${REGION}b`;
    c.instance.privateKeyPath = ws.keyPath;
    if (Array.isArray(o.developers)) c.developers = o.developers;
    o.patch?.(c);
  });
  return ws;
}

/** When each phase started and ended (ms since the first event), from the timed events of a `--json` run. */
export function phaseSpans(stdout: string): Record<string, { start: number; end?: number }> {
  const spans: Record<string, { start: number; end?: number }> = {};
  let first: number | undefined;
  for (const line of stdout.split('\n')) {
    let e: { type?: string; phase?: string; time?: string };
    try {
      e = JSON.parse(line);
    } catch {
      continue;
    }
    if (!e.time || !e.phase) continue;
    const at = Date.parse(e.time);
    first ??= at;
    if (e.type === 'phase-start') spans[e.phase] = { start: at - first };
    if ((e.type === 'phase-done' || e.type === 'phase-failed') && spans[e.phase]) spans[e.phase]!.end = at - first;
  }
  return spans;
}

export function describeResult(r: CliResult): string {
  return `exit ${r.code}\n--- stderr\n${r.stderr}\n--- stdout\n${r.stdout}`;
}
