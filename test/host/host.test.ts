/**
 * devenv against a real host (./lab.ts) with moto for AWS: `up` runs validate through containers
 * over SSH, and the tests check what a developer and an operator would notice.
 */
import { expect, it } from 'vitest';
import { whenSaid, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

describeOnHost('devenv on a real host over SSH', () => {
  let world: World;
  let ws: Workspace;
  const port = async (name: string): Promise<number> => (await ws.state()).allocations[name].port;
  const fstabLines = async () =>
    (await world.lab.exec('cat /etc/fstab')).split('\n').filter((l) => l.includes('/mnt/ebs-data'));

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice', 'bob']);
    await world.provision(ws);
  });

  it("up brings each developer a code-server that takes their own password and no one else's", async () => {
    const r = await world.up(ws);
    expect(r.stderr).toContain('[storage]');
    for (const [me, other] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      const mine = await world.login(await port(me), await world.password(ws, me));
      expect(mine.status, `${me} with their own password`).toBe(302);
      expect(mine.cookie).toMatch(/^code-server-session=/);
      const theirs = await world.login(await port(me), await world.password(ws, other));
      expect(theirs.status, `${me} with ${other}'s password`).toBe(200);
      expect(theirs.cookie).toBeUndefined();
    }
    const lines = await fstabLines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^UUID=[0-9a-f-]+ \/mnt\/ebs-data ext4 defaults,nofail 0 2$/);
    const uuid = (await world.lab.exec(`blkid -p -o value -s UUID ${world.lab.loopDevice}`)).trim();
    expect((await ws.state()).phases.storage.outputs.filesystemUuid).toBe(uuid);
    expect(
      await world.lab.exec(
        'stat -c "%u:%g %a" /mnt/ebs-data/alice /mnt/ebs-data/alice/home /mnt/ebs-data/bob/home/workspace',
      ),
    ).toBe('0:0 755\n1000:1000 700\n1000:1000 755\n');
  }, 600_000);

  it('runs each container with its limits, its own network, capped logs and no-new-privileges', async () => {
    const inspect = JSON.parse(await world.lab.exec('docker inspect code-server-alice code-server-bob'));
    for (const c of inspect) {
      expect(c.HostConfig.NanoCpus).toBe(1e9);
      expect(c.HostConfig.Memory).toBe(1024 * 2 ** 20);
      expect(c.HostConfig.MemoryReservation).toBe(256 * 2 ** 20);
      expect(c.HostConfig.SecurityOpt).toContain('no-new-privileges:true');
      expect(c.HostConfig.RestartPolicy.Name).toBe('unless-stopped');
      expect(c.HostConfig.LogConfig).toEqual({ Type: 'json-file', Config: { 'max-file': '3', 'max-size': '10m' } });
      expect(c.HostConfig.NetworkMode).not.toBe('host');
      expect(Object.keys(c.NetworkSettings.Networks)).toHaveLength(1);
    }
    expect(Object.keys(inspect[0].NetworkSettings.Networks)).not.toEqual(
      Object.keys(inspect[1].NetworkSettings.Networks),
    );
  });

  it("writes the CloudWatch agent's config with each container's log file, and skips the agent this host lacks", async () => {
    const inspect = JSON.parse(await world.lab.exec('docker inspect code-server-alice code-server-bob')) as {
      LogPath: string;
      Config: { Labels: Record<string, string> };
    }[];
    const config = JSON.parse(await world.lab.exec('cat /etc/devenv/cloudwatch-agent.json'));
    const shipped = Object.fromEntries(
      config.logs.logs_collected.files.collect_list.map((f: { file_path: string; log_group_name: string }) => [
        f.log_group_name,
        f.file_path,
      ]),
    );
    const { project } = await ws.config();
    for (const c of inspect)
      expect(shipped[`/aws/ec2/${project}/containers/${c.Config.Labels['devenv.developer']}`]).toBe(c.LogPath);
    const r = await world.up(ws);
    expect(r.stderr).toMatch(/cloudwatch-agent: skipped: the CloudWatch agent is not installed on this host/);
  });

  it('a second up restarts nothing, keeps one fstab line and does not format the volume again', async () => {
    await world.lab.exec('docker exec code-server-alice sh -c "echo precious > /home/coder/workspace/keep.txt"');
    const uuid = (await world.lab.exec(`blkid -p -o value -s UUID ${world.lab.loopDevice}`)).trim();
    const ids = await world.containerIds();
    const r = await world.up(ws);
    expect(r.stderr).toContain('none restarted');
    expect(await world.containerIds()).toEqual(ids);
    expect(await fstabLines()).toHaveLength(1);
    expect((await world.lab.exec(`blkid -p -o value -s UUID ${world.lab.loopDevice}`)).trim()).toBe(uuid);
    expect(await world.lab.exec('cat /mnt/ebs-data/alice/home/workspace/keep.txt')).toBe('precious\n');
  }, 600_000);

  it('accepts a websocket whose Origin matches Host and refuses a foreign one', async () => {
    const p = await port('alice');
    const { cookie } = await world.login(p, await world.password(ws, 'alice'));
    expect(await world.websocketStatus(p, 'https://evil.example.com', cookie)).toBe(403);
    expect(await world.websocketStatus(p, `http://${world.lab.host}:${p}`, cookie)).toBe(101);
  }, 60_000);

  it('a password rotated in Secrets Manager reaches the container on the next up', async () => {
    const { secrets } = await world.moto.clients();
    const { PutSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const old = await world.password(ws, 'bob');
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: `${(await ws.config()).project}/bob/password`,
        SecretString: 'Rotated0123456789abcdefXY',
      }),
    );
    const ids = await world.containerIds();
    await world.up(ws);
    const now = await world.containerIds();
    expect(now['code-server-alice']).toBe(ids['code-server-alice']);
    expect(now['code-server-bob']).not.toBe(ids['code-server-bob']);
    expect((await world.login(await port('bob'), 'Rotated0123456789abcdefXY')).status).toBe(302);
    expect((await world.login(await port('bob'), old)).status).toBe(200);
  }, 600_000);

  it("adding carol and removing alice changes only their containers and keeps alice's folder", async () => {
    const ids = await world.containerIds();
    await ws.editConfig((c) => (c.developers = ['bob', 'carol']));
    const r = await world.up(ws, ['--yes']);
    expect(r.stderr).toContain('started carol');
    const now = await world.containerIds();
    expect(now['code-server-bob']).toBe(ids['code-server-bob']);
    expect(now['code-server-alice']).toBeUndefined();
    expect(now['code-server-carol']).toBeDefined();
    expect(await world.lab.exec('cat /mnt/ebs-data/alice/home/workspace/keep.txt')).toBe('precious\n');
    expect((await world.login(await port('carol'), await world.password(ws, 'carol'))).status).toBe(302);
  }, 600_000);

  it("--purge-removed deletes the removed developer's folder only", async () => {
    const ids = await world.containerIds();
    await world.up(ws, ['--purge-removed']);
    expect(await world.lab.exec('ls /mnt/ebs-data')).toBe('bob\ncarol\nlost+found\n');
    expect(await world.containerIds()).toEqual(ids);
  }, 600_000);

  it('never shows a secret: not in what devenv printed or wrote, not in docker inspect', async () => {
    const secrets = [await world.password(ws, 'bob'), await world.password(ws, 'carol'), 'Rotated0123456789abcdefXY'];
    const inspect = await world.lab.exec('docker inspect $(docker ps -aq)');
    const hostFiles = await world.lab.exec(
      'cat /etc/devenv/docker-compose.yml /etc/devenv/secrets/*.env; ls -l /etc/devenv/secrets',
    );
    const written = [...ws.transcript, JSON.stringify(await ws.state()), inspect, hostFiles].join('\n');
    for (const secret of secrets) expect(written.includes(secret), 'a password appears').toBe(false);
    expect(inspect).toMatch(/HASHED_PASSWORD=\$argon2id\$/);
    expect(hostFiles).toMatch(/^-rw------- 1 root root .* bob\.env$/m);
  });
});

