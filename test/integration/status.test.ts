/**
 * `devenv status` as a check against moto: exit 0 after a clean `up`, exit 1 naming each breakage
 * (a developer's DNS record deleted, a target deregistered, a listener rule changed, a security
 * group deleted) and 0 again once `up` has repaired it; its AWS reads grow by at most one per
 * developer (8 and 50 developers), and it makes no mutating call.
 *
 * The host phases (storage, containers, test) are left out here, as in every moto test: status
 * names each as not created yet (a problem: it exits 1 for them alone), and their rows say `pending`.
 */
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53';
import { DeleteSecurityGroupCommand } from '@aws-sdk/client-ec2';
import { DeregisterTargetsCommand, ModifyRuleCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import {
  expectConverged,
  expectHostPhasesPendingOnly,
  expectNoMutatingCalls,
  HOST_PHASES,
  statusJson,
  type StatusJson,
} from './expect.js';
import { describeResult, newWorkspace, smallContainers, type CliResult, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

async function status(ws: Workspace): Promise<{ r: CliResult; json: StatusJson }> {
  const r = await ws.cli(['status', '--json']);
  expectNoMutatingCalls(r, 'status');
  return { r, json: statusJson(r) };
}

/** Breaks one thing, expects status to exit 1 naming it (and nothing else), then repairs it with `up`. */
async function expectCaught(
  ws: Workspace,
  what: string,
  breakIt: () => Promise<unknown>,
  expected: { logicalId: string; verdict: string; says: RegExp },
): Promise<void> {
  await breakIt();
  const { r, json } = await status(ws);
  expectHostPhasesPendingOnly(r, [expected.says], what);
  expect(json.ok).toBe(false);
  const flagged = json.resources.filter((row) => row.problem);
  expect(
    flagged.map((row) => [row.logicalId, row.problem!.verdict]),
    what,
  ).toEqual([[expected.logicalId, expected.verdict]]);
  const text = await ws.cli(['status']);
  expect(text.code).toBe(ExitCode.phaseFailed);
  expect(text.stderr, what).toMatch(/error: 5 problems:\n {2}phase storage not created yet/);
  expect(text.stderr, what).toMatch(new RegExp(`\n  ${expected.says.source}`));
  expectConverged(await ws.cli(['up']), `up after ${what}`);
  expectHostPhasesPendingOnly((await status(ws)).r, [], `status after up repaired ${what}`);
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

/**
 * `status` and `plan` fit 120 columns: names in place of ARNs; `--wide` shows the ARNs whole. A
 * converged plan says "No changes." and its counts, `--all` lists every line.
 */
/** Returns the `plan` it ran (its reads are counted by the test of reads). */
async function expectReadable(ws: Workspace, developers: number): Promise<CliResult> {
  const what = `${developers} developers`;
  const text = await ws.cli(['status']);
  expect(widest(text.stdout), `status at ${what}:\n${text.stdout}`).toBeLessThanOrEqual(120);
  expect(text.stdout, what).not.toMatch(/arn:aws:/);
  expect(text.stdout, what).toMatch(/^alb\s+tg\/dev1\s+itest-tg-dev1\s+healthy\s+ok\b/m);
  expect(text.stdout, what).toMatch(/^load balancer: itest-alb-\S+\.elb\.amazonaws\.com$/m);
  const wide = await ws.cli(['status', '--wide']);
  expect(wide.stdout, what).toMatch(
    /^alb\s+tg\/dev1\s+target group\s+arn:aws:elasticloadbalancing:\S+:targetgroup\/itest-tg-dev1\/\w+\s/m,
  );
  const plan = await ws.cli(['plan']);
  expect(widest(plan.stdout), `plan at ${what}:\n${plan.stdout}`).toBeLessThanOrEqual(120);
  expect(plan.stdout, what).not.toMatch(/\bkeep\b/);
  const all = await ws.cli(['plan', '--all']);
  expect(widest(all.stdout), `plan --all at ${what}`).toBeLessThanOrEqual(120);
  expect(
    all.stdout.match(/^=\s+keep\s+alb\s+target group\s/gm),
    `plan --all lists every target group at ${what}`,
  ).toHaveLength(developers);
  return plan;
}

describeMoto('status', (moto) => {
  it('exits 0 after a clean up; 1 naming a deleted record, a deregistered target, a changed rule, a deleted security group; 0 after up repairs each', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob', 'carol'] });
    const up = await ws.cli(['up']);
    expectConverged(up);
    const clean = await status(ws);
    expectHostPhasesPendingOnly(clean.r);
    expect(clean.json.ok).toBe(false);
    // What a user needs next: up ends with it, status --json carries it.
    const lb = ((await ws.state()).resources.alb as { attrs: { dnsName: string } }).attrs.dnsName;
    const host = ((await ws.state()).resources.instance as { attrs: { publicIp: string } }).attrs.publicIp;
    expect(lb).toMatch(/\.elb\.amazonaws\.com$/);
    expect(host).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(clean.json).toMatchObject({
      urls: {
        alice: 'https://alice.dev.example.com',
        bob: 'https://bob.dev.example.com',
        carol: 'https://carol.dev.example.com',
      },
      loadBalancerDns: lb,
      hostAddress: host,
      pending: HOST_PHASES.map((phase) => ({ phase, reason: 'left out by `up --skip`' })),
    });
    const ending = up.stderr.slice(up.stderr.indexOf("developers' URLs")).split('\n').slice(0, 6);
    expect(ending, describeResult(up)).toEqual([
      "developers' URLs (3; logins: `devenv credentials export`):",
      '  alice  https://alice.dev.example.com',
      '  bob    https://bob.dev.example.com',
      '  carol  https://carol.dev.example.com',
      `load balancer: ${lb}`,
      `host: ${host}`,
    ]);
    expect(up.stderr).toContain(
      'still pending: storage (left out by `up --skip`), containers (left out by `up --skip`), gate (left out by `up --skip`), test (left out by `up --skip`); `devenv up` runs them',
    );
    expect(clean.json.developers.map((d) => [d.name, d.url, d.target, d.dns, d.problems])).toEqual([
      ['alice', 'https://alice.dev.example.com', 'healthy', 'in sync', ['pending directory', 'pending container']],
      ['bob', 'https://bob.dev.example.com', 'healthy', 'in sync', ['pending directory', 'pending container']],
      ['carol', 'https://carol.dev.example.com', 'healthy', 'in sync', ['pending directory', 'pending container']],
    ]);
    expect(clean.json.resources.find((row) => row.logicalId === 'container/bob')).toMatchObject({
      developer: 'bob',
      state: 'not started',
    });
    const text = await ws.cli(['status']);
    expect(text.stdout).toMatch(
      /^bob\s+https:\/\/bob\.dev\.example\.com\s+8444\s+not started\s+healthy\s+in sync\s+pending directory; pending container$/m,
    );

    const aws = await moto.server.clients();
    const state = async () => (await ws.state()).resources as Record<string, { id: string }>;

    await expectCaught(
      ws,
      "bob's DNS record deleted",
      async () => {
        const records = await aws.route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: ws.zoneId }));
        const bob = records.ResourceRecordSets!.find((r) => r.Name === 'bob.dev.example.com.' && r.Type === 'A')!;
        await aws.route53.send(
          new ChangeResourceRecordSetsCommand({
            HostedZoneId: ws.zoneId,
            ChangeBatch: { Changes: [{ Action: 'DELETE', ResourceRecordSet: bob }] },
          }),
        );
      },
      { logicalId: 'record/bob', verdict: 'missing', says: /dns DNS record bob\.dev\.example\.com missing/ },
    );

    await expectCaught(
      ws,
      "carol's target deregistered",
      async () => {
        const s = await state();
        await aws.elbv2.send(
          new DeregisterTargetsCommand({
            TargetGroupArn: s['tg/carol']!.id,
            Targets: [{ Id: s.instance!.id, Port: 8445 }],
          }),
        );
      },
      {
        logicalId: 'tg/carol',
        verdict: 'drifted',
        says: /alb target group \S+ differs from the config \(register i-\w+:8445\)/,
      },
    );

    await expectCaught(
      ws,
      "alice's rule forwarding to bob's target group",
      async () => {
        const s = await state();
        await aws.elbv2.send(
          new ModifyRuleCommand({
            RuleArn: s['rule/alice']!.id,
            Actions: [{ Type: 'forward', TargetGroupArn: s['tg/bob']!.id }],
          }),
        );
      },
      {
        logicalId: 'rule/alice',
        verdict: 'drifted',
        says: /https listener rule alice\.dev\.example\.com differs from the config \(forward to \S+alice/,
      },
    );

    await expectCaught(
      ws,
      'the host security group deleted',
      async () => {
        // AWS refuses to delete a group an instance uses (moto does not): a group deleted after the host was gone, say.
        await aws.ec2.send(new DeleteSecurityGroupCommand({ GroupId: (await state())['sg/host']!.id }));
      },
      { logicalId: 'sg/host', verdict: 'missing', says: /sg security group \S+ missing/ },
    );
  }, 240_000); // five `up`s, or an `up` at 50 developers: minutes on a busy machine

  it('reads AWS once more per developer (and a page per 50 log groups): status, plan and a converged up at 8 and 50 developers; a converged up at 8 reads at most 59 times', async () => {
    const reads = new Map<number, number>();
    const upReads = new Map<number, string[]>();
    // What status and plan read before issue 20 (this test at 8196485; plan read as status did): less, never more.
    const before = new Map([
      [8, 52],
      [50, 95],
    ]);
    for (const developers of [8, 50]) {
      const ws = await newWorkspace(moto.server, {
        developers,
        patch: smallContainers,
      });
      expectConverged(await ws.cli(['up']));
      const again = await ws.cli(['up']);
      expectNoMutatingCalls(again, `a converged up at ${developers} developers`);
      upReads.set(developers, again.calls.read);
      if (developers === 8) {
        // 75 before: a DescribeSecret and a ListTagsForResource per alarm gone, the caller's identity and the listeners read once.
        expect(again.calls.read.length, again.calls.read.join(' ')).toBeLessThanOrEqual(59);
      }
      console.log(`[up] AWS reads of a converged up at ${developers} developers: ${again.calls.read.length}`);
      const { r, json } = await status(ws);
      expectHostPhasesPendingOnly(r);
      expect(json.developers).toHaveLength(developers);
      expect(r.calls.read.length, r.calls.read.join(' ')).toBeLessThanOrEqual(before.get(developers)!);
      reads.set(developers, r.calls.read.length);
      const plan = await expectReadable(ws, developers);
      expectNoMutatingCalls(plan, `plan at ${developers} developers`);
      expect(plan.calls.read.length, `plan at ${developers}: ${plan.calls.read.join(' ')}`).toBeLessThanOrEqual(
        before.get(developers)!,
      );
      console.log(`[plan] AWS reads at ${developers} developers: ${plan.calls.read.length}`);
    }
    const growth = reads.get(50)! - reads.get(8)!;
    // One DescribeTargetHealth per developer (there is no call for several target groups), and
    // DescribeLogGroups returns at most 50 groups a page: system, docker and one per developer.
    const logGroupPages = (developers: number) => Math.ceil((2 + developers) / 50);
    expect(growth, `status read ${reads.get(8)} times at 8 developers, ${reads.get(50)} at 50`).toBeLessThanOrEqual(
      50 - 8 + logGroupPages(50) - logGroupPages(8),
    );
    console.log(`[status] AWS reads: ${reads.get(8)} at 8 developers, ${reads.get(50)} at 50 (+${growth} for 42 more)`);
    // A converged up likewise (203 reads at 50 before issue 20): by API, only DescribeTargetHealth grows with
    // the developers, one each; every other API by the pages of its listing at most.
    const byApi = (calls: string[]) => calls.reduce((m, c) => m.set(c, (m.get(c) ?? 0) + 1), new Map<string, number>());
    const [at8, at50] = [byApi(upReads.get(8)!), byApi(upReads.get(50)!)];
    const grew = [...at50]
      .filter(([api, n]) => n > (at8.get(api) ?? 0))
      .map(([api, n]) => `${api} ${at8.get(api) ?? 0} → ${n}`);
    const pages: Record<string, number> = {
      'elbv2:DescribeTargetHealth': 50 - 8,
      'logs:DescribeLogGroups': logGroupPages(50) - logGroupPages(8),
    };
    for (const [api, n] of at50)
      expect(
        n - (at8.get(api) ?? 0),
        `a converged up's reads that grew from 8 to 50 developers: ${grew.join(', ')}`,
      ).toBeLessThanOrEqual(pages[api] ?? 0);
  }, 240_000); // five `up`s, or an `up` at 50 developers: minutes on a busy machine
});
