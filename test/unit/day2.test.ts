/**
 * The day-2 commands (`ssh`, `exec`, `logs`, `restart`) without a host: the command lines they hand
 * to the system's ssh (no secret in them), the choice of the log's source, what they refuse before
 * any AWS call (an unknown developer with the name meant, no host in the state, a container not
 * started, a bad --since), the spawn of ssh (its exit code and --grep), and the CloudWatch reads.
 */
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { CloudWatchLogsClient, FilterLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AwsClients, isMutating } from '../../src/aws/clients.js';
import { followLogEvents, FOLLOW_INTERVAL_MS, readLogEvents } from '../../src/aws/logs/events.js';
import { runSsh } from '../../src/commands/host-login.js';
import { containerLine, filterPatternFor, logSource } from '../../src/commands/logs.js';
import { keyLineOf } from '../../src/remote/host-key.js';
import type { Login } from '../../src/remote/connect.js';
import { dockerLogsCommand, execCommand, knownHostsText, sshArgv } from '../../src/remote/system-ssh.js';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { acquireLock } from '../../src/state/lock.js';
import { StateStore } from '../../src/state/store.js';
import type { Io } from '../../src/ui/io.js';
import { cli } from '../helpers/cli.js';
import { baseConfig, fakeClock, testContext } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

const hostKey = generateEd25519('host').publicKey.split(' ').slice(0, 2).join(' ');
const login: Login = {
  host: '198.51.100.7',
  port: 2222,
  user: 'ubuntu',
  privateKeyPath: '/home/me/.ssh/devenv.pem',
  instanceId: 'i-0123456789abcdef0',
  hostKey,
};

describe('the command lines handed to ssh', () => {
  it('log in with the recorded key, the one host key accepted (strictly), ssh.user and ssh.port', () => {
    const argv = sshArgv(login, '/tmp/devenv-ssh-x/known_hosts', { tty: true });
    const options = argv.flatMap((a, i) => (argv[i - 1] === '-o' ? [a] : []));
    expect(argv.slice(0, 8)).toEqual(['-F', '/dev/null', '-i', login.privateKeyPath, '-p', '2222', '-l', 'ubuntu']);
    expect(options).toEqual(
      expect.arrayContaining([
        'UserKnownHostsFile=/tmp/devenv-ssh-x/known_hosts',
        'GlobalKnownHostsFile=/dev/null',
        'StrictHostKeyChecking=yes',
        'HostKeyAlias=devenv-i-0123456789abcdef0',
        'HostKeyAlgorithms=ssh-ed25519',
        'IdentitiesOnly=yes',
        'BatchMode=yes',
        'UpdateHostKeys=no',
      ]),
    );
    // The host after `--`: an address that starts with "-" is never read as an option.
    expect(argv.slice(-3)).toEqual(['-t', '--', '198.51.100.7']);
    expect(sshArgv(login, 'kh', { tty: false, command: 'uptime; df -h' }).slice(-4)).toEqual([
      '-T',
      '--',
      '198.51.100.7',
      'uptime; df -h',
    ]);
    expect(sshArgv({ ...login, hostKey: 'ssh-rsa AAAA' }, 'kh', { tty: false })).toContain(
      'HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256',
    );
  });

  it('carry no secret: the key by its path, never its text', () => {
    const pair = generateEd25519('admin');
    const argv = sshArgv({ ...login, privateKeyPath: '/keys/admin.pem' }, 'kh', {
      tty: false,
      command: execCommand('alice', ['true'], { tty: false }),
    });
    const all = argv.join(' ');
    expect(all).toContain('/keys/admin.pem');
    expect(all).not.toContain('PRIVATE KEY');
    expect(all).not.toContain(pair.privateKey.split('\n')[1]);
    expect(all).not.toMatch(/password|HASHED/i);
  });

  it('file the accepted host key under the instance in known_hosts, as `<type> <base64>`', () => {
    const blob = Buffer.from(hostKey.split(' ')[1]!, 'base64');
    expect(keyLineOf(blob)).toBe(hostKey);
    expect(knownHostsText(login)).toBe(`devenv-i-0123456789abcdef0 ${hostKey}\n`);
  });

  it("exec runs the command's words as they are in the container, a login shell without one", () => {
    expect(execCommand('alice', ['sh', '-c', "echo 'a b' | wc -c"], { tty: false })).toBe(
      `sudo -n docker exec -i code-server-alice 'sh' '-c' 'echo '\\''a b'\\'' | wc -c'`,
    );
    expect(execCommand('bob', [], { tty: true })).toBe(
      "sudo -n docker exec -it code-server-bob 'sh' '-c' " +
        "'if command -v bash >/dev/null 2>&1; then exec bash -l; else exec sh -l; fi'",
    );
  });

  it("logs without CloudWatch reads Docker's log from --since on, following when asked", () => {
    expect(dockerLogsCommand('alice', { sinceS: 3600, follow: false })).toBe(
      'sudo -n docker logs --since 3600s code-server-alice',
    );
    expect(dockerLogsCommand('bob', { sinceS: 90, follow: true })).toBe(
      'sudo -n docker logs --since 90s --follow code-server-bob',
    );
  });
});

