import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  AuthorizeSecurityGroupIngressCommand,
  CreateRouteCommand,
  CreateTagsCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DetachInternetGatewayCommand,
  DescribeVpcAttributeCommand,
  DisassociateRouteTableCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  RevokeSecurityGroupIngressCommand,
  paginateDescribeInternetGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroupRules,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  type EC2Client,
  type Filter,
  type InternetGateway,
  type IpPermission,
  type NetworkInterface,
  type RouteTable,
  type SecurityGroup,
  type SecurityGroupRule,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import type { PlannedResource } from '../../blueprint/types.js';
import { DevenvError, messageOf } from '../../errors.js';
import type { Change, Context, PhaseName } from '../../phases/types.js';
import { Ec2Code, hasCode, isDependencyViolation, isNotFound } from '../errors.js';
import { ensureResource, type ResourceSpec } from '../resource.js';
import { DEPENDENCY_RELEASE, retryWithin } from '../retry.js';
import { TAG, tagFilters, tagList, tagSpecifications, tagValue, type Tags } from '../tags.js';
import { formatDuration, waitFor } from '../wait.js';

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

async function collect<P, T>(pages: AsyncIterable<P>, itemsOf: (page: P) => T[] | undefined): Promise<T[]> {
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
  list: (client, q) => collect(paginateDescribeSubnets({ client }, { SubnetIds: q.ids, Filters: q.filters }), (p) => p.Subnets),
  idOf: (r) => r.SubnetId!,
};

export const INTERNET_GATEWAYS: Ec2Collection<InternetGateway> = {
  kind: 'internet gateway',
  list: (client, q) =>
    collect(paginateDescribeInternetGateways({ client }, { InternetGatewayIds: q.ids, Filters: q.filters }), (p) => p.InternetGateways),
  idOf: (r) => r.InternetGatewayId!,
};

export const ROUTE_TABLES: Ec2Collection<RouteTable> = {
  kind: 'route table',
  list: (client, q) => collect(paginateDescribeRouteTables({ client }, { RouteTableIds: q.ids, Filters: q.filters }), (p) => p.RouteTables),
  idOf: (r) => r.RouteTableId!,
};

export const SECURITY_GROUPS: Ec2Collection<SecurityGroup> = {
  kind: 'security group',
  list: (client, q) => collect(paginateDescribeSecurityGroups({ client }, { GroupIds: q.ids, Filters: q.filters }), (p) => p.SecurityGroups),
  idOf: (r) => r.GroupId!,
};

export const SECURITY_GROUP_RULES: Ec2Collection<SecurityGroupRule> = {
  kind: 'security group rule',
  list: (client, q) =>
    collect(paginateDescribeSecurityGroupRules({ client }, { SecurityGroupRuleIds: q.ids, Filters: q.filters }), (p) => p.SecurityGroupRules),
  idOf: (r) => r.SecurityGroupRuleId!,
};

export const NETWORK_INTERFACES: Ec2Collection<NetworkInterface> = {
  kind: 'network interface',
  list: (client, q) =>
    collect(paginateDescribeNetworkInterfaces({ client }, { NetworkInterfaceIds: q.ids, Filters: q.filters }), (p) => p.NetworkInterfaces),
  idOf: (r) => r.NetworkInterfaceId!,
};

export const filter = (name: string, ...values: string[]): Filter => ({ Name: name, Values: values });

/** The resource with this id, or `undefined` when EC2 says it does not exist. */
export async function describeById<T>(ec2: EC2Client, collection: Ec2Collection<T>, id: string): Promise<T | undefined> {
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
  model: Context['model'],
  logicalId: string,
  extraFilters: Filter[] = [],
): Promise<T[]> {
  return collection.list(ec2, { filters: [...tagFilters(model, logicalId), ...extraFilters] });
}

// ---------------------------------------------------------------------------------------------
// The resource rule for EC2 resources.

export interface Ec2ResourceSpec<T> extends ResourceSpec<T> {
  collection: Ec2Collection<T>;
}

