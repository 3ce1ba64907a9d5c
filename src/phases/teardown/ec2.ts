import {
  DeleteKeyPairCommand,
  DeleteSnapshotCommand,
  DescribeKeyPairsCommand,
  TerminateInstancesCommand,
  type KeyPairInfo,
  type Snapshot,
  type Tag,
} from '@aws-sdk/client-ec2';
import { DATA_VOLUME, deleteVolume, FINAL_SNAPSHOT } from '../ec2/volume.js';
import { PREVIOUS_DATA_VOLUME } from '../ec2/adopt-volume.js';
import { waitForInstance } from '../ec2/waiters.js';
import {
  filter,
  INSTANCES,
  INTERNET_GATEWAYS,
  ROUTE_TABLES,
  SECURITY_GROUPS,
  SNAPSHOTS,
  SUBNETS,
  VOLUMES,
  VPCS,
  type Ec2Collection,
} from '../../aws/ec2/collections.js';
import {
  deleteInternetGateway,
  deleteRouteTable,
  deleteSecurityGroup,
  deleteSubnet,
  deleteVpc,
} from '../../aws/ec2/delete.js';
import { ingressRulesOf, revokeRules } from '../../aws/ec2/rules.js';
import { TAG, tagFilters, tagValue } from '../../config/tags.js';
import { sweeper, type Found, type SweepContext, type Sweeper } from './types.js';

// ---------------------------------------------------------------------------------------------
// EC2: every kind found by the project tag filter of its own Describe call.

type Tagged = { Tags?: Tag[] };

/** This project's resources of one EC2 kind, by the `tag:devenv:project` filter (plus `extra`). */
async function tagged<T extends Tagged>(
  ctx: SweepContext,
  collection: Ec2Collection<T>,
  extra = [] as ReturnType<typeof filter>[],
): Promise<Found<T>[]> {
  const all = await collection.list(ctx.aws.ec2, { filters: [...tagFilters(ctx.model), ...extra] });
  return all.map((r) => ({
    kind: collection.kind,
    id: collection.idOf(r),
    label: tagValue(r.Tags, 'Name'),
    resource: r,
  }));
}

const logicalId = (r: Tagged) => tagValue(r.Tags, TAG.resource);

/** Not terminated: DescribeInstances lists terminated instances for an hour, and they cost nothing. */
const NOT_TERMINATED = ['pending', 'running', 'stopping', 'stopped', 'shutting-down'];

const instances = sweeper({
  name: 'instances',
  needs: [],
  list: (ctx) => tagged(ctx, INSTANCES, [filter('instance-state-name', ...NOT_TERMINATED)]),
  remove: async (ctx, f) => {
    await ctx.aws.ec2.send(new TerminateInstancesCommand({ InstanceIds: [f.id] }));
    await waitForInstance(ctx, f.id, 'terminated');
  },
});

const KEEP_DATA_VOLUME = '--delete-data deletes it, after a final snapshot';
const KEEP_PREVIOUS_DATA_VOLUME = 'the data volume a restore replaced; --delete-data deletes it';

const finalSnapshotOf = (ctx: SweepContext, v: Tagged) => logicalId(v) === DATA_VOLUME && !ctx.options.noFinalSnapshot;

/**
 * The data volume, and one a restore set aside, stay unless --delete-data; any other volume of the
 * project (a root volume left behind) goes.
 */
const volumes = sweeper({
  name: 'volumes',
  needs: ['instances'],
  list: async (ctx) => {
    const found = await tagged(ctx, VOLUMES, [filter('status', 'creating', 'available', 'in-use', 'error')]);
    const kept = (why: string) => (ctx.options.deleteData ? {} : { kept: why });
    return found.map((f) => {
      if (logicalId(f.resource) === DATA_VOLUME)
        return { ...f, kind: 'data volume', label: undefined, ...kept(KEEP_DATA_VOLUME) };
      if (logicalId(f.resource) === PREVIOUS_DATA_VOLUME)
        return { ...f, kind: 'previous data volume', label: undefined, ...kept(KEEP_PREVIOUS_DATA_VOLUME) };
      return f;
    });
  },
  leaves: (ctx, f) =>
    finalSnapshotOf(ctx, f.resource)
      ? `a final snapshot of data volume ${f.id} (--no-final-snapshot skips it)`
      : undefined,
  remove: (ctx, f) => deleteVolume(ctx, f.id, f.resource, { finalSnapshot: finalSnapshotOf(ctx, f.resource) }),
});

