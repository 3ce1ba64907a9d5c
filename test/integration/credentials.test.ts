/**
 * `devenv credentials export` and `rotate` against moto: the files (modes, contents, formats, the
 * combined CSV), refusing to overwrite, one developer to stdout, bad names and missing secrets,
 * no password anywhere in what devenv printed, and the lock (export takes none, rotate takes it).
 *
 * Only the phases the passwords need run here (validate, secrets): there is no host, so `rotate`
 * changes the secret and says the container will get it from the next `up`. That the container is
 * restarted with it and the old password stops working is proven on a real host in
 * test/host/credentials.test.ts.
 */
import {
  DeleteSecretCommand,
  ListSecretVersionIdsCommand,
  PutSecretValueCommand,
} from '@aws-sdk/client-secrets-manager';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { renderCredential, renderCsv } from '../../src/secrets/credential-files.js';
import { acquireLock } from '../../src/state/lock.js';
import { expectNoAwsCalls, expectNoMutatingCalls } from './expect.js';
import { BASE_DOMAIN, describeResult, newWorkspace, PROJECT, type CliResult, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const DEVELOPERS = ['alice', 'bob', 'carol'];
const mode = async (path: string) => (await stat(path)).mode & 0o777;

describeMoto('credentials export and rotate', (moto) => {
  let ws: Workspace;
  /** Every password Secrets Manager has held for a developer in this file: none may appear where it should not. */
  const seen = new Set<string>();

  const password = async (developer: string): Promise<string> => {
    const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
    const { secrets } = await moto.server.clients();
    const value = (await secrets.send(new GetSecretValueCommand({ SecretId: `${PROJECT}/${developer}/password` })))
      .SecretString!;
    seen.add(value);
    return value;
  };
  const credential = async (developer: string) => ({
    developer,
    url: `https://${developer}.${BASE_DOMAIN}`,
    username: developer,
    password: await password(developer),
  });
  const expectNoSecretIn = (text: string, what: string) => {
    for (const secret of seen) expect(text.includes(secret), `a password appears in ${what}`).toBe(false);
  };
  const expectOk = (r: CliResult) => expect(r.code, describeResult(r)).toBe(0);
  /** What `--developer` printed on purpose: the only output allowed to hold a password. */
  const printedOnPurpose = new Set<string>();
  const exportOne = async (args: string[]) => {
    const r = await ws.cli(['credentials', 'export', ...args]);
    printedOnPurpose.add(r.stdout);
    return r;
  };

  beforeAll(async () => {
    ws = await newWorkspace(moto.server, { developers: DEVELOPERS });
    for (const phase of ['validate', 'secrets']) expectOk(await ws.cli(['phase', phase]));
  }, 60_000);

  it('writes one file per developer and a combined CSV, 0600 in a new 0700 folder, reading AWS only', async () => {
    const out = join(ws.dir, 'exported');
    const r = await ws.cli(['credentials', 'export', '--out', out, '--verbose']);
    expectOk(r);
    expectNoMutatingCalls(r, 'credentials export');
    expect(r.calls.read.filter((c) => c.startsWith('secretsmanager:'))).toEqual(['secretsmanager:BatchGetSecretValue']);
    expect(await mode(out)).toBe(0o700);
    expect((await readdir(out)).sort()).toEqual(['alice.txt', 'bob.txt', 'carol.txt', 'credentials.csv']);
    for (const name of await readdir(out)) expect(await mode(join(out, name)), name).toBe(0o600);
    const credentials = await Promise.all(DEVELOPERS.map(credential));
    for (const c of credentials)
      expect(await readFile(join(out, `${c.developer}.txt`), 'utf8')).toBe(renderCredential(c, 'txt'));
    expect(await readFile(join(out, 'credentials.csv'), 'utf8')).toBe(renderCsv(credentials));
    expect(r.stderr).toContain(`wrote the logins of 3 developers to ${out}`);
    expect(r.stderr).toContain('aws secretsmanager BatchGetSecretValue'); // --verbose shows the call, not what it returned
    expect(r.stdout).toBe('');
    expectNoSecretIn(r.stderr, 'the --verbose log');
    const json = await ws.cli(['credentials', 'export', '--out', out, '--force', '--json', '--verbose']);
    expectOk(json);
    expect(json.stdout).toContain('"type":"aws-call"');
    expectNoSecretIn(json.stdout + json.stderr, 'the --json output');
  });

  it('warns for each developer whose container does not exist yet (the containers phase has not started it)', async () => {
    const none = await ws.cli(['credentials', 'export', '--out', join(ws.dir, 'warned')]);
    expectOk(none);
    const warned = (r: CliResult) => [...r.stderr.matchAll(/warning: (\w+) has no container yet/g)].map((m) => m[1]);
    expect(warned(none), describeResult(none)).toEqual(DEVELOPERS);
    // As a completed containers phase records it: alice's and bob's containers were started, carol is new.
    const state = await ws.state();
    state.phases.containers = {
      status: 'complete',
      updatedAt: new Date().toISOString(),
      outputs: { developers: 'alice bob' },
    };
    await writeFile(ws.statePath, JSON.stringify(state), { mode: 0o600 });
    const some = await ws.cli(['credentials', 'export', '--out', join(ws.dir, 'warned'), '--force']);
    expectOk(some);
    expect(warned(some), describeResult(some)).toEqual(['carol']);
    delete state.phases.containers;
    await writeFile(ws.statePath, JSON.stringify(state), { mode: 0o600 });
  });

  it('refuses to replace any existing file without --force, naming it and writing nothing; --force replaces them all', async () => {
    const out = join(ws.dir, 'again');
    expectOk(await ws.cli(['credentials', 'export', '--out', out]));
    const before = await readFile(join(out, 'alice.txt'), 'utf8');
    await writeFile(join(out, 'bob.txt'), 'my own notes\n', { mode: 0o600 });
    const { secrets } = await moto.server.clients();
    await secrets.send(
      new PutSecretValueCommand({ SecretId: `${PROJECT}/alice/password`, SecretString: 'Changed0123456789abcdefGH' }),
    );
    seen.add('Changed0123456789abcdefGH');

    const refused = await ws.cli(['credentials', 'export', '--out', out]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `${join(out, 'alice.txt')}, ${join(out, 'bob.txt')}, ${join(out, 'carol.txt')}, ${join(out, 'credentials.csv')} already exist; nothing was written`,
    );
    expect(refused.stderr).toContain('--force');
    expectNoAwsCalls(refused);
    expect(await readFile(join(out, 'alice.txt'), 'utf8')).toBe(before);
    expect(await readFile(join(out, 'bob.txt'), 'utf8')).toBe('my own notes\n');

    const forced = await ws.cli(['credentials', 'export', '--out', out, '--force']);
    expectOk(forced);
    expect(await readFile(join(out, 'alice.txt'), 'utf8')).toBe(renderCredential(await credential('alice'), 'txt'));
    expect(await readFile(join(out, 'bob.txt'), 'utf8')).toBe(renderCredential(await credential('bob'), 'txt'));
    expect((await readdir(out)).sort(), 'no temp file left behind').toEqual([
      'alice.txt',
      'bob.txt',
      'carol.txt',
      'credentials.csv',
    ]);
    for (const name of await readdir(out)) expect(await mode(join(out, name)), name).toBe(0o600);
  });

  it('--format json and csv write <name>.json / <name>.csv with the same logins', async () => {
    const json = join(ws.dir, 'as-json');
    expectOk(await ws.cli(['credentials', 'export', '--out', json, '--format', 'json']));
    expect((await readdir(json)).sort()).toEqual(['alice.json', 'bob.json', 'carol.json', 'credentials.csv']);
    expect(JSON.parse(await readFile(join(json, 'carol.json'), 'utf8'))).toMatchObject(await credential('carol'));
    const csv = join(ws.dir, 'as-csv');
    expectOk(await ws.cli(['credentials', 'export', '--out', csv, '--format', 'csv']));
    expect(await readFile(join(csv, 'bob.csv'), 'utf8')).toBe(renderCsv([await credential('bob')]));
    const bad = await ws.cli(['credentials', 'export', '--out', csv, '--format', 'yaml']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/yaml.*Allowed choices are txt, json, csv/);
  });

  it('--developer prints that login alone to stdout, in each format, and writes no file', async () => {
    const before = await readdir(ws.dir);
    const txt = await exportOne(['--developer', 'bob']);
    expectOk(txt);
    expect(txt.stdout).toBe(renderCredential(await credential('bob'), 'txt'));
    expectNoSecretIn(txt.stderr, 'stderr of --developer');
    const json = await exportOne(['--developer', 'carol', '--format', 'json']);
    expect(JSON.parse(json.stdout).password).toBe(await password('carol'));
    const csv = await exportOne(['--developer', 'alice', '--format', 'csv']);
    expect(csv.stdout).toBe(renderCsv([await credential('alice')]));
    expect(await readdir(ws.dir)).toEqual(before);
  });

  it('an unknown developer is bad input with the name meant, before any AWS call', async () => {
    const r = await ws.cli(['credentials', 'export', '--developer', 'alcie']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no developer "alcie" in the config (did you mean "alice"?)');
    expect(r.stderr).toContain('fix: Use "alice".');
    expect(r.stdout).toBe('');
    expectNoAwsCalls(r);
    const rotate = await ws.cli(['credentials', 'rotate', 'bobb']);
    expect(rotate.code).toBe(2);
    expect(rotate.stderr).toContain('no developer "bobb" in the config (did you mean "bob"?)');
    expectNoAwsCalls(rotate);
  });

  it('a folder open to other users is refused, not changed', async () => {
    const open = join(ws.dir, 'shared');
    await mkdir(open, { mode: 0o755 });
    const r = await ws.cli(['credentials', 'export', '--out', open]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`--out ${open} is open to other users (mode 755)`);
    expect(r.stderr).toContain(`chmod 700 ${open}`);
    expect(await readdir(open)).toEqual([]);
    expect(await mode(open)).toBe(0o755);
  });

  it('export works while another run holds the state lock; rotate waits its turn (exit 3)', async () => {
    const lock = await acquireLock(ws.statePath, 'up');
    try {
      const exported = await exportOne(['--developer', 'alice']);
      expectOk(exported);
      const rotate = await ws.cli(['credentials', 'rotate', 'alice']);
      expect(rotate.code).toBe(3);
      expect(rotate.stderr).toContain('is locked by `devenv up`');
      expectNoAwsCalls(rotate);
    } finally {
      await lock.release();
    }
  });

  it('rotate stores a new password as one new version, never prints it, and says how to hand it over', async () => {
    const old = await password('carol');
    const r = await ws.cli(['credentials', 'rotate', 'carol', '--verbose']);
    expectOk(r);
    expect(r.calls.changed).toEqual(['secretsmanager:PutSecretValue']);
    const now = await password('carol');
    expect(now).not.toBe(old);
    expect(now).toMatch(/^[A-Za-z][A-Za-z0-9]{23}$/);
    const { secrets } = await moto.server.clients();
    const versions =
      (await secrets.send(new ListSecretVersionIdsCommand({ SecretId: `${PROJECT}/carol/password` }))).Versions ?? [];
    expect(versions).toHaveLength(2);
    // Without a host (the containers phase never ran), the container gets it from the next up.
    expect(r.stderr).toContain(
      "the containers phase has not started carol's container, so none was restarted: `devenv up` (or `devenv phase containers`) gives it the new password",
    );
    expect(r.stderr).toContain('devenv credentials export --developer carol');
    expectNoSecretIn(r.stdout + r.stderr, "rotate's output");
  });

  it('rotate logs in to the host before changing the password: a host it cannot reach changes nothing', async () => {
    // As after an `up` that started the containers: rotate must then restart one, so it needs the host.
    const state = await ws.state();
    state.phases.containers = {
      status: 'complete',
      updatedAt: new Date().toISOString(),
      outputs: { developers: DEVELOPERS.join(' ') },
    };
    await writeFile(ws.statePath, JSON.stringify(state));
    const before = await password('alice');
    const r = await ws.cli(['credentials', 'rotate', 'alice']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the state has no host to log in to');
    expect(r.calls.mutating).toEqual([]);
    expect(await password('alice')).toBe(before);
    delete state.phases.containers;
    await writeFile(ws.statePath, JSON.stringify(state));
  });

  it('a developer without a password secret is named, with `devenv up` as the fix; nothing is written', async () => {
    await ws.editConfig((c) => (c.developers = [...DEVELOPERS, 'dave']));
    const { secrets } = await moto.server.clients();
    await secrets.send(new DeleteSecretCommand({ SecretId: `${PROJECT}/bob/password`, RecoveryWindowInDays: 7 }));
    const out = join(ws.dir, 'incomplete');
    const r = await ws.cli(['credentials', 'export', '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`dave has no password secret ${PROJECT}/dave/password`);
    expect(r.stderr).toContain(`bob's password secret ${PROJECT}/bob/password is scheduled for deletion`);
    expect(r.stderr).toContain('nothing was written');
    expect(r.stderr).toContain(
      'fix: Run `devenv up`: it creates a missing password secret and restores one scheduled for deletion.',
    );
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
    const rotate = await ws.cli(['credentials', 'rotate', 'dave']);
    expect(rotate.code).toBe(1);
    expect(rotate.stderr).toContain(`dave has no password secret ${PROJECT}/dave/password to rotate`);
    expect(rotate.calls.mutating).toEqual([]);
  });

  it("no password appears in anything devenv printed in this file but --developer's stdout", () => {
    const printed = ws.transcript.filter((text) => !printedOnPurpose.has(text));
    expect(printed.length).toBeGreaterThan(20);
    expectNoSecretIn(printed.join('\n'), 'the output');
  });
});