/** A ResourceSpec for an EC2 resource of the blueprint: described by id, found by its devenv tags. */
export function ec2Resource<T>(
  ctx: Pick<Context, 'aws' | 'model'>,
  collection: Ec2Collection<T>,
  planned: PlannedResource,
  create: (token: string) => Promise<T>,
): Ec2ResourceSpec<T> {
  return {
    collection,
    logicalId: planned.logicalId,
    kind: planned.kind,
    ...(planned.developer ? { developer: planned.developer } : {}),
    describe: (id) => describeById(ctx.aws.ec2, collection, id),
    find: () => findByTags(ctx.aws.ec2, collection, ctx.model, planned.logicalId),
    create,
    idOf: collection.idOf,
  };
}

/** How long a just-created EC2 resource may stay invisible to Describe calls (EC2 is eventually consistent [ec2-ec]). */
const NEW_RESOURCE_TIMEOUT_MS = 2 * 60_000;
const NEW_RESOURCE_POLL_MS = 2_000;

/**
 * `ensureResource`, then (like Terraform) waits until a resource it created is visible to
 * Describe and ready, so the next call that names its id does not get a NotFound.
 */
export async function ensureEc2Resource<T>(
  ctx: Context,
  phase: PhaseName,
  spec: Ec2ResourceSpec<T>,
  isReady: (resource: T) => boolean = () => true,
): Promise<T> {
  const { resource, outcome } = await ensureResource({ state: ctx.state, report: ctx.report, phase }, spec);
  if (outcome !== 'created' && isReady(resource)) return resource;
  const id = spec.idOf(resource);
  return waitFor(
    async () => {
      const live = await describeById(ctx.aws.ec2, spec.collection, id);
      return { done: live !== undefined && isReady(live), value: live as T, seen: live ? 'visible, not ready' : 'not visible yet' };
    },
    {
      what: `${spec.kind} ${id} to be available`,
      timeoutMs: NEW_RESOURCE_TIMEOUT_MS,
      intervalMs: NEW_RESOURCE_POLL_MS,
      clock: ctx.clock,
      signal: ctx.signal,
      onWait: (elapsed) => ctx.report.progress(`waiting for ${spec.kind} ${id} to be available (${formatDuration(elapsed)})`),
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Fixes: in-place changes that bring a live resource in line with the blueprint.

/** One mutating call: what `plan` shows and what `apply` runs. */
export interface Fix {
  description: string;
  run(): Promise<unknown>;
}

/** Runs each fix and reports it, prefixed with `subject` when the description does not name the resource. */
export async function runFixes(ctx: Pick<Context, 'report'>, fixes: Fix[], subject?: string): Promise<void> {
  for (const fix of fixes) {
    await fix.run();
    ctx.report.step(subject ? `${subject}: ${fix.description}` : fix.description);
  }
}

/**
 * A `devenv plan` line from `planResource`: a resource to create shows its blueprint properties;
 * one that exists shows the fixes `apply` would run (a kept one with fixes becomes an update)
 * and `notes` on what cannot be changed in place.
 */
export function planChange(probed: Change & { resource?: unknown }, planned: PlannedResource, fixes: Fix[], notes: string[] = []): Change {
  const { resource: _live, ...change } = probed;
  if (change.action === 'create') return { ...change, detail: describeProperties(planned) };
  const lines = [...fixes.map((f) => f.description), ...notes];
  const action = change.action === 'keep' && fixes.length ? 'update' : change.action;
  return { ...change, action, ...(lines.length ? { detail: lines.join('; ') } : {}) };
}

const describeProperties = (planned: PlannedResource): string =>
  Object.entries(planned.properties)
    .map(([key, value]) => `${key} ${Array.isArray(value) ? value.join(', ') : String(value)}`)
    .join('; ');

/** Tags a resource adopted by its name rather than its tags, so tag searches (and `destroy`) find it from now on. */
export function tagFixes(ec2: EC2Client, id: string, tags: { Key?: string; Value?: string }[] | undefined, planned: PlannedResource): Fix[] {
  if (tagValue(tags, TAG.resource) === planned.logicalId && tagValue(tags, TAG.project) === planned.tags[TAG.project]) return [];
  return [{ description: `tag ${planned.kind} ${id} as devenv's ${planned.logicalId}`, run: () => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tagList(planned.tags) })) }];
}

