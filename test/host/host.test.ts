/**
 * devenv against a real host (./lab.ts) with moto for AWS: `up` runs validate through containers
 * over SSH, and the tests check what a developer and an operator would notice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Workspace } from '../integration/moto.js';
import { labUnavailable } from './lab.js';
import { World } from './world.js';

const unavailable = labUnavailable();
if (unavailable && process.env.CI === 'true') throw new Error(`host lab: ${unavailable}`);

describe.skipIf(unavailable !== undefined)('devenv on a real host over SSH', () => {
  let world: World;
  let ws: Workspace;
  const port = async (name: string): Promise<number> => (await ws.state()).allocations[name].port;
  const fstabLines = async () => (await world.lab.exec('cat /etc/fstab')).split('\n').filter((l) => l.includes('/mnt/ebs-data'));

  beforeAll(async () => {
    world = await World.start();
    ws = await world.workspace(['alice', 'bob']);
    await world.provision(ws);
  }, 600_000);

  afterAll(async () => {
    await world?.stop();
  }, 120_000);

  it('up brings each developer a code-server that takes their own password and no one else\'s', async () => {
    const r = await world.up(ws);
    expect(r.stderr).toContain('[storage]');
    for (const [me, other] of [['alice', 'bob'], ['bob', 'alice']] as const) {
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
    expect(await world.lab.exec('stat -c "%u:%g %a" /mnt/ebs-data/alice/workspace /mnt/ebs-data/bob/ssh')).toBe('1000:1000 755\n1000:1000 700\n');
  }, 600_000);
});
