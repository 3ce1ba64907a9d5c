/**
 * The vpc phase against a small in-memory EC2 behind aws-sdk-client-mock: Describe* read `world`,
 * mutating calls change it the way EC2 does (tags from TagSpecifications, NotFound for unknown
 * ids, DependencyViolation for a VPC that still has subnets …). Any command not faked here fails.
 */
import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateInternetGatewayCommand,
  CreateRouteCommand,
  CreateRouteTableCommand,
  CreateSubnetCommand,
  CreateVpcCommand,
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DescribeInternetGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeVpcAttributeCommand,
  DescribeVpcsCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  EC2Client,
  EC2ServiceException,
  type AttachmentStatus,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  type Filter,
  type InternetGateway,
  type NetworkInterface,
  type RouteTable,
  type Subnet,
  type Tag,
  type TagSpecification,
  type Vpc,
} from '@aws-sdk/client-ec2';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { isMutating } from '../../src/aws/clients.js';
import { CREATE_VISIBILITY, DEPENDENCY_RELEASE } from '../../src/aws/retry.js';
import { tagList } from '../../src/config/tags.js';
import { vpcBlueprint } from '../../src/blueprint/network.js';
import { pick } from '../../src/blueprint/types.js';
import { DevenvError } from '../../src/errors.js';
import vpcPhase from '../../src/phases/vpc.js';
import { type fakeClock, testContext, type TestContext } from '../helpers/context.js';
import { sentCalls } from '../helpers/calls.js';

// --- a small EC2 -------------------------------------------------------------------------------

interface World {
  vpcs: Vpc[];
  subnets: Subnet[];
  gateways: InternetGateway[];
  tables: RouteTable[];
  interfaces: NetworkInterface[];
  dns: Record<string, { support: boolean; hostnames: boolean }>;
  /** CreateRouteTable's ClientToken → what it made, as EC2 remembers it. */
  tokens: Record<string, { vpcId: string; tableId: string }>;
}