describe("where logs reads a developer's log", () => {
  it('CloudWatch once the monitoring phase recorded their group, else docker logs on the host', async () => {
    const ctx = await testContext('monitoring');
    const session = { state: ctx.state, model: ctx.model };
    expect(logSource(session, 'alice')).toEqual({ kind: 'host' });
    await ctx.state.setResource('logs/containers/alice', {
      kind: 'log group',
      phase: 'monitoring',
      id: '/aws/ec2/demo/containers/alice',
    });
    expect(logSource(session, 'alice')).toEqual({ kind: 'cloudwatch', group: '/aws/ec2/demo/containers/alice' });
    expect(logSource(session, 'bob')).toEqual({ kind: 'host' });
  });

  it("shows the container's own line from Docker's json-file record, anything else as it came", () => {
    expect(
      containerLine('{"log":"[info] HTTP server listening\\n","stream":"stdout","time":"2026-12-06T08:00:00Z"}'),
    ).toBe('[info] HTTP server listening');
    expect(containerLine('plain text')).toBe('plain text');
    expect(containerLine('{"other":1}')).toBe('{"other":1}');
  });

  it('narrows FilterLogEvents with a quoted term only for text JSON keeps as it is', () => {
    expect(filterPatternFor('HTTP server listening')).toBe('"HTTP server listening"');
    expect(filterPatternFor('GET /login 302')).toBe('"GET /login 302"');
    expect(filterPatternFor('say "hi"')).toBeUndefined();
    expect(filterPatternFor('a<b')).toBeUndefined(); // Docker writes < as \u003c
    expect(filterPatternFor(undefined)).toBeUndefined();
  });
});

describe('reading CloudWatch Logs', () => {
  const logs = sdkMock(CloudWatchLogsClient);
  beforeEach(() => resetSdkMocks());
  const aws = () => ({ aws: new AwsClients({ region: 'us-east-1' }) });

  it('reads every page of FilterLogEvents, oldest first', async () => {
    const pages = [
      { events: [{ eventId: '1', timestamp: 1, message: 'a' }], nextToken: 't1' },
      { events: [], nextToken: 't2' },
      { events: [{ eventId: '2', timestamp: 2, message: 'b' }] },
    ];
    // The paginator reuses one input object: what each call asked is copied when it is made.
    const asked: Record<string, unknown>[] = [];
    logs.on(FilterLogEventsCommand).callsFake((input) => {
      asked.push({ ...input });
      return pages[asked.length - 1];
    });
    const seen: string[] = [];
    await readLogEvents(aws(), { logGroupName: 'g', startTime: 0, filterPattern: '"a"' }, (e) => seen.push(e.message!));
    expect(seen).toEqual(['a', 'b']);
    expect(asked.map((c) => c.nextToken)).toEqual([undefined, 't1', 't2']);
    expect(asked[0]).toMatchObject({ logGroupName: 'g', startTime: 0, filterPattern: '"a"' });
    expect(isMutating('FilterLogEvents'), 'a read, for --verbose, the benchmark and the audit').toBe(false);
  });

  it('--follow reads again from the newest event every 5 s, showing each event once, until Ctrl-C', async () => {
    const controller = new AbortController();
    const rounds = [
      [
        { eventId: '1', timestamp: 10, message: 'one' },
        { eventId: '2', timestamp: 20, message: 'two' },
      ],
      [{ eventId: '2', timestamp: 20, message: 'two' }],
      [
        { eventId: '2', timestamp: 20, message: 'two' },
        { eventId: '3', timestamp: 20, message: 'three, same millisecond' },
        { eventId: '4', timestamp: 30, message: 'four' },
      ],
    ];
    let round = 0;
    logs.on(FilterLogEventsCommand).callsFake(() => {
      const events = rounds[round++] ?? [];
      if (round >= rounds.length) controller.abort();
      return { events };
    });
    const seen: string[] = [];
    const clock = fakeClock(1_000);
    await followLogEvents(aws(), { logGroupName: 'g', startTime: 5 }, (e) => seen.push(e.message!), {
      clock,
      signal: controller.signal,
    });
    expect(seen).toEqual(['one', 'two', 'three, same millisecond', 'four']);
    const starts = logs.commandCalls(FilterLogEventsCommand).map((c) => c.args[0].input.startTime);
    expect(starts).toEqual([5, 20, 20]);
    expect(clock.slept).toEqual([FOLLOW_INTERVAL_MS, FOLLOW_INTERVAL_MS, FOLLOW_INTERVAL_MS]);
  });
});

