/**
 * The host's SSH key is verified, not trusted on first sight (issue 14 item 13), and an SSH that
 * cannot reach the host says why (issue 15 item 12). Logins go to a real SSH server in this
 * process (ssh2's), so the host key check runs in a real handshake; EC2 is faked.
 */
import { DescribeInstancesCommand, EC2Client, GetConsoleOutputCommand } from '@aws-sdk/client-ec2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { RunOptions } from '../../src/phases/types.js';
import { openLogin, openRemoteHost } from '../../src/remote/connect.js';
import { CONSOLE_WAIT_MS, expectedHostKey } from '../../src/remote/expected-key.js';
import {
  consoleFingerprints,
  fingerprintOf,
  type ExpectedHostKey,
  type HostKeyPin,
} from '../../src/remote/host-key.js';
import { diagnoseSsh } from '../../src/remote/reachability.js';
import { connectWithRetry, type ConnectOptions, type SshTarget } from '../../src/remote/ssh.js';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { fakeClock, testContext } from '../helpers/context.js';

const ec2 = sdkMock(EC2Client);
beforeEach(() => resetSdkMocks());

const ED = 'SHA256:Dk8bB4fYw1ZQ3LjCq8wT7vXn2rUaP0sKmE5gHhJiNoA';
const ECDSA = 'SHA256:qm6dZfJYc8vAq3WmR1nXo2sTbLkPe9uGh4yVw7iZ0aQ';
const RSA = 'SHA256:Q1w2E3r4T5y6U7i8O9p0AaSsDdFfGgHhJjKkLlZzXxC';

/** What an Ubuntu 22.04 instance prints at first boot: cloud-init's write-ssh-key-fingerprints through `logger --stderr -t ec2`. */
const UBUNTU_CONSOLE = [
  "[   10.512345] cloud-init[601]: Cloud-init v. 23.4.4-0ubuntu0~22.04.1 running 'modules:final' at Sun, 06 Dec 2026 01:50:02 +0000. Up 10.40 seconds.",
  '<14>Dec  6 01:52:13 ec2: ',
  '<14>Dec  6 01:52:13 ec2: #############################################################',
  '<14>Dec  6 01:52:13 ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
  `<14>Dec  6 01:52:13 ec2: 256 ${ECDSA} root@ip-10-0-1-5 (ECDSA)`,
  '[   131.077171] audit: type=1400 audit(1796003533.412:112): apparmor="STATUS" operation="profile_load"',
  `<14>Dec  6 01:52:13 ec2: 256 ${ED} root@ip-10-0-1-5 (ED25519)`,
  `<14>Dec  6 01:52:13 ec2: 3072 ${RSA} root@ip-10-0-1-5 (RSA)`,
  '<14>Dec  6 01:52:13 ec2: -----END SSH HOST KEY FINGERPRINTS-----',
  '<14>Dec  6 01:52:13 ec2: #############################################################',
  '-----BEGIN SSH HOST KEY KEYS-----',
  'ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBPx root@ip-10-0-1-5',
  '-----END SSH HOST KEY KEYS-----',
  '[  132.000000] cloud-init[601]: Cloud-init v. 23.4.4 finished at Sun, 06 Dec 2026 01:52:14 +0000. Datasource DataSourceEc2Local.  Up 132.00 seconds',
].join('\r\n');

const b64 = (text: string) => Buffer.from(text).toString('base64');

