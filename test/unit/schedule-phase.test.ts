import { DescribeAlarmsCommand, CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  ListTagsForResourceCommand,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import { beforeEach, describe, expect, it } from 'vitest';
import schedule from '../../src/phases/schedule.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

/**
 * The schedule phase's removal against what moto cannot show: DeleteScheduleGroup is eventually consistent (the group
 * reads DELETING until its schedules are gone) and may answer ConflictException meanwhile; moto deletes at once and
 * answers a second delete with HTTP 500. A run that crashed right after deleting the group must not ask again.
 */

const scheduler = sdkMock(SchedulerClient);
const iam = sdkMock(IAMClient);
const cloudwatch = sdkMock(CloudWatchClient);

const GROUP_ARN = 'arn:aws:scheduler:us-east-1:123456789012:schedule-group/demo-schedule';
const error = (name: string) => Object.assign(new Error(name), { name });
const OFFICE_HOURS = { timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00' };

let ctx: TestContext;

beforeEach(async () => {
  resetSdkMocks();
  ctx = await testContext('schedule', { schedule: OFFICE_HOURS });
  ctx.state.data.account = '123456789012';
  // What the crashed run had recorded before it deleted the group (the schedules and the role went before).
  await ctx.state.setResource('schedule/group', { kind: 'schedule group', phase: 'schedule', id: GROUP_ARN });
  scheduler.on(GetScheduleCommand).rejects(error('ResourceNotFoundException'));
  scheduler.on(DeleteScheduleCommand).rejects(error('ResourceNotFoundException'));
  scheduler.on(ListTagsForResourceCommand).resolves({ Tags: [{ Key: 'devenv:project', Value: 'demo' }] });
  scheduler.on(DeleteScheduleGroupCommand).rejects(error('ConflictException'));
  iam.on(GetRoleCommand).rejects(error('NoSuchEntityException'));
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
});

describe('schedule phase: removing a group already being deleted', () => {
  it('a group that reads DELETING is not deleted again, and destroy completes', async () => {
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, Name: 'demo-schedule', State: 'DELETING' });
    await schedule.destroy(ctx);
    expect(scheduler.commandCalls(DeleteScheduleGroupCommand)).toHaveLength(0);
    expect(ctx.state.resource('schedule/group')).toBeUndefined();
  });

  it('a group gone already is not asked for again either', async () => {
    scheduler.on(GetScheduleGroupCommand).rejects(error('ResourceNotFoundException'));
    await schedule.destroy(ctx);
    expect(scheduler.commandCalls(DeleteScheduleGroupCommand)).toHaveLength(0);
    expect(ctx.state.resource('schedule/group')).toBeUndefined();
  });

  it('a live group is deleted', async () => {
    scheduler.on(GetScheduleGroupCommand).resolves({ Arn: GROUP_ARN, Name: 'demo-schedule', State: 'ACTIVE' });
    scheduler.on(DeleteScheduleGroupCommand).resolves({});
    await schedule.destroy(ctx);
    expect(scheduler.commandCalls(DeleteScheduleGroupCommand).map((c) => c.args[0].input.Name)).toEqual([
      'demo-schedule',
    ]);
  });
});
