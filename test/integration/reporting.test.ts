/**
 * What devenv tells a user after each command, against moto: `up`'s closing count of what it
 * created, changed and kept; `plan`'s summary line and `--detailed-exitcode`; `status` as a check
 * (exit 1 naming what is missing or drifted); a failed validate that allocates nothing; and one
 * phase that cannot work (an IAM role of devenv's name made by hand, untagged) not hiding the
 * others from `plan` and `status`, nor stopping `destroy` from deleting everything else.
 */
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { RevokeSecurityGroupIngressCommand } from '@aws-sdk/client-ec2';
import { expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { expectConverged, expectHostPhasesPendingOnly, expectNoMutatingCalls, HOST_PHASES } from './expect.js';
import { describeResult, newWorkspace, PROJECT, type CliResult } from './moto.js';
import { describeMoto } from './suite.js';

/** The plan's summary line (the monthly estimate follows it). */
const summaryLine = (text: string) => text.split('\n').find((l) => l.startsWith('Plan')) ?? '';
/** `up`'s closing count: "resources: 3 created, 1 changed, 20 kept". */
function tally(r: CliResult): Record<string, number> {
  const line = r.stderr.split('\n').find((l) => l.startsWith('resources: '));
  expect(line, describeResult(r)).toBeDefined();
  return Object.fromEntries([...line!.matchAll(/(\d+) (\w+)/g)].map((m) => [m[2], Number(m[1])]));
}

/** The changes plan would make outside the phases a run without a host leaves out: [phase, logicalId, action]. */
const changesOutsideHostPhases = (plan: { changes: { phase: string; logicalId: string; action: string }[] }) =>
  plan.changes
    .filter((c) => !HOST_PHASES.includes(c.phase) && c.action !== 'keep')
    .map((c) => [c.phase, c.logicalId, c.action]);

describeMoto('what commands report', (moto) => {
  it('up counts what it created, changed and kept; plan --detailed-exitcode and status follow drift', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const before = await ws.cli(['plan', '--detailed-exitcode']);
    expect(before.code, describeResult(before)).toBe(2);
    expect(summaryLine(before.stdout)).toMatch(/^Plan: [1-9]\d* to create, 0 to update, 0 to replace, 0 to delete/);
    expect((await ws.cli(['status'])).code, 'status before anything exists').toBe(ExitCode.phaseFailed);

    const first = await ws.cli(['up']);
    expectConverged(first);
    const created = tally(first);
    expect(created.created).toBeGreaterThan(0);
    expect(created).toMatchObject({ changed: 0, kept: 0 });

    const second = await ws.cli(['up']);
    expectConverged(second);
    expect(tally(second)).toMatchObject({ created: 0, changed: 0, kept: created.created });

    // Without a host, up leaves storage, containers and test out: up still has those to do, and status says so.
    const clean = await ws.cli(['plan', '--detailed-exitcode']);
    expect(clean.code, describeResult(clean)).toBe(2);
    expect(summaryLine(clean.stdout)).toMatch(
      /^Plan: \d+ to create, 0 to update, 0 to replace, 0 to delete \(and 4 phases not created yet\)\.$/,
    );
    expect(changesOutsideHostPhases(JSON.parse((await ws.cli(['plan', '--json'])).stdout))).toEqual([]);
    expectHostPhasesPendingOnly(await ws.cli(['status', '--json']));

    // Someone removes the HTTPS rule of the ALB's security group by hand.
    const albGroup = (await ws.state()).resources['sg/alb'].id as string;
    await (await moto.server.clients()).ec2.send(
      new RevokeSecurityGroupIngressCommand({
        GroupId: albGroup,
        IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0' }] }],
      }),
    );
    const drifted = await ws.cli(['status']);
    expect(drifted.code, describeResult(drifted)).toBe(ExitCode.phaseFailed);
    expectNoMutatingCalls(drifted, 'status');
    expect(drifted.stderr).toMatch(
      /error: 5 problems:\n( {2}phase \w+ not created yet: .*\n){4} {2}sg security group \S+ differs from the config \(.*443/,
    );
    expect((await ws.cli(['plan', '--detailed-exitcode'])).code).toBe(2);
    const json = JSON.parse((await ws.cli(['plan', '--json'])).stdout);
    expect(changesOutsideHostPhases(json)).toEqual([['sg', 'sg/alb', 'update']]);

    const repaired = await ws.cli(['up']);
    expectConverged(repaired);
    expect(tally(repaired)).toMatchObject({ created: 0, changed: 1 });
    expectHostPhasesPendingOnly(await ws.cli(['status', '--json']));
  });

  it('a failed validate leaves the allocations as they were', async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    expectConverged(await ws.cli(['up']));
    const allocations = (await ws.state()).allocations;
    expect(Object.keys(allocations).sort()).toEqual(['alice', 'bob']);
    await ws.editConfig((c) => {
      c.developers = ['alice', 'bob', 'carol'];
      c.hostedZoneId = 'Z0000000000NOPE';
    });
    const r = await ws.cli(['up']);
    expect(r.code, describeResult(r)).toBe(ExitCode.phaseFailed);
    expect(r.stderr).toContain('validate failed');
    expect((await ws.state()).allocations).toEqual(allocations);
  });

  it("an untagged role of devenv's name: plan and status show the error on iam and the rest; destroy deletes all else and says what is left", async () => {
    const ws = await newWorkspace(moto.server, { developers: ['alice'] });
    const aws = await moto.server.clients();
    const roleName = `${PROJECT}-ec2-role`;
    await aws.iam.send(
      new CreateRoleCommand({
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [] }),
      }),
    );

    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(ExitCode.phaseFailed);
    expect(up.stderr).toContain(`IAM role ${roleName} already exists but is not devenv's`);
    expect((await ws.state()).resources.vpc?.id, 'the phases that do not need iam ran').toMatch(/^vpc-/);

    const plan = await ws.cli(['plan', '--all']);
    expect(plan.code, describeResult(plan)).toBe(ExitCode.phaseFailed);
    expectNoMutatingCalls(plan, 'plan');
    expect(plan.stdout).toMatch(/^!\s+error\s+iam\s.*error: IAM role /m); // cut at 120 columns: the whole of it is on stderr
    expect(plan.stdout).toMatch(/keep\s+vpc\s+VPC/);
    expect(summaryLine(plan.stdout)).toContain('1 phase could not be planned');
    expect(plan.stderr).toContain('could not plan phase iam');
    expect(plan.stderr).toMatch(/iam: IAM role \S+ already exists but is not devenv's/);
    expect(plan.stderr).toContain(`tag it devenv:project=${PROJECT}`);

    const status = await ws.cli(['status']);
    expect(status.code, describeResult(status)).toBe(ExitCode.phaseFailed);
    expect(status.stdout).toMatch(/^iam\s+-\s+-\s+error\s+error\s+IAM role/m);
    expect(status.stdout).toMatch(/^vpc\s+vpc\s+vpc-\S+\s+available/m);
    expect(status.stderr).toMatch(/problems:\n( {2}.*\n)* {2}iam could not be read/);

    const destroy = await ws.cli(['destroy', '--yes']);
    expect(destroy.code, describeResult(destroy)).toBe(ExitCode.phaseFailed);
    expect(destroy.stderr).toMatch(
      /destroy could not delete everything; iam failed: IAM role \S+ already exists but is not devenv's/,
    );
    expect(destroy.stderr).toMatch(/still in AWS: /);
    expect(destroy.stderr).toMatch(/fix: [A-Z][^\n]*\.\n/);
    const { secret = [], ...left } = (await ws.inventory()).items;
    expect(left, 'only the hand-made role is left: the VPC, its subnets and the security groups are gone').toEqual({
      'iam role': [roleName],
    });
    expect(
      secret.every((s) => s.endsWith('(scheduled for deletion)')),
      secret.join(', '),
    ).toBe(true);
  });
});
