/**
 * A host-lab world for one test file: the fake host (./lab.ts), a moto server on the lab's gateway
 * (the host's AWS CLI reaches it there), and a devenv workspace whose config points `ssh.host` at
 * the lab. `provision()` runs the AWS phases through ec2 one by one, then shows the moto data
 * volume to the host under its NVMe name and lets devenv's key log in: what EC2 and cloud-init do
 * for a real host.
 */
import { DescribeSnapshotsCommand, DescribeVolumesCommand } from '@aws-sdk/client-ec2';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fingerprintOf } from '../../src/remote/host-key.js';
import { upgradeStatus } from '../../src/checks/probe.js';
import { readLocalKey } from '../../src/ssh/keys.js';
import {
  childEnv,
  describeResult,
  MotoServer,
  newWorkspace,
  removeWorkspaces,
  smallContainers,
  type CliOptions,
  type CliResult,
  type Workspace,
  type WorkspaceOptions,
} from '../integration/moto.js';
import { EdgeProxy } from './edge.js';
import { Lab, LAB_IMAGE, labUnavailable } from './lab.js';
import { afterAll, beforeAll, describe } from 'vitest';

const BIN = new URL('../../bin/devenv.js', import.meta.url).pathname;

const unavailable = labUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`host lab: ${unavailable}`);

/** A suite of host-lab tests: skipped where the lab cannot run (a failure on CI, which must run it). */
export function describeOnHost(name: string, body: () => void): void {
  describe.skipIf(unavailable !== undefined)(name, body);
}

/**
 * The set-up and tear-down of a host-lab suite: a World started before its tests, handed to
 * `setUp` (workspaces, provisioning), and stopped after them, even when the set-up failed.
 */
export function useWorld(setUp: (world: World) => Promise<void>): void {
  let world: World | undefined;
  beforeAll(async () => {
    world = await World.start();
    await setUp(world);
  }, 600_000);
  afterAll(async () => {
    await world?.stop();
  }, 120_000);
}

export class World {
  private edge?: EdgeProxy;

  private constructor(
    readonly lab: Lab,
    readonly moto: MotoServer,
  ) {}

  static async start(): Promise<World> {
    const lab = await Lab.start((line) => console.log(`[host lab] ${line}`));
    try {
      const moto = await MotoServer.start(lab.gateway);
      moto.useFromThisProcess();
      await lab.useAws(moto.endpoint);
      return new World(lab, moto);
    } catch (err) {
      await lab.stop();
      throw err;
    }
  }

  /** The lab sshd's key as `ssh-keygen -lf` shows it. */
  async hostKeyFingerprint(): Promise<string> {
    const pub = await readFile(join(this.lab.dir, 'sshd/hostkey_ed25519.pub'), 'utf8');
    return fingerprintOf(Buffer.from(pub.split(' ')[1]!, 'base64'));
  }

  /**
   * A workspace whose config points ssh.host at the lab. The lab has no EC2 console to vouch for
   * its key, so the config names it (ssh.hostKeyFingerprint), as a user of ssh.host would.
   */
  async workspace(developers: string[], o: Pick<WorkspaceOptions, 'patch'> = {}): Promise<Workspace> {
    const fingerprint = await this.hostKeyFingerprint();
    return newWorkspace(this.moto, {
      developers,
      hasHost: true,
      patch: (c) => {
        c.ssh.host = this.lab.host;
        c.ssh.port = this.lab.sshPort;
        c.ssh.hostKeyFingerprint = fingerprint;
        c.containers.image = LAB_IMAGE;
        smallContainers(c);
        c.instance.type = 't3.large';
        o.patch?.(c);
      },
    });
  }

  /** The AWS phases through ec2, then what EC2 and cloud-init would do for a real host: the volume's device and the login key. */
  async provision(ws: Workspace): Promise<void> {
    for (const phase of ['validate', 'vpc', 'sg', 'iam', 'secrets', 'ec2']) {
      const r = await ws.cli(['phase', phase]);
      if (r.code !== 0) throw new Error(`devenv phase ${phase}: ${describeResult(r)}`);
    }
    const state = await ws.state();
    await this.lab.attachVolume(state.resources['volume/data'].id);
    const key = await readLocalKey(ws.keyPath);
    await this.lab.authorize(key!.publicKey);
  }

