import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/load.js';
import { renderContainersScript, renderSecretsScript, secretsScriptValues } from '../../src/phases/containers.js';
import { renderStorageScript } from '../../src/phases/storage.js';
import { renderAgentScript } from '../../src/remote/cloudwatch-agent.js';
import { renderReleaseScript } from '../../src/remote/release.js';
import { loadTemplate } from '../../src/remote/templates.js';
import { renderIdleCheck } from '../../src/remote/idle-check.js';
import { renderTemplate } from '../../src/remote/templates.js';
import { baseConfig } from '../helpers/context.js';

const config = parseConfig(JSON.stringify({ ...baseConfig, developers: ['alice', 'bob'] }));
const model = buildModel(config);
/** alice with an Anthropic API key, bob without. */
const keyedModel = buildModel(
  parseConfig(
    JSON.stringify({ ...baseConfig, developers: [{ name: 'alice', anthropicApiKey: { env: 'ALICE_KEY' } }, 'bob'] }),
  ),
);

/** The secrets script with every path of it in `dir` and the files owned by whoever runs the test (as root on the host, uid 1000). */
async function localSecretsScript(dir: string, developerSecrets: string, prune = true): Promise<string> {
  return renderTemplate(await loadTemplate('developer-secrets.sh'), {
    ...secretsScriptValues(keyedModel, prune),
    SECRETS_DIR: join(dir, 'secrets'),
    API_KEYS_DIR: join(dir, 'api-keys'),
    KEY_LOADERS_DIR: join(dir, 'container'),
    CONTAINER_UID: String(process.getuid!()),
    DEVELOPER_SECRETS: developerSecrets,
  });
}
const hasShellcheck = spawnSync('shellcheck', ['--version']).status === 0;
const hasArgon2 = spawnSync('sh', ['-c', 'command -v argon2']).status === 0;
const underCi = process.env.CI === 'true';

const scripts = async () => ({
  'storage.sh': renderStorageScript(await loadTemplate('storage.sh'), model, 'vol-0123456789abcdef0', {
    mayFormat: true,
    reason: '',
  }),
  'developer-secrets.sh': renderSecretsScript(await loadTemplate('developer-secrets.sh'), keyedModel, true),
  'containers.sh': renderContainersScript(
    await loadTemplate('containers.sh'),
    model,
    false,
    '0b5c1e7a-1111-4222-8333-944445555666',
  ),
  'release-data-volume.sh': renderReleaseScript(await loadTemplate('release-data-volume.sh'), 'vol-0123456789abcdef0'),
  'cloudwatch-agent.sh': renderAgentScript(await loadTemplate('cloudwatch-agent.sh')),
  'idle-check.sh': renderIdleCheck(
    await loadTemplate('idle-check.sh'),
    buildModel(
      parseConfig(JSON.stringify({ ...baseConfig, schedule: { start: '08:00', stop: '20:00', idleStopMinutes: 30 } })),
    ),
  ),
});

