/**
 * The test phase against 8 real code-server containers on the lab host, behind the lab's TLS proxy
 * (./edge.ts) standing in for the load balancer, with moto for AWS. devenv runs as a child process
 * (`node bin/devenv.js`), trusting the proxy's test CA through NODE_EXTRA_CA_CERTS and reaching it
 * with `--resolve`. Target health is moto's: it reports a registered target of a running instance as
 * healthy without probing anything, so the target check fails here only when the target is gone
 * (deregistered); a stopped container shows in the container and HTTPS checks instead.
 */
import { PutSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { DeregisterTargetsCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { expect, it } from 'vitest';
import type { Workspace } from '../integration/moto.js';
import type { EdgeProxy } from './edge.js';
import { describeOnHost, useWorld, type World } from './world.js';

const developers = Array.from({ length: 8 }, (_, i) => `dev${i + 1}`);
const CHECKS = ['container', 'target', 'dns', 'certificate', 'http → https', 'login page', 'login', 'websocket'];

/** The table's rows: developer, check, result. */
function tableRows(stderr: string): { developer: string; check: string; result: string }[] {
  return stderr
    .split('\n')
    .map((l) => l.match(/^(\S+)\s{2,}(.+?)\s{2,}(ok|FAIL|WARN|skipped)\s{2,}/))
    .filter((m): m is RegExpMatchArray => m !== null)
    .map((m) => ({ developer: m[1]!, check: m[2]!, result: m[3]! }));
}

const failing = (stderr: string) =>
  tableRows(stderr)
    .filter((r) => r.result !== 'ok')
    .map((r) => `${r.developer} ${r.check} ${r.result}`)
    .sort();

describeOnHost('the test phase through a TLS proxy in front of real containers', () => {
  let world: World;
  let ws: Workspace;
  let edge: EdgeProxy;
  const devenv = (args: string[]) =>
    world.devenv(ws, [...args, '--resolve', edge.address], { NODE_EXTRA_CA_CERTS: edge.caFile });
  const rotated = 'Rotated0123456789abcdefXY';

  useWorld(async (started) => {
    world = started;
    ws = await world.workspace(developers);
    await world.provision(ws);
    edge = await world.startEdge(ws);
  });

  it('up ends with every check passing for all 8 developers', async () => {
    const r = await devenv(['up']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('✔ test done');
    expect(r.stderr).toContain('all 65 checks passed');
    const rows = tableRows(r.stderr);
    expect(rows).toContainEqual({ developer: '(host)', check: 'instance status', result: 'ok' });
    for (const d of developers) {
      expect(rows.filter((row) => row.developer === d).map((row) => `${row.check} ${row.result}`)).toEqual(
        CHECKS.map((c) => `${c} ok`),
      );
    }
    expect(r.stderr).toMatch(
      /dev1\s+certificate\s+ok\s+valid for dev1\.dev\.example\.com until \d{4}-\d\d-\d\d \(issued by devenv host lab test CA\)/,
    );
    expect(r.stderr).toMatch(/dev1\s+dns\s+ok\s+dev1\.dev\.example\.com aliases .*\(public DNS not asked: --resolve /);
  }, 600_000);

  it('without the test CA the certificate is not trusted, and nothing gets a login', async () => {
    const r = await world.devenv(ws, ['phase', 'test', '--resolve', edge.address]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/dev1\s+certificate\s+FAIL\s+not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
    expect(r.stderr).toMatch(/dev1\s+login\s+skipped/);
    expect(r.stderr).toContain('a private CA must be in NODE_EXTRA_CA_CERTS');
  }, 300_000);

  it('fails naming the developer, the check and what to look at; passes again after up', async () => {
    const { elbv2, route53, secrets } = await world.moto.clients();
    const state = await ws.state();
    // dev2: a password changed in Secrets Manager that the container does not have yet.
    await secrets.send(
      new PutSecretValueCommand({ SecretId: `${state.project}/dev2/password`, SecretString: rotated }),
    );
    // dev3: its container stopped.
    await world.lab.exec('docker stop code-server-dev3 >/dev/null');
    // dev5: the host taken out of its target group.
    await elbv2.send(
      new DeregisterTargetsCommand({
        TargetGroupArn: state.resources['tg/dev5'].id,
        Targets: [{ Id: state.resources.instance.id, Port: state.allocations.dev5.port }],
      }),
    );
    // dev7: its DNS record deleted.
    const records = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ws.zoneId }));
    const dev7 = records.ResourceRecordSets!.find((rr) => rr.Name === 'dev7.dev.example.com.' && rr.Type === 'A')!;
    await route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ws.zoneId,
        ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: dev7 }] },
      }),
    );

    const broken = await devenv(['phase', 'test']);
    expect(broken.code).toBe(1);
    expect(failing(broken.stderr)).toEqual(
      [
        'dev2 login FAIL',
        'dev2 websocket SKIPPED',
        'dev3 container FAIL',
        'dev3 login SKIPPED',
        'dev3 login page FAIL',
        'dev3 websocket SKIPPED',
        'dev5 target FAIL',
        'dev7 dns FAIL',
      ]
        .map((l) => l.replace('SKIPPED', 'skipped'))
        .sort(),
    );
    // The error names each failure with what to look at.
    expect(broken.stderr).toMatch(/error: 5 of \d+ checks failed:/);
    expect(broken.stderr).toMatch(
      /dev2 login: code-server refused the password from Secrets Manager → the secret dev2's password/,
    );
    expect(broken.stderr).toMatch(
      /dev3 container: code-server-dev3 exited.* → `docker logs code-server-dev3` on the host/,
    );
    expect(broken.stderr).toMatch(
      /dev3 login page: GET \/ answered 502.* → the load balancer cannot get an answer from the container/,
    );
    expect(broken.stderr).toMatch(
      /dev5 target: i-\w+:\d+ is not registered → `devenv up` \(alb phase\) registers the host/,
    );
    expect(broken.stderr).toMatch(
      /dev7 dns: no record for dev7\.dev\.example\.com in hosted zone Z\w+ → `devenv up` \(dns phase\) writes it/,
    );
    expect(broken.stderr).toContain('fix: Look at what each failed check names');

    const repaired = await devenv(['up']);
    expect(repaired.stderr).toContain('all 65 checks passed');
    expect(failing(repaired.stderr)).toEqual([]);
  }, 600_000);

  it('never shows a password, not even one that failed to log in', async () => {
    const passwords = await Promise.all(developers.map((d) => world.password(ws, d)));
    const written = [...ws.transcript, JSON.stringify(await ws.state())].join('\n');
    for (const secret of [...passwords, rotated]) expect(written.includes(secret), 'a password appears').toBe(false);
  });
});
