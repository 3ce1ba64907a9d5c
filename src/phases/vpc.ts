import {
  CreateInternetGatewayCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  type Subnet,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { INTERNET_GATEWAYS, ROUTE_TABLES, SUBNETS, VPCS } from '../aws/ec2/collections.js';
import { deleteInternetGateway, deleteRouteTable, deleteSubnet, deleteVpc } from '../aws/ec2/delete.js';
import {
  associatedSubnets,
  attachedVpcs,
  attachmentFixes,
  DEFAULT_ROUTE,
  defaultRoute,
  dnsFixes,
  publicIpFixes,
  routeFixes,
} from '../aws/ec2/fixes.js';
import { planChange, runFixes } from '../aws/fix.js';
import { ec2Resource, ensureEc2Resource } from '../aws/ec2/resource.js';
import { inspectResource, removeResource, rowOf } from '../aws/resource.js';
import { tagSpecifications } from '../config/tags.js';
import { vpcBlueprint } from '../blueprint/network.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import { fromInspection } from './inspection.js';
import type { Context, Inspection, Phase } from './types.js';

const PHASE = 'vpc';
const SUBNET_IDS = ['subnet/a', 'subnet/b'] as const;

const planned = (ctx: Context, logicalId: string) => pick(vpcBlueprint(ctx.model), logicalId);
const property = (p: PlannedResource, key: string) => String(p.properties[key]);
const isAvailable = (r: Vpc | Subnet) => r.State === 'available';

function required(vpcId: string | undefined): string {
  if (!vpcId) throw new Error('vpc: the VPC id is needed to create this resource');
  return vpcId;
}

// --- the resources -----------------------------------------------------------------------------

function vpcSpec(ctx: Context) {
  const p = planned(ctx, 'vpc');
  const create = async () => {
    const out = await ctx.aws.ec2Untokened.send(
      new CreateVpcCommand({ CidrBlock: property(p, 'cidr'), TagSpecifications: tagSpecifications('vpc', p.tags) }),
    );
    return out.Vpc!;
  };
  return { ...ec2Resource(ctx, VPCS, p, create), idempotent: false as const };
}

function subnetSpec(ctx: Context, logicalId: string, vpcId?: string) {
  const p = planned(ctx, logicalId);
  const create = async () => {
    const out = await ctx.aws.ec2Untokened.send(
      new CreateSubnetCommand({
        VpcId: required(vpcId),
        CidrBlock: property(p, 'cidr'),
        AvailabilityZone: property(p, 'availabilityZone'),
        TagSpecifications: tagSpecifications('subnet', p.tags),
      }),
    );
    return out.Subnet!;
  };
  return { ...ec2Resource(ctx, SUBNETS, p, create), idempotent: false as const };
}

function internetGatewaySpec(ctx: Context) {
  const p = planned(ctx, 'igw');
  const create = async () => {
    const out = await ctx.aws.ec2Untokened.send(
      new CreateInternetGatewayCommand({ TagSpecifications: tagSpecifications('internet-gateway', p.tags) }),
    );
    return out.InternetGateway!;
  };
  return { ...ec2Resource(ctx, INTERNET_GATEWAYS, p, create), idempotent: false as const };
}

function routeTableSpec(ctx: Context, vpcId?: string) {
  const p = planned(ctx, 'rtb');
  return ec2Resource(ctx, ROUTE_TABLES, p, async (token) => {
    const VpcId = required(vpcId);
    const out = await ctx.aws.ec2.send(
      new CreateRouteTableCommand({
        VpcId,
        ClientToken: token,
        TagSpecifications: tagSpecifications('route-table', p.tags),
      }),
    );
    return out.RouteTable!;
  });
}

/** A VPC's or subnet's CIDR and zone cannot change in place: say so instead of pretending. */
function fixedSettingsDrift(p: PlannedResource, live: Vpc | Subnet): string[] {
  const zone = 'AvailabilityZone' in live ? live.AvailabilityZone : undefined;
  const drift = [
    live.CidrBlock !== p.properties.cidr ? `CIDR is ${live.CidrBlock}, config says ${p.properties.cidr}` : undefined,
    p.properties.availabilityZone !== undefined && zone !== p.properties.availabilityZone
      ? `zone is ${zone}, config says ${p.properties.availabilityZone}`
      : undefined,
  ].filter((d): d is string => d !== undefined);
  return drift.length
    ? [`${drift.join(', ')}: cannot change in place (devenv destroy, then devenv up, rebuilds it)`]
    : [];
}

function warnDrift(ctx: Context, p: PlannedResource, live: Vpc | Subnet): void {
  for (const note of fixedSettingsDrift(p, live)) ctx.report.warn(`${p.logicalId}: ${note}`);
}

// --- the phase ---------------------------------------------------------------------------------

async function apply(ctx: Context): Promise<void> {
  const ec2 = ctx.aws.ec2;
  const vpc = await ensureEc2Resource(ctx, vpcSpec(ctx), isAvailable);
  const vpcId = vpc.VpcId!;
  warnDrift(ctx, planned(ctx, 'vpc'), vpc);
  await runFixes(ctx, await dnsFixes(ec2, vpcId), { logicalId: 'vpc' });

  const subnetIds: string[] = [];
  for (const logicalId of SUBNET_IDS) {
    const subnet = await ensureEc2Resource(ctx, subnetSpec(ctx, logicalId, vpcId), isAvailable);
    warnDrift(ctx, planned(ctx, logicalId), subnet);
    await runFixes(ctx, publicIpFixes(ec2, subnet), { logicalId });
    subnetIds.push(subnet.SubnetId!);
  }

  const igw = await ensureEc2Resource(ctx, internetGatewaySpec(ctx));
  const igwId = igw.InternetGatewayId!;
  await runFixes(ctx, attachmentFixes(ec2, igw, vpcId), { logicalId: 'igw' });

  const table = await ensureEc2Resource(ctx, routeTableSpec(ctx, vpcId));
  await runFixes(ctx, routeFixes(ec2, table, igwId, subnetIds), { logicalId: 'rtb' });

  await ctx.state.setOutputs(PHASE, {
    vpcId,
    subnetAId: subnetIds[0]!,
    subnetBId: subnetIds[1]!,
    internetGatewayId: igwId,
    routeTableId: table.RouteTableId!,
  });
}

/** Stands for an id `apply` only learns by creating the resource (`plan` never runs a fix). */
const toBeCreated = (logicalId: string) => `${logicalId} (to be created)`;

/** One read for `plan` and `status`: each resource probed once, its fixes and its row from that. */
async function inspect(ctx: Context): Promise<Inspection> {
  const ec2 = ctx.aws.ec2;
  const p = (logicalId: string) => planned(ctx, logicalId);

  const vpc = await inspectResource(ctx, vpcSpec(ctx), p('vpc').name);
  const vpcId = vpc.id ?? toBeCreated('vpc');
  const changes = [
    planChange(
      vpc,
      p('vpc'),
      vpc.resource ? await dnsFixes(ec2, vpcId) : [],
      vpc.resource ? fixedSettingsDrift(p('vpc'), vpc.resource) : [],
    ),
  ];
  const rows = [
    rowOf(
      vpc,
      (v) => v.State ?? 'unknown',
      (v) => v.CidrBlock,
    ),
  ];

  const subnetIds: string[] = [];
  for (const logicalId of SUBNET_IDS) {
    const subnet = await inspectResource(ctx, subnetSpec(ctx, logicalId), p(logicalId).name);
    const live = subnet.resource;
    changes.push(
      planChange(
        subnet,
        p(logicalId),
        live ? publicIpFixes(ec2, live) : [],
        live ? fixedSettingsDrift(p(logicalId), live) : [],
      ),
    );
    rows.push(
      rowOf(
        subnet,
        (s) => s.State ?? 'unknown',
        (s) => `${s.CidrBlock} in ${s.AvailabilityZone}, public IPs at launch ${s.MapPublicIpOnLaunch ? 'on' : 'OFF'}`,
      ),
    );
    subnetIds.push(subnet.id ?? toBeCreated(logicalId));
  }

  const igw = await inspectResource(ctx, internetGatewaySpec(ctx), p('igw').name);
  changes.push(planChange(igw, p('igw'), igw.resource ? attachmentFixes(ec2, igw.resource, vpcId) : []));
  rows.push(
    rowOf(
      igw,
      (g) => (attachedVpcs(g).length ? 'attached' : 'detached'),
      (g) => attachedVpcs(g).join(', ') || undefined,
    ),
  );

  const table = await inspectResource(ctx, routeTableSpec(ctx), p('rtb').name);
  changes.push(
    planChange(
      table,
      p('rtb'),
      table.resource ? routeFixes(ec2, table.resource, igw.id ?? toBeCreated('igw'), subnetIds) : [],
    ),
  );
  rows.push(
    rowOf(
      table,
      (t) => (defaultRoute(t) ? `route ${defaultRoute(t)!.State ?? 'present'}` : 'no default route'),
      (t) =>
        `${DEFAULT_ROUTE} → ${defaultRoute(t)?.GatewayId ?? 'none'}; subnets ` +
        `${associatedSubnets(t).filter(Boolean).join(', ') || 'none'}`,
    ),
  );
  return { changes, rows };
}

/** Reverse order of apply; each step also sweeps what the tags find, so a lost state leaves nothing. */
async function destroy(ctx: Context): Promise<void> {
  await removeResource(ctx, routeTableSpec(ctx), (id, table) => deleteRouteTable(ctx, id, table));
  await removeResource(ctx, internetGatewaySpec(ctx), (id, igw) => deleteInternetGateway(ctx, id, igw));
  for (const logicalId of [...SUBNET_IDS].reverse())
    await removeResource(ctx, subnetSpec(ctx, logicalId), (id) => deleteSubnet(ctx, id));
  await removeResource(ctx, vpcSpec(ctx), (id) => deleteVpc(ctx, id));
}

const phase: Phase = { name: PHASE, apply, destroy, ...fromInspection(inspect) };
export default phase;