// ---------------------------------------------------------------------------------------------
// Network fixes: each is only returned when AWS says it is not so yet.

export const DEFAULT_ROUTE = '0.0.0.0/0';

const DNS_ATTRIBUTES = [
  // Support first: AWS refuses DNS hostnames in a VPC without DNS support.
  { attribute: 'enableDnsSupport', label: 'DNS support', isOn: (o: DnsAnswer) => o.EnableDnsSupport?.Value, turnOn: { EnableDnsSupport: { Value: true } } },
  { attribute: 'enableDnsHostnames', label: 'DNS hostnames', isOn: (o: DnsAnswer) => o.EnableDnsHostnames?.Value, turnOn: { EnableDnsHostnames: { Value: true } } },
] as const;
type DnsAnswer = { EnableDnsSupport?: { Value?: boolean }; EnableDnsHostnames?: { Value?: boolean } };

export async function dnsFixes(ec2: EC2Client, vpcId: string): Promise<Fix[]> {
  const fixes: Fix[] = [];
  for (const a of DNS_ATTRIBUTES) {
    const answer = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: a.attribute }));
    if (a.isOn(answer)) continue;
    fixes.push({ description: `enable ${a.label} on ${vpcId}`, run: () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, ...a.turnOn })) });
  }
  return fixes;
}

export function publicIpFixes(ec2: EC2Client, subnet: Subnet): Fix[] {
  if (subnet.MapPublicIpOnLaunch) return [];
  const SubnetId = subnet.SubnetId!;
  return [{ description: `turn on public IPs at launch in ${SubnetId}`, run: () => ec2.send(new ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: true } })) }];
}

export const attachedVpcs = (igw: InternetGateway) => (igw.Attachments ?? []).filter((a) => a.State !== 'detached').map((a) => a.VpcId!);

export function attachmentFixes(ec2: EC2Client, igw: InternetGateway, vpcId: string): Fix[] {
  const InternetGatewayId = igw.InternetGatewayId!;
  const attachedTo = attachedVpcs(igw);
  if (attachedTo.includes(vpcId)) return [];
  if (attachedTo.length > 0) {
    throw new DevenvError('aws', `internet gateway ${InternetGatewayId} is attached to ${attachedTo.join(', ')}, not to devenv's VPC ${vpcId}`, {
      remedy: `detach it (aws ec2 detach-internet-gateway --internet-gateway-id ${InternetGatewayId} --vpc-id ${attachedTo[0]}), then run again`,
    });
  }
  return [{ description: `attach ${InternetGatewayId} to ${vpcId}`, run: () => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId, VpcId: vpcId })) }];
}

export const defaultRoute = (table: RouteTable) => table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
export const associatedSubnets = (table: RouteTable) =>
  (table.Associations ?? []).filter((a) => !a.AssociationState?.State?.startsWith('disassociat')).map((a) => a.SubnetId);

export function routeFixes(ec2: EC2Client, table: RouteTable, igwId: string, subnetIds: string[]): Fix[] {
  const RouteTableId = table.RouteTableId!;
  const route = { RouteTableId, DestinationCidrBlock: DEFAULT_ROUTE, GatewayId: igwId };
  const fixes: Fix[] = [];
  const current = defaultRoute(table);
  if (!current) fixes.push({ description: `add route ${DEFAULT_ROUTE} → ${igwId} to ${RouteTableId}`, run: () => ec2.send(new CreateRouteCommand(route)) });
  else if (current.GatewayId !== igwId) {
    const target = current.GatewayId ?? current.NatGatewayId ?? current.NetworkInterfaceId ?? 'another target';
    fixes.push({ description: `point route ${DEFAULT_ROUTE} in ${RouteTableId} at ${igwId} (was ${target})`, run: () => ec2.send(new ReplaceRouteCommand(route)) });
  }
  const associated = associatedSubnets(table);
  for (const SubnetId of subnetIds.filter((id) => !associated.includes(id))) {
    fixes.push({ description: `associate ${SubnetId} with ${RouteTableId}`, run: () => ec2.send(new AssociateRouteTableCommand({ RouteTableId, SubnetId })) });
  }
  return fixes;
}