describe('on-host scripts', () => {
  it('are rendered with every value shell-quoted', async () => {
    const s = await scripts();
    expect(s['storage.sh']).toContain("VOLUME_ID='vol-0123456789abcdef0'");
    expect(s['storage.sh']).toContain("DEVELOPERS='alice bob'");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: shell text, as the script has it
    expect(s['storage.sh']).toContain('nvme-Amazon_Elastic_Block_Store_${VOLUME_ID//-/}');
    expect(s['developer-secrets.sh']).toContain(
      "DEVELOPER_SECRETS='alice demo/alice/password demo/alice/anthropic-api-key\nbob demo/bob/password -'",
    );
    expect(s['developer-secrets.sh']).toContain("PRUNE='true'");
    expect(s['developer-secrets.sh']).toContain("AWS_REGION='us-east-1'");
    expect(s['containers.sh']).toContain("PURGE_REMOVED='false'");
    expect(s['containers.sh']).toContain("DATA_FILESYSTEM_UUID='0b5c1e7a-1111-4222-8333-944445555666'");
    expect(s['storage.sh']).toContain("MAY_FORMAT='true'");
    for (const text of Object.values(s)) expect(text).not.toMatch(/\{\{[A-Z0-9_]+\}\}/);
  });

  it.skipIf(!hasShellcheck && !underCi)(
    'pass shellcheck (skipped: shellcheck is not installed; CI installs it)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'devenv-scripts-'));
      for (const [name, text] of Object.entries(await scripts())) {
        writeFileSync(join(dir, name), text);
        const run = spawnSync('shellcheck', ['--severity=style', '--shell=bash', join(dir, name)], {
          encoding: 'utf8',
        });
        expect(run.stdout, name).toBe('');
        expect(run.status, name).toBe(0);
      }
    },
  );

  it('reads the device from the wait alone: its progress lines go to stderr', async () => {
    const s = (await scripts())['storage.sh'];
    const wait = s.slice(s.indexOf('find_device() {'), s.indexOf('# ---- the device: probe'));
    // The device appears on the third look (counted in a file: each look runs in a subshell); `find_device` and `sleep` are stubs.
    const run = spawnSync(
      'bash',
      [
        '-c',
        `set -euo pipefail
log() { echo "storage: $*"; }; fail() { echo "fail: $*"; exit 1; }
${wait}
looks="$(mktemp)"
find_device() { echo >>"$looks"; [ "$(wc -l <"$looks")" -ge 3 ] && echo /dev/nvme1n1; }
sleep() { :; }
VOLUME_ID=vol-1 DEVICE_WAIT_S=180
device="$(wait_for_device)"
echo "device=[$device]"`,
      ],
      { encoding: 'utf8' },
    );
    expect(run.stdout).toBe('device=[/dev/nvme1n1]\n');
    expect(run.stderr).toContain('storage: waiting for volume vol-1 to appear (0s)');
  });

  describe('the device probe: formats only when allowed by the state and certain the device is empty', () => {
    /**
     * The device section alone, with blockdev, dd, blkid, wipefs and mkfs.ext4 replaced by stubs:
     * what each look says → what happens. `mkfs.ext4` only echoes, so a run shows whether it would format.
     */
    async function probe(
      o: {
        mayFormat?: boolean;
        size?: string;
        ddFails?: string;
        ddShort?: boolean;
        blkidExit?: number;
        blkidOut?: string;
        blkidErr?: string;
        wipefs?: string;
        wipefsFails?: boolean;
      } = {},
    ) {
      const template = await loadTemplate('storage.sh');
      const s = renderStorageScript(
        template,
        model,
        'vol-1',
        o.mayFormat === false
          ? { mayFormat: false, reason: 'it was created from snapshot snap-1' }
          : { mayFormat: true, reason: '' },
      );
      const section = s.slice(s.indexOf('MIB=1048576'), s.indexOf('# Exactly one fstab line'));
      const head = s.slice(s.indexOf('VOLUME_ID='), s.indexOf('FSTAB='));
      const script = `set -euo pipefail
${head}
log() { echo "log: $*"; }; fail() { echo "fail: $*" >&2; exit 1; }
blockdev() { echo '${o.size ?? '8589934592'}'; }
dd() { ${o.ddFails ? `echo '${o.ddFails}' >&2; return 1` : o.ddShort ? 'head -c 4096 /dev/zero' : 'head -c 1048576 /dev/zero'}; }
blkid() { printf '%s' '${o.blkidOut ?? ''}'; ${o.blkidErr ? `echo '${o.blkidErr}' >&2;` : ''} return ${o.blkidExit ?? 2}; }
wipefs() { ${o.wipefsFails ? "echo 'wipefs: error: /dev/nvme1n1: probing initialization failed: Input/output error' >&2; return 1" : `printf '%s' '${o.wipefs ?? ''}'`}; }
mkfs.ext4() { echo "mkfs.ext4 $*"; }
${section}
ensure_filesystem /dev/nvme1n1
echo "formatted=$FORMATTED"`;
      return spawnSync('bash', ['-c', script], { encoding: 'utf8' });
    }

    it('formats a device every look finds empty, when the state allows it', async () => {
      const r = await probe();
      expect(r.stdout).toContain('mkfs.ext4 -q -L devenv-data /dev/nvme1n1');
      expect(r.stdout).toContain('formatted=made');
    });

    it('keeps a filesystem, and refuses other data, without formatting', async () => {
      const kept = await probe({ blkidExit: 0, blkidOut: 'TYPE=ext4\nUUID=1' });
      expect([kept.status, kept.stdout.includes('formatted=kept'), kept.stdout.includes('mkfs')]).toEqual([
        0,
        true,
        false,
      ]);
      for (const out of ['PTTYPE=gpt', 'TYPE_NOT=1']) {
        const r = await probe({ blkidExit: 0, blkidOut: out });
        expect([r.status, r.stdout.includes('mkfs')], out).toEqual([1, false]);
      }
    });

    it('never formats what the state does not allow, however empty it looks', async () => {
      const r = await probe({ mayFormat: false });
      expect(r.status).toBe(1);
      expect(r.stdout).not.toContain('mkfs');
      expect(r.stderr).toContain(
        '/dev/nvme1n1 (volume vol-1) looks empty, but devenv does not format it: it was created from snapshot snap-1. Nothing was written to it.',
      );
    });

    it('stops on any probe error, naming the device and the error; nothing formatted', async () => {
      const cases: [Parameters<typeof probe>[0], string][] = [
        // util-linux's blkid exits 2 on a device it cannot read, with nothing on stderr: only the read shows it.
        [
          { ddFails: 'dd: error reading /dev/nvme1n1: Input/output error' },
          'reading 1 MiB at byte 0 failed: dd: error reading /dev/nvme1n1: Input/output error',
        ],
        [{ ddShort: true }, 'reading 1 MiB at byte 0 returned 4096 bytes'],
        [{ size: '0' }, 'its size is 0 bytes (a volume still attaching?)'],
        [
          { blkidErr: 'blkid: error: /dev/nvme1n1: No such device or address' },
          'blkid -p: blkid: error: /dev/nvme1n1: No such device or address',
        ],
        [{ blkidExit: 8 }, 'blkid -p exited 8'],
        [{ blkidExit: 4, blkidErr: 'blkid: bad usage' }, 'blkid -p exited 4: blkid: bad usage'],
        [
          { wipefsFails: true },
          'wipefs --no-act: wipefs: error: /dev/nvme1n1: probing initialization failed: Input/output error',
        ],
      ];
      for (const [o, error] of cases) {
        const r = await probe(o);
        expect(r.status, JSON.stringify(o)).toBe(1);
        expect(r.stdout, JSON.stringify(o)).not.toContain('mkfs');
        expect(r.stderr, JSON.stringify(o)).toContain(
          `cannot tell what /dev/nvme1n1 (volume vol-1) holds: ${error}. Nothing was written to it.`,
        );
      }
      const signatures = await probe({ wipefs: 'DEVICE OFFSET TYPE UUID LABEL\nnvme1n1 0x438 ext4 1 x' });
      expect([signatures.status, signatures.stdout.includes('mkfs')]).toEqual([1, false]);
      expect(signatures.stderr).toContain('carries signatures blkid did not report');
    });
  });

  it('containers.sh starts nothing unless the recorded filesystem is what is mounted at the data mount', async () => {
    const s = (await scripts())['containers.sh'];
    const guard = s.slice(0, s.indexOf('# ---- end of guard ----'));
    const run = (findmnt: string, uuid: string) =>
      spawnSync(
        'bash',
        [
          '-c',
          `${guard.replace(
            /^set -euo pipefail$/m,
            `set -euo pipefail
findmnt() { ${findmnt}; }
blkid() { echo '${uuid}'; }`,
          )}
echo "docker compose up"`,
        ],
        { encoding: 'utf8' },
      );
    const ok = run("echo '/dev/nvme1n1'", '0b5c1e7a-1111-4222-8333-944445555666');
    expect([ok.status, ok.stdout]).toEqual([0, 'docker compose up\n']);
    const unmounted = run('return 1', '');
    expect([unmounted.status, unmounted.stdout]).toEqual([1, '']);
    expect(unmounted.stderr).toContain(
      'nothing is mounted at /mnt/ebs-data: the data volume (filesystem 0b5c1e7a-1111-4222-8333-944445555666) is not mounted; started nothing',
    );
    const other = run("echo '/dev/nvme2n1'", 'ffffffff-0000-4000-8000-000000000000');
    expect([other.status, other.stdout]).toEqual([1, '']);
    expect(other.stderr).toContain(
      "/mnt/ebs-data has /dev/nvme2n1 (filesystem ffffffff-0000-4000-8000-000000000000) mounted, not the data volume's filesystem 0b5c1e7a-1111-4222-8333-944445555666",
    );
  });

  it('keeps exactly one fstab line for the mount point, by UUID, with nofail, however often it runs', async () => {
    const s = (await scripts())['storage.sh'];
    const dir = mkdtempSync(join(tmpdir(), 'devenv-fstab-'));
    const fstab = join(dir, 'fstab');
    writeFileSync(
      fstab,
      'UUID=root / ext4 defaults 0 1\n/dev/nvme1n1 /mnt/ebs-data ext4 defaults 0 2\nUUID=old /mnt/ebs-data ext4 defaults,nofail 0 2\n',
    );
    const fn = s.slice(s.indexOf('ensure_fstab() {'), s.indexOf('ensure_mounted() {'));
    const run = () =>
      spawnSync(
        'bash',
        [
          '-c',
          `set -euo pipefail\nlog() { :; }\nsystemctl() { :; }\nDATA_MOUNT=/mnt/ebs-data\nFSTAB=${fstab}\n${fn}\nensure_fstab 1234-abcd ext4`,
        ],
        { encoding: 'utf8' },
      );
    for (let i = 0; i < 3; i++) expect(run().status).toBe(0);
    expect(readFileSync(fstab, 'utf8')).toBe(
      'UUID=root / ext4 defaults 0 1\nUUID=1234-abcd /mnt/ebs-data ext4 defaults,nofail 0 2\n',
    );
    const mtime = statSync(fstab).mtimeMs;
    run();
    expect(statSync(fstab).mtimeMs).toBe(mtime);
  });

  it.skipIf(!hasArgon2 && !underCi)(
    'hash each password on the host and rewrite an env file only when the password changed (skipped: argon2 is not installed)',
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'devenv-secrets-'));
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      // The AWS CLI stub answers with the password in <dir>/<secret id with / as _>.
      writeFileSync(
        join(bin, 'aws'),
        `#!/bin/sh\nwhile [ "$1" != --secret-id ]; do shift; done\ncat "${dir}/$(echo "$2" | tr / _)"\n`,
      );
      chmodSync(join(bin, 'aws'), 0o755);
      const script = await localSecretsScript(dir, 'alice demo/alice/password -\nbob demo/bob/password -');
      const setPassword = (who: string, pw: string) => writeFileSync(join(dir, `demo_${who}_password`), pw);
      const run = () =>
        spawnSync('bash', ['-c', script], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
      const env = (who: string) => readFileSync(join(dir, 'secrets', `${who}.env`), 'utf8');

      setPassword('alice', 'AlicePassw0rd1234567890x');
      setPassword('bob', 'BobPassw0rd1234567890xyz');
      const first = run();
      expect(first.status, first.stderr).toBe(0);
      expect(env('alice')).toMatch(/^HASHED_PASSWORD='\$argon2id\$v=19\$m=65536,t=3,p=1\$[^']+'\n$/);
      expect(statSync(join(dir, 'secrets', 'alice.env')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dir, 'secrets')).mode & 0o777).toBe(0o700);
      const before = { alice: env('alice'), bob: env('bob') };

      setPassword('bob', 'NewBobPassw0rd1234567890');
      const second = run();
      expect(second.status).toBe(0);
      expect(env('alice')).toBe(before.alice);
      expect(env('bob')).not.toBe(before.bob);
      const everything = [first.stdout, first.stderr, second.stdout, second.stderr, env('alice'), env('bob')].join(
        '\n',
      );
      for (const pw of ['AlicePassw0rd1234567890x', 'BobPassw0rd1234567890xyz', 'NewBobPassw0rd1234567890'])
        expect(everything).not.toContain(pw);
      // The hash verifies the password (what code-server does with HASHED_PASSWORD).
      const hash = env('bob').match(/'(.*)'/)![1]!;
      const salt = hash.split('$')[4]!;
      const again = spawnSync(
        'argon2',
        [Buffer.from(salt, 'base64').toString(), '-id', '-t', '3', '-m', '16', '-p', '1', '-e'],
        { input: 'NewBobPassw0rd1234567890', encoding: 'utf8' },
      );
      expect(again.stdout.trim()).toBe(hash);
    },
  );

  it.skipIf(!hasArgon2 && !underCi)(
    "puts each API key where only its developer's container reads it, renews it only when it changed, and removes it with the key",
    async () => {
      const dir = mkdtempSync(join(tmpdir(), 'devenv-secrets-'));
      const bin = join(dir, 'bin');
      mkdirSync(bin);
      writeFileSync(
        join(bin, 'aws'),
        `#!/bin/sh\nwhile [ "$1" != --secret-id ]; do shift; done\ncat "${dir}/$(echo "$2" | tr / _)"\n`,
      );
      chmodSync(join(bin, 'aws'), 0o755);
      const put = (id: string, value: string) => writeFileSync(join(dir, id.replaceAll('/', '_')), value);
      const run = async (lines: string, prune = true) => {
        const r = spawnSync('bash', ['-c', await localSecretsScript(dir, lines, prune)], {
          encoding: 'utf8',
          env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
        });
        expect(r.status, r.stderr).toBe(0);
        return r.stdout + r.stderr;
      };
      const keyFile = (who: string) => join(dir, 'api-keys', who, 'anthropic-api-key');
      const version = (who: string) => readFileSync(join(dir, 'secrets', `${who}.api-key-version`), 'utf8');
      const both =
        'alice demo/alice/password demo/alice/anthropic-api-key\nbob demo/bob/password demo/bob/anthropic-api-key';
      put('demo/alice/password', 'AlicePassw0rd1234567890x');
      put('demo/bob/password', 'BobPassw0rd1234567890xyz');
      put('demo/alice/anthropic-api-key', 'sk-ant-api03-ALICEKEY1');
      put('demo/bob/anthropic-api-key', 'sk-ant-api03-BOBKEY222');

      const outputs = [await run(both)];
      expect(readFileSync(keyFile('alice'), 'utf8')).toBe('sk-ant-api03-ALICEKEY1');
      expect(readFileSync(keyFile('bob'), 'utf8')).toBe('sk-ant-api03-BOBKEY222');
      expect(statSync(keyFile('alice')).mode & 0o777).toBe(0o400);
      expect(statSync(keyFile('alice')).uid).toBe(process.getuid!());
      expect(statSync(join(dir, 'api-keys')).mode & 0o777).toBe(0o700);
      expect(statSync(join(dir, 'secrets', 'alice.api-key-version')).mode & 0o777).toBe(0o600);
      expect(version('alice')).toMatch(/^DEVENV_API_KEY_VERSION=[0-9a-f]{24}\n$/);
      const profile = readFileSync(join(dir, 'container', 'anthropic-api-key.sh'), 'utf8');
      expect(statSync(join(dir, 'container', 'anthropic-api-key.sh')).mode & 0o777).toBe(0o644);
      // The profile script, run by a login shell in the container, exports the key from the mounted file.
      writeFileSync(join(dir, 'profile.sh'), profile.replaceAll('/run/devenv/anthropic-api-key', keyFile('alice')));
      const shell = spawnSync('sh', ['-c', `. '${join(dir, 'profile.sh')}'; printf %s "$ANTHROPIC_API_KEY"`], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH },
      });
      expect(shell.stdout).toBe('sk-ant-api03-ALICEKEY1');
      // So does the Node.js preload, for code-server and everything it starts.
      const preload = join(dir, 'preload.cjs');
      writeFileSync(
        preload,
        readFileSync(join(dir, 'container', 'anthropic-api-key.cjs'), 'utf8').replaceAll(
          '/run/devenv/anthropic-api-key',
          keyFile('bob'),
        ),
      );
      const node = spawnSync(process.execPath, ['-e', 'process.stdout.write(process.env.ANTHROPIC_API_KEY)'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH, NODE_OPTIONS: `--require ${preload}` },
      });
      expect(node.stdout).toBe('sk-ant-api03-BOBKEY222');

      // Unchanged: nothing rewritten, so Compose recreates nothing.
      const before = { alice: version('alice'), bob: version('bob') };
      outputs.push(await run(both));
      expect(version('alice')).toBe(before.alice);
      expect(version('bob')).toBe(before.bob);

      // bob's key rotated: his file and version change, alice's stay.
      put('demo/bob/anthropic-api-key', 'sk-ant-api03-BOBKEY333');
      outputs.push(await run(both));
      expect(readFileSync(keyFile('bob'), 'utf8')).toBe('sk-ant-api03-BOBKEY333');
      expect(version('bob')).not.toBe(before.bob);
      expect(version('alice')).toBe(before.alice);

      // `credentials rotate alice` (alice alone, no pruning) leaves bob's key; then alice loses her key in the config; then bob leaves.
      outputs.push(await run('alice demo/alice/password demo/alice/anthropic-api-key', false));
      expect(existsSync(keyFile('bob'))).toBe(true);
      outputs.push(await run('alice demo/alice/password -\nbob demo/bob/password demo/bob/anthropic-api-key'));
      expect(existsSync(join(dir, 'api-keys', 'alice'))).toBe(false);
      expect(existsSync(join(dir, 'secrets', 'alice.api-key-version'))).toBe(false);
      outputs.push(await run('alice demo/alice/password -'));
      expect(existsSync(join(dir, 'api-keys', 'bob'))).toBe(false);
      expect(existsSync(join(dir, 'secrets', 'bob.api-key-version'))).toBe(false);

      const printed = outputs.join('\n');
      expect(printed).toContain('bob: API key written to');
      for (const key of ['ALICEKEY1', 'BOBKEY222', 'BOBKEY333']) expect(printed).not.toContain(key);
    },
  );

  it('fails, naming the secret, when the instance role cannot read it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-secrets-'));
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'aws'), '#!/bin/sh\necho "An error occurred (AccessDeniedException)" >&2\nexit 254\n');
    chmodSync(join(bin, 'aws'), 0o755);
    const script = await localSecretsScript(dir, 'alice demo/alice/password -');
    const r = spawnSync('bash', ['-c', script], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('could not read secret demo/alice/password with the instance role');
  });
});

