/**
 * The host lab: a fake EC2 host built on this machine, reached by devenv over SSH exactly as a real
 * one would be (`ssh.host`). It has its own network namespace (a veth pair on a private /30 made
 * here), its own mount namespace (private /dev, /etc, /home, /mnt, /run, /tmp, /usr/local: the machine's own
 * are never touched), OpenSSH's sshd with a throw-away host key, a user with passwordless sudo,
 * dockerd, Compose v1 behind the `docker compose` plugin name, the AWS CLI pointed at the test's
 * moto, a sparse-file loop device presented as the data volume's NVMe by-id name, and the
 * code-server image built by ./image/build.sh (cached between runs in CACHE_DIR). More volumes and
 * their "snapshots" are files copied onto new loop devices (./world.ts keeps them in step with moto).
 *
 * Names carry a random suffix, so labs of several test runs on one machine never meet. `stop()`
 * removes everything `start()` made, in reverse order. The lab folder's `owner` file names the run
 * and all it made, so that when a run is killed before `stop()`, the next lab's `start()` sweeps its
 * leftovers (`sweepLeftovers`).
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = new URL('.', import.meta.url).pathname;

/** code-server 4.100.3: the newest release whose npm package runs on Node 20 (the lab builds its image from npm). */
export const CODE_SERVER_VERSION = '4.100.3';
export const LAB_IMAGE = `codercom/code-server:${CODE_SERVER_VERSION}`;
/** Where the built image is kept between runs on one machine (CI machines start without it). */
export const CACHE_DIR = process.env.DEVENV_LAB_CACHE ?? '/var/cache/devenv-host-lab';
export const HOST_USER = 'ubuntu';

const REQUIRED = [
  'sshd',
  'ssh-keygen',
  'dockerd',
  'docker',
  'docker-compose',
  'losetup',
  'mkfs.ext4',
  'blkid',
  'ip',
  'nsenter',
  'unshare',
  'sudo',
  'argon2',
  'aws',
  'debootstrap',
  'nginx',
  'openssl',
];