describe('the fingerprints on the console', () => {
  it('reads the SHA256 fingerprints between the BEGIN and END lines of a real first boot, CRLF and kernel lines among them', () => {
    expect(consoleFingerprints(UBUNTU_CONSOLE)).toEqual([ECDSA, ED, RSA]);
  });

  it('reads the plain `ec2: ` form of older loggers, and the first block when the console shows two', () => {
    const plain = [
      'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
      `ec2: 256 ${ED} root@host (ED25519)`,
      'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n');
    const later = plain.replace(ED, RSA);
    expect(consoleFingerprints(`${plain}\n${later}`)).toEqual([ED]);
  });

  it('finds nothing before the block is complete, nor in MD5-only output', () => {
    expect(consoleFingerprints('')).toEqual([]);
    expect(consoleFingerprints(UBUNTU_CONSOLE.split('-----END SSH HOST KEY FINGERPRINTS-----')[0]!)).toEqual([]);
    const md5 = [
      'ec2: -----BEGIN SSH HOST KEY FINGERPRINTS-----',
      'ec2: 2048 1f:2e:3d:4c:5b:6a:79:88:97:a6:b5:c4:d3:e2:f1:00 /etc/ssh/ssh_host_rsa_key.pub (RSA)',
      'ec2: -----END SSH HOST KEY FINGERPRINTS-----',
    ].join('\n');
    expect(consoleFingerprints(md5)).toEqual([]);
  });
});

describe('what the host key must match', () => {
  const context = async (ssh: Partial<ConfigInput['ssh']> = {}, options: RunOptions = {}, pin?: HostKeyPin) => {
    const ctx = await testContext('storage', { ssh: { adminCidr: '203.0.113.7/32', ...ssh } }, options);
    ctx.state.data.hostKey = pin;
    return ctx;
  };

  it('waits for the console to show the fingerprints, with progress, asking for the live console', async () => {
    ec2
      .on(GetConsoleOutputCommand)
      .resolvesOnce({ Output: b64('[    1.0] Linux version 6.5.0-1014-aws\n') })
      .resolves({ Output: b64(UBUNTU_CONSOLE) });
    const ctx = await context();
    expect(await expectedHostKey(ctx, 'i-0abc', 0, { wait: true })).toEqual({
      source: 'console',
      fingerprints: [ECDSA, ED, RSA],
    });
    expect(ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input)).toEqual([
      { InstanceId: 'i-0abc', Latest: true },
      { InstanceId: 'i-0abc', Latest: true },
    ]);
    expect(
      ctx.events.some(
        (e) =>
          e.type === 'progress' && /waiting for instance i-0abc to print its SSH host key fingerprints/.test(e.message),
      ),
    ).toBe(true);
  });

  it('falls back to the buffered output where the live console is refused (instance types not on Nitro)', async () => {
    const unsupported = Object.assign(new Error('The requested operation is not supported for this instance type'), {
      name: 'UnsupportedOperation',
      $fault: 'client',
    });
    ec2
      .on(GetConsoleOutputCommand)
      .callsFake((input: { Latest?: boolean }) =>
        input.Latest ? Promise.reject(unsupported) : { Output: b64(UBUNTU_CONSOLE) },
      );
    const ctx = await context();
    expect(await expectedHostKey(ctx, 'i-0abc', 0, { wait: true })).toMatchObject({ source: 'console' });
    expect(ec2.commandCalls(GetConsoleOutputCommand).map((c) => c.args[0].input.Latest)).toEqual([true, undefined]);
  });

  it('gives up when the console never shows them, within the bound after the launch, and says so', async () => {
    ec2.on(GetConsoleOutputCommand).resolves({ Output: b64('[    1.0] Linux version 6.5.0-1014-aws\n') });
    const ctx = await context();
    const expected = await expectedHostKey(ctx, 'i-0abc', 0, { wait: true });
    expect(expected.source).toBe('none');
    expect((expected as { why: string }).why).toMatch(
      /instance i-0abc has printed no SSH host key fingerprints on its console \(\d+m\d\ds after its launch/,
    );
    expect(ctx.clock.now()).toBeLessThanOrEqual(CONSOLE_WAIT_MS);
    expect(ctx.clock.now()).toBeGreaterThan(CONSOLE_WAIT_MS - 60_000);
  });

  it('reads once for a host launched long ago, and for a command that only reads', async () => {
    ec2.on(GetConsoleOutputCommand).resolves({ Output: '' });
    const old = await context();
    old.clock.sleep(CONSOLE_WAIT_MS * 3);
    expect((await expectedHostKey(old, 'i-0abc', 0, { wait: true })).source).toBe('none');
    expect((await expectedHostKey(await context(), 'i-0abc', 0, { wait: false })).source).toBe('none');
    expect(ec2.commandCalls(GetConsoleOutputCommand)).toHaveLength(2);
  });

  it('says so when these credentials may not read the console', async () => {
    ec2
      .on(GetConsoleOutputCommand)
      .rejects(Object.assign(new Error('You are not authorized'), { name: 'UnauthorizedOperation', $fault: 'client' }));
    const expected = await expectedHostKey(await context(), 'i-0abc', 0, { wait: true });
    expect(expected).toEqual({
      source: 'none',
      why: expect.stringContaining('ec2:GetConsoleOutput was refused (UnauthorizedOperation)'),
    });
  });

  it('takes ssh.hostKeyFingerprint first, then the pin of this instance; reads no console with ssh.host or --accept-new-host-key', async () => {
    expect(
      await expectedHostKey(
        await context({ hostKeyFingerprint: ED }, {}, { instanceId: 'i-0abc', fingerprint: RSA }),
        'i-0abc',
        0,
        { wait: true },
      ),
    ).toEqual({ source: 'config', fingerprints: [ED] });
    expect(
      await expectedHostKey(await context({}, {}, { instanceId: 'i-0abc', fingerprint: RSA }), 'i-0abc', 0, {
        wait: true,
      }),
    ).toEqual({ source: 'pin', fingerprints: [RSA] });
    const viaHost = await expectedHostKey(await context({ host: '192.0.2.10' }), 'i-0abc', 0, { wait: true });
    expect(viaHost).toEqual({
      source: 'none',
      why: expect.stringContaining('ssh.host is set (192.0.2.10) and ssh.hostKeyFingerprint is not'),
    });
    expect(
      (await expectedHostKey(await context({}, { acceptNewHostKey: true }), 'i-0abc', 0, { wait: true })).source,
    ).toBe('none');
    expect(ec2.commandCalls(GetConsoleOutputCommand)).toHaveLength(0);

    // The pin of a replaced instance is no proof for the new one: its console is read.
    ec2.on(GetConsoleOutputCommand).resolves({ Output: b64(UBUNTU_CONSOLE) });
    expect(
      (
        await expectedHostKey(await context({}, {}, { instanceId: 'i-0old', fingerprint: RSA }), 'i-0abc', 0, {
          wait: true,
        })
      ).source,
    ).toBe('console');
  });
});

