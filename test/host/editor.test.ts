/**
 * The editor on a real host (./lab.ts) with moto for AWS: code-server's login cannot be switched
 * off from inside the container, it runs with the update check, telemetry and the trust dialog
 * off, and each developer's Anthropic API key reaches their shells, and only theirs, without ever
 * showing in `docker inspect`, devenv's output or its state; a rotated key arrives on the next run.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeResult, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const newKey = (who: string) => `sk-ant-api03-${who}-${randomBytes(24).toString('hex')}`;

describeOnHost('the editor and its API keys on a real host', () => {
  let world: World;
  let ws: Workspace;
  let keyDir: string;
  const keys = new Map<string, string>();
  const everyKey: string[] = [];
  const port = async (name: string): Promise<number> => (await ws.state()).allocations[name].port;
  const setKey = async (who: string, key: string) => {
    keys.set(who, key);
    everyKey.push(key);
    await writeFile(join(keyDir, `${who}.key`), `${key}\n`, { mode: 0o600 });
  };
  /** The SHA-256 of ANTHROPIC_API_KEY as a shell of the developer's container sees it (never the key itself in a command line). */
  const keyInShell = async (who: string, shell: string) =>
    (
      await world.lab.exec(
        `docker exec -u coder code-server-${who} bash ${shell} 'echo -n "$ANTHROPIC_API_KEY" | sha256sum'`,
      )
    ).split(' ')[0];
  /** The same, as a Node.js program started from a shell that is not a login shell (code-server's terminal, the Claude CLI) sees it. */
  const keyInNode = async (who: string) =>
    world.lab.exec(
      `docker exec -u coder code-server-${who} bash -c 'node -e "process.stdout.write(require(\\"crypto\\").createHash(\\"sha256\\").update(process.env.ANTHROPIC_API_KEY || \\"\\").digest(\\"hex\\"))"'`,
    );
  /** Waits until the container answers /healthz again (after a recreate). */
  const healthy = async (who: string) => {
    for (let i = 0; i < 120; i++) {
      const status = (
        await world.lab.exec(
          `docker inspect --format '{{.State.Health.Status}}' code-server-${who} 2>/dev/null || true`,
        )
      ).trim();
      if (status === 'healthy') return;
      await new Promise((r) => setTimeout(r, 1000));
    }
    throw new Error(`code-server-${who} did not become healthy`);
  };

  useWorld(async (started) => {
    world = started;
    keyDir = await mkdtemp(join(tmpdir(), 'devenv-keys-'));
    await setKey('alice', newKey('alice'));
    await setKey('bob', newKey('bob'));
    ws = await world.workspace(['alice', 'bob'], {
      patch: (c) => {
        c.developers = ['alice', 'bob'].map((name) => ({
          name,
          anthropicApiKey: { file: join(keyDir, `${name}.key`) },
        }));
      },
    });
    await world.provision(ws);
    await world.up(ws);
  });

  afterAll(async () => {
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
  }, 120_000);

  it("asks for the password even after `auth: none` is written into the developer's config.yaml and the container is recreated", async () => {
    await world.lab.exec(
      `docker exec -u coder code-server-alice sh -c 'mkdir -p ~/.config/code-server && printf "auth: none\\nbind-addr: 127.0.0.1:9999\\n" > ~/.config/code-server/config.yaml'`,
    );
    await world.lab.exec(
      'docker compose -p devenv -f /etc/devenv/docker-compose.yml up -d --no-deps --force-recreate code-server-alice',
    );
    await healthy('alice');
    expect(
      await world.lab.exec('docker exec code-server-alice cat /home/coder/.config/code-server/config.yaml'),
    ).toContain('auth: none');
    const home = await fetch(`http://${world.lab.host}:${await port('alice')}/`, { redirect: 'manual' });
    await home.arrayBuffer();
    expect(home.status).toBe(302);
    expect(home.headers.get('location')).toMatch(/\.\/login/);
    expect((await world.login(await port('alice'), 'not-the-password')).status, 'a wrong password').toBe(200);
    expect((await world.login(await port('alice'), await world.password(ws, 'alice'))).status, 'the right one').toBe(
      302,
    );
  }, 300_000);

  it('runs code-server without the update check and telemetry, with the workspace trusted', async () => {
    const args = JSON.parse(
      await world.lab.exec("docker inspect --format '{{json .Args}}' code-server-bob"),
    ) as string[];
    expect(args).toEqual(
      expect.arrayContaining([
        '--auth',
        'password',
        '--disable-update-check',
        '--disable-telemetry',
        '--disable-workspace-trust',
      ]),
    );
    // code-server took them: its process runs with them (the entrypoint's own flags come first).
    const cmdline = await world.lab.exec(
      'docker exec code-server-bob sh -c \'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done\' | grep -- --disable-workspace-trust | head -1',
    );
    expect(cmdline).toContain('--disable-telemetry');
  });

  it("gives each developer's shells their own API key, and nobody else's, never through docker inspect", async () => {
    for (const [me, other] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      expect(await keyInShell(me, '-lc'), `${me}'s login shell`).toBe(sha256(keys.get(me)!));
      expect(await keyInShell(me, '-lc'), `${me}'s login shell`).not.toBe(sha256(keys.get(other)!));
      // Not a login shell (code-server's terminal): the key comes from code-server's environment, through Node's preload.
      expect(await keyInNode(me), `${me}'s node`).toBe(sha256(keys.get(me)!));
      // What code-server starts its terminals and extensions from: the process its wrapper forked with its environment.
      // (A process's /proc environ is what it started with: the preload sets the key after code-server's own start, so its child shows it.)
      const codeServerEnv = await world.lab.exec(
        `docker exec code-server-${me} sh -c 'for p in /proc/[0-9]*; do if tr "\\0" "\\n" < $p/environ 2>/dev/null | grep -q ^CODE_SERVER_PARENT_PID=; then tr "\\0" "\\n" < $p/environ | grep "^ANTHROPIC_API_KEY=" | cut -d= -f2- | tr -d "\\n" | sha256sum; fi; done | sort -u'`,
      );
      expect(
        codeServerEnv
          .trim()
          .split('\n')
          .map((l) => l.split(' ')[0]),
        `${me}'s code-server environment`,
      ).toEqual([sha256(keys.get(me)!)]);
      expect(await world.lab.exec(`docker exec code-server-${me} stat -c '%u %a' /run/devenv/anthropic-api-key`)).toBe(
        '1000 400\n',
      );
      const write = await world.lab.exec(
        `docker exec -u coder code-server-${me} sh -c 'echo x > /run/devenv/anthropic-api-key' 2>&1 || echo refused`,
      );
      expect(write).toContain('refused');
    }
    expect(await world.lab.exec('stat -c %a /etc/devenv/api-keys')).toBe('700\n');
    const inspect = await world.lab.exec('docker inspect $(docker ps -aq)');
    const written = [
      ...ws.transcript,
      JSON.stringify(await ws.state()),
      inspect,
      await world.lab.exec('cat /etc/devenv/docker-compose.yml /etc/devenv/secrets/*'),
    ].join('\n');
    for (const key of everyKey) expect(written.includes(key), 'an API key appears').toBe(false);
  }, 120_000);

  it('a key changed at its source reaches that container on the next `up`, which recreates only it; a converged `up` recreates nothing', async () => {
    await setKey('alice', newKey('alice'));
    const before = await world.containerIds();
    await world.up(ws);
    const after = await world.containerIds();
    expect(after['code-server-alice']).not.toBe(before['code-server-alice']);
    expect(after['code-server-bob']).toBe(before['code-server-bob']);
    await healthy('alice');
    expect(await keyInShell('alice', '-lc')).toBe(sha256(keys.get('alice')!));
    expect(await keyInNode('alice')).toBe(sha256(keys.get('alice')!));
    await world.up(ws);
    expect(await world.containerIds()).toEqual(after);
  }, 600_000);

  it('a key rotated in Secrets Manager reaches the container on `credentials rotate`', async () => {
    const rotated = newKey('bob');
    everyKey.push(rotated);
    const { secrets } = await world.moto.clients();
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: `${(await ws.config()).project}/bob/anthropic-api-key`,
        SecretString: rotated,
      }),
    );
    const r = await ws.cli(['credentials', 'rotate', 'bob']);
    expect(r.code, describeResult(r)).toBe(0);
    await healthy('bob');
    expect(await keyInShell('bob', '-lc')).toBe(sha256(rotated));
    expect(await keyInShell('alice', '-lc')).toBe(sha256(keys.get('alice')!));
    const inspect = await world.lab.exec('docker inspect $(docker ps -aq)');
    for (const key of everyKey)
      expect([...ws.transcript, inspect].join('\n').includes(key), 'an API key appears').toBe(false);
  }, 300_000);
});
