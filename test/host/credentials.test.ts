/**
 * `devenv credentials export` and `rotate` against a real host (./lab.ts) with moto for AWS: every
 * exported password logs in to its own developer's code-server, and after `rotate` the new one
 * does, the old one no longer does, and no other container was restarted; a restart that fails
 * leaves a stored password that `devenv phase containers` brings to the container.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeResult, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

describeOnHost('credentials on a real host', () => {
  let world: World;
  let ws: Workspace;
  const port = async (name: string): Promise<number> => (await ws.state()).allocations[name].port;
  /** Each developer's password, as `credentials export` wrote it to the combined CSV. */
  const exported = new Map<string, string>();

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice', 'bob']);
    await world.provision(ws);
    await world.up(ws);
  });

  it("each exported password logs in to its own code-server and to no one else's", async () => {
    const out = join(ws.dir, 'credentials');
    const r = await ws.cli(['credentials', 'export', '--out', out]);
    expect(r.code, describeResult(r)).toBe(0);
    const [header, ...rows] = (await readFile(join(out, 'credentials.csv'), 'utf8'))
      .trimEnd()
      .split('\r\n')
      .map((line) => line.split(','));
    expect(header).toEqual(['developer', 'url', 'username', 'password']);
    for (const [developer, , , password] of rows) exported.set(developer, password);
    expect([...exported.keys()]).toEqual(['alice', 'bob']);
    for (const [me, other] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ] as const) {
      expect((await world.login(await port(me), exported.get(me)!)).status, `${me} with the exported password`).toBe(
        302,
      );
      expect((await world.login(await port(me), exported.get(other)!)).status, `${me} with ${other}'s password`).toBe(
        200,
      );
    }
  }, 120_000);

  it('after rotate, the new password logs in and the old one does not; only that container restarted', async () => {
    const old = exported.get('alice')!;
    const ids = await world.containerIds();
    const r = await ws.cli(['credentials', 'rotate', 'alice', '--verbose']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toContain('restarted code-server-alice with the new password');
    expect(r.stderr).toContain('devenv credentials export --developer alice');

    const shown = await ws.cli(['credentials', 'export', '--developer', 'alice', '--format', 'json']);
    expect(shown.code, describeResult(shown)).toBe(0);
    const rotated = JSON.parse(shown.stdout).password as string;
    expect(rotated).not.toBe(old);
    expect(rotated).toBe(await world.password(ws, 'alice'));
    expect(`${r.stdout}\n${r.stderr}`.includes(rotated), 'rotate printed the new password').toBe(false);

    expect((await world.login(await port('alice'), rotated)).status, 'alice with the new password').toBe(302);
    expect((await world.login(await port('alice'), old)).status, 'alice with the old password').toBe(200);
    expect((await world.login(await port('bob'), exported.get('bob')!)).status, 'bob, untouched').toBe(302);
    const now = await world.containerIds();
    expect(now['code-server-alice']).not.toBe(ids['code-server-alice']);
    expect(now['code-server-bob']).toBe(ids['code-server-bob']);
  }, 300_000);

  it('a restart that fails says the new password is stored, and `phase containers` finishes the job', async () => {
    const old = exported.get('bob')!;
    await world.lab.exec('mv /etc/devenv/docker-compose.yml /etc/devenv/docker-compose.yml.away');
    const r = await ws.cli(['credentials', 'rotate', 'bob']);
    await world.lab.exec('mv /etc/devenv/docker-compose.yml.away /etc/devenv/docker-compose.yml');
    expect(r.code, describeResult(r)).toBe(1);
    expect(r.stderr).toContain("bob's new password is in Secrets Manager, but their container still takes the old one");
    expect(r.stderr).toContain('`devenv phase containers`');
    const rotated = await world.password(ws, 'bob');
    expect(rotated).not.toBe(old);
    expect((await world.login(await port('bob'), old)).status, 'the container still takes the old password').toBe(302);

    const fixed = await ws.cli(['phase', 'containers']);
    expect(fixed.code, describeResult(fixed)).toBe(0);
    expect((await world.login(await port('bob'), rotated)).status, 'bob with the new password').toBe(302);
    expect((await world.login(await port('bob'), old)).status, 'bob with the old password').toBe(200);
  }, 300_000);
});
