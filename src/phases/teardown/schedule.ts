import type { ScheduleGroupSummary } from '@aws-sdk/client-scheduler';
import { deleteGroup, deleteSchedule, groupTags, listGroups, listSchedules } from '../../aws/scheduler/schedules.js';
import { TAG, tagValue } from '../../config/tags.js';
import { sweeper, type Sweeper } from './types.js';

/**
 * EventBridge Scheduler: the project's schedule groups (tagged), each with its schedules (which take
 * no tags: they are the group's). Its schedules are deleted first, then the group (AWS would delete
 * them with it, but only eventually, while the group shows DELETING).
 */
const scheduleGroups = sweeper<ScheduleGroupSummary>({
  name: 'schedule-groups',
  needs: [],
  list: async (ctx) => {
    const found: ScheduleGroupSummary[] = [];
    for (const g of await listGroups(ctx, ctx.model.project.slice(0, 40)))
      if (g.State !== 'DELETING' && tagValue(await groupTags(ctx, g.Arn!), TAG.project) === ctx.model.project)
        found.push(g);
    return found.map((g) => ({ kind: 'schedule group', id: g.Name!, resource: g }));
  },
  remove: async (ctx, f) => {
    for (const s of await listSchedules(ctx, f.id)) await deleteSchedule(ctx, f.id, s.Name!);
    await deleteGroup(ctx, f.id);
  },
});

export const SCHEDULE_SWEEPERS: Sweeper[] = [scheduleGroups];