/**
 * storage.sh's part for the developers' homes, run on a temp folder as the data volume: chown is a
 * stub that records what it was asked (the test need not be root), everything else is real.
 */
describe("storage.sh: each developer's whole home on the data volume", () => {
  const homes = async () => {
    const s = (await scripts())['storage.sh'];
    return s.slice(s.indexOf("# Each developer's whole home"), s.indexOf('device="$(wait_for_device)"'));
  };
  /** `mv` is killed (the script stops, as a killed run would) right after its k-th rename when `killAfter` is set. */
  const runHomes = async (data: string, developers: string, killAfter = 0) =>
    spawnSync(
      'bash',
      [
        '-c',
        `set -euo pipefail
log() { echo "storage: $*"; }; fail() { echo "storage: $*" >&2; exit 1; }
chown() { echo "chown $*" >>"${data}/../chown.log"; }
moves=0
mv() { command mv "$@"; moves=$((moves + 1)); if [ "${killAfter}" -gt 0 ] && [ "$moves" -ge "${killAfter}" ]; then exit 137; fi; }
DATA_MOUNT=${data}
DEVELOPERS='${developers}'
DEVELOPER_UID=1000
${await homes()}
ensure_developer_homes`,
      ],
      { encoding: 'utf8' },
    );
  /** Every path under `dir` with its type, link target and (for a file) content. */
  const tree = (dir: string) =>
    spawnSync(
      'bash',
      [
        '-c',
        `cd "${dir}" && find . -printf '%p %y %l\\n' | sort && find . -type f -print0 | sort -z | xargs -0 -r grep -H ''`,
      ],
      { encoding: 'utf8' },
    ).stdout;
  const fresh = () => {
    const root = mkdtempSync(join(tmpdir(), 'devenv-homes-'));
    const data = join(root, 'data');
    mkdirSync(data);
    return { root, data };
  };
  /** alice as the layout before whole homes left her, with a link she planted where devenv used to write. */
  const legacyAlice = (data: string) => {
    const a = join(data, 'alice');
    for (const d of ['workspace/src', 'config/code-server', 'data/extensions/ms-python', 'ssh'])
      mkdirSync(join(a, d), { recursive: true });
    writeFileSync(join(a, 'workspace/src/main.py'), 'print("mine")\n');
    writeFileSync(join(a, 'config/code-server/config.yaml'), 'auth: password\n');
    writeFileSync(join(a, 'data/extensions/ms-python/package.json'), '{}\n');
    writeFileSync(join(a, 'data/.devenv-extensions'), 'ms-python.python\n');
    writeFileSync(join(a, 'ssh/id_ed25519'), 'KEY\n');
    writeFileSync(join(a, 'gitconfig'), '[user]\n\tname = Alice\n');
    spawnSync('ln', ['-s', '/etc', join(a, 'config/planted')]);
  };

  it('moves the folders of the layout before into the home, nothing lost, and a rerun changes nothing', async () => {
    const { data } = fresh();
    legacyAlice(data);
    const r = await runHomes(data, 'alice bob');
    expect(r.status, r.stderr).toBe(0);
    const home = join(data, 'alice/home');
    expect(readFileSync(join(home, 'workspace/src/main.py'), 'utf8')).toBe('print("mine")\n');
    expect(readFileSync(join(home, '.config/code-server/config.yaml'), 'utf8')).toBe('auth: password\n');
    expect(readFileSync(join(home, '.local/share/code-server/extensions/ms-python/package.json'), 'utf8')).toBe('{}\n');
    expect(readFileSync(join(home, '.ssh/id_ed25519'), 'utf8')).toBe('KEY\n');
    expect(readFileSync(join(home, '.gitconfig'), 'utf8')).toBe('[user]\n\tname = Alice\n');
    expect(spawnSync('readlink', [join(home, '.config/planted')], { encoding: 'utf8' }).stdout).toBe('/etc\n');
    // Only the home (and nothing of the old layout) is left in alice's folder, which is root's.
    expect(spawnSync('ls', ['-A', join(data, 'alice')], { encoding: 'utf8' }).stdout).toBe('home\n');
    const chowns = readFileSync(join(data, '../chown.log'), 'utf8');
    expect(chowns).toContain(`chown -h 0:0 ${join(data, 'alice')}\n`);
    // The folders made for the move become hers, in the new home before it is renamed into place.
    expect(chowns).toContain(`chown -h 1000:1000 ${join(data, 'alice/home.new/.local')}\n`);
    expect(chowns).toContain(`chown -h 1000:1000 ${join(data, 'alice/home.new/.local/share')}\n`);
    expect(
      chowns
        .split('\n')
        .filter(Boolean)
        .every((l) => l.startsWith('chown -h ')),
    ).toBe(true);
    expect(statSync(home).mode & 0o777).toBe(0o700);
    // bob is new: a home with a workspace and code-server's config.
    expect(readFileSync(join(data, 'bob/home/.config/code-server/config.yaml'), 'utf8')).toBe(
      'bind-addr: 0.0.0.0:8080\nauth: password\ncert: false\n',
    );
    expect(statSync(join(data, 'bob/home/workspace')).isDirectory()).toBe(true);

    const before = tree(data);
    const again = await runHomes(data, 'alice bob');
    expect(again.status, again.stderr).toBe(0);
    expect(tree(data)).toBe(before);
    expect(again.stdout).toBe('');
  });

  it('killed after any move, the next run ends with exactly what one run makes', async () => {
    const clean = fresh();
    legacyAlice(clean.data);
    expect((await runHomes(clean.data, 'alice')).status).toBe(0);
    const wanted = tree(clean.data);
    for (let k = 1; k <= 6; k++) {
      const { data } = fresh();
      legacyAlice(data);
      const killed = await runHomes(data, 'alice', k);
      expect(killed.status, `killed after move ${k}`).toBe(137);
      const rerun = await runHomes(data, 'alice');
      expect(rerun.status, rerun.stderr).toBe(0);
      expect(tree(data), `killed after move ${k}`).toBe(wanted);
    }
  });

  it('never writes through a link in an existing home: only a missing ~/workspace is made again', async () => {
    const { root, data } = fresh();
    expect((await runHomes(data, 'bob')).status).toBe(0);
    const outside = join(root, 'etc');
    mkdirSync(outside);
    writeFileSync(join(outside, 'sudoers'), 'root ALL=(ALL) ALL\n');
    const home = join(data, 'bob/home');
    spawnSync('bash', [
      '-c',
      `cd "${home}" && rm -rf .config workspace && ln -s "${outside}" .config && ln -s "${outside}/sudoers" .gitconfig && mkdir -p .local/share && ln -s "${outside}" .local/share/code-server`,
    ]);
    const before = tree(outside);
    const r = await runHomes(data, 'bob');
    expect(r.status, r.stderr).toBe(0);
    expect(tree(outside)).toBe(before);
    expect(statSync(join(home, 'workspace')).isDirectory()).toBe(true);
    expect(readFileSync(join(data, '../chown.log'), 'utf8')).toContain(`chown -h 1000:1000 ${home}/workspace\n`);
  });

  it('refuses a link where devenv keeps a folder, naming it, and follows none', async () => {
    const { root, data } = fresh();
    const outside = join(root, 'etc');
    mkdirSync(outside);
    spawnSync('ln', ['-s', outside, join(data, 'mallory')]);
    const r = await runHomes(data, 'mallory');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`storage: refused: ${join(data, 'mallory')} is a symbolic link (to ${outside})`);
    expect(spawnSync('ls', ['-A', outside], { encoding: 'utf8' }).stdout).toBe('');

    mkdirSync(join(data, 'eve'));
    spawnSync('ln', ['-s', outside, join(data, 'eve/home')]);
    const home = await runHomes(data, 'eve');
    expect(home.status).toBe(1);
    expect(home.stderr).toContain(
      `storage: refused: ${join(data, 'eve/home')} is not a folder but a symbolic link (to ${outside})`,
    );

    // A folder of the old layout that is a link is left where it is, named, and not followed.
    mkdirSync(join(data, 'carol'));
    spawnSync('ln', ['-s', outside, join(data, 'carol/ssh')]);
    const old = await runHomes(data, 'carol');
    expect(old.status, old.stderr).toBe(0);
    expect(old.stdout).toContain(
      `storage: refused: ${join(data, 'carol/ssh')} is a symbolic link (to ${outside}): not moved into carol's home`,
    );
    const rerun = await runHomes(data, 'carol');
    expect(rerun.stdout).toContain(`storage: refused: ${join(data, 'carol/ssh')} is a symbolic link (to ${outside})`);
    expect(spawnSync('ls', ['-A', outside], { encoding: 'utf8' }).stdout).toBe('');
    expect(readFileSync(join(data, '../chown.log'), 'utf8')).not.toContain(outside);
  });
});

