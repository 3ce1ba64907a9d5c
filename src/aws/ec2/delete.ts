import {
  DeleteInternetGatewayCommand,
  DeleteRouteTableCommand,
  DeleteSecurityGroupCommand,
  DeleteSubnetCommand,
  DeleteVpcCommand,
  DetachInternetGatewayCommand,
  DisassociateRouteTableCommand,
  type EC2Client,
  type Filter,
  type InternetGateway,
  type NetworkInterface,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { DevenvError, messageOf } from '../../errors.js';
import type { AwsContext } from '../context.js';
import { Ec2Code, hasCode, ignoring, isDependencyViolation, isNotFound } from '../errors.js';
import { DEPENDENCY_RELEASE, retryWithin } from '../retry.js';
import {
  INTERNET_GATEWAYS,
  NETWORK_INTERFACES,
  ROUTE_TABLES,
  SECURITY_GROUPS,
  SUBNETS,
  describeById,
  filter,
} from './collections.js';

// ---------------------------------------------------------------------------------------------
// Deleting, and explaining what blocks a delete.

/**
 * Runs `remove`, retrying DependencyViolation within DEPENDENCY_RELEASE (a load balancer's or a
 * terminated instance's interfaces linger for minutes [tf-3758]); then fails naming what still
 * depends on `what`, as `dependents` lists it. Any other error (NotFound included) is thrown as is.
 */
export async function deleteRetryingDependencies(
  ctx: Pick<AwsContext, 'clock' | 'signal' | 'report'>,
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
      remedy:
        'remove what is listed (devenv deletes its own instance and load balancer first; anything else was added ' +
        'outside devenv), then run `devenv destroy` again',
    });
  }
}

/** A network interface, its description, and how to get rid of it. */
export function explainInterface(eni: NetworkInterface): string {
  const description = eni.Description ? ` "${eni.Description}"` : '';
  let remedy: string;
  if (eni.Attachment?.InstanceId) remedy = `attached to instance ${eni.Attachment.InstanceId}: terminate the instance`;
  else if (eni.Description?.startsWith('ELB '))
    remedy = 'a load balancer interface: delete the load balancer; AWS removes its interfaces a few minutes later';
  else if (eni.RequesterManaged)
    remedy = `managed by ${eni.RequesterId ?? 'an AWS service'}: delete the resource that created it`;
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
      .map(
        (g) =>
          `security group ${g.GroupId} (${g.GroupName}) allows traffic from it: revoke that rule or delete the group`,
      ),
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
export async function deleteRouteTable(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  id: string,
  table?: RouteTable,
): Promise<void> {
  const ec2 = ctx.aws.ec2;
  const associations = (table ?? (await describeById(ec2, ROUTE_TABLES, id)))?.Associations ?? [];
  for (const a of associations.filter((a) => !a.Main && a.RouteTableAssociationId)) {
    await ignoring(isNotFound, () =>
      ec2.send(new DisassociateRouteTableCommand({ AssociationId: a.RouteTableAssociationId })),
    );
  }
  await deleteRetryingDependencies(
    ctx,
    `route table ${id}`,
    () => ec2.send(new DeleteRouteTableCommand({ RouteTableId: id })),
    async () => [],
  );
}

/**
 * Detaches an internet gateway from every VPC, then deletes it. Detaching fails with
 * DependencyViolation while the VPC still has public addresses mapped (an instance's, an ALB's).
 */
export async function deleteInternetGateway(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  id: string,
  igw?: InternetGateway,
): Promise<void> {
  const ec2 = ctx.aws.ec2;
  const attachments = (igw ?? (await describeById(ec2, INTERNET_GATEWAYS, id)))?.Attachments ?? [];
  for (const { VpcId } of attachments.filter((a) => a.VpcId)) {
    await deleteRetryingDependencies(
      ctx,
      `internet gateway ${id} (detaching it from ${VpcId})`,
      () =>
        ignoring(
          (err) => hasCode(err, Ec2Code.gatewayNotAttached),
          () => ec2.send(new DetachInternetGatewayCommand({ InternetGatewayId: id, VpcId })),
        ),
      async () =>
        (await NETWORK_INTERFACES.list(ec2, { filters: [filter('vpc-id', VpcId!)] }))
          .filter((e) => e.Association?.PublicIp)
          .map(explainInterface),
    );
  }
  await deleteRetryingDependencies(
    ctx,
    `internet gateway ${id}`,
    () => ec2.send(new DeleteInternetGatewayCommand({ InternetGatewayId: id })),
    async () => [],
  );
}

export async function deleteSubnet(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  id: string,
): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(
    ctx,
    `subnet ${id}`,
    () => ec2.send(new DeleteSubnetCommand({ SubnetId: id })),
    () => interfacesMatching(ec2, filter('subnet-id', id)),
  );
}

export async function deleteVpc(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  id: string,
): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(
    ctx,
    `VPC ${id}`,
    () => ec2.send(new DeleteVpcCommand({ VpcId: id })),
    () => vpcDependents(ec2, id),
  );
}

export async function deleteSecurityGroup(
  ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>,
  id: string,
): Promise<void> {
  const ec2 = ctx.aws.ec2;
  await deleteRetryingDependencies(
    ctx,
    `security group ${id}`,
    () => ec2.send(new DeleteSecurityGroupCommand({ GroupId: id })),
    () => securityGroupDependents(ec2, id),
  );
}