// ---------------------------------------------------------------------------------------------
// Security group rules.

/** An ingress rule devenv wants: TCP ports from a CIDR or from another security group. */
export interface WantedRule {
  fromPort: number;
  toPort: number;
  cidr?: string;
  groupId?: string;
  description: string;
}

/** Shows ids by the names people know them by: `{ 'sg-0ab…': 'sg/alb' }`. */
export type Names = Record<string, string>;

/** A group's ingress rules, each with its own id (egress rules are left out). */
export async function ingressRulesOf(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  const rules = await SECURITY_GROUP_RULES.list(ec2, { filters: [filter('group-id', groupId)] });
  return rules.filter((r) => !r.IsEgress);
}

const sourceOf = (r: SecurityGroupRule) => r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId ?? 'unknown';
const liveKey = (r: SecurityGroupRule) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${sourceOf(r)}`;
const wantedKey = (w: WantedRule) => `tcp ${w.fromPort}-${w.toPort} ${w.cidr ?? w.groupId}`;

function showRule(protocol: string | undefined, from: number | undefined, to: number | undefined, source: string, names: Names): string {
  const ports = protocol === '-1' ? 'all traffic' : `${protocol} ${from === to ? from : `${from}-${to}`}`;
  return `${ports} from ${names[source] ?? source}`;
}
const showLive = (r: SecurityGroupRule, names: Names) => showRule(r.IpProtocol, r.FromPort, r.ToPort, sourceOf(r), names);
const showWanted = (w: WantedRule, names: Names) => showRule('tcp', w.fromPort, w.toPort, (w.cidr ?? w.groupId)!, names);

const toPermission = (w: WantedRule): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: w.fromPort,
  ToPort: w.toPort,
  ...(w.groupId ? { UserIdGroupPairs: [{ GroupId: w.groupId, Description: w.description }] } : { IpRanges: [{ CidrIp: w.cidr, Description: w.description }] }),
});

/**
 * What brings a group's ingress rules to `wanted`: authorize the missing ones, then revoke the
 * stale ones (in that order, so a changed port range or CIDR never leaves a moment without
 * access). A rule matches on protocol, ports and source; matching rules are left alone, their
 * descriptions included (moto 5.2.1 drops the description of a rule that names a group), and
 * egress is never touched.
 */
export function ruleFixes(ec2: EC2Client, groupId: string, wanted: WantedRule[], live: SecurityGroupRule[], tags: Tags, names: Names): Fix[] {
  const liveKeys = new Set(live.map(liveKey));
  const wantedKeys = new Set(wanted.map(wantedKey));
  const missing = wanted.filter((w) => !liveKeys.has(wantedKey(w)));
  const stale = live.filter((r) => !wantedKeys.has(liveKey(r)));
  return [...authorizeRules(ec2, groupId, missing, tags, names), ...revokeRules(ec2, groupId, stale, names)];
}

function authorizeRules(ec2: EC2Client, groupId: string, rules: WantedRule[], tags: Tags, names: Names): Fix[] {
  if (rules.length === 0) return [];
  const authorize = (some: WantedRule[]) =>
    ec2.send(new AuthorizeSecurityGroupIngressCommand({
      GroupId: groupId,
      IpPermissions: some.map(toPermission),
      TagSpecifications: tagSpecifications('security-group-rule', tags),
    }));
  const run = async () => {
    try {
      await authorize(rules);
    } catch (err) {
      // The call is all or nothing: one rule that exists already (a describe lagging behind an
      // earlier authorize) fails them all. Add them one at a time, skipping the duplicate.
      if (!hasCode(err, Ec2Code.permissionDuplicate)) throw err;
      for (const rule of rules) await ignoring((e) => hasCode(e, Ec2Code.permissionDuplicate), () => authorize([rule]));
    }
  };
  return [{ description: `authorize ${rules.map((r) => showWanted(r, names)).join(', ')}`, run }];
}

/**
 * Revokes exactly these rules, by rule id: revoking by IpPermissions that do not match exactly
 * is no error in AWS, it just revokes nothing. A rule (or group) already gone is what we wanted.
 */
export function revokeRules(ec2: EC2Client, groupId: string, rules: SecurityGroupRule[], names: Names): Fix[] {
  if (rules.length === 0) return [];
  const SecurityGroupRuleIds = rules.map((r) => r.SecurityGroupRuleId!);
  return [{
    description: `revoke ${rules.map((r) => showLive(r, names)).join(', ')}`,
    run: () => ignoring(isNotFound, () => ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds }))),
  }];
}

// ---------------------------------------------------------------------------------------------
// Deleting, and explaining what blocks a delete.

/**
 * Runs `remove`, retrying DependencyViolation within DEPENDENCY_RELEASE (a load balancer's or a
 * terminated instance's interfaces linger for minutes [tf-3758]); then fails naming what still
 * depends on `what`, as `dependents` lists it. Any other error (NotFound included) is thrown as is.
 */
export async function deleteRetryingDependencies(
  ctx: Pick<Context, 'clock' | 'signal' | 'report'>,
  what: string,
  remove: () => Promise<unknown>,
  dependents: () => Promise<string[]>,
): Promise<void> {
  try {
    await retryWithin(DEPENDENCY_RELEASE, isDependencyViolation, remove, {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`deleting ${what}: ${message}`),
    });
  } catch (err) {
    if (!isDependencyViolation(err)) throw err;
    const blockers = await dependents();
    const named = blockers.length ? `; still using it: ${blockers.join('; ')}` : '';
    throw new DevenvError('aws', `cannot delete ${what}: ${messageOf(err)}${named}`, {
      cause: err,
      remedy: 'remove what is listed (devenv deletes its own instance and load balancer first; anything else was added outside devenv), then run `devenv destroy` again',
    });
  }
}

/** A network interface, its description, and how to get rid of it. */
export function explainInterface(eni: NetworkInterface): string {
  const description = eni.Description ? ` "${eni.Description}"` : '';
  let remedy: string;
  if (eni.Attachment?.InstanceId) remedy = `attached to instance ${eni.Attachment.InstanceId}: terminate the instance`;
  else if (eni.Description?.startsWith('ELB ')) remedy = 'a load balancer interface: delete the load balancer; AWS removes its interfaces a few minutes later';
  else if (eni.RequesterManaged) remedy = `managed by ${eni.RequesterId ?? 'an AWS service'}: delete the resource that created it`;
  else remedy = `delete it: aws ec2 delete-network-interface --network-interface-id ${eni.NetworkInterfaceId}`;
  return `network interface ${eni.NetworkInterfaceId}${description} (${remedy})`;
}

export async function interfacesMatching(ec2: EC2Client, ...filters: Filter[]): Promise<string[]> {
  return (await NETWORK_INTERFACES.list(ec2, { filters })).map(explainInterface);
}

/** What keeps a security group alive: interfaces using it and other groups whose rules name it. */
export async function securityGroupDependents(ec2: EC2Client, groupId: string): Promise<string[]> {
  const referencing = await SECURITY_GROUPS.list(ec2, { filters: [filter('ip-permission.group-id', groupId)] });
  return [
    ...(await interfacesMatching(ec2, filter('group-id', groupId))),
    ...referencing
      .filter((g) => g.GroupId !== groupId)
      .map((g) => `security group ${g.GroupId} (${g.GroupName}) allows traffic from it: revoke that rule or delete the group`),
  ];
}

/** What keeps a VPC alive: interfaces, subnets, security groups, gateways and route tables still in it. */
export async function vpcDependents(ec2: EC2Client, vpcId: string): Promise<string[]> {
  const inVpc = filter('vpc-id', vpcId);
  const [subnets, groups, gateways, tables] = await Promise.all([
    SUBNETS.list(ec2, { filters: [inVpc] }),
    SECURITY_GROUPS.list(ec2, { filters: [inVpc] }),
    INTERNET_GATEWAYS.list(ec2, { filters: [filter('attachment.vpc-id', vpcId)] }),
    ROUTE_TABLES.list(ec2, { filters: [inVpc] }),
  ]);
  return [
    ...(await interfacesMatching(ec2, inVpc)),
    ...subnets.map((s) => `subnet ${s.SubnetId} (${s.CidrBlock})`),
    ...groups.filter((g) => g.GroupName !== 'default').map((g) => `security group ${g.GroupId} (${g.GroupName})`),
    ...gateways.map((g) => `internet gateway ${g.InternetGatewayId} (attached)`),
    ...tables.filter((t) => !t.Associations?.some((a) => a.Main)).map((t) => `route table ${t.RouteTableId}`),
  ];
}

/** Deletes a route table after removing its subnet associations (AWS refuses to delete an associated one). */
export async function deleteRouteTable(ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>, id: string, table?: RouteTable): Promise<void> {
  const ec2 = ctx.aws.ec2;
  const associations = (table ?? (await describeById(ec2, ROUTE_TABLES, id)))?.Associations ?? [];
  for (const a of associations.filter((a) => !a.Main && a.RouteTableAssociationId)) {
    await ignoring(isNotFound, () => ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })));
  }
  await deleteRetryingDependencies(ctx, `route table ${id}`, () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })), async () => []);
}

/**
 * Detaches an internet gateway from every VPC, then deletes it. Detaching fails with
 * DependencyViolation while the VPC still has public addresses mapped (an instance's, an ALB's).
 */
export async function deleteInternetGateway(ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>, id: string, igw?: InternetGateway): Promise<void> {
  const ec2 = ctx.aws.ec2;
  const attachments = (igw ?? (await describeById(ec2, INTERNET_GATEWAYS, id)))?.Attachments ?? [];
  for (const { VpcId } of attachments.filter((a) => a.VpcId)) {
    await deleteRetryingDependencies(
      ctx,
      `internet gateway ${id} (detaching it from ${VpcId})`,
      () => ignoring((err) => hasCode(err, Ec2Code.gatewayNotAttached), () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId }))),
      async () => (await NETWORK_INTERFACES.list(ec2, { filters: [filter('vpc-id', VpcId!)] })).filter((e) => e.Association?.PublicIp).map(explainInterface),
    );
  }
  await deleteRetryingDependencies(ctx, `internet gateway ${id}`, () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })), async () => []);
}

export async function deleteSubnet(ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>, id: string): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(ctx, `subnet ${id}`, () => ec2.send(new DeleteSubnetCommand({ SubnetId: id })), () =>
    interfacesMatching(ec2, filter('subnet-id', id)),
  );
}

export async function deleteVpc(ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>, id: string): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(ctx, `VPC ${id}`, () => ec2.send(new DeleteVpcCommand({ VpcId: id })), () => vpcDependents(ec2, id));
}

export async function deleteSecurityGroup(ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>, id: string): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(ctx, `security group ${id}`, () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })), () =>
    securityGroupDependents(ec2, id),
  );
}

/** Runs `call`; an error `isExpected` accepts means there was nothing to do. */
async function ignoring(isExpected: (err: unknown) => boolean, call: () => Promise<unknown>): Promise<void> {
  try {
    await call();
  } catch (err) {
    if (!isExpected(err)) throw err;
  }
}