describe('the spawned ssh', () => {
  let path: string | undefined;
  beforeEach(() => {
    path = process.env.PATH;
    const bin = mkdtempSync(join(tmpdir(), 'devenv-fake-ssh-'));
    // A stand-in for ssh: prints its last argument's lines and exits with the code the test asks for.
    writeFileSync(
      join(bin, 'ssh'),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the shell's parameter expansion, not a template
      '#!/bin/sh\nfor last; do :; done\nprintf "%s\\n" "$last" | tr ";" "\\n"\necho on-stderr >&2\nexit "${FAKE_SSH_EXIT:-0}"\n',
    );
    chmodSync(join(bin, 'ssh'), 0o755);
    process.env.PATH = `${bin}:${path}`;
  });
  afterEach(() => {
    process.env.PATH = path;
    delete process.env.FAKE_SSH_EXIT;
  });
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    const sink = (to: string[]) =>
      new Writable({
        write(chunk, _e, done) {
          to.push(String(chunk));
          done();
        },
      });
    const streams: Io = { stdout: sink(out), stderr: sink(err), stdin: new PassThrough(), env: {}, isTTY: false };
    return { streams, out, err };
  };

  it("resolves ssh's exit code and copies its output", async () => {
    process.env.FAKE_SSH_EXIT = '7';
    const { streams, out, err } = io();
    expect(await runSsh(['-T', '--', 'host', 'a;b'], streams)).toBe(7);
    expect(out.join('')).toBe('a\nb\n');
    expect(err.join('')).toBe('on-stderr\n');
  });

  it('--grep keeps only the lines holding the text, on both streams', async () => {
    const { streams, out, err } = io();
    expect(await runSsh(['host', 'keep this;drop that;keep too'], streams, { keep: (l) => l.includes('keep') })).toBe(
      0,
    );
    expect(out.join('')).toBe('keep this\nkeep too\n');
    expect(err.join('')).toBe('');
  });
});

describe('what the day-2 commands refuse before any AWS call', () => {
  const workspace = async (o: { host?: boolean; containers?: string } = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-day2-'));
    const configPath = join(dir, 'devenv.config.json');
    const statePath = join(dir, 'devenv.state.json');
    writeFileSync(configPath, JSON.stringify(baseConfig));
    const state = await StateStore.open(statePath, { project: 'demo', region: 'us-east-1', account: '123456789012' });
    if (o.host) await state.setResource('instance', { kind: 'EC2 instance', phase: 'ec2', id: 'i-0123456789abcdef0' });
    if (o.containers) {
      await state.setPhase('containers', 'complete');
      await state.setOutputs('containers', { developers: o.containers });
    }
    await state.save();
    const devenv = (args: string[]) =>
      cli(['--config', configPath, '--state', statePath, ...args], {
        env: { ...process.env, CI: 'true', AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_MAX_ATTEMPTS: '1' },
      });
    return { devenv, statePath };
  };

  it('an unknown developer: exit 2 with the name meant', async () => {
    const { devenv } = await workspace({ host: true, containers: 'alice bob' });
    for (const args of [
      ['exec', 'alcie'],
      ['logs', 'alcie'],
      ['restart', 'alcie'],
      ['exec', 'bbo', '--', 'true'],
    ]) {
      const r = await devenv(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/no developer "(alcie|bbo)" in the config \(did you mean "(alice|bob)"\?\)/);
    }
  });

  it('no host in the state: exit 2 saying to run up', async () => {
    const { devenv } = await workspace();
    for (const args of [['ssh'], ['ssh', '--', 'uptime'], ['exec', 'alice'], ['restart', 'alice']]) {
      const r = await devenv(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/the state records no host yet|alice's container has not been started yet/);
      expect(r.stderr).toContain('devenv up');
    }
  });

  it('a developer whose container was never started: exit 2 (exec, logs from the host, restart)', async () => {
    const { devenv } = await workspace({ host: true, containers: 'alice' });
    for (const args of [
      ['exec', 'bob'],
      ['logs', 'bob'],
      ['restart', 'bob'],
    ]) {
      const r = await devenv(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toContain("bob's container has not been started yet");
    }
  });

  it('restart waits for no one: exit 3 while another run holds the lock; ssh and logs take none', async () => {
    const { devenv, statePath } = await workspace({ host: true, containers: 'alice bob' });
    const held = await acquireLock(statePath, 'up');
    try {
      const r = await devenv(['restart', 'alice']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain('devenv up');
      for (const args of [
        ['ssh', '--', 'true'],
        ['logs', 'alice'],
      ]) {
        const free = await devenv(args);
        expect(free.code, args.join(' ')).not.toBe(3);
        expect(free.stderr).not.toMatch(/lock/i);
      }
    } finally {
      await held.release();
    }
  });

  it('a --since that is no duration: exit 2', async () => {
    const { devenv } = await workspace({ host: true, containers: 'alice bob' });
    const r = await devenv(['logs', 'alice', '--since', 'yesterday']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--since: "yesterday" is not a duration');
  });
});
