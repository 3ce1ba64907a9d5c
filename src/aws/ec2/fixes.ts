import {
  AssociateRouteTableCommand,
  AttachInternetGatewayCommand,
  CreateRouteCommand,
  CreateTagsCommand,
  DescribeVpcAttributeCommand,
  ModifySubnetAttributeCommand,
  ModifyVpcAttributeCommand,
  ReplaceRouteCommand,
  type EC2Client,
  type InternetGateway,
  type RouteTable,
  type Subnet,
} from '@aws-sdk/client-ec2';
import type { PlannedResource } from '../../blueprint/types.js';
import { DevenvError } from '../../errors.js';
import type { Fix } from '../fix.js';
import { TAG, tagList, tagValue } from '../../config/tags.js';

/** Tags a resource adopted by its name rather than its tags, so tag searches (and `destroy`) find it from now on. */
export function tagFixes(
  ec2: EC2Client,
  id: string,
  tags: { Key?: string; Value?: string }[] | undefined,
  planned: PlannedResource,
): Fix[] {
  if (tagValue(tags, TAG.resource) === planned.logicalId && tagValue(tags, TAG.project) === planned.tags[TAG.project])
    return [];
  return [
    {
      description: `tag ${planned.kind} ${id} as devenv's ${planned.logicalId}`,
      run: () => ec2.send(new CreateTagsCommand({ Resources: [id], Tags: tagList(planned.tags) })),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Network fixes: each is only returned when AWS says it is not so yet.

export const DEFAULT_ROUTE = '0.0.0.0/0';

const DNS_ATTRIBUTES = [
  // Support first: AWS refuses DNS hostnames in a VPC without DNS support.
  {
    attribute: 'enableDnsSupport',
    label: 'DNS support',
    isOn: (o: DnsAnswer) => o.EnableDnsSupport?.Value,
    turnOn: { EnableDnsSupport: { Value: true } },
  },
  {
    attribute: 'enableDnsHostnames',
    label: 'DNS hostnames',
    isOn: (o: DnsAnswer) => o.EnableDnsHostnames?.Value,
    turnOn: { EnableDnsHostnames: { Value: true } },
  },
] as const;
type DnsAnswer = { EnableDnsSupport?: { Value?: boolean }; EnableDnsHostnames?: { Value?: boolean } };

export async function dnsFixes(ec2: EC2Client, vpcId: string): Promise<Fix[]> {
  const fixes: Fix[] = [];
  for (const a of DNS_ATTRIBUTES) {
    const answer = await ec2.send(new DescribeVpcAttributeCommand({ VpcId: vpcId, Attribute: a.attribute }));
    if (a.isOn(answer)) continue;
    fixes.push({
      description: `enable ${a.label} on ${vpcId}`,
      run: () => ec2.send(new ModifyVpcAttributeCommand({ VpcId: vpcId, ...a.turnOn })),
    });
  }
  return fixes;
}

export function publicIpFixes(ec2: EC2Client, subnet: Subnet): Fix[] {
  if (subnet.MapPublicIpOnLaunch) return [];
  const SubnetId = subnet.SubnetId!;
  return [
    {
      description: `turn on public IPs at launch in ${SubnetId}`,
      run: () => ec2.send(new ModifySubnetAttributeCommand({ SubnetId, MapPublicIpOnLaunch: { Value: true } })),
    },
  ];
}

export const attachedVpcs = (igw: InternetGateway) =>
  (igw.Attachments ?? []).filter((a) => a.State !== 'detached').map((a) => a.VpcId!);

export function attachmentFixes(ec2: EC2Client, igw: InternetGateway, vpcId: string): Fix[] {
  const InternetGatewayId = igw.InternetGatewayId!;
  const attachedTo = attachedVpcs(igw);
  if (attachedTo.includes(vpcId)) return [];
  if (attachedTo.length > 0) {
    throw new DevenvError(
      'aws',
      `internet gateway ${InternetGatewayId} is attached to ${attachedTo.join(', ')}, not to devenv's VPC ${vpcId}`,
      {
        remedy:
          `detach it (aws ec2 detach-internet-gateway --internet-gateway-id ${InternetGatewayId} ` +
          `--vpc-id ${attachedTo[0]}), then run again`,
      },
    );
  }
  return [
    {
      description: `attach ${InternetGatewayId} to ${vpcId}`,
      run: () => ec2.send(new AttachInternetGatewayCommand({ InternetGatewayId, VpcId: vpcId })),
    },
  ];
}

export const defaultRoute = (table: RouteTable) => table.Routes?.find((r) => r.DestinationCidrBlock === DEFAULT_ROUTE);
export const associatedSubnets = (table: RouteTable) =>
  (table.Associations ?? [])
    .filter((a) => !a.AssociationState?.State?.startsWith('disassociat'))
    .map((a) => a.SubnetId);

export function routeFixes(ec2: EC2Client, table: RouteTable, igwId: string, subnetIds: string[]): Fix[] {
  const RouteTableId = table.RouteTableId!;
  const route = { RouteTableId, DestinationCidrBlock: DEFAULT_ROUTE, GatewayId: igwId };
  const fixes: Fix[] = [];
  const current = defaultRoute(table);
  if (!current)
    fixes.push({
      description: `add route ${DEFAULT_ROUTE} → ${igwId} to ${RouteTableId}`,
      run: () => ec2.send(new CreateRouteCommand(route)),
    });
  else if (current.GatewayId !== igwId) {
    const target = current.GatewayId ?? current.NatGatewayId ?? current.NetworkInterfaceId ?? 'another target';
    fixes.push({
      description: `point route ${DEFAULT_ROUTE} in ${RouteTableId} at ${igwId} (was ${target})`,
      run: () => ec2.send(new ReplaceRouteCommand(route)),
    });
  }
  const associated = associatedSubnets(table);
  for (const SubnetId of subnetIds.filter((id) => !associated.includes(id))) {
    fixes.push({
      description: `associate ${SubnetId} with ${RouteTableId}`,
      run: () => ec2.send(new AssociateRouteTableCommand({ RouteTableId, SubnetId })),
    });
  }
  return fixes;
}