/** Why the lab cannot run here, or undefined when it can. */
export function labUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'the host lab needs root (namespaces, loop devices, dockerd)';
  const missing = REQUIRED.filter(
    (cmd) => spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`]).status !== 0,
  );
  if (missing.length)
    return `missing commands: ${missing.join(', ')} (.ci/run installs them: apt-get install openssh-server docker.io docker-compose debootstrap awscli argon2 sudo nginx …)`;
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check().catch(() => false)) return;
    await sleep(200);
  }
  throw new Error(`host lab: timed out after ${timeoutMs / 1000}s waiting for ${what}`);
}

export const tcpOpen = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });

/** A /30 in 10.213.0.0/16 that no interface of this machine uses yet. */
async function freeSubnet(): Promise<{ gateway: string; host: string }> {
  const { stdout } = await run('ip', ['-4', '-o', 'addr']);
  for (let tries = 0; tries < 50; tries++) {
    const third = randomBytes(1)[0]!;
    const fourth = (randomBytes(1)[0]! % 64) * 4;
    const gateway = `10.213.${third}.${fourth + 1}`;
    const host = `10.213.${third}.${fourth + 2}`;
    if (!stdout.includes(`10.213.${third}.${fourth + 1}/`) && !stdout.includes(`10.213.${third}.${fourth + 2}/`))
      return { gateway, host };
  }
  throw new Error('host lab: no free /30 in 10.213.0.0/16');
}

/** Builds the image tarball once per machine (a few minutes: debootstrap, code-server from npm). */
export async function ensureImageTar(log: (line: string) => void = () => undefined): Promise<string> {
  const tar = join(CACHE_DIR, `code-server-${CODE_SERVER_VERSION}.tar`);
  if (existsSync(tar)) return tar;
  await mkdir(CACHE_DIR, { recursive: true });
  log(`building the lab's code-server image into ${tar} (debootstrap and npm: a few minutes, once per machine)`);
  const r = spawnSync(join(here, 'image/build.sh'), [tar, CODE_SERVER_VERSION], {
    stdio: ['ignore', 'pipe', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`host lab: image build failed (exit ${r.status}):\n${r.stdout}\n${r.stderr}`);
  return tar;
}

export class Lab {
  private sshdPid?: number;
  private stopped = false;

  private constructor(
    /** Lab folder: docker data, sshd files, logs (removed by stop). */
    readonly dir: string,
    readonly netns: string,
    /** This machine's side of the veth: where the host reaches the test's servers (moto). */
    readonly gateway: string,
    /** The fake host's address: `ssh.host`. */
    readonly host: string,
    readonly loopDevice: string,
    private anchorPid: number,
  ) {}

  readonly sshPort = 22;

  static async start(log: (line: string) => void = () => undefined): Promise<Lab> {
    const problem = labUnavailable();
    if (problem) throw new Error(`host lab: ${problem}`);
    const imageTar = await ensureImageTar(log);
    for (const swept of await sweepLeftovers()) log(`swept the leftovers of a killed run: ${swept}`);
    const id = randomBytes(3).toString('hex');
    const netns = `devenv-lab-${id}`;
    const veth = `dvl${id}`;
    const { gateway, host } = await freeSubnet();
    const dir = await mkdtemp(join(LAB_ROOT, 'devenv-lab-'));
    await writeOwner(dir, { netns, veth });

    await run('ip', ['netns', 'add', netns]);
    await run('ip', ['link', 'add', `${veth}a`, 'type', 'veth', 'peer', 'name', `${veth}b`]);
    await run('ip', ['link', 'set', `${veth}b`, 'netns', netns]);
    await run('ip', ['addr', 'add', `${gateway}/30`, 'dev', `${veth}a`]);
    await run('ip', ['link', 'set', `${veth}a`, 'up']);
    for (const args of [
      ['addr', 'add', `${host}/30`, 'dev', `${veth}b`],
      ['link', 'set', `${veth}b`, 'up'],
      ['link', 'set', 'lo', 'up'],
      ['route', 'add', 'default', 'via', gateway],
    ]) {
      await run('ip', ['-n', netns, ...args]);
    }

    const volumeFile = join(dir, 'data-volume.img');
    await run('truncate', ['-s', '4G', volumeFile]);
    const loopDevice = (await run('losetup', ['--find', '--show', volumeFile])).stdout.trim();
    await own(dir, 'loop', loopDevice);

    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        'unshare',
        '--mount',
        '--propagation',
        'private',
        'bash',
        join(here, 'lab/host-setup.sh'),
        dir,
        loopDevice,
        HOST_USER,
      ],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    const lab = new Lab(dir, netns, gateway, host, loopDevice, child.pid!);
    try {
      await until('the host namespace', 15_000, async () => existsSync(join(dir, 'anchor.pid')));
      lab.anchorPid = Number(await readFile(join(dir, 'anchor.pid'), 'utf8'));
      await until('dockerd', 60_000, async () => {
        await lab.exec('docker info --format "{{.ServerVersion}}"');
        return true;
      });
      await lab.exec(
        `docker image inspect ${LAB_IMAGE} >/dev/null 2>&1 || docker import ` +
          `--change 'USER coder' --change 'WORKDIR /home/coder' --change 'ENV HOME=/home/coder' --change 'EXPOSE 8080' ` +
          `--change 'ENTRYPOINT ["/usr/bin/dumb-init", "/usr/bin/code-server", "--bind-addr", "0.0.0.0:8080", "."]' ` +
          `${imageTar} ${LAB_IMAGE} >/dev/null`,
      );
      await mkdir(join(dir, 'sshd'), { mode: 0o700 });
      await lab.newHostKey();
      await writeFile(join(dir, 'sshd/sshd_config'), sshdConfig(dir, host));
      await lab.startSshd();
    } catch (err) {
      await lab.stop();
      throw err;
    }
    return lab;
  }

  /** Runs a shell command as root on the fake host (not over SSH): for setting up and for checking. */
  async exec(command: string): Promise<string> {
    const { stdout } = await run(
      'nsenter',
      ['--target', String(this.anchorPid), '--mount', '--net', '--', 'bash', '-c', command],
      { maxBuffer: 64 << 20 },
    );
    return stdout;
  }

  /** The fake AWS CLI of the host: Debian's, with the test's moto as its endpoint (the credentials stand in for the instance role). */
  async useAws(endpoint: string): Promise<void> {
    await mkdir(join(this.dir, 'bin'), { recursive: true });
    const path = join(this.dir, 'bin/aws');
    await writeFile(
      path,
      `#!/bin/sh\nexport AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_EC2_METADATA_DISABLED=true\nexec /usr/bin/aws --endpoint-url '${endpoint}' "$@"\n`,
    );
    await chmod(path, 0o755);
    // And where AWS CLI v2's installer puts it on a real host: what root's services find with systemd's PATH.
    await this.exec(`install -m 0755 -o root -g root ${path} /usr/local/bin/aws`);
  }

  /**
   * The lab's `systemctl` (./lab/systemctl.sh: what it records, enables and runs in place of systemd),
   * first for the host's sudo (the lab's bin comes first in its secure_path). Returns a reader of the
   * calls it had, one line each.
   */
  async useSystemd(): Promise<() => Promise<string[]>> {
    await mkdir(join(this.dir, 'bin'), { recursive: true });
    await run('install', ['-m', '0755', join(here, 'lab/systemctl.sh'), join(this.dir, 'bin/systemctl')]);
    const log = join(this.dir, 'systemd/calls');
    return async () => (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }

  /** `systemctl <args>` on the host as root, with the lab's systemctl (useSystemd); its stdout. */
  systemctl(args: string): Promise<string> {
    return this.exec(`${join(this.dir, 'bin/systemctl')} ${args}`);
  }

  /**
   * EC2's instance metadata service for this instance id, IMDSv2 only (a token first, as the host's
   * scripts ask): a small server at 169.254.169.254:80 in the host's network namespace. It ends with the lab.
   */
  async useInstanceMetadata(instanceId: string): Promise<void> {
    await run('ip', ['-n', this.netns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    const server = `
      const token = require('node:crypto').randomBytes(16).toString('hex');
      require('node:http').createServer((req, res) => {
        if (req.method === 'PUT' && req.url === '/latest/api/token' && req.headers['x-aws-ec2-metadata-token-ttl-seconds'])
          return res.end(token);
        if (req.headers['x-aws-ec2-metadata-token'] !== token) { res.statusCode = 401; return res.end(); }
        if (req.method === 'GET' && req.url === '/latest/meta-data/instance-id') return res.end(${JSON.stringify(instanceId)});
        res.statusCode = 404;
        res.end();
      }).listen(80, '169.254.169.254');`;
    const child = spawn('nsenter', [`--net=/run/netns/${this.netns}`, process.execPath, '-e', server], {
      detached: true,
      stdio: 'ignore',
    });
    child.unref();
    await until('the instance metadata service', 15_000, async () => {
      await this.exec(
        "curl -fsS -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' http://169.254.169.254/latest/api/token",
      );
      return true;
    });
  }

  /** Lets this public key log in as the host user. */
  async authorize(publicKey: string): Promise<void> {
    await this.exec(`echo '${publicKey.trim()}' >> /home/${HOST_USER}/.ssh/authorized_keys`);
  }

  /** The lab's disks by EBS volume id: a loop device and its backing file (the first volume attached gets `loopDevice`). */
  private readonly disks = new Map<string, { loop: string; file: string }>();
  /** "Snapshots": copies of a disk's backing file, by snapshot id. */
  private readonly snapshots = new Map<string, string>();

  hasVolume = (volumeId: string): boolean => this.disks.has(volumeId);
  hasSnapshot = (snapshotId: string): boolean => this.snapshots.has(snapshotId);
  /** The loop device standing in for this volume. */
  deviceOf = (volumeId: string): string | undefined => this.disks.get(volumeId)?.loop;

  /** Presents the volume's loop device as the EBS volume's NVMe name, as udev does on a Nitro instance. */
  async attachVolume(volumeId: string): Promise<void> {
    if (!this.disks.has(volumeId))
      this.disks.set(volumeId, { loop: this.loopDevice, file: join(this.dir, 'data-volume.img') });
    await this.exec(`ln -sfn ../../${this.disks.get(volumeId)!.loop.replace('/dev/', '')} ${byIdName(volumeId)}`);
  }

  /** The volume's NVMe name goes away, as when EBS detaches it (the loop device itself stays, as the volume does). */
  async detachVolume(volumeId: string): Promise<void> {
    await this.exec(`rm -f ${byIdName(volumeId)}`);
  }

  /** An EBS snapshot: a copy of the volume's backing file, taken after the host flushed its writes (crash-consistent, as EBS's). */
  async snapshotVolume(volumeId: string, snapshotId: string): Promise<void> {
    const disk = this.disks.get(volumeId);
    if (!disk) throw new Error(`host lab: no disk for volume ${volumeId}`);
    await this.exec('sync');
    const file = join(this.dir, `${snapshotId}.img`);
    await run('cp', ['--sparse=always', disk.file, file]);
    this.snapshots.set(snapshotId, file);
  }

  /** A new volume: a copy of a snapshot's file, or an empty sparse file, on a new loop device the host can see (not attached yet). */
  async createVolume(volumeId: string, o: { snapshotId?: string; sizeGiB?: number } = {}): Promise<void> {
    const file = join(this.dir, `${volumeId}.img`);
    if (o.snapshotId) await run('cp', ['--sparse=always', this.snapshots.get(o.snapshotId)!, file]);
    else await run('truncate', ['-s', `${o.sizeGiB ?? 4}G`, file]);
    const loop = (await run('losetup', ['--find', '--show', file])).stdout.trim();
    await own(this.dir, 'loop', loop);
    this.disks.set(volumeId, { loop, file });
    // The host's /dev is its own tmpfs: the new loop device's node is made there.
    const [major, minor] = (await run('stat', ['-c', '%t %T', loop])).stdout
      .trim()
      .split(' ')
      .map((h) => parseInt(h, 16));
    await this.exec(`[ -b ${loop} ] || mknod ${loop} b ${major} ${minor}`);
  }

  /** A loop device made here (any namespace's free one), with its node in the host's private /dev. */
  private async loopOf(file: string, o: { readOnly?: boolean } = {}): Promise<string> {
    const loop = (
      await run('losetup', ['--find', '--show', ...(o.readOnly ? ['--read-only'] : []), file])
    ).stdout.trim();
    await own(this.dir, 'loop', loop);
    const [major, minor] = (await run('stat', ['-c', '%t %T', loop])).stdout
      .trim()
      .split(' ')
      .map((h) => parseInt(h, 16));
    await this.exec(`[ -b ${loop} ] || mknod ${loop} b ${major} ${minor}`);
    return loop;
  }

  /**
   * A block device whose every read (and write) fails with an I/O error, as a failing or half-attached
   * EBS volume's can: a loop device over a file whose ext4 extent block fails its checksum. Returns
   * the device and the image that holds it (whose checksum shows whether anything was written).
   */
  async unreadableDevice(): Promise<{ device: string; image: string }> {
    const src = join(this.dir, 'unreadable-src');
    const image = join(this.dir, 'unreadable.img');
    await mkdir(src, { recursive: true });
    // 8 MiB with holes: more extents than fit in the inode, so the file's extent tree gets a block of its own.
    await run('dd', ['if=/dev/urandom', `of=${join(src, 'disk')}`, 'bs=1M', 'count=8', 'status=none']);
    for (let k = 1; k <= 6; k++) await run('fallocate', ['-p', '-o', String(k << 20), '-l', '4096', join(src, 'disk')]);
    await run('mkfs.ext4', ['-q', '-F', '-b', '1024', '-d', src, image, '64M']);
    const stat = (await run('debugfs', ['-R', 'stat /disk', image])).stdout;
    const block = Number(/\(ETB0\):(\d+)/.exec(stat)?.[1]);
    if (!block) throw new Error(`host lab: the unreadable disk's file has no extent block:\n${stat}`);
    await run('dd', [
      'if=/dev/urandom',
      `of=${image}`,
      'bs=1',
      `seek=${block * 1024 + 100}`,
      'count=16',
      'conv=notrunc',
      'status=none',
    ]);
    // Read-only below the ext4 too: ext4 records a checksum error in its superblock when its device is writable.
    const outer = await this.loopOf(image, { readOnly: true });
    await this.exec(`mkdir -p /srv/unreadable && mount -o ro ${outer} /srv/unreadable`);
    const device = await this.loopOf(`/proc/${this.anchorPid}/root/srv/unreadable/disk`);
    this.disks.set(`unreadable-${device}`, { loop: device, file: image });
    return { device, image };
  }

  /** Shows `device` under the volume's NVMe name (in place of its own disk, until `attachVolume` again). */
  async presentAs(volumeId: string, device: string): Promise<void> {
    await this.exec(`ln -sfn ../../${device.replace('/dev/', '')} ${byIdName(volumeId)}`);
  }

  /** dockerd's command line, kept by `stopDockerd` for `startDockerd` (the same daemon, as its unit starts it). */
  private dockerdArgs?: string[];

  /**
   * Stops dockerd as a shutdown does: SIGTERM, so it stops its containers itself and they count as
   * "not stopped by the user" (`unless-stopped` brings them back when it starts). Resolves once it has exited.
   */
  async stopDockerd(): Promise<void> {
    const pid = (await this.exec('cat /run/docker.pid')).trim();
    this.dockerdArgs = (await this.exec(`cat /proc/${pid}/cmdline`)).split('\0').filter(Boolean);
    await this.exec(
      `kill -TERM ${pid}; for i in $(seq 300); do [ -e /run/docker.pid ] || exit 0; sleep 0.2; done; exit 1`,
    );
  }

  /** Starts dockerd again with the command line `stopDockerd` found; resolves once it answers. */
  async startDockerd(): Promise<void> {
    if (!this.dockerdArgs) throw new Error('host lab: startDockerd before stopDockerd');
    const args = this.dockerdArgs.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    await this.exec(`setsid ${args} >>'${this.dir}/dockerd.log' 2>&1 </dev/null &`);
    await until('dockerd', 60_000, async () => {
      await this.exec('docker info --format "{{.ServerVersion}}"');
      return true;
    });
  }

  /** The host loses `device` (its node in the host's /dev goes), as when a volume fails to attach at boot. */
  async unplug(device: string): Promise<void> {
    await this.exec(`if mountpoint -q ${device}; then umount ${device}; fi; rm -f ${device}`);
  }

  /** `device` shows in the host's /dev again. */
  async plugIn(device: string): Promise<void> {
    const [major, minor] = (await run('stat', ['-c', '%t %T', device])).stdout
      .trim()
      .split(' ')
      .map((h) => parseInt(h, 16));
    await this.exec(`[ -b ${device} ] || mknod ${device} b ${major} ${minor}`);
  }

  /** Puts a recorder in front of a command the host's sudo runs (the lab's bin comes first in its secure_path): each call's arguments, one line each. */
  async recordCalls(command: string): Promise<() => Promise<string[]>> {
    await mkdir(join(this.dir, 'bin'), { recursive: true });
    const log = join(this.dir, `${command}.calls`);
    await writeFile(log, '');
    const real = (await run('sh', ['-c', `command -v ${command} || echo /usr/sbin/${command}`])).stdout.trim();
    await writeFile(join(this.dir, 'bin', command), `#!/bin/sh\necho "$*" >>'${log}'\nexec ${real} "$@"\n`);
    await chmod(join(this.dir, 'bin', command), 0o755);
    return async () => (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  }

  /** A new host key: what a replaced (or impersonated) host shows. Takes effect on the next sshd start. */
  async newHostKey(): Promise<void> {
    const key = join(this.dir, 'sshd/hostkey_ed25519');
    await rm(key, { force: true });
    await rm(`${key}.pub`, { force: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  }

  async startSshd(): Promise<void> {
    const child = spawn(
      'nsenter',
      [
        '--target',
        String(this.anchorPid),
        '--mount',
        '--net',
        '--',
        '/usr/sbin/sshd',
        '-D',
        '-f',
        join(this.dir, 'sshd/sshd_config'),
        '-E',
        join(this.dir, 'sshd.log'),
      ],
      { detached: true, stdio: 'ignore' },
    );
    child.unref();
    this.sshdPid = child.pid;
    await until(`sshd on ${this.host}:22`, 15_000, () => tcpOpen(this.host, this.sshPort));
  }

  async stopSshd(): Promise<void> {
    if (this.sshdPid === undefined) return;
    killTree(this.sshdPid);
    this.sshdPid = undefined;
    await until('sshd to stop', 10_000, async () => !(await tcpOpen(this.host, this.sshPort)));
  }

  /** A folder of this lab's run outside its own (the edge proxy's): removed by `stop`, or by a later run's sweep. */
  async owns(folder: string): Promise<void> {
    await own(this.dir, 'dir', folder);
  }

  /** Everything `start` made, as its owner file names it (`tearDown`). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.stopSshd().catch(() => undefined);
    await tearDown(await readOwner(this.dir));
  }
}

/** Where labs keep their folders; each has an `owner` file. */
export const LAB_ROOT = '/var/tmp';

/**
 * What a lab's run made, as its `owner` file names it, one `<kind> <value>` line each: the run's
 * process (`pid <pid> <start time>`: a pid alone may be reused), its network namespace and veth
 * pair, then each loop device and outside folder as it is made.
 */
export interface Owner {
  dir: string;
  pid: number;
  started: string;
  netns: string;
  veth: string;
  loops: string[];
  dirs: string[];
}

/** A process's start time (clock ticks since boot, field 22 of /proc/<pid>/stat), or undefined when it is gone. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

/** Is the run that wrote this owner file still running? */
export const ownerAlive = (o: Pick<Owner, 'pid' | 'started'>): boolean => startTimeOf(o.pid) === o.started;

export async function writeOwner(dir: string, o: Pick<Owner, 'netns' | 'veth'>, pid = process.pid): Promise<void> {
  await writeFile(join(dir, 'owner'), `pid ${pid} ${startTimeOf(pid)}\nnetns ${o.netns}\nveth ${o.veth}\n`);
}

export const own = (dir: string, kind: 'loop' | 'dir', value: string) =>
  appendFile(join(dir, 'owner'), `${kind} ${value}\n`);

export async function readOwner(dir: string): Promise<Owner> {
  const lines = (await readFile(join(dir, 'owner'), 'utf8'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
  const first = (kind: string) => lines.find(([k]) => k === kind)?.slice(1) ?? [];
  const all = (kind: string) => lines.filter(([k]) => k === kind).map(([, v]) => v!);
  const [pid, started] = first('pid');
  // An owner file of another form (an older lab's) names no run that can be checked: it is left alone.
  if (!pid || !started) throw new Error(`host lab: ${join(dir, 'owner')} names no run`);
  return {
    dir,
    pid: Number(pid),
    started: started!,
    netns: first('netns')[0]!,
    veth: first('veth')[0]!,
    loops: all('loop'),
    dirs: all('dir'),
  };
}

/**
 * Tears down what a lab's owner file names, whether its run is stopping it or is gone: the
 * containers and dockerd (inside the host's namespaces, while its anchor process lives), every
 * process in its network namespace (sshd, nginx, the anchor), its loop devices, veth pair and
 * namespace, and its folders. Each step goes on when the one before finds nothing.
 */
export async function tearDown(o: Owner): Promise<void> {
  const quiet = (p: Promise<unknown>) => p.catch(() => undefined);
  const anchorPid = Number(await readFile(join(o.dir, 'anchor.pid'), 'utf8').catch(() => NaN));
  if (anchorPid && startTimeOf(anchorPid) !== undefined) {
    await quiet(
      run('nsenter', [
        '--target',
        String(anchorPid),
        '--mount',
        '--net',
        '--',
        'bash',
        '-c',
        'ids=$(docker ps -aq); [ -z "$ids" ] || docker rm -f $ids >/dev/null; kill "$(cat /run/docker.pid)"; ' +
          'for i in $(seq 50); do [ -e /run/docker.pid ] || break; sleep 0.2; done',
      ]),
    );
  }
  // Whatever still runs in the lab's network namespace is the lab's.
  const netnsPids = async () =>
    (await run('ip', ['netns', 'pids', o.netns]).catch(() => ({ stdout: '' }))).stdout.split(/\s+/).filter(Boolean);
  for (const pid of [...(await netnsPids()), ...(anchorPid ? [String(anchorPid)] : [])]) killTree(Number(pid));
  await quiet(
    until(
      "the lab's processes to exit",
      10_000,
      async () => (await netnsPids()).length === 0 && !(anchorPid && startTimeOf(anchorPid) !== undefined),
    ),
  );
  for (const loop of new Set(o.loops)) await quiet(run('losetup', ['-d', loop]));
  await quiet(run('ip', ['link', 'del', `${o.veth}a`]));
  await quiet(run('ip', ['netns', 'del', o.netns]));
  for (const dir of [...o.dirs, o.dir]) await quiet(rm(dir, { recursive: true, force: true }));
}

/**
 * Tears down the labs of runs that were killed before their `stop()` (an owner file whose run is
 * gone); a running lab's is kept. Returns the folders it swept.
 */
export async function sweepLeftovers(root = LAB_ROOT): Promise<string[]> {
  const swept: string[] = [];
  for (const name of (await readdir(root)).filter((n) => n.startsWith('devenv-lab-'))) {
    const owner = await readOwner(join(root, name)).catch(() => undefined);
    if (!owner || ownerAlive(owner)) continue;
    await tearDown(owner);
    swept.push(owner.dir);
  }
  return swept;
}

const byIdName = (volumeId: string) => `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace('-', '')}`;

function killTree(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL'); // the process group of a detached child
  } catch {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

const sshdConfig = (dir: string, host: string) => `ListenAddress ${host}
Port 22
HostKey ${dir}/sshd/hostkey_ed25519
PidFile ${dir}/sshd.pid
AuthorizedKeysFile .ssh/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin no
UsePAM no
StrictModes yes
Subsystem sftp /usr/lib/openssh/sftp-server
LogLevel VERBOSE
`;