// ----------------------------------------------------------------------------- a real SSH server

interface Ssh2Server {
  listen(port: number, host: string, cb: () => void): void;
  address(): AddressInfo;
  close(cb?: () => void): void;
}
type Ssh2Client = { on(event: string, listener: (...args: any[]) => void): void };
const { Server } = createRequire(import.meta.url)('ssh2') as {
  Server: new (config: { hostKeys: string[] }, onClient: (client: Ssh2Client) => void) => Ssh2Server;
};

/** An SSH server on 127.0.0.1 with a fresh ED25519 host key: it lets anyone in and answers every command with exit 100 (a host without cloud-init). */
async function sshServer(): Promise<{ port: number; fingerprint: string; close(): Promise<void> }> {
  const hostKey = generateEd25519('host');
  const fingerprint = fingerprintOf(Buffer.from(hostKey.publicKey.split(' ')[1]!, 'base64'));
  const server = new Server({ hostKeys: [hostKey.privateKey] }, (client) => {
    client.on('error', () => undefined);
    client.on('authentication', (auth: { accept(): void }) => auth.accept());
    client.on('ready', () =>
      client.on('session', (accept: () => Ssh2Client) => {
        accept().on('exec', (acceptExec: () => { exit(code: number): void; end(): void }) => {
          const channel = acceptExec();
          channel.exit(100);
          channel.end();
        });
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { port: server.address().port, fingerprint, close: () => new Promise<void>((r) => server.close(() => r())) };
}

/** A port where nothing listens: connections are refused at once. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('logging in checks the host key in the handshake', () => {
  let server: Awaited<ReturnType<typeof sshServer>>;
  beforeAll(async () => (server = await sshServer()));
  afterAll(async () => server.close());

  const clientKey = generateEd25519('devenv').privateKey;
  const target = (): SshTarget => ({
    host: '127.0.0.1',
    port: server.port,
    user: 'ubuntu',
    privateKey: clientKey,
    instanceId: 'i-0abc',
  });
  const login = async (expected: ExpectedHostKey, acceptNewHostKey = false) => {
    const saved: { pin: HostKeyPin; why: string }[] = [];
    const o: ConnectOptions = {
      clock: fakeClock(),
      signal: new AbortController().signal,
      expected,
      acceptNewHostKey,
      savePin: async (pin, why) => void saved.push({ pin, why }),
      progress: () => undefined,
      warn: () => undefined,
    };
    const result = await connectWithRetry(target(), o).then(
      (ssh) => ssh.dispose(),
      (err: unknown) => err,
    );
    return { err: result as DevenvError | undefined, saved };
  };

  it('pins a key that matches what the instance printed on its console', async () => {
    const { err, saved } = await login({ source: 'console', fingerprints: [ECDSA, server.fingerprint] });
    expect(err).toBeUndefined();
    expect(saved).toEqual([
      {
        pin: { instanceId: 'i-0abc', fingerprint: server.fingerprint },
        why: 'it matches what the instance printed on its console at first boot',
      },
    ]);
  });

  it('stops at a key the console does not show: a possible man-in-the-middle, with what to do', async () => {
    const { err, saved } = await login({ source: 'console', fingerprints: [ECDSA, ED] });
    expect(err).toBeInstanceOf(DevenvError);
    expect(err!.message).toBe(
      `the SSH host key of 127.0.0.1 (instance i-0abc) is ${server.fingerprint}, but at first boot the instance printed ${ECDSA}, ${ED} on its console: ` +
        'someone may be impersonating the host (a man-in-the-middle), so devenv did not log in',
    );
    expect(err!.remedy).toContain('aws ec2 get-console-output --instance-id i-0abc --latest --output text');
    expect(saved).toEqual([]);
  });

  it('stops when nothing vouches for the key, naming --accept-new-host-key; with it, trusts and pins the key', async () => {
    const never = {
      source: 'none',
      why: 'instance i-0abc has printed no SSH host key fingerprints on its console (20m00s after its launch)',
    } as const;
    const refused = await login(never);
    expect(refused.err!.message).toBe(
      `devenv cannot verify the SSH host key of 127.0.0.1 (instance i-0abc): it is ${server.fingerprint}, but ${never.why}`,
    );
    expect(refused.err!.remedy).toContain('run again with --accept-new-host-key');
    expect(refused.saved).toEqual([]);

    const accepted = await login(never, true);
    expect(accepted.err).toBeUndefined();
    expect(accepted.saved).toEqual([
      { pin: { instanceId: 'i-0abc', fingerprint: server.fingerprint }, why: '--accept-new-host-key' },
    ]);
  });

  it('refuses a key that differs from the pin or from ssh.hostKeyFingerprint; keeps a pinned key without recording it again', async () => {
    expect((await login({ source: 'pin', fingerprints: [ED] })).err!.message).toMatch(
      /^the SSH host key of 127\.0\.0\.1 \(instance i-0abc\) changed: it was SHA256:Dk8b\S+, it is now SHA256:/,
    );
    expect((await login({ source: 'config', fingerprints: [ED] })).err!.message).toContain(
      `but ssh.hostKeyFingerprint says ${ED}`,
    );
    expect(await login({ source: 'pin', fingerprints: [server.fingerprint] })).toEqual({ err: undefined, saved: [] });
  });
});

describe('logging in through openRemoteHost', () => {
  let server: Awaited<ReturnType<typeof sshServer>>;
  beforeAll(async () => (server = await sshServer()));
  afterAll(async () => server.close());

  const keyPath = join(mkdtempSync(join(tmpdir(), 'devenv-hostkey-')), 'admin.pem');
  writeFileSync(keyPath, generateEd25519('devenv').privateKey, { mode: 0o600 });

  const running = (state = 'running') =>
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0abc',
              State: { Name: state as 'running' },
              PublicIpAddress: '198.51.100.20',
              LaunchTime: new Date(0),
              SecurityGroups: [{ GroupId: 'sg-0host', GroupName: 'demo-host' }],
            },
          ],
        },
      ],
    });

  const context = async (ssh: Partial<ConfigInput['ssh']>, options: RunOptions = {}) => {
    const ctx = await testContext(
      'storage',
      {
        ssh: { adminCidr: '203.0.113.7/32', host: '127.0.0.1', port: server.port, ...ssh },
        instance: { amiId: 'ami-0123456789abcdef0', privateKeyPath: keyPath },
      },
      options,
    );
    await ctx.state.setResource('instance', { kind: 'EC2 instance', phase: 'ec2', id: 'i-0abc' });
    return ctx;
  };

  it('with ssh.host and no ssh.hostKeyFingerprint, logs in only with --accept-new-host-key, and pins the key then', async () => {
    running();
    const refused = await openRemoteHost(await context({}), () => undefined, { recordPin: true }).catch(
      (e: unknown) => e as DevenvError,
    );
    expect(refused).toBeInstanceOf(DevenvError);
    expect((refused as DevenvError).message).toContain('ssh.host is set (127.0.0.1) and ssh.hostKeyFingerprint is not');
    expect((refused as DevenvError).remedy).toContain('--accept-new-host-key');

    const ctx = await context({}, { acceptNewHostKey: true });
    (await openRemoteHost(ctx, () => undefined, { recordPin: true })).close();
    expect(ctx.state.data.hostKey).toEqual({ instanceId: 'i-0abc', fingerprint: server.fingerprint });
    expect(ec2.commandCalls(GetConsoleOutputCommand)).toHaveLength(0);
  });

  it('with ssh.hostKeyFingerprint, logs in when the host shows that key and pins it', async () => {
    running();
    const ctx = await context({ hostKeyFingerprint: server.fingerprint });
    (await openRemoteHost(ctx, () => undefined, { recordPin: true })).close();
    expect(ctx.state.data.hostKey).toEqual({ instanceId: 'i-0abc', fingerprint: server.fingerprint });
    expect(ctx.events.some((e) => e.type === 'step' && e.message.includes('it matches ssh.hostKeyFingerprint'))).toBe(
      true,
    );
  });

  it('openLogin says where it logged in and hands back the key it accepted, whole (what devenv ssh gives ssh)', async () => {
    running();
    const ctx = await context({ hostKeyFingerprint: server.fingerprint });
    const { remote, login } = await openLogin(ctx, () => undefined, { recordPin: false, firstBoot: false });
    remote.close();
    const [type, blob] = login.hostKey.split(' ');
    expect(type).toBe('ssh-ed25519');
    expect(fingerprintOf(Buffer.from(blob!, 'base64'))).toBe(server.fingerprint);
    expect(login).toMatchObject({ host: '127.0.0.1', port: server.port, user: 'ubuntu', instanceId: 'i-0abc' });
    expect(login.privateKeyPath).toBe(keyPath);
    expect(ctx.state.data.hostKey, 'a read-only login records no pin').toBeUndefined();

    // `devenv ssh --accept-new-host-key` where nothing vouches for the key: this login only, still no pin.
    const unvouched = await context({}, { acceptNewHostKey: true });
    const accepted = await openLogin(unvouched, () => undefined, { recordPin: false, firstBoot: false });
    accepted.remote.close();
    expect(accepted.login.hostKey).toBe(login.hostKey);
    expect(unvouched.state.data.hostKey).toBeUndefined();
  });

  it('gives up after ssh.connectTimeout, having said at the first failure what it found', async () => {
    running();
    const ctx = await context({ port: await closedPort(), connectTimeout: 30, hostKeyFingerprint: ED });
    const err = (await openRemoteHost(ctx, () => undefined, { recordPin: true }).catch(
      (e: unknown) => e,
    )) as DevenvError;
    expect(err.message).toMatch(
      /^could not connect to ubuntu@127\.0\.0\.1:\d+ over SSH in 30s \(6 attempts\): .*ECONNREFUSED/,
    );
    expect(err.message).toContain('instance i-0abc is running');
    expect(err.remedy).toContain('(ssh.host, ssh.port) leads to the host');
    const warnings = ctx.events.filter((e) => e.type === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      message: expect.stringMatching(
        /^SSH to ubuntu@127\.0\.0\.1:\d+ failed \(.*ECONNREFUSED.*\): the address tried is 127\.0\.0\.1:\d+ \(ssh\.host\)/,
      ),
    });
  });
});

describe('why SSH cannot reach the host', () => {
  const target: SshTarget = { host: '198.51.100.20', port: 22, user: 'ubuntu', privateKey: '', instanceId: 'i-0abc' };
  const host = (state: string) =>
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0abc',
              State: { Name: state as 'running' },
              SecurityGroups: [{ GroupId: 'sg-0host', GroupName: 'demo-host' }],
            },
          ],
        },
      ],
    });
  const context = async (publicAddress?: () => Promise<string | undefined>, ssh: Partial<ConfigInput['ssh']> = {}) => {
    const ctx = await testContext('storage', { ssh: { adminCidr: '203.0.113.0/24', ...ssh } });
    ctx.dns = { ...ctx.dns, publicAddress };
    return ctx;
  };

  it("names this machine's address outside the admin CIDR, the security group and the address tried, and the fix", async () => {
    host('running');
    const why = await diagnoseSsh(await context(async () => '198.51.100.9'), target);
    expect(why.facts).toEqual([
      "the address tried is 198.51.100.20:22 (the host's public IP address)",
      'instance i-0abc is running',
      'its security group sg-0host (demo-host) lets port 22 in from 203.0.113.0/24 only (ssh.adminCidrs)',
      "this machine's public address 198.51.100.9 is outside 203.0.113.0/24",
    ]);
    expect(why.remedy).toMatch(/^add 198\.51\.100\.9\/32 .* to ssh\.adminCidrs .* run `devenv phase sg`/);
  });

  it('looks at the host itself when this machine is admitted; says so when its address cannot be learnt', async () => {
    host('running');
    const inside = await diagnoseSsh(await context(async () => '203.0.113.77'), target);
    expect(inside.facts.at(-1)).toBe("this machine's public address 203.0.113.77 is inside 203.0.113.0/24");
    expect(inside.remedy).toContain('look at the host itself');
    const unknown = await diagnoseSsh(await context(async () => undefined), target);
    expect(unknown.facts.at(-1)).toMatch(/public address could not be learnt/);
    expect(unknown.remedy).toContain('curl https://checkip.amazonaws.com');
    expect((await diagnoseSsh(await context(undefined), target)).facts.at(-1)).toMatch(/could not be learnt/);
  });

  it("names a host that is not running and says to run up, without asking for this machine's address", async () => {
    host('stopped');
    let asked = false;
    const why = await diagnoseSsh(
      await context(async () => {
        asked = true;
        return '198.51.100.9';
      }),
      target,
    );
    expect(why.facts).toContain('instance i-0abc is stopped');
    expect(why.remedy).toMatch(/^run `devenv up`/);
    expect(asked).toBe(false);
  });

  it('with ssh.host, points at the bastion or tunnel: the security group does not see this machine', async () => {
    host('running');
    let asked = false;
    const why = await diagnoseSsh(
      await context(
        async () => {
          asked = true;
          return '198.51.100.9';
        },
        { host: 'bastion.example.com' },
      ),
      { ...target, host: 'bastion.example.com' },
    );
    expect(why.facts[0]).toBe('the address tried is bastion.example.com:22 (ssh.host)');
    expect(why.remedy).toContain('bastion.example.com:22 (ssh.host, ssh.port) leads to the host');
    expect(asked).toBe(false);
  });
});
