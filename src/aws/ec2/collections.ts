import {
  paginateDescribeInstances,
  paginateDescribeInternetGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  paginateDescribeSnapshots,
  paginateDescribeSubnets,
  paginateDescribeVolumes,
  paginateDescribeVpcs,
  type EC2Client,
  type Filter,
  type Instance,
  type InternetGateway,
  type NetworkInterface,
  type RouteTable,
  type SecurityGroup,
  type SecurityGroupRule,
  type Snapshot,
  type Subnet,
  type Volume,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { AwsContext } from '../context.js';
import { isNotFound } from '../errors.js';
import { tagFilters } from '../../config/tags.js';

// ---------------------------------------------------------------------------------------------
// Collections: how to list one kind of EC2 resource, every page, by ids or by filters.

export interface Ec2Query {
  ids?: string[];
  filters?: Filter[];
}

/** One kind of EC2 resource: how to list it (all pages) and read its id. */
export interface Ec2Collection<T> {
  /** For people: "VPC", "security group". */
  kind: string;
  list(ec2: EC2Client, query: Ec2Query): Promise<T[]>;
  idOf(resource: T): string;
}

/** Every item of every page. */
export async function collect<P, T>(pages: AsyncIterable<P>, itemsOf: (page: P) => T[] | undefined): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pages) items.push(...(itemsOf(page) ?? []));
  return items;
}

export const VPCS: Ec2Collection<Vpc> = {
  kind: 'VPC',
  list: (client, q) => collect(paginateDescribeVpcs({ client }, { VpcIds: q.ids, Filters: q.filters }), (p) => p.Vpcs),
  idOf: (r) => r.VpcId!,
};

export const SUBNETS: Ec2Collection<Subnet> = {
  kind: 'subnet',
  list: (client, q) =>
    collect(paginateDescribeSubnets({ client }, { SubnetIds: q.ids, Filters: q.filters }), (p) => p.Subnets),
  idOf: (r) => r.SubnetId!,
};

export const INTERNET_GATEWAYS: Ec2Collection<InternetGateway> = {
  kind: 'internet gateway',
  list: (client, q) =>
    collect(
      paginateDescribeInternetGateways({ client }, { InternetGatewayIds: q.ids, Filters: q.filters }),
      (p) => p.InternetGateways,
    ),
  idOf: (r) => r.InternetGatewayId!,
};

export const ROUTE_TABLES: Ec2Collection<RouteTable> = {
  kind: 'route table',
  list: (client, q) =>
    collect(
      paginateDescribeRouteTables({ client }, { RouteTableIds: q.ids, Filters: q.filters }),
      (p) => p.RouteTables,
    ),
  idOf: (r) => r.RouteTableId!,
};

export const VOLUMES: Ec2Collection<Volume> = {
  kind: 'EBS volume',
  list: (client, q) =>
    collect(paginateDescribeVolumes({ client }, { VolumeIds: q.ids, Filters: q.filters }), (p) => p.Volumes),
  idOf: (v) => v.VolumeId!,
};

/** This account's snapshots only: without OwnerIds, DescribeSnapshots lists every public one too. */
export const SNAPSHOTS: Ec2Collection<Snapshot> = {
  kind: 'EBS snapshot',
  list: (client, q) =>
    collect(
      paginateDescribeSnapshots({ client }, { OwnerIds: ['self'], SnapshotIds: q.ids, Filters: q.filters }),
      (p) => p.Snapshots,
    ),
  idOf: (s) => s.SnapshotId!,
};

export const INSTANCES: Ec2Collection<Instance> = {
  kind: 'EC2 instance',
  list: (client, q) =>
    collect(paginateDescribeInstances({ client }, { InstanceIds: q.ids, Filters: q.filters }), (p) =>
      p.Reservations?.flatMap((r) => r.Instances ?? []),
    ),
  idOf: (i) => i.InstanceId!,
};

export const SECURITY_GROUPS: Ec2Collection<SecurityGroup> = {
  kind: 'security group',
  list: (client, q) =>
    collect(
      paginateDescribeSecurityGroups({ client }, { GroupIds: q.ids, Filters: q.filters }),
      (p) => p.SecurityGroups,
    ),
  idOf: (r) => r.GroupId!,
};

export const SECURITY_GROUP_RULES: Ec2Collection<SecurityGroupRule> = {
  kind: 'security group rule',
  list: (client, q) =>
    collect(
      paginateDescribeSecurityGroupRules({ client }, { SecurityGroupRuleIds: q.ids, Filters: q.filters }),
      (p) => p.SecurityGroupRules,
    ),
  idOf: (r) => r.SecurityGroupRuleId!,
};

export const NETWORK_INTERFACES: Ec2Collection<NetworkInterface> = {
  kind: 'network interface',
  list: (client, q) =>
    collect(
      paginateDescribeNetworkInterfaces({ client }, { NetworkInterfaceIds: q.ids, Filters: q.filters }),
      (p) => p.NetworkInterfaces,
    ),
  idOf: (r) => r.NetworkInterfaceId!,
};

export const filter = (name: string, ...values: string[]): Filter => ({ Name: name, Values: values });

/** The resource with this id, or `undefined` when EC2 says it does not exist. */
/** An instance's state as AWS names it (`running`, `stopped` …). */
export const stateOf = (i: Instance): string => i.State?.Name ?? 'unknown';

export async function describeById<T>(
  ec2: EC2Client,
  collection: Ec2Collection<T>,
  id: string,
): Promise<T | undefined> {
  try {
    return (await collection.list(ec2, { ids: [id] }))[0];
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** Every resource carrying devenv's tags for `logicalId` (all matches: the caller decides what two mean). */
export function findByTags<T>(
  ec2: EC2Client,
  collection: Ec2Collection<T>,
  model: AwsContext['model'],
  logicalId: string,
  extraFilters: Filter[] = [],
): Promise<T[]> {
  return collection.list(ec2, { filters: [...tagFilters(model, logicalId), ...extraFilters] });
}
