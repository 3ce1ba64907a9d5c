/**
 * An EC2 stop and start of the host (./lab.ts), with moto for AWS: every editor comes back, healthy,
 * with each developer's files, and no devenv command or human step is needed (issue 19).
 *
 * The lab has no systemd, so the test plays what a stop and start do, from what devenv left on the
 * host: the shutdown stops dockerd with SIGTERM (its containers stop as "not stopped by the user")
 * and unmounts the data volume; the boot empties /run and the network the containers used, mounts
 * what /etc/fstab says (`mount -a`: devenv's line, by UUID, `nofail`), then starts docker.service
 * the way systemd would with devenv's drop-in: `RequiresMountsFor=` adds `Requires=` and `After=`
 * on the mount units of those paths (systemd.unit(5)), so when such a mount failed, Docker is not
 * started at all ("dependency failed") and no container writes to the empty mount point on the
 * root volume. Without the drop-in Docker starts anyway, and the test that hides the volume fails.
 */
import { expect, it } from 'vitest';
import { describeResult, type Workspace } from '../integration/moto.js';
import type { EdgeProxy } from './edge.js';
import { describeOnHost, useWorld, type World } from './world.js';

const DATA_MOUNT = '/mnt/ebs-data';
const DROP_IN_DIR = '/etc/systemd/system/docker.service.d';