/** containers.sh with `docker` a stub that logs its arguments, on a temp folder as the data volume. */
describe("containers.sh: the developers' homes", () => {
  const setup = async (purge: boolean, gatedDevelopers = '') => {
    const root = mkdtempSync(join(tmpdir(), 'devenv-containers-'));
    const data = join(root, 'data');
    const bin = join(root, 'bin');
    mkdirSync(bin);
    mkdirSync(data);
    // No gate container exists yet; every other container does.
    writeFileSync(
      join(bin, 'docker'),
      `#!/bin/sh\necho "docker $*" >>"${root}/docker.log"\ncase "$*" in "container inspect gate-"*) exit 1;; esac\n`,
    );
    chmodSync(join(bin, 'docker'), 0o755);
    // The data volume guard sees the recorded filesystem mounted.
    const uuid = '0b5c1e7a-1111-4222-8333-944445555666';
    writeFileSync(join(bin, 'findmnt'), '#!/bin/sh\necho /dev/nvme1n1\n');
    writeFileSync(join(bin, 'blkid'), `#!/bin/sh\necho ${uuid}\n`);
    for (const stub of ['findmnt', 'blkid']) chmodSync(join(bin, stub), 0o755);
    const script = renderTemplate(await loadTemplate('containers.sh'), {
      COMPOSE_PROJECT: 'devenv',
      COMPOSE_FILE: join(root, 'compose.yml'),
      SECRETS_DIR: join(root, 'secrets'),
      DATA_MOUNT: data,
      DEVELOPERS: 'alice bob',
      PURGE_REMOVED: String(purge),
      IMAGE: 'codercom/code-server:4.100.3',
      DEVELOPER_UID: '1000',
      DATA_FILESYSTEM_UUID: uuid,
      GATED_DEVELOPERS: gatedDevelopers,
    });
    const run = () =>
      spawnSync('bash', ['-c', script], {
        encoding: 'utf8',
        env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
      });
    const docker = () => {
      try {
        return readFileSync(join(root, 'docker.log'), 'utf8');
      } catch {
        return '';
      }
    };
    return { root, data, run, docker };
  };

  it("copies the image's home files into a new home once, as uid 1000 in a throw-away container, before starting anything", async () => {
    const { data, run, docker } = await setup(false);
    for (const who of ['alice', 'bob']) mkdirSync(join(data, who, 'home'), { recursive: true });
    const first = run();
    expect(first.status, first.stderr).toBe(0);
    const calls = docker()
      .split('\n')
      .filter((l) => l.startsWith('docker run') || l.includes(' up -d'));
    expect(calls).toHaveLength(3);
    expect(calls[0]).toContain(`--user 1000:1000`);
    expect(calls[0]).toContain(`--network none`);
    expect(calls[0]).toContain(`-v ${data}/alice/home:/devenv-home codercom/code-server:4.100.3`);
    expect(calls[2]).toContain('compose -p devenv');
    expect(statSync(join(data, 'alice/skeleton-copied')).isFile()).toBe(true);
    run();
    expect(docker().match(/docker run/g)).toHaveLength(2);
  });

  it('moves a running editor behind its new gate: its container goes before Compose starts the gate on the port it held', async () => {
    const { data, run, docker } = await setup(false, 'alice bob');
    for (const who of ['alice', 'bob']) mkdirSync(join(data, who, 'home'), { recursive: true });
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    const log = docker().split('\n');
    const up = log.findIndex((l) => l.includes(' up -d'));
    for (const who of ['alice', 'bob']) {
      const removed = log.indexOf(`docker rm -f code-server-${who}`);
      expect(removed, who).toBeGreaterThan(-1);
      expect(removed, who).toBeLessThan(up);
    }
    // Without gates, no editor is removed.
    const plain = await setup(false);
    for (const who of ['alice', 'bob']) mkdirSync(join(plain.data, who, 'home'), { recursive: true });
    expect(plain.run().status).toBe(0);
    expect(plain.docker()).not.toContain('rm -f');
  });

  it('refuses to mount a home that is a link or missing, before starting anything', async () => {
    const { root, data, run, docker } = await setup(false);
    mkdirSync(join(data, 'alice/home'), { recursive: true });
    mkdirSync(join(data, 'bob'));
    spawnSync('ln', ['-s', root, join(data, 'bob/home')]);
    const r = run();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`containers: refused: ${data}/bob/home is not a folder`);
    expect(docker()).not.toMatch(/docker run|docker compose/);
  });

  it("--purge-removed deletes a removed developer's folder, of either layout, and never follows a link", async () => {
    const { root, data, run } = await setup(true);
    for (const who of ['alice', 'bob']) mkdirSync(join(data, who, 'home'), { recursive: true });
    for (const d of ['carol/home/workspace', 'dave/workspace']) mkdirSync(join(data, d), { recursive: true });
    const outside = join(root, 'outside');
    mkdirSync(join(outside, 'home'), { recursive: true });
    spawnSync('ln', ['-s', outside, join(data, 'eve')]);
    const r = run();
    expect(r.status, r.stderr).toBe(0);
    expect(spawnSync('ls', [data], { encoding: 'utf8' }).stdout).toBe('alice\nbob\neve\n');
    expect(statSync(join(outside, 'home')).isDirectory()).toBe(true);
  });
});