  /**
   * Keeps the lab's disks in step with moto, as EBS and udev would: a new snapshot of a lab volume
   * copies its file at once, a volume created from such a snapshot gets a copy of it, and each lab
   * volume shows on the host under its NVMe name exactly while moto has it attached to `instanceId`.
   */
  async syncVolumes(instanceId: string): Promise<void> {
    const { ec2 } = await this.moto.clients();
    const snapshots = (await ec2.send(new DescribeSnapshotsCommand({ OwnerIds: ['self'] }))).Snapshots ?? [];
    for (const s of snapshots) {
      if (!this.lab.hasSnapshot(s.SnapshotId!) && this.lab.hasVolume(s.VolumeId!))
        await this.lab.snapshotVolume(s.VolumeId!, s.SnapshotId!);
    }
    for (const v of (await ec2.send(new DescribeVolumesCommand({}))).Volumes ?? []) {
      const id = v.VolumeId!;
      if (!this.lab.hasVolume(id) && v.SnapshotId && this.lab.hasSnapshot(v.SnapshotId))
        await this.lab.createVolume(id, { snapshotId: v.SnapshotId });
      if (!this.lab.hasVolume(id)) continue;
      const attached = v.Attachments?.some(
        (a) => a.InstanceId === instanceId && ['attaching', 'attached'].includes(a.State ?? ''),
      );
      await (attached ? this.lab.attachVolume(id) : this.lab.detachVolume(id));
    }
  }

  /** `syncVolumes` every half second until the returned function is called (while devenv attaches and detaches). */
  followVolumes(instanceId: string): () => Promise<void> {
    let stopped = false;
    const loop = (async () => {
      while (!stopped) {
        await this.syncVolumes(instanceId);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    return async () => {
      stopped = true;
      await loop;
    };
  }

  /**
   * `devenv up`, which must converge. Without the edge proxy (test/host/edge.ts) nothing stands in
   * for the load balancer, so the test phase is skipped unless the caller chose its own `--skip`.
   */
  async up(ws: Workspace, args: string[] = [], o: CliOptions = {}): Promise<CliResult> {
    const skip = args.includes('--skip') ? [] : ['--skip', 'test'];
    const r = await ws.cli(['up', ...skip, ...args], o);
    if (r.code !== 0) throw new Error(`devenv up did not converge: ${describeResult(r)}`);
    return r;
  }

  async password(ws: Workspace, developer: string): Promise<string> {
    const { secrets } = await this.moto.clients();
    const name = `${(await ws.config()).project}/${developer}/password`;
    return (await secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString!;
  }

  /** Container ids by name, as the host's Docker sees them. */
  async containerIds(): Promise<Record<string, string>> {
    const out = await this.lab.exec(
      'ids=$(docker ps -aq); [ -z "$ids" ] || docker inspect --format "{{.Name}} {{.Id}}" $ids',
    );
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => l.replace(/^\//, '').split(' ') as [string, string]),
    );
  }

  /** `POST /login` on a developer's port, as a browser would. */
  async login(port: number, password: string): Promise<{ status: number; cookie?: string }> {
    const res = await fetch(`http://${this.lab.host}:${port}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ password }).toString(),
    });
    const cookie = res.headers.get('set-cookie')?.match(/code-server-session=[^;]+/)?.[0];
    await res.arrayBuffer();
    return { status: res.status, cookie };
  }

  /** A websocket upgrade to a developer's code-server with this Origin; resolves the HTTP status it answers. */
  websocketStatus(port: number, origin: string, cookie?: string): Promise<number> {
    return upgradeStatus(
      { hostname: this.lab.host, httpPort: port },
      {
        scheme: 'http',
        path: '/?reconnectionToken=devenv-lab&reconnection=false&skipWebSocketFrames=false',
        headers: { Host: `${this.lab.host}:${port}`, Origin: origin, ...(cookie ? { Cookie: cookie } : {}) },
      },
    );
  }

  /**
   * The lab's load balancer (./edge.ts) for the developers the state allocated: run it after
   * `provision` (validate gives out the ports).
   */
  async startEdge(ws: Workspace): Promise<EdgeProxy> {
    const [config, state] = [await ws.config(), await ws.state()];
    const routes = Object.entries(state.allocations as Record<string, { port: number }>).map(([name, a]) => ({
      hostname: `${name}.${config.baseDomain}`,
      port: a.port,
    }));
    this.edge = await EdgeProxy.start({
      netns: this.lab.netns,
      address: this.lab.host,
      baseDomain: config.baseDomain,
      routes,
    });
    await this.lab.owns(this.edge.dir);
    return this.edge;
  }

  /**
   * `node bin/devenv.js <args>` as a child, as a user runs it: Node reads NODE_EXTRA_CA_CERTS (the
   * edge's test CA) only when a process starts, and the system's resolver answers DNS.
   */
  devenv(ws: Workspace, args: string[], env: Record<string, string> = {}): Promise<Omit<CliResult, 'calls'>> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args, '--config', ws.configPath, '--state', ws.statePath], {
        cwd: ws.dir,
        env: { ...childEnv(ws.endpoint), ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        ws.transcript.push(stdout, stderr);
        resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - started });
      });
    });
  }

  async stop(): Promise<void> {
    await this.edge?.stop();
    await this.moto?.stop();
    await removeWorkspaces();
    await this.lab.stop();
  }
}
