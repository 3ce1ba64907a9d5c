/**
 * Real AWS's timing on deletes and creates that moto hides (issue 15, item 2): each answer below is
 * what AWS gives for a while right after the call before it, and each is retried, bounded, with
 * progress — and nothing else is.
 * - DeleteTargetGroup right after its rule or load balancer is deleted: ResourceInUse (Terraform
 *   retries 2 minutes).
 * - DeleteBackupPlan right after DeleteBackupSelection: InvalidRequestException "Related backup
 *   plan selections must be deleted prior to backup plan deletion" (Terraform retries 2 minutes).
 * - DescribeCertificate right after RequestCertificate: ResourceNotFoundException (not yet, not gone):
 *   in test/unit/edge-cert.test.ts, with the ACM world there.
 */
import { BackupClient, DeleteBackupPlanCommand, InvalidRequestException } from '@aws-sdk/client-backup';
import {
  DeleteTargetGroupCommand,
  ElasticLoadBalancingV2Client,
  ResourceInUseException,
  TargetGroupNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { deletePlan, SELECTIONS_DELETION } from '../../src/aws/backup/plan.js';
import { ignoring, isNotFound } from '../../src/aws/errors.js';
import { deleteTargetGroup, TARGET_GROUP_RELEASE } from '../../src/aws/elbv2/target-groups.js';
import { testContext, type TestContext } from '../helpers/context.js';

const elbv2 = sdkMock(ElasticLoadBalancingV2Client);
const backup = sdkMock(BackupClient);
const TG = 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/demo-tg-bob/0123456789abcdef';

const inUse = () =>
  new ResourceInUseException({
    message: `Target group '${TG}' is currently in use by a listener or a rule`,
    $metadata: {},
  });
const selectionsRemain = () =>
  new InvalidRequestException({
    message: 'Related backup plan selections must be deleted prior to backup plan deletion',
    $metadata: {},
  });

let ctx: TestContext;
beforeEach(async () => {
  resetSdkMocks();
  ctx = await testContext('alb');
});

const slept = () => (ctx.clock as unknown as { slept: number[] }).slept.reduce((a, b) => a + b, 0);
const progress = () => ctx.events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message);

describe('DeleteTargetGroup while the load balancer lets go of it', () => {
  it('retries ResourceInUse until the group goes, saying so', async () => {
    elbv2.on(DeleteTargetGroupCommand).rejectsOnce(inUse()).rejectsOnce(inUse()).resolves({});
    await deleteTargetGroup(ctx, TG);
    expect(elbv2.commandCalls(DeleteTargetGroupCommand)).toHaveLength(3);
    expect(
      progress().some((m) =>
        m.startsWith(`deleting target group ${TG}: waiting for the load balancer to let go of the target group`),
      ),
    ).toBe(true);
  });

  it("gives up after 2 minutes, with AWS's message and how long it waited", async () => {
    elbv2.on(DeleteTargetGroupCommand).rejects(inUse());
    const err = (await deleteTargetGroup(ctx, TG).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(
      /currently in use by a listener or a rule \(still failing after \dm\d\ds of waiting for the load balancer to let go of the target group\)/,
    );
    expect(slept()).toBeLessThanOrEqual(TARGET_GROUP_RELEASE.windowMs);
    expect(slept()).toBeGreaterThan(TARGET_GROUP_RELEASE.windowMs - 2 * TARGET_GROUP_RELEASE.intervalMs);
  });

  it('a group already gone is not waited for (NotFound counts as done)', async () => {
    elbv2
      .on(DeleteTargetGroupCommand)
      .rejects(new TargetGroupNotFoundException({ message: 'One or more target groups not found', $metadata: {} }));
    expect(await ignoring(isNotFound, () => deleteTargetGroup(ctx, TG))).toBe(false);
    expect(elbv2.commandCalls(DeleteTargetGroupCommand)).toHaveLength(1);
    expect(slept()).toBe(0);
  });
});

describe('DeleteBackupPlan while its deleted selection drains', () => {
  it('retries "selections must be deleted" until the plan goes, saying so', async () => {
    backup.on(DeleteBackupPlanCommand).rejectsOnce(selectionsRemain()).resolves({ BackupPlanId: 'plan-1' });
    await deletePlan(ctx, 'plan-1');
    expect(backup.commandCalls(DeleteBackupPlanCommand)).toHaveLength(2);
    expect(
      progress().some((m) =>
        m.startsWith("deleting backup plan plan-1: waiting for the plan's deleted selections to be gone"),
      ),
    ).toBe(true);
  });

  it('gives up after 2 minutes', async () => {
    backup.on(DeleteBackupPlanCommand).rejects(selectionsRemain());
    await expect(deletePlan(ctx, 'plan-1')).rejects.toThrow(
      /selections must be deleted prior to backup plan deletion \(still failing after/,
    );
    expect(slept()).toBeLessThanOrEqual(SELECTIONS_DELETION.windowMs);
  });

  it('any other InvalidRequestException fails at once', async () => {
    backup
      .on(DeleteBackupPlanCommand)
      .rejects(new InvalidRequestException({ message: 'Backup plan is in use by a framework', $metadata: {} }));
    await expect(deletePlan(ctx, 'plan-1')).rejects.toThrow(/in use by a framework$/);
    expect(backup.commandCalls(DeleteBackupPlanCommand)).toHaveLength(1);
  });
});
