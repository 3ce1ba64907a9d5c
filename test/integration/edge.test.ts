/**
 * The edge against moto: the certificate, the load balancer and the developers' DNS records.
 * Without a host, `up` skips the phases that log in to it (storage, containers, test); cert, alb
 * and dns do not need them, so they converge.
 *
 * What moto 5.2.1 cannot show (docs/aws-behaviour.md#moto-differences; unit-tested in test/unit/edge-*.test.ts):
 * - an identical second CreateLoadBalancer/CreateListener makes a duplicate there (AWS returns
 *   the existing one), so these tests prove the lookups before each create, not AWS's idempotency;
 * - an HTTPS listener is accepted with a PENDING certificate, a target is healthy at once, any
 *   instance state can be registered, GetChange is INSYNC at once, and DELETE of a missing record
 *   succeeds;
 * - the ALB's CanonicalHostedZoneId is a placeholder, which the alias records then carry.
 */
import { unlink } from 'node:fs/promises';
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls, expectSameInventory } from './expect.js';
import { describeResult, newWorkspace } from './moto.js';
import { describeMoto } from './suite.js';

const edgeCalls = (calls: string[]) => calls.filter((c) => /^(acm|elbv2|route53):/.test(c));
const count = (items: string[] | undefined, pattern: RegExp) => (items ?? []).filter((i) => pattern.test(i)).length;
const NAMES = (n: number) => Array.from({ length: n }, (_, i) => `dev${i + 1}`);
/** Nine developers of 1 vCPU do not fit the default t3.2xlarge (validate refuses): reserve half a vCPU each. */
const halfCpu = (c: Record<string, any>) => (c.containers = { ...c.containers, cpuReservation: 0.5 });