const isRecoveryPoint = (s: Snapshot) => tagValue(s.Tags, 'aws:backup:source-resource') !== undefined;

/**
 * Final snapshots of the data volume are its data: kept unless `--delete-data --no-final-snapshot`.
 * Snapshots AWS Backup made are its recovery points (ec2:DeleteSnapshot refuses them): the backup sweep's.
 */
const snapshots = sweeper({
  name: 'snapshots',
  needs: ['volumes'],
  list: async (ctx) => {
    const found = (await tagged(ctx, SNAPSHOTS)).filter((f) => !isRecoveryPoint(f.resource));
    const keep = !(ctx.options.deleteData && ctx.options.noFinalSnapshot);
    return found.map((f) => ({
      ...f,
      label: `${f.id} of ${f.resource.VolumeId}`,
      ...(keep && logicalId(f.resource) === FINAL_SNAPSHOT
        ? { kept: 'final snapshot of the data volume; `destroy --delete-data --no-final-snapshot` deletes it' }
        : {}),
    }));
  },
  remove: async (ctx, f) => void (await ctx.aws.ec2.send(new DeleteSnapshotCommand({ SnapshotId: f.id }))),
});

const keyPairs = sweeper<KeyPairInfo>({
  name: 'key-pairs',
  needs: ['instances'],
  list: async (ctx) => {
    const out = await ctx.aws.ec2.send(new DescribeKeyPairsCommand({ Filters: tagFilters(ctx.model) }));
    return (out.KeyPairs ?? []).map((k) => ({ kind: 'key pair', id: k.KeyPairId!, label: k.KeyName, resource: k }));
  },
  // By name, as the ec2 phase does: moto 5.2.1 ignores a KeyPairId here.
  remove: async (ctx, f) =>
    void (await ctx.aws.ec2.send(new DeleteKeyPairCommand(f.label ? { KeyName: f.label } : { KeyPairId: f.id }))),
});

/** Rules that name another group go first: while one does, AWS refuses to delete the group it names [sg-delete]. */
async function revokeGroupReferences(ctx: SweepContext, groupIds: string[]): Promise<void> {
  for (const groupId of groupIds) {
    const referencing = (await ingressRulesOf(ctx.aws.ec2, groupId)).filter((r) => r.ReferencedGroupInfo?.GroupId);
    for (const fix of revokeRules(ctx.aws.ec2, groupId, referencing, {})) {
      await fix.run();
      ctx.report.step(`security group ${groupId}: ${fix.description}`);
    }
  }
}

const securityGroups = sweeper({
  name: 'security-groups',
  needs: ['instances', 'load-balancers'],
  list: (ctx) => tagged(ctx, SECURITY_GROUPS),
  removeAll: async (ctx, found) => {
    await revokeGroupReferences(
      ctx,
      found.map((f) => f.id),
    );
    for (const f of found) await deleteSecurityGroup(ctx, f.id);
  },
});

const NETWORK_USERS = ['instances', 'load-balancers'];

const routeTables = sweeper({
  name: 'route-tables',
  needs: NETWORK_USERS,
  list: (ctx) => tagged(ctx, ROUTE_TABLES),
  remove: (ctx, f) => deleteRouteTable(ctx, f.id, f.resource),
});

const internetGateways = sweeper({
  name: 'internet-gateways',
  needs: NETWORK_USERS,
  list: (ctx) => tagged(ctx, INTERNET_GATEWAYS),
  remove: (ctx, f) => deleteInternetGateway(ctx, f.id, f.resource),
});

const subnets = sweeper({
  name: 'subnets',
  needs: [...NETWORK_USERS, 'route-tables'],
  list: (ctx) => tagged(ctx, SUBNETS),
  remove: (ctx, f) => deleteSubnet(ctx, f.id),
});

const vpcs = sweeper({
  name: 'vpcs',
  needs: ['subnets', 'security-groups', 'internet-gateways', 'route-tables'],
  list: (ctx) => tagged(ctx, VPCS),
  remove: (ctx, f) => deleteVpc(ctx, f.id),
});

export const EC2_SWEEPERS: Sweeper[] = [
  instances,
  volumes,
  snapshots,
  keyPairs,
  securityGroups,
  routeTables,
  internetGateways,
  subnets,
  vpcs,
];
