import { paginateDescribeInstances, paginateDescribeVolumes, type Instance, type Volume } from '@aws-sdk/client-ec2';
import type { Ec2Collection } from '../../aws/ec2/collections.js';
import type { Context } from '../types.js';

/** What the resource rule needs of a Context, for the ec2 phase. */
export const rule = (ctx: Context) => ({ state: ctx.state, report: ctx.report, phase: 'ec2' });

export const VOLUMES: Ec2Collection<Volume> = {
  kind: 'EBS volume',
  list: async (client, q) => {
    const out: Volume[] = [];
    for await (const page of paginateDescribeVolumes({ client }, { VolumeIds: q.ids, Filters: q.filters })) out.push(...(page.Volumes ?? []));
    return out;
  },
  idOf: (v) => v.VolumeId!,
};

export const INSTANCES: Ec2Collection<Instance> = {
  kind: 'EC2 instance',
  list: async (client, q) => {
    const out: Instance[] = [];
    for await (const page of paginateDescribeInstances({ client }, { InstanceIds: q.ids, Filters: q.filters })) {
      for (const r of page.Reservations ?? []) out.push(...(r.Instances ?? []));
    }
    return out;
  },
  idOf: (i) => i.InstanceId!,
};

/** The data volume's device name on the host (an NVMe device on Nitro; the storage phase finds it by serial). */
export const DATA_DEVICE = '/dev/sdf';
