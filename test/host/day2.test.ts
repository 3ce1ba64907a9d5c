/**
 * The day-2 commands against a real host (./lab.ts) with moto for AWS, on an environment whose
 * monitoring phase was skipped: `devenv ssh -- command` and `devenv exec <developer> -- command`
 * run there through the system's ssh and exit with the command's code, `devenv logs` falls back to
 * `docker logs` over SSH (and says so), `devenv restart` restarts that developer's container alone,
 * and a host whose key changed is refused before ssh runs.
 */
import { expect, it } from 'vitest';
import { describeResult, type CliResult, type Workspace } from '../integration/moto.js';
import { describeOnHost, useWorld, type World } from './world.js';

describeOnHost('the day-2 commands on a real host', () => {
  let world: World;
  let ws: Workspace;
  /** devenv with the global flags first: what follows `--` is the command. */
  const devenv = (args: string[]): Promise<CliResult> =>
    ws.cli(['--config', ws.configPath, '--state', ws.statePath, ...args], { bare: true });
  /** Each container's id, start time and health, by name. */
  const containers = async (): Promise<Record<string, { id: string; startedAt: string; health: string }>> => {
    const out = await world.lab.exec(
      'docker inspect --format "{{.Name}} {{.Id}} {{.State.StartedAt}} {{.State.Health.Status}}" $(docker ps -aq)',
    );
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => l.replace(/^\//, '').split(' '))
        .map(([name, id, startedAt, health]) => [name!, { id: id!, startedAt: startedAt!, health: health! }]),
    );
  };

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(['alice', 'bob']);
    await world.provision(ws);
    await world.up(ws, ['--skip', 'test,monitoring']);
  });

  it('ssh -- command runs it on the host as ssh.user and exits with its code', async () => {
    const r = await devenv(['ssh', '--', 'echo', 'on-the-host;', 'id', '-un;', 'exit', '7']);
    expect(r.code, describeResult(r)).toBe(7);
    expect(r.stdout).toBe('on-the-host\nubuntu\n');
    expect(r.calls.mutating).toEqual([]);
    // What the benchmark says of it: the host key is the config's here, so no console read.
    expect(r.calls.read).toEqual(['sts:GetCallerIdentity', 'ec2:DescribeInstances']);
    const sudo = await devenv(['ssh', '--', 'sudo', '-n', 'docker', 'ps', '--format', '{{.Names}}']);
    expect(sudo.code, describeResult(sudo)).toBe(0);
    expect(sudo.stdout.split('\n').sort()).toEqual(['', 'code-server-alice', 'code-server-bob']);
  }, 120_000);

  it("exec <developer> -- command runs in that developer's container, as its user, with its exit code", async () => {
    const r = await devenv(['exec', 'bob', '--', 'sh', '-c', 'echo "$HOME $(id -u)"; cat /etc/hostname; exit 3']);
    expect(r.code, describeResult(r)).toBe(3);
    const [home, hostname] = r.stdout.trim().split('\n');
    expect(home).toBe('/home/coder 1000');
    expect((await containers())['code-server-bob']!.id.startsWith(hostname!)).toBe(true);
    const typo = await devenv(['exec', 'bbo', '--', 'true']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('no developer "bbo" in the config (did you mean "bob"?)');
    expect(typo.calls.read, 'refused before any AWS call').toEqual([]);
  }, 120_000);

  it('logs without monitoring reads docker logs over SSH, says so, and keeps only the lines --grep names', async () => {
    const all = await devenv(['logs', 'alice']);
    expect(all.code, describeResult(all)).toBe(0);
    expect(all.stderr).toContain('reading `docker logs` on the host over SSH');
    expect(all.stdout).toContain('HTTP server listening on');
    expect(all.calls.read).toEqual(['sts:GetCallerIdentity', 'ec2:DescribeInstances']);
    const some = await devenv(['logs', 'alice', '--grep', 'HTTP server listening', '--since', '2h']);
    expect(some.code, describeResult(some)).toBe(0);
    const lines = some.stdout.trim().split('\n');
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toContain('HTTP server listening');
    expect((await devenv(['logs', 'alice', '--grep', 'no line says this'])).stdout).toBe('');
  }, 120_000);

  it("restart <developer> restarts only that developer's container and waits until it is healthy", async () => {
    const before = await containers();
    const r = await devenv(['restart', 'bob']);
    expect(r.code, describeResult(r)).toBe(0);
    expect(r.stderr).toContain('code-server-bob is healthy again');
    const after = await containers();
    expect(after['code-server-bob']!.id).toBe(before['code-server-bob']!.id);
    expect(after['code-server-bob']!.startedAt).not.toBe(before['code-server-bob']!.startedAt);
    expect(after['code-server-bob']!.health).toBe('healthy');
    expect(after['code-server-alice']).toEqual(before['code-server-alice']);
    expect(r.calls.mutating).toEqual([]);
    expect(r.calls.read).toEqual(['sts:GetCallerIdentity', 'ec2:DescribeInstances']);
  }, 300_000);

  it('refuses a host whose key changed, before ssh runs', async () => {
    await world.lab.stopSshd();
    await world.lab.newHostKey();
    await world.lab.startSshd();
    const r = await devenv(['ssh', '--', 'echo', 'should-not-run']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('but ssh.hostKeyFingerprint says');
    expect(r.stdout).toBe('');
  }, 120_000);
});
