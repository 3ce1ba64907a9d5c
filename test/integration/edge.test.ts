/**
 * The edge against moto: the certificate, the load balancer and the developers' DNS records.
 * `up` still stops at the phases not built yet (storage, containers, monitoring, test); cert, alb
 * and dns do not need them, so they converge.
 *
 * What moto 5.2.1 cannot show (AWS-NOTES §9; unit-tested in test/unit/edge-*.test.ts):
 * - an identical second CreateLoadBalancer/CreateListener makes a duplicate there (AWS returns
 *   the existing one), so these tests prove the lookups before each create, not AWS's idempotency;
 * - an HTTPS listener is accepted with a PENDING certificate, a target is healthy at once, any
 *   instance state can be registered, GetChange is INSYNC at once, and DELETE of a missing record
 *   succeeds;
 * - the ALB's CanonicalHostedZoneId is a placeholder, which the alias records then carry.
 */
import { expect, it } from 'vitest';
import { expectConverged, expectNoMutatingCalls } from './expect.js';
import { newWorkspace, describeResult } from './moto.js';
import { describeMoto } from './suite.js';

const edge = (calls: string[]) => calls.filter((c) => /^(acm|elbv2|route53):/.test(c));

describeMoto('the edge: cert, alb and dns', (moto) => {
  it('a clean up makes one certificate, one load balancer, a target group, rule and record per developer; a second up changes nothing', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    const first = await ws.cli(['up']);
    expectConverged(first);
    const inv = (await ws.inventory()).items;
    console.log(JSON.stringify(inv, null, 1), edge(first.calls.mutating));
    const second = await ws.cli(['up']);
    expectConverged(second);
    expectNoMutatingCalls(second);
    console.log(edge(second.calls.read));
    const d = await ws.cli(['destroy', '--yes']);
    expect(d.code, describeResult(d)).toBe(0);
    console.log(JSON.stringify((await ws.inventory()).items, null, 1));
  }, 120_000);
});