describeMoto('the edge: cert, alb and dns', (moto) => {
  it('a clean up builds the edge as the config says; a second up makes no mutating call and reads one call per developer', async () => {
    const ws = await newWorkspace(moto.server, { developers: 8, patch: (c) => (c.alb = { idleTimeoutSeconds: 1800 }) });
    const first = await ws.cli(['up']);
    expectConverged(first);
    const inv = (await ws.inventory()).items;
    expect(inv['load balancer']).toEqual([
      'alb itest-alb internet-facing subnets=subnet/a,subnet/b sg=sg/alb idleTimeout=1800 http2=true dropInvalidHeaders=true preserveHost=true',
    ]);
    expect(inv.certificate).toEqual(['cert *.dev.example.com +dev.example.com ISSUED']);
    expect(inv.listener).toEqual([
      'listener/http alb:80 HTTP default=redirect HTTPS:443 HTTP_301',
      'listener/https alb:443 HTTPS ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09 cert default=fixed-response 404',
    ]);
    expect(inv['target group']?.filter((t) => t.startsWith('tg/'))).toHaveLength(8);
    expect(inv['target group']).toContain(
      'tg/dev1 itest-tg-dev1 HTTP port=8443 health=/healthz 30/5/2/3 targets=instance:8443',
    );
    expect(inv['listener rule']).toContain('rule/dev8 priority=8 host=dev8.dev.example.com → tg/dev8');
    // One validation CNAME: the wildcard and the apex share it.
    expect(count(inv['dns record'], / CNAME$/)).toBe(1);
    expect(count(inv['dns record'], / A alias → alb evaluateHealth=true$/)).toBe(8);

    const second = await ws.cli(['up']);
    expectConverged(second);
    expectNoMutatingCalls(second, 'a converged up');
    const reads = edgeCalls(second.calls.read);
    // One per developer (no `schedule`, so no wake page and no group of its own).
    expect(reads.filter((c) => c === 'elbv2:DescribeTargetHealth')).toHaveLength(8);
    // Everything else of the edge is read once for all developers (the HTTPS listener's attributes, HSTS, among them).
    expect(reads.filter((c) => c !== 'elbv2:DescribeTargetHealth').length).toBeLessThanOrEqual(11);
    expectSameInventory((await ws.inventory()).items, inv, 'after a second up');
  }, 120_000);

  it('a ninth developer gets a target group, rule and record; removing the third deletes only theirs; nothing else is touched', async () => {
    const ws = await newWorkspace(moto.server, { developers: NAMES(8), patch: halfCpu });
    expectConverged(await ws.cli(['up']));

    await ws.editConfig((c) => (c.developers = NAMES(9)));
    const added = await ws.cli(['up']);
    expectConverged(added, 'up with dev9');
    // The record (dns, after alb) and the rule (https, after alb and cert) may come in either order.
    expect(edgeCalls(added.calls.changed).filter((c) => c.startsWith('elbv2:'))).toEqual([
      'elbv2:CreateTargetGroup',
      'elbv2:ModifyTargetGroupAttributes',
      'elbv2:RegisterTargets',
      'elbv2:CreateRule',
    ]);
    expect(edgeCalls(added.calls.changed).filter((c) => !c.startsWith('elbv2:'))).toEqual([
      'route53:ChangeResourceRecordSets',
    ]);
    const nine = (await ws.inventory()).items;
    expect(nine['target group']).toContain(
      'tg/dev9 itest-tg-dev9 HTTP port=8451 health=/healthz 30/5/2/3 targets=instance:8451',
    );
    expect(nine['listener rule']).toContain('rule/dev9 priority=9 host=dev9.dev.example.com → tg/dev9');
    expect(nine['dns record']).toContain('dev9.dev.example.com. A alias → alb evaluateHealth=true');

    await ws.editConfig((c) => (c.developers = NAMES(9).filter((n) => n !== 'dev3')));
    const removed = await ws.cli(['up', '--yes']);
    expectConverged(removed, 'up without dev3');
    expect(edgeCalls(removed.calls.changed)).toEqual([
      'elbv2:DeleteRule',
      'elbv2:DeleteTargetGroup',
      'route53:ChangeResourceRecordSets',
    ]);
    const without = (await ws.inventory()).items;
    const notDev3 = (kind: string) => (nine[kind] ?? []).filter((i) => !/dev3\b/.test(i));
    for (const kind of ['target group', 'listener rule', 'dns record', 'listener', 'load balancer', 'certificate'])
      expect(without[kind], kind).toEqual(notDev3(kind));
    // dev9 kept the port and priority it was given: nobody was renumbered.
    expect(without['listener rule']).toContain('rule/dev9 priority=9 host=dev9.dev.example.com → tg/dev9');
    expectNoMutatingCalls(await ws.cli(['up']), 'a converged up after the removal');
  }, 180_000);

  it('with the state file deleted, up adopts the certificate, load balancer, listeners, rules, target groups and records and creates nothing', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    expectConverged(await ws.cli(['up']));
    const before = (await ws.inventory()).items;
    await unlink(ws.statePath);
    const r = await ws.cli(['up']);
    expectConverged(r, 'up without a state file');
    expect(edgeCalls(r.calls.mutating), 'the edge after a lost state').toEqual([]);
    expectSameInventory((await ws.inventory()).items, before, 'after adopting');
    const state = await ws.state();
    for (const id of ['cert', 'alb', 'listener/https', 'listener/http', 'tg/bob', 'rule/bob', 'record/bob'])
      expect(state.resources[id]?.id, id).toBeDefined();
  }, 120_000);

  it('a record devenv did not make is not overwritten without --take-over-dns, and is with it', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
    const aws = await moto.server.clients();
    await aws.route53.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: ws.zoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'bob.dev.example.com',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'old-server.example.net' }],
              },
            },
          ],
        },
      }),
    );
    const refused = await ws.cli(['up']);
    expect(refused.code, describeResult(refused)).toBe(1);
    expect(refused.stderr).toMatch(/bob\.dev\.example\.com \(CNAME old-server\.example\.net\)/);
    expect(refused.stderr).toMatch(/--take-over-dns/);
    const kept = (await ws.inventory()).items['dns record'] ?? [];
    expect(kept).toContain('bob.dev.example.com. CNAME');
    expect(kept.filter((r) => r.includes(' A alias'))).toEqual([]);

    const plan = await ws.cli(['plan', '--json']);
    const bob = (
      JSON.parse(plan.stdout.split('\n')[0]!) as { changes: { logicalId: string; detail?: string }[] }
    ).changes.find((c) => c.logicalId === 'record/bob');
    expect(bob?.detail).toMatch(/not devenv's: CNAME old-server\.example\.net/);

    const taken = await ws.cli(['up', '--take-over-dns', '--yes']);
    expectConverged(taken, 'up --take-over-dns');
    const records = (await ws.inventory()).items['dns record'] ?? [];
    expect(records).toContain('bob.dev.example.com. A alias → alb evaluateHealth=true');
    expect(records).not.toContain('bob.dev.example.com. CNAME');
  }, 120_000);

  it('destroy removes the records, validation CNAME, rules, listeners, target groups, load balancer and certificate; twice is fine', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    expectConverged(await ws.cli(['up']));
    const d = await ws.cli(['destroy', '--yes']);
    expect(d.code, describeResult(d)).toBe(0);
    const left = (await ws.inventory()).items;
    for (const kind of ['dns record', 'listener', 'listener rule', 'target group', 'load balancer', 'certificate'])
      expect(left[kind], kind).toBeUndefined();
    const again = await ws.cli(['destroy', '--yes']);
    expect(again.code, describeResult(again)).toBe(0);
    expect(edgeCalls(again.calls.changed)).toEqual([]);
  }, 120_000);
});