describeOnHost('8 developers, a volume that already holds data, and SSH', () => {
  let world: World;
  let ws: Workspace;
  const developers = Array.from({ length: 8 }, (_, i) => `dev${i + 1}`);
  let uuid: string;

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(developers);
    // A volume moved from another host: it has a filesystem and someone's work on it.
    const loop = world.lab.loopDevice;
    await world.lab.exec(
      `mkfs.ext4 -q ${loop} && mkdir -p /tmp/old && mount ${loop} /tmp/old && mkdir -p /tmp/old/dev3/workspace && echo older > /tmp/old/dev3/workspace/notes.txt && umount /tmp/old`,
    );
    uuid = (await world.lab.exec(`blkid -p -o value -s UUID ${loop}`)).trim();
    await world.provision(ws);
  });

  it('keeps trying while sshd is not up yet, then pins the host key; never formats a volume that holds a filesystem', async () => {
    await world.lab.stopSshd();
    const waiting = whenSaid(/waiting for SSH on ubuntu@[\d.]+:22/);
    const up = world.up(ws, [], { onStderr: waiting.hear });
    await waiting.said; // up has found sshd down and keeps trying
    await world.lab.startSshd();
    const r = await up;
    expect(r.stderr).toMatch(/waiting for SSH on ubuntu@[\d.]+:22/);
    const state = await ws.state();
    const fingerprint = (await world.lab.exec(`ssh-keygen -lf ${world.lab.dir}/sshd/hostkey_ed25519.pub`)).split(
      ' ',
    )[1];
    expect(state.hostKey).toEqual({ instanceId: state.resources.instance.id, fingerprint });
    expect((await world.lab.exec(`blkid -p -o value -s UUID ${world.lab.loopDevice}`)).trim()).toBe(uuid);
    expect(await world.lab.exec('cat /mnt/ebs-data/dev3/home/workspace/notes.txt')).toBe('older\n');
    for (const d of developers) {
      expect((await world.login(state.allocations[d].port, await world.password(ws, d))).status, d).toBe(302);
    }
  }, 600_000);

  it('refuses a host whose key changed, and trusts it with --accept-new-host-key', async () => {
    const configured = (await ws.config()).ssh.hostKeyFingerprint;
    await world.lab.stopSshd();
    await world.lab.newHostKey();
    await world.lab.startSshd();
    const pinned = (await ws.state()).hostKey;
    const refused = await ws.cli(['phase', 'storage']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /SSH host key of [\d.]+ \(instance i-\w+\) is SHA256:\S+, but ssh.hostKeyFingerprint says SHA256:\S+: someone may be impersonating the host/,
    );
    expect(refused.stderr).toContain('--accept-new-host-key');
    expect((await ws.state()).hostKey).toEqual(pinned);
    const accepted = await ws.cli(['phase', 'storage', '--accept-new-host-key']);
    expect(accepted.code, accepted.stderr).toBe(0);
    const fingerprint = (await world.lab.exec(`ssh-keygen -lf ${world.lab.dir}/sshd/hostkey_ed25519.pub`)).split(
      ' ',
    )[1];
    expect((await ws.state()).hostKey.fingerprint).toBe(fingerprint);

    // Without ssh.hostKeyFingerprint, the pin of this instance is what the key must match.
    await ws.editConfig((c) => {
      c.ssh.hostKeyFingerprint = fingerprint;
    });
    expect((await ws.cli(['phase', 'storage'])).code).toBe(0);
    await ws.editConfig((c) => {
      delete c.ssh.hostKeyFingerprint;
    });
    await world.lab.stopSshd();
    await world.lab.newHostKey();
    await world.lab.startSshd();
    const changed = await ws.cli(['phase', 'storage']);
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(
      /SSH host key of [\d.]+ \(instance i-\w+\) changed: it was SHA256:\S+, it is now SHA256:/,
    );
    expect(configured).not.toBe(fingerprint);
  }, 600_000);
});