let world: World;
let counter = 0;
/** Simulated kill: the named (or k-th) mutating call succeeds in AWS, then the run dies before it can record anything. */
let crash: { afterOp?: string; afterCall?: number } = {};
let mutatingCalls = 0;
const newId = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(8, '0')}`;
const ec2 = sdkMock(EC2Client);

/** What EC2 reports for an attached internet gateway, though the SDK's AttachmentStatus type does not list it. */
const ATTACHED = 'available' as AttachmentStatus;
const awsError = (code: string, message = code) =>
  new EC2ServiceException({ name: code, $fault: 'client', $metadata: {}, message });
const tagsIn = (specs: TagSpecification[] | undefined): Tag[] => specs?.[0]?.Tags ?? [];
const tagOf = (tags: Tag[] | undefined, key: string) => tags?.find((t) => t.Key === key)?.Value;

/** Describe* semantics: by ids (an unknown id is a NotFound) or by filters (`tag:<key>` and the named fields). */
function select<T extends { Tags?: Tag[]; TagSet?: Tag[] }>(
  items: T[],
  idOf: (t: T) => string | undefined,
  notFound: string,
  fields: Record<string, (t: T) => (string | undefined)[]>,
  ids: string[] | undefined,
  filters: Filter[] | undefined,
): T[] {
  if (ids?.length) {
    const missing = ids.find((id) => !items.some((i) => idOf(i) === id));
    if (missing) throw awsError(notFound, `The ID '${missing}' does not exist`);
    return structuredClone(items.filter((i) => ids.includes(idOf(i)!)));
  }
  const valuesOf = (item: T, name: string) => {
    if (name.startsWith('tag:')) return [tagOf(item.Tags ?? item.TagSet, name.slice(4))];
    const field = fields[name];
    if (!field) throw new Error(`fake EC2 has no filter ${name}`);
    return field(item);
  };
  return structuredClone(
    items.filter((i) => (filters ?? []).every((f) => valuesOf(i, f.Name!).some((v) => f.Values!.includes(v!)))),
  );
}

function find<T>(items: T[], match: (t: T) => boolean, notFound: string): T {
  const item = items.find(match);
  if (!item) throw awsError(notFound);
  return item;
}

/** Ops whose next call times out in transit; `made`: EC2 carried it out before the answer was lost. */
let lost: Record<string, { made: boolean }> = {};
const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });

function mutating<I, O>(op: string, change: (input: I) => O): (input: I) => O {
  return (input) => {
    const fault = lost[op];
    if (fault) {
      delete lost[op];
      if (fault.made) change(input);
      throw timedOut();
    }
    const output = change(input);
    mutatingCalls++;
    if (crash.afterOp === op || crash.afterCall === mutatingCalls) throw new Error(`crash after ${op}`);
    return output;
  };
}

function fakeEc2(): void {
  ec2.onAnyCommand().rejects(new Error('EC2 call not faked in this test'));
  ec2
    .on(DescribeVpcsCommand)
    .callsFake((i) => ({ Vpcs: select(world.vpcs, (v) => v.VpcId, 'InvalidVpcID.NotFound', {}, i.VpcIds, i.Filters) }));
  ec2.on(DescribeSubnetsCommand).callsFake((i) => ({
    Subnets: select(
      world.subnets,
      (s) => s.SubnetId,
      'InvalidSubnetID.NotFound',
      { 'vpc-id': (s) => [s.VpcId] },
      i.SubnetIds,
      i.Filters,
    ),
  }));
  ec2.on(DescribeInternetGatewaysCommand).callsFake((i) => ({
    InternetGateways: select(
      world.gateways,
      (g) => g.InternetGatewayId,
      'InvalidInternetGatewayID.NotFound',
      { 'attachment.vpc-id': (g) => (g.Attachments ?? []).map((a) => a.VpcId) },
      i.InternetGatewayIds,
      i.Filters,
    ),
  }));
  ec2.on(DescribeRouteTablesCommand).callsFake((i) => ({
    RouteTables: select(
      world.tables,
      (t) => t.RouteTableId,
      'InvalidRouteTableID.NotFound',
      { 'vpc-id': (t) => [t.VpcId] },
      i.RouteTableIds,
      i.Filters,
    ),
  }));
  ec2.on(DescribeNetworkInterfacesCommand).callsFake((i) => ({
    NetworkInterfaces: select(
      world.interfaces,
      (n) => n.NetworkInterfaceId,
      'InvalidNetworkInterfaceID.NotFound',
      { 'vpc-id': (n) => [n.VpcId], 'subnet-id': (n) => [n.SubnetId] },
      i.NetworkInterfaceIds,
      i.Filters,
    ),
  }));
  ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [] });
  ec2.on(DescribeVpcAttributeCommand).callsFake((i) => {
    const dns =
      world.dns[i.VpcId] ??
      (() => {
        throw awsError('InvalidVpcID.NotFound');
      })();
    return i.Attribute === 'enableDnsSupport'
      ? { EnableDnsSupport: { Value: dns.support } }
      : { EnableDnsHostnames: { Value: dns.hostnames } };
  });

  ec2.on(CreateVpcCommand).callsFake(
    mutating('CreateVpc', (i: CreateVpcCommand['input']) => {
      const vpc: Vpc = {
        VpcId: newId('vpc'),
        CidrBlock: i.CidrBlock,
        State: 'available',
        Tags: tagsIn(i.TagSpecifications),
      };
      world.vpcs.push(vpc);
      world.dns[vpc.VpcId!] = { support: true, hostnames: false }; // EC2's defaults for a new VPC
      return { Vpc: structuredClone(vpc) };
    }),
  );
  ec2.on(ModifyVpcAttributeCommand).callsFake(
    mutating('ModifyVpcAttribute', (i: ModifyVpcAttributeCommand['input']) => {
      const dns = world.dns[i.VpcId!]!;
      if (i.EnableDnsSupport) dns.support = i.EnableDnsSupport.Value === true;
      if (i.EnableDnsHostnames) dns.hostnames = i.EnableDnsHostnames.Value === true;
      return {};
    }),
  );
  ec2.on(CreateSubnetCommand).callsFake(
    mutating('CreateSubnet', (i: CreateSubnetCommand['input']) => {
      find(world.vpcs, (v) => v.VpcId === i.VpcId, 'InvalidVpcID.NotFound');
      const subnet: Subnet = {
        SubnetId: newId('subnet'),
        VpcId: i.VpcId,
        CidrBlock: i.CidrBlock,
        AvailabilityZone: i.AvailabilityZone,
        State: 'available',
        MapPublicIpOnLaunch: false,
        Tags: tagsIn(i.TagSpecifications),
      };
      world.subnets.push(subnet);
      return { Subnet: structuredClone(subnet) };
    }),
  );
  ec2.on(ModifySubnetAttributeCommand).callsFake(
    mutating('ModifySubnetAttribute', (i: ModifySubnetAttributeCommand['input']) => {
      find(world.subnets, (s) => s.SubnetId === i.SubnetId, 'InvalidSubnetID.NotFound').MapPublicIpOnLaunch =
        i.MapPublicIpOnLaunch?.Value;
      return {};
    }),
  );
  ec2.on(CreateInternetGatewayCommand).callsFake(
    mutating('CreateInternetGateway', (i: CreateInternetGatewayCommand['input']) => {
      const gateway: InternetGateway = {
        InternetGatewayId: newId('igw'),
        Attachments: [],
        Tags: tagsIn(i.TagSpecifications),
      };
      world.gateways.push(gateway);
      return { InternetGateway: structuredClone(gateway) };
    }),
  );
  ec2.on(AttachInternetGatewayCommand).callsFake(
    mutating('AttachInternetGateway', (i: AttachInternetGatewayCommand['input']) => {
      const gateway = find(
        world.gateways,
        (g) => g.InternetGatewayId === i.InternetGatewayId,
        'InvalidInternetGatewayID.NotFound',
      );
      if (gateway.Attachments!.length) throw awsError('Resource.AlreadyAssociated');
      gateway.Attachments!.push({ VpcId: i.VpcId, State: ATTACHED });
      return {};
    }),
  );
  ec2.on(CreateRouteTableCommand).callsFake(
    mutating('CreateRouteTable', (i: CreateRouteTableCommand['input']) => {
      const remembered = i.ClientToken ? world.tokens[i.ClientToken] : undefined;
      if (remembered && remembered.vpcId !== i.VpcId) throw awsError('IdempotentParameterMismatch');
      if (remembered)
        return { RouteTable: structuredClone(world.tables.find((t) => t.RouteTableId === remembered.tableId)) };
      const vpc = find(world.vpcs, (v) => v.VpcId === i.VpcId, 'InvalidVpcID.NotFound');
      const table: RouteTable = {
        RouteTableId: newId('rtb'),
        VpcId: i.VpcId,
        Associations: [],
        Tags: tagsIn(i.TagSpecifications),
        Routes: [{ DestinationCidrBlock: vpc.CidrBlock, GatewayId: 'local', State: 'active' }],
      };
      world.tables.push(table);
      if (i.ClientToken) world.tokens[i.ClientToken] = { vpcId: i.VpcId!, tableId: table.RouteTableId! };
      return { RouteTable: structuredClone(table) };
    }),
  );
  const tableOf = (id: string | undefined) =>
    find(world.tables, (t) => t.RouteTableId === id, 'InvalidRouteTableID.NotFound');
  ec2.on(CreateRouteCommand).callsFake(
    mutating('CreateRoute', (i: CreateRouteCommand['input']) => {
      const table = tableOf(i.RouteTableId);
      if (table.Routes!.some((r) => r.DestinationCidrBlock === i.DestinationCidrBlock))
        throw awsError('RouteAlreadyExists');
      table.Routes!.push({ DestinationCidrBlock: i.DestinationCidrBlock, GatewayId: i.GatewayId, State: 'active' });
      return { Return: true };
    }),
  );
  ec2.on(ReplaceRouteCommand).callsFake(
    mutating('ReplaceRoute', (i: ReplaceRouteCommand['input']) => {
      const route = find(
        tableOf(i.RouteTableId).Routes!,
        (r) => r.DestinationCidrBlock === i.DestinationCidrBlock,
        'InvalidRoute.NotFound',
      );
      Object.assign(route, { GatewayId: i.GatewayId, NatGatewayId: undefined, State: 'active' });
      return {};
    }),
  );
  ec2.on(AssociateRouteTableCommand).callsFake(
    mutating('AssociateRouteTable', (i: AssociateRouteTableCommand['input']) => {
      const RouteTableAssociationId = newId('rtbassoc');
      tableOf(i.RouteTableId).Associations!.push({
        RouteTableAssociationId,
        RouteTableId: i.RouteTableId,
        SubnetId: i.SubnetId,
        Main: false,
        AssociationState: { State: 'associated' },
      });
      return { AssociationId: RouteTableAssociationId };
    }),
  );

  ec2.on(DisassociateRouteTableCommand).callsFake(
    mutating('DisassociateRouteTable', (i: DisassociateRouteTableCommand['input']) => {
      const table = find(
        world.tables,
        (t) => t.Associations!.some((a) => a.RouteTableAssociationId === i.AssociationId),
        'InvalidAssociationID.NotFound',
      );
      table.Associations = table.Associations!.filter((a) => a.RouteTableAssociationId !== i.AssociationId);
      return {};
    }),
  );
  ec2.on(DeleteRouteTableCommand).callsFake(
    mutating('DeleteRouteTable', (i: DeleteRouteTableCommand['input']) => {
      if (tableOf(i.RouteTableId).Associations!.length)
        throw awsError(
          'DependencyViolation',
          `The routeTable '${i.RouteTableId}' has dependencies and cannot be deleted.`,
        );
      world.tables = world.tables.filter((t) => t.RouteTableId !== i.RouteTableId);
      return {};
    }),
  );
  ec2.on(DetachInternetGatewayCommand).callsFake(
    mutating('DetachInternetGateway', (i: DetachInternetGatewayCommand['input']) => {
      const gateway = find(
        world.gateways,
        (g) => g.InternetGatewayId === i.InternetGatewayId,
        'InvalidInternetGatewayID.NotFound',
      );
      if (!gateway.Attachments!.some((a) => a.VpcId === i.VpcId)) throw awsError('Gateway.NotAttached');
      gateway.Attachments = [];
      return {};
    }),
  );
  ec2.on(DeleteInternetGatewayCommand).callsFake(
    mutating('DeleteInternetGateway', (i: DeleteInternetGatewayCommand['input']) => {
      const gateway = find(
        world.gateways,
        (g) => g.InternetGatewayId === i.InternetGatewayId,
        'InvalidInternetGatewayID.NotFound',
      );
      if (gateway.Attachments!.length) throw awsError('DependencyViolation');
      world.gateways = world.gateways.filter((g) => g !== gateway);
      return {};
    }),
  );
  ec2.on(DeleteSubnetCommand).callsFake(
    mutating('DeleteSubnet', (i: DeleteSubnetCommand['input']) => {
      find(world.subnets, (s) => s.SubnetId === i.SubnetId, 'InvalidSubnetID.NotFound');
      world.subnets = world.subnets.filter((s) => s.SubnetId !== i.SubnetId);
      return {};
    }),
  );
  ec2.on(DeleteVpcCommand).callsFake(
    mutating('DeleteVpc', (i: DeleteVpcCommand['input']) => {
      find(world.vpcs, (v) => v.VpcId === i.VpcId, 'InvalidVpcID.NotFound');
      if (world.subnets.some((s) => s.VpcId === i.VpcId))
        throw awsError('DependencyViolation', `The vpc '${i.VpcId}' has dependencies and cannot be deleted.`);
      world.vpcs = world.vpcs.filter((v) => v.VpcId !== i.VpcId);
      return {};
    }),
  );
}

// --- helpers -----------------------------------------------------------------------------------

const sent = () => sentCalls(ec2);
const mutations = () => sent().filter((c) => isMutating(c.op));
const mutatingOps = () => mutations().map((c) => c.op);
const inputOf = (op: string) =>
  sent()
    .filter((c) => c.op === op)
    .map((c) => c.input);

/** Runs apply on a world that has everything, as a first apply leaves it. */
async function convergedWorld(ctx: TestContext): Promise<void> {
  await vpcPhase.apply(ctx);
  ec2.resetHistory();
}

/** The tags the blueprint gives a resource: what every create call must carry. */
const ourTags = (ctx: TestContext, logicalId: string) => tagList(pick(vpcBlueprint(ctx.model), logicalId).tags);
/** What the user reads as done: steps, and what happened to each resource. */
const steps = (ctx: TestContext) =>
  ctx.events.flatMap((e) => (e.type === 'step' || (e.type === 'resource' && e.message) ? [e.message!] : []));
const progress = (ctx: TestContext) =>
  ctx.events.filter((e) => e.type === 'progress').map((e) => (e as { message: string }).message);

const emptyWorld = (): World => ({
  vpcs: [],
  subnets: [],
  gateways: [],
  tables: [],
  interfaces: [],
  dns: {},
  tokens: {},
});

beforeEach(() => {
  resetSdkMocks();
  world = emptyWorld();
  crash = {};
  lost = {};
  mutatingCalls = 0;
  fakeEc2();
});

// --- apply -------------------------------------------------------------------------------------

describe('vpc apply', () => {
  it('creates the VPC, both subnets, the gateway and the route table, tagged in the create calls, when nothing exists', async () => {
    const ctx = await testContext('vpc');
    await vpcPhase.apply(ctx);

    expect(mutatingOps()).toEqual([
      'CreateVpc',
      'ModifyVpcAttribute',
      'CreateSubnet',
      'ModifySubnetAttribute',
      'CreateSubnet',
      'ModifySubnetAttribute',
      'CreateInternetGateway',
      'AttachInternetGateway',
      'CreateRouteTable',
      'CreateRoute',
      'AssociateRouteTable',
      'AssociateRouteTable',
    ]);
    expect(inputOf('CreateVpc')).toEqual([
      { CidrBlock: '10.0.0.0/16', TagSpecifications: [{ ResourceType: 'vpc', Tags: ourTags(ctx, 'vpc') }] },
    ]);
    const [vpc] = world.vpcs;
    expect(inputOf('CreateSubnet')).toEqual([
      {
        VpcId: vpc!.VpcId,
        CidrBlock: '10.0.1.0/24',
        AvailabilityZone: 'us-east-1a',
        TagSpecifications: [{ ResourceType: 'subnet', Tags: ourTags(ctx, 'subnet/a') }],
      },
      {
        VpcId: vpc!.VpcId,
        CidrBlock: '10.0.2.0/24',
        AvailabilityZone: 'us-east-1b',
        TagSpecifications: [{ ResourceType: 'subnet', Tags: ourTags(ctx, 'subnet/b') }],
      },
    ]);
    expect(inputOf('CreateInternetGateway')).toEqual([
      { TagSpecifications: [{ ResourceType: 'internet-gateway', Tags: ourTags(ctx, 'igw') }] },
    ]);
    const [createTable] = inputOf('CreateRouteTable');
    expect(createTable).toMatchObject({
      VpcId: vpc!.VpcId,
      TagSpecifications: [{ ResourceType: 'route-table', Tags: ourTags(ctx, 'rtb') }],
    });
    expect(createTable!.ClientToken).toBe(ctx.state.resource('rtb')!.token); // the token saved before the call
    // Only the attribute a new VPC has off is turned on: DNS support is on by default.
    expect(inputOf('ModifyVpcAttribute')).toEqual([{ VpcId: vpc!.VpcId, EnableDnsHostnames: { Value: true } }]);

    const [table] = world.tables;
    expect(table!.Routes).toContainEqual({
      DestinationCidrBlock: '0.0.0.0/0',
      GatewayId: world.gateways[0]!.InternetGatewayId,
      State: 'active',
    });
    expect(table!.Associations!.map((a) => a.SubnetId)).toEqual(world.subnets.map((s) => s.SubnetId));
    expect(world.subnets.every((s) => s.MapPublicIpOnLaunch)).toBe(true);
    expect(world.gateways[0]!.Attachments).toEqual([{ VpcId: vpc!.VpcId, State: ATTACHED }]);
    expect(ctx.state.resource('vpc')!.id).toBe(vpc!.VpcId);
    expect(ctx.state.resource('subnet/b')!.id).toBe(world.subnets[1]!.SubnetId);
    expect(ctx.state.phase('vpc')!.outputs).toMatchObject({ vpcId: vpc!.VpcId, routeTableId: table!.RouteTableId });
  });

  it('makes no mutating call when everything exists and is right', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    await vpcPhase.apply(ctx);
    expect(mutatingOps()).toEqual([]);
    expect(sent().length).toBeGreaterThan(0);
  });

  it('adopts everything and creates nothing when the state file was lost', async () => {
    await convergedWorld(await testContext('vpc'));
    const fresh = await testContext('vpc');
    await vpcPhase.apply(fresh);
    expect(mutatingOps()).toEqual([]);
    expect(fresh.state.resource('rtb')!.id).toBe(world.tables[0]!.RouteTableId);
    expect(steps(fresh).filter((s) => s.startsWith('adopted'))).toHaveLength(5);
  });

  it('resumes with the recorded VPC when a run stopped before the subnets', async () => {
    const ctx = await testContext('vpc');
    crash = { afterOp: 'ModifyVpcAttribute' };
    await expect(vpcPhase.apply(ctx)).rejects.toThrow('crash');
    expect(ctx.state.resource('vpc')!.id).toBe(world.vpcs[0]!.VpcId);
    expect(world.subnets).toEqual([]);
    crash = {};
    ec2.resetHistory();

    await vpcPhase.apply(ctx);
    expect(mutatingOps()).toEqual([
      'CreateSubnet',
      'ModifySubnetAttribute',
      'CreateSubnet',
      'ModifySubnetAttribute',
      'CreateInternetGateway',
      'AttachInternetGateway',
      'CreateRouteTable',
      'CreateRoute',
      'AssociateRouteTable',
      'AssociateRouteTable',
    ]);
    expect(world.vpcs).toHaveLength(1);
  });

  it('adopts and attaches a gateway AWS created just before the run died, without creating another', async () => {
    const ctx = await testContext('vpc');
    crash = { afterOp: 'CreateInternetGateway' };
    await expect(vpcPhase.apply(ctx)).rejects.toThrow('crash');
    expect(ctx.state.resource('igw')?.id).toBeUndefined();
    crash = {};
    ec2.resetHistory();

    await vpcPhase.apply(ctx);
    expect(mutatingOps()).toEqual([
      'AttachInternetGateway',
      'CreateRouteTable',
      'CreateRoute',
      'AssociateRouteTable',
      'AssociateRouteTable',
    ]);
    expect(world.gateways).toHaveLength(1);
    expect(ctx.state.resource('igw')!.id).toBe(world.gateways[0]!.InternetGatewayId);
  });

  it('ends with one of everything, whatever mutating call a crash followed', async () => {
    await vpcPhase.apply(await testContext('vpc'));
    const callsInOneRun = mutatingCalls;

    for (let k = 1; k <= callsInOneRun; k++) {
      world = emptyWorld();
      mutatingCalls = 0;
      crash = { afterCall: k };
      const ctx = await testContext('vpc');
      await expect(vpcPhase.apply(ctx), `crash after call ${k}`).rejects.toThrow('crash');

      crash = {};
      await vpcPhase.apply(ctx);
      const counts = [world.vpcs.length, world.subnets.length, world.gateways.length, world.tables.length];
      expect(counts, `resources after a crash after call ${k}`).toEqual([1, 2, 1, 1]);
      ec2.resetHistory();
      await vpcPhase.apply(ctx);
      expect(mutatingOps(), `a third run after a crash after call ${k}`).toEqual([]);
    }
  });

  it('fixes drift in place: DNS hostnames, public IPs, a route to another gateway, a lost association', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    const [vpc, subnetB, table] = [world.vpcs[0]!, world.subnets[1]!, world.tables[0]!];
    world.dns[vpc.VpcId!]!.hostnames = false;
    subnetB.MapPublicIpOnLaunch = false;
    Object.assign(table.Routes!.find((r) => r.DestinationCidrBlock === '0.0.0.0/0')!, {
      GatewayId: undefined,
      NatGatewayId: 'nat-0123',
      State: 'active',
    });
    table.Associations = table.Associations!.filter((a) => a.SubnetId !== subnetB.SubnetId);

    const changes = await vpcPhase.plan(ctx);
    expect(mutatingOps()).toEqual([]);
    expect(changes.filter((c) => c.action === 'update').map((c) => c.logicalId)).toEqual(['vpc', 'subnet/b', 'rtb']);
    expect(changes.find((c) => c.logicalId === 'rtb')!.detail).toContain('(was nat-0123)');

    await vpcPhase.apply(ctx);
    expect(mutations()).toEqual([
      { op: 'ModifyVpcAttribute', input: { VpcId: vpc.VpcId, EnableDnsHostnames: { Value: true } } },
      { op: 'ModifySubnetAttribute', input: { SubnetId: subnetB.SubnetId, MapPublicIpOnLaunch: { Value: true } } },
      {
        op: 'ReplaceRoute',
        input: {
          RouteTableId: table.RouteTableId,
          DestinationCidrBlock: '0.0.0.0/0',
          GatewayId: world.gateways[0]!.InternetGatewayId,
        },
      },
      { op: 'AssociateRouteTable', input: { RouteTableId: table.RouteTableId, SubnetId: subnetB.SubnetId } },
    ]);
  });

  it('warns, and changes nothing, when a subnet is in another CIDR than the config says', async () => {
    await convergedWorld(await testContext('vpc'));
    const moved = await testContext('vpc', {
      network: { vpcCidr: '10.0.0.0/16', subnetCidrs: ['10.0.1.0/24', '10.0.9.0/24'] },
    });
    await vpcPhase.apply(moved);
    expect(mutatingOps()).toEqual([]);
    expect(moved.events).toContainEqual(
      expect.objectContaining({
        type: 'warn',
        message: expect.stringMatching(/subnet\/b: CIDR is 10\.0\.2\.0\/24, config says 10\.0\.9\.0\/24/),
      }),
    );
  });

  it('adopts the VPC its tags find when the recorded id no longer exists', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-0000dead' });

    await vpcPhase.apply(ctx);
    expect(mutatingOps()).toEqual([]);
    expect(ctx.state.resource('vpc')!.id).toBe(world.vpcs[0]!.VpcId);
    expect(steps(ctx)).toContain(`adopted VPC ${world.vpcs[0]!.VpcId} (the recorded vpc-0000dead is gone)`);
  });

  it('stops, naming both, when two VPCs carry its tags', async () => {
    const ctx = await testContext('vpc');
    const tags = ourTags(ctx, 'vpc');
    world.vpcs.push({ VpcId: 'vpc-00000aaa', CidrBlock: '10.0.0.0/16', State: 'available', Tags: tags });
    world.vpcs.push({ VpcId: 'vpc-00000bbb', CidrBlock: '10.0.0.0/16', State: 'available', Tags: tags });

    const failure = vpcPhase.apply(ctx);
    await expect(failure).rejects.toThrow(/vpc-00000aaa, vpc-00000bbb/);
    expect(mutatingOps()).toEqual([]);
  });

  it('waits for a new VPC that Describe does not show yet (EC2 is eventually consistent), without sleeping', async () => {
    const ctx = await testContext('vpc');
    let hidden = 2;
    ec2.on(DescribeVpcsCommand).callsFake((i) => {
      if (i.VpcIds && hidden-- > 0) throw awsError('InvalidVpcID.NotFound');
      return { Vpcs: select(world.vpcs, (v) => v.VpcId, 'InvalidVpcID.NotFound', {}, i.VpcIds, i.Filters) };
    });
    await vpcPhase.apply(ctx);
    expect(world.vpcs).toHaveLength(1);
    expect(progress(ctx).filter((m) => m.startsWith(`waiting for VPC ${world.vpcs[0]!.VpcId}`))).toHaveLength(2);
    expect((ctx.clock as ReturnType<typeof fakeClock>).slept).toEqual([2000, 2000]);
  });
});

// --- plan and status ---------------------------------------------------------------------------

describe('vpc apply: creates without a token (CreateVpc, CreateSubnet, CreateInternetGateway)', () => {
  const creates = ['CreateVpc', 'CreateSubnet', 'CreateInternetGateway'];
  const oneOfEach = () => [world.vpcs.length, world.subnets.length, world.gateways.length, world.tables.length];

  it.each(creates)('%s that timed out after EC2 made it: found by its tags and adopted, not made twice', async (op) => {
    const ctx = await testContext('vpc');
    lost[op] = { made: true };
    await vpcPhase.apply(ctx);
    expect(oneOfEach()).toEqual([1, 2, 1, 1]);
    expect(mutatingOps().filter((o) => o === op)).toHaveLength(op === 'CreateSubnet' ? 2 : 1); // one per subnet: the lost one was not sent again
    expect(ctx.events).toContainEqual(
      expect.objectContaining({ type: 'warn', message: expect.stringContaining('but AWS made it') }),
    );
  });

  it.each(creates)('%s that timed out before EC2 made anything: looked for, then sent once more', async (op) => {
    const ctx = await testContext('vpc');
    lost[op] = { made: false };
    await vpcPhase.apply(ctx);
    expect(oneOfEach()).toEqual([1, 2, 1, 1]);
    expect(mutatingOps().filter((o) => o === op)).toHaveLength(op === 'CreateSubnet' ? 3 : 2);
    expect((ctx.clock as ReturnType<typeof fakeClock>).slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(
      CREATE_VISIBILITY.windowMs - CREATE_VISIBILITY.intervalMs,
    );
  });

  it('sends them on the client the SDK retries only when throttled; the route table (it takes a ClientToken) on the retrying one', async () => {
    const ctx = await testContext('vpc');
    await vpcPhase.apply(ctx);
    const clientOf = (op: string) =>
      ec2
        .calls()
        .filter((c) => (c.args[0] as object).constructor.name === `${op}Command`)
        .map((c) => c.thisValue as unknown);
    for (const op of creates) expect(new Set(clientOf(op))).toEqual(new Set([ctx.aws.ec2Untokened]));
    expect(clientOf('CreateRouteTable')).toEqual([ctx.aws.ec2]);
  });
});

describe('vpc plan and status', () => {
  it('plans five creates from the config when nothing exists, and changes nothing', async () => {
    const ctx = await testContext('vpc');
    const changes = await vpcPhase.plan(ctx);
    expect(changes.map((c) => [c.action, c.logicalId, c.name])).toEqual([
      ['create', 'vpc', 'demo-vpc'],
      ['create', 'subnet/a', 'demo-subnet-a'],
      ['create', 'subnet/b', 'demo-subnet-b'],
      ['create', 'igw', 'demo-igw'],
      ['create', 'rtb', 'demo-rtb'],
    ]);
    expect(changes[1]!.detail).toContain('10.0.1.0/24');
    expect(mutatingOps()).toEqual([]);
  });

  it('plans to keep everything after an apply, and reports each resource live', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    expect((await vpcPhase.plan(ctx)).map((c) => c.action)).toEqual(['keep', 'keep', 'keep', 'keep', 'keep']);

    const rows = await vpcPhase.status(ctx);
    expect(rows.map((r) => [r.logicalId, r.state])).toEqual([
      ['vpc', 'available'],
      ['subnet/a', 'available'],
      ['subnet/b', 'available'],
      ['igw', 'attached'],
      ['rtb', 'route active'],
    ]);
    expect(rows[4]!.detail).toBe(
      `0.0.0.0/0 → ${world.gateways[0]!.InternetGatewayId}; subnets ${world.subnets.map((s) => s.SubnetId).join(', ')}`,
    );
    expect(mutatingOps()).toEqual([]);
  });

  it('shows resources its tags find but the state does not know', async () => {
    await convergedWorld(await testContext('vpc'));
    const fresh = await testContext('vpc');
    expect((await vpcPhase.plan(fresh)).map((c) => c.action)).toEqual(['adopt', 'adopt', 'adopt', 'adopt', 'adopt']);
    expect((await vpcPhase.status(fresh))[0]!.state).toBe('available (not in state)');
  });
});

// --- destroy -----------------------------------------------------------------------------------

describe('vpc destroy', () => {
  it('deletes in reverse order, and a second destroy has nothing left to do', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    const [a, b] = world.subnets.map((s) => s.SubnetId);

    await vpcPhase.destroy(ctx);
    expect(mutatingOps()).toEqual([
      'DisassociateRouteTable',
      'DisassociateRouteTable',
      'DeleteRouteTable',
      'DetachInternetGateway',
      'DeleteInternetGateway',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteVpc',
    ]);
    expect(inputOf('DeleteSubnet')).toEqual([{ SubnetId: b }, { SubnetId: a }]);
    expect(world).toMatchObject({ vpcs: [], subnets: [], gateways: [], tables: [] });
    expect(ctx.state.existing()).toEqual([]);

    ec2.resetHistory();
    await vpcPhase.destroy(ctx);
    expect(mutatingOps()).toEqual([]);
  });

  it('finds what to delete by its tags when the state file was lost', async () => {
    await convergedWorld(await testContext('vpc'));
    await vpcPhase.destroy(await testContext('vpc'));
    expect(world).toMatchObject({ vpcs: [], subnets: [], gateways: [], tables: [] });
  });

  it('succeeds when every recorded resource is already gone', async () => {
    const ctx = await testContext('vpc');
    const recorded = {
      vpc: 'vpc-0000dead',
      'subnet/a': 'subnet-0000dead',
      'subnet/b': 'subnet-0000beef',
      igw: 'igw-0000dead',
      rtb: 'rtb-0000dead',
    };
    for (const [logicalId, id] of Object.entries(recorded))
      await ctx.state.setResource(logicalId, { kind: logicalId, phase: 'vpc', id });

    await vpcPhase.destroy(ctx);
    expect(ctx.state.existing()).toEqual([]);
    expect(mutatingOps()).toEqual([
      'DeleteRouteTable',
      'DeleteInternetGateway',
      'DeleteSubnet',
      'DeleteSubnet',
      'DeleteVpc',
    ]);
  });

  it('retries a subnet still in use until AWS releases it', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    let refusals = 2;
    ec2.on(DeleteSubnetCommand).callsFake((i: DeleteSubnetCommand['input']) => {
      if (refusals-- > 0)
        throw awsError('DependencyViolation', `The subnet '${i.SubnetId}' has dependencies and cannot be deleted.`);
      world.subnets = world.subnets.filter((s) => s.SubnetId !== i.SubnetId);
      return {};
    });

    await vpcPhase.destroy(ctx);
    expect(world.vpcs).toEqual([]);
    expect(progress(ctx)).toHaveLength(2);
    expect(progress(ctx)[0]).toMatch(
      /^deleting subnet subnet-\w+: waiting for dependent resources to be released \(0s\): The subnet/,
    );
  });

  it('gives up after the release window, naming the interfaces still in the VPC and how to remove them', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    const vpcId = world.vpcs[0]!.VpcId!;
    world.interfaces.push(
      {
        NetworkInterfaceId: 'eni-00000a1b',
        VpcId: vpcId,
        Description: 'ELB app/demo-alb/50dc6c495c0c9188',
        RequesterManaged: true,
        RequesterId: 'amazon-elb',
      },
      {
        NetworkInterfaceId: 'eni-00000c2d',
        VpcId: vpcId,
        Description: '',
        Attachment: { InstanceId: 'i-0123456789abcdef0' },
      },
    );
    ec2.on(DeleteVpcCommand).callsFake(() => {
      throw awsError('DependencyViolation', `The vpc '${vpcId}' has dependencies and cannot be deleted.`);
    });

    const failure = await vpcPhase.destroy(ctx).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(failure).toBeInstanceOf(DevenvError);
    const { message, remedy } = failure as DevenvError;
    expect(message).toMatch(new RegExp(`^cannot delete VPC ${vpcId}: The vpc '${vpcId}' has dependencies`));
    expect(message).toContain(
      'network interface eni-00000a1b "ELB app/demo-alb/50dc6c495c0c9188" (a load balancer interface: delete the load balancer',
    );
    expect(message).toContain(
      'network interface eni-00000c2d (attached to instance i-0123456789abcdef0: terminate the instance)',
    );
    expect(remedy).toMatch(/then run `devenv destroy` again/);

    const slept = (ctx.clock as ReturnType<typeof fakeClock>).slept;
    const waited = slept.reduce((sum, ms) => sum + ms, 0);
    expect(waited).toBeGreaterThan(DEPENDENCY_RELEASE.windowMs - DEPENDENCY_RELEASE.intervalMs);
    expect(waited).toBeLessThanOrEqual(DEPENDENCY_RELEASE.windowMs);
    expect(inputOf('DeleteVpc')).toHaveLength(slept.length + 1);
    expect(ctx.state.resource('vpc')!.id).toBe(vpcId); // kept, so the next destroy tries again
    expect(ctx.state.resource('subnet/a')?.id).toBeUndefined();
  });

  it('names the interfaces with public addresses when the gateway cannot be detached', async () => {
    const ctx = await testContext('vpc');
    await convergedWorld(ctx);
    const vpcId = world.vpcs[0]!.VpcId!;
    world.interfaces.push(
      {
        NetworkInterfaceId: 'eni-0000pub1',
        VpcId: vpcId,
        Association: { PublicIp: '198.51.100.10' },
        Description: 'leftover',
      },
      { NetworkInterfaceId: 'eni-0000priv', VpcId: vpcId, Description: 'private only' },
    );
    ec2.on(DetachInternetGatewayCommand).callsFake(() => {
      throw awsError(
        'DependencyViolation',
        `Network ${vpcId} has some mapped public address(es). Please unmap those public address(es) before detaching the gateway.`,
      );
    });

    const failure = vpcPhase.destroy(ctx);
    await expect(failure).rejects.toThrow(
      /detaching it from vpc-\w+\).*mapped public address.*eni-0000pub1 "leftover" \(delete it: aws ec2 delete-network-interface --network-interface-id eni-0000pub1\)/,
    );
    await expect(failure).rejects.not.toThrow(/eni-0000priv/);
  });
});
