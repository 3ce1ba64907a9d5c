/**
 * No secret value ever leaves Secrets Manager through devenv: each secret's real value is read back
 * from the emulator and searched for in everything devenv printed (plain, --verbose, --json, error
 * paths with stack traces), in the state file, in every file devenv wrote, in the instance's user
 * data and in the secrets' own descriptions and tags. Also: passwords are strong and survive reruns,
 * and the private key is written 0600 in a 0700 folder.
 *
 * moto stores the values but evaluates no IAM policy, so that the host's role can read this
 * project's secrets only is checked on the policy document (unit tests), not here.
 */
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { DescribeInstanceAttributeCommand, DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { DescribeSecretCommand, GetSecretValueCommand, ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { crashAfterCall } from './crash.js';
import { expectConverged, expectNoMutatingCalls } from './expect.js';
import { newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

const ENV_VAR = 'DEVENV_IT_ALICE_ANTHROPIC_KEY';
const fakeKey = () => `sk-ant-api03-${randomBytes(24).toString('base64url')}`;

/** Characters that break a shell word or a YAML scalar when a password is written into either. */
const HOSTILE = /[\s$`"'\\#:{}[\]&*!|>%@,?;<()~^=]/;

describeMoto('secret values never leave Secrets Manager', (moto) => {
  const aliceKey = fakeKey();
  beforeAll(() => {
    process.env[ENV_VAR] = aliceKey;
  });
  afterAll(() => {
    delete process.env[ENV_VAR];
  });

  async function secretValues(ws: Workspace): Promise<Map<string, string>> {
    const aws = await ws.moto.clients();
    const list = await aws.secrets.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));
    const values = new Map<string, string>();
    for (const s of list.SecretList ?? []) {
      if (s.DeletedDate) continue;
      const v = await aws.secrets.send(new GetSecretValueCommand({ SecretId: s.ARN }));
      values.set(s.Name!, v.SecretString!);
      // Nor in what anyone with secretsmanager:DescribeSecret / ListSecrets sees.
      const d = await aws.secrets.send(new DescribeSecretCommand({ SecretId: s.ARN }));
      expect(
        JSON.stringify({ d: d.Description, t: d.Tags, n: d.Name }),
        `${s.Name}'s description or tags hold its value`,
      ).not.toContain(v.SecretString!);
    }
    return values;
  }

  /** Every file under the workspace except the ones the test itself wrote as the user's key sources. */
  async function filesDevenvWrote(ws: Workspace, userFiles: string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const f of await readdir(ws.dir, { recursive: true, withFileTypes: true })) {
      const path = join(f.parentPath, f.name);
      if (!f.isFile() || userFiles.includes(path)) continue;
      out.set(path, await readFile(path, 'utf8'));
    }
    return out;
  }

  async function userData(ws: Workspace): Promise<string> {
    const aws = await ws.moto.clients();
    const reservations =
      (
        await aws.ec2.send(
          new DescribeInstancesCommand({ Filters: [{ Name: 'tag:devenv:resource', Values: ['instance'] }] }),
        )
      ).Reservations ?? [];
    const texts: string[] = [];
    for (const i of reservations.flatMap((r) => r.Instances ?? [])) {
      const attr = await aws.ec2.send(
        new DescribeInstanceAttributeCommand({ InstanceId: i.InstanceId, Attribute: 'userData' }),
      );
      const encoded = attr.UserData?.Value ?? '';
      texts.push(encoded, Buffer.from(encoded, 'base64').toString('utf8'));
    }
    return texts.join('\n');
  }

  it('is not printed, stored or written anywhere, whatever the output mode or the error', async () => {
    const ws = await newWorkspace(moto.server, {
      developers: ['alice', 'bob'],
      patch: (c) => {
        c.developers = [{ name: 'alice', anthropicApiKey: { env: ENV_VAR } }, 'bob'];
        c.instance.privateKeyPath = join(c.instance.privateKeyPath, '..', '..', 'fresh-keys', 'admin.pem');
      },
    });
    const keyFile = join(ws.dir, 'anthropic.key');
    let sharedKey = fakeKey();
    await writeFile(keyFile, `${sharedKey}\n`, { mode: 0o600 });
    await ws.editConfig((c) => (c.secrets = { ...c.secrets, anthropicApiKey: { file: keyFile } }));
    const privateKeyPath = (await ws.config()).instance.privateKeyPath as string;

    // A run that dies right after the first secret is made, with --verbose (stack traces on).
    const injector = crashAfterCall('secretsmanager:CreateSecret', 1);
    const crashed = await ws.cli(['up', '--verbose'], { hooks: [injector], signals: injector.signals });
    expect(crashed.code).not.toBe(0);

    const up = await ws.cli(['up']);
    expectConverged(up);
    await ws.cli(['up', '--verbose']);
    await ws.cli(['up', '--json']);
    const values = await secretValues(ws);
    const names = [...values.keys()].sort();
    expect(names).toEqual([
      'itest/alice/anthropic-api-key',
      'itest/alice/password',
      'itest/bob/anthropic-api-key',
      'itest/bob/password',
    ]);
    expect(values.get('itest/alice/anthropic-api-key')).toBe(aliceKey);
    expect(values.get('itest/bob/anthropic-api-key')).toBe(sharedKey);
    for (const name of names.filter((n) => n.endsWith('/password'))) {
      const password = values.get(name)!;
      expect(password.length, `${name} is too short`).toBeGreaterThanOrEqual(20);
      expect(password, `${name} has a shell- or YAML-hostile character`).not.toMatch(HOSTILE);
    }
    expect(new Set(values.values()).size, 'two secrets share a value').toBe(values.size);

    // A rerun never regenerates a password; a changed key source is synced, and that is not printed either.
    const rerun = await ws.cli(['up', '--verbose']);
    expectConverged(rerun);
    expectNoMutatingCalls(rerun, 'a converged up');
    const oldShared = sharedKey;
    sharedKey = fakeKey();
    await writeFile(keyFile, `${sharedKey}\n`);
    const rotated = await ws.cli(['up', '--verbose']);
    expectConverged(rotated);
    const after = await secretValues(ws);
    for (const [name, v] of values)
      if (name.endsWith('/password')) expect(after.get(name), `${name} was regenerated`).toBe(v);
    expect(after.get('itest/bob/anthropic-api-key'), 'the changed shared key was not synced').toBe(sharedKey);
    expect(rotated.calls.changed).toEqual(['secretsmanager:PutSecretValue']);

    for (const command of [
      ['status'],
      ['status', '--json'],
      ['status', '--verbose'],
      ['plan'],
      ['plan', '--json'],
      ['plan', '--offline'],
      ['plan', '--offline', '--json'],
    ]) {
      const r = await ws.cli(command);
      // Without a host, status exits 1 naming the host phases as not created yet (nothing else).
      expect(r.code, `${command.join(' ')}: ${r.stderr}`).toBe(command[0] === 'status' ? 1 : 0);
      if (command[0] === 'status') expect(r.stderr + r.stdout).toMatch(/phase storage not created yet/);
    }
    const destroyed = await ws.cli(['destroy', '--yes', '--verbose']);
    expect(destroyed.code, destroyed.stderr).toBe(0);
    const restored = await ws.cli(['up', '--json', '--verbose']);
    expectConverged(restored);
    const back = await secretValues(ws);
    for (const [name, v] of after) expect(back.get(name), `${name} changed across destroy and up`).toBe(v);

    const secrets = [...after.values(), aliceKey, sharedKey, oldShared, ...values.values()];
    const places = new Map<string, string>([
      ...ws.transcript.map((t, i): [string, string] => [`output #${i} of devenv`, t]),
      ...(await filesDevenvWrote(ws, [keyFile, join(ws.dir, '.env')])),
      ['the instance user data', await userData(ws)],
    ]);
    expect(places.has(ws.statePath), 'the state file was not searched').toBe(true);
    const leaks: string[] = [];
    for (const secret of new Set(secrets)) {
      for (const [where, text] of places) if (text.includes(secret)) leaks.push(`${secret.slice(0, 6)}… in ${where}`);
    }
    expect(leaks).toEqual([]);
    // The searched output is real: it holds what devenv did (so an empty transcript cannot pass for clean).
    expect(ws.transcript.join('\n')).toMatch(/secretsmanager CreateSecret/);

    expect((await stat(privateKeyPath)).mode & 0o777, 'private key mode').toBe(0o600);
    expect((await stat(join(privateKeyPath, '..'))).mode & 0o777, 'the folder devenv made for the key').toBe(0o700);
    expect(await readFile(privateKeyPath, 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    expect((await stat(ws.statePath)).mode & 0o777, 'state file mode').toBe(0o600);
    // Six runs of up, each through every phase now monitoring is built.
  }, 180_000);
});