describeOnHost('an EC2 stop and start: the editors come back by themselves, nothing lost', () => {
  let world: World;
  let ws: Workspace;
  let edge: EdgeProxy;
  let ids: Record<string, string>;
  const developers = ['alice', 'bob'];

  /** What the shutdown of the instance does to the host. */
  const shutDown = async () => {
    await world.lab.stopDockerd();
    await world.lab.stopSshd();
    await world.lab.exec(`sync && umount ${DATA_MOUNT}`);
  };

  /**
   * What the boot does: a fresh /run and network, fstab's mounts, then docker.service unless a mount
   * it requires (the paths of its drop-ins' RequiresMountsFor=, and the fstab mounts above them) is
   * not there. Says whether Docker started.
   */
  const boot = async (): Promise<'started' | 'dependency failed'> => {
    await world.lab.exec(
      'rm -rf /run/docker /run/containerd /run/docker.sock; ' +
        "for b in $(ip -o link show type bridge | awk -F': ' '{print $2}'); do ip link del \"$b\"; done; " +
        'iptables -t nat -F && iptables -t nat -X && iptables -F && iptables -X',
    );
    await world.lab.startSshd();
    await world.lab.exec('mount -a');
    const dropIns = await world.lab.exec(`cat ${DROP_IN_DIR}/*.conf 2>/dev/null || true`);
    const required = [...dropIns.matchAll(/^RequiresMountsFor=(.+)$/gm)].flatMap((m) => m[1]!.trim().split(/\s+/));
    const fstabMounts = (await world.lab.exec('cat /etc/fstab'))
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'))
      .map((l) => l.trim().split(/\s+/)[1]!);
    const units = fstabMounts.filter((mp) => mp !== '/' && required.some((p) => p === mp || p.startsWith(`${mp}/`)));
    for (const mp of units) {
      if ((await world.lab.exec(`mountpoint -q ${mp} && echo mounted || echo missing`)).trim() !== 'mounted')
        return 'dependency failed';
    }
    await world.lab.startDockerd();
    return 'started';
  };

  /** Waits until every developer's container says healthy, with no command of devenv's. */
  const allHealthy = async () => {
    let status = '';
    for (let i = 0; i < 180; i++) {
      status = await world.lab.exec(
        `for d in ${developers.join(' ')}; do ` +
          `echo "$d $(docker inspect --format '{{.State.Status}} {{.State.Health.Status}}' code-server-$d 2>&1)"; done`,
      );
      if (developers.every((d) => status.includes(`${d} running healthy\n`))) return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`the containers did not become healthy after the start:\n${status}`);
  };

  const readBack = (who: string) =>
    world.lab.exec(`docker exec -u coder code-server-${who} cat /home/coder/workspace/before-stop.txt`);

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(developers);
    await world.provision(ws);
    edge = await world.startEdge(ws);
    await world.up(ws);
    for (const d of developers)
      await world.lab.exec(
        `docker exec -u coder code-server-${d} sh -c 'echo "${d} wrote this before the stop" > /home/coder/workspace/before-stop.txt'`,
      );
    ids = await world.containerIds();
  });

  it('devenv left the boot what it needs: one fstab line by UUID with nofail, and docker.service requiring the mount', async () => {
    const uuid = (await ws.state()).phases.storage.outputs.filesystemUuid;
    const fstab = (await world.lab.exec('cat /etc/fstab')).split('\n').filter((l) => l.includes(DATA_MOUNT));
    expect(fstab).toEqual([`UUID=${uuid} ${DATA_MOUNT} ext4 defaults,nofail 0 2`]);
    expect(await world.lab.exec(`cat ${DROP_IN_DIR}/10-devenv-data-volume.conf`)).toBe(
      `[Unit]\nRequiresMountsFor=${DATA_MOUNT}\n`,
    );
  });

  it('after a stop and start every container runs and is healthy again, the same containers, each file kept', async () => {
    await shutDown();
    expect(await world.lab.exec(`findmnt -n ${DATA_MOUNT} || echo "not mounted"`)).toBe('not mounted\n');
    expect(await world.lab.exec('[ -e /run/docker.pid ] && echo running || echo stopped')).toBe('stopped\n');

    expect(await boot()).toBe('started');
    await allHealthy();

    expect((await world.lab.exec(`findmnt -n -o SOURCE ${DATA_MOUNT}`)).trim()).toBe(world.lab.loopDevice);
    expect(await world.containerIds()).toEqual(ids);
    for (const d of developers) expect(await readBack(d)).toBe(`${d} wrote this before the stop\n`);
    const policies = await world.lab.exec(
      `docker inspect --format '{{.Name}} {{.HostConfig.RestartPolicy.Name}}' ${Object.values(ids).join(' ')}`,
    );
    expect(policies.trim().split('\n').sort()).toEqual(developers.map((d) => `/code-server-${d} unless-stopped`));
  }, 300_000);

  it('the editors answer through the TLS stand-in for the load balancer: every check of `devenv test` passes', async () => {
    const r = await world.devenv(ws, ['phase', 'test', '--resolve', edge.address], {
      NODE_EXTRA_CA_CERTS: edge.caFile,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/all \d+ checks passed/);
    for (const d of developers) {
      expect(r.stderr).toMatch(new RegExp(`${d}\\s+login\\s+ok`));
      expect(r.stderr).toMatch(new RegExp(`${d}\\s+websocket\\s+ok`));
    }
  }, 120_000);

  it('a second up afterwards changes nothing: no container restarted, no mutating AWS call', async () => {
    const r = await ws.cli(['up', '--skip', 'test']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toContain('none restarted');
    expect(r.calls.mutating).toEqual([]);
    expect(await world.containerIds()).toEqual(ids);
  }, 300_000);

  it('a volume missing at boot keeps Docker stopped: no container starts on the root volume; the next boot with it brings all back', async () => {
    await shutDown();
    await world.lab.unplug(world.lab.loopDevice);

    expect(await boot()).toBe('dependency failed');
    expect(await world.lab.exec(`findmnt -n ${DATA_MOUNT} || echo "not mounted"`)).toBe('not mounted\n');
    expect(await world.lab.exec('[ -e /run/docker.pid ] && echo running || echo stopped')).toBe('stopped\n');
    // Nothing made on the root volume under the mount point (Docker would make each missing home, as root).
    expect(await world.lab.exec(`find ${DATA_MOUNT} -mindepth 1`)).toBe('');

    // Stopped and started again, with the volume attached this time.
    await world.lab.stopSshd();
    await world.lab.plugIn(world.lab.loopDevice);
    expect(await boot()).toBe('started');
    await allHealthy();
    expect(await world.containerIds()).toEqual(ids);
    for (const d of developers) expect(await readBack(d)).toBe(`${d} wrote this before the stop\n`);
  }, 300_000);
});
