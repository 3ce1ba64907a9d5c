import { canonicalCidr } from '../config/cidr.js';
import type { Model } from '../config/model.js';
import { adminCidrsOf } from '../config/ssh.js';
import { awsResource, type PlannedResource } from './types.js';

export function vpcBlueprint(model: Model): PlannedResource[] {
  const { vpcCidr, subnetCidrs } = model.config.network;
  return [
    awsResource(model, 'vpc', 'VPC', { cidr: vpcCidr, dnsHostnames: true, dnsSupport: true }),
    awsResource(model, 'subnet/a', 'subnet', {
      cidr: subnetCidrs[0],
      availabilityZone: model.hostAz,
      mapPublicIpOnLaunch: true,
      use: 'host and ALB',
    }),
    awsResource(model, 'subnet/b', 'subnet', {
      cidr: subnetCidrs[1],
      availabilityZone: model.albAz,
      mapPublicIpOnLaunch: true,
      use: 'ALB',
    }),
    awsResource(model, 'igw', 'internet gateway', { attachedTo: 'vpc' }),
    awsResource(model, 'rtb', 'route table', { routes: ['0.0.0.0/0 → igw'], associations: ['subnet/a', 'subnet/b'] }),
  ];
}

/**
 * TCP ingress rules of each group; the host's container ports are one range rule (a group holds at most 60 inbound
 * rules).
 */
export interface IngressRule {
  fromPort: number;
  toPort: number;
  /** A CIDR, or `sg/alb` for "from the ALB's group". */
  source: string;
  description: string;
}

export function ingressRules(model: Model): { alb: IngressRule[]; host: IngressRule[] } {
  const { from, to } = model.portRange;
  const { allowedCidrs, httpRedirect } = model.config.alb;
  const ports = [...(httpRedirect ? [80] : []), 443];
  const origin = (cidr: string) => (cidr === '0.0.0.0/0' || cidr === '::/0' ? 'anywhere' : 'alb.allowedCidrs');
  return {
    alb: ports.flatMap((port) =>
      allowedCidrs.map((cidr) => ({
        fromPort: port,
        toPort: port,
        source: canonicalCidr(cidr),
        description: port === 80 ? `HTTP from ${origin(cidr)} (redirected to HTTPS)` : `HTTPS from ${origin(cidr)}`,
      })),
    ),
    host: [
      { fromPort: from, toPort: to, source: 'sg/alb', description: 'code-server containers, from the ALB only' },
      ...adminCidrsOf(model.config.ssh).map((cidr) => ({
        fromPort: 22,
        toPort: 22,
        source: cidr,
        description: 'SSH from the admin network',
      })),
    ],
  };
}

const show = (rules: IngressRule[]) =>
  rules.map((r) => `tcp ${r.fromPort === r.toPort ? r.fromPort : `${r.fromPort}-${r.toPort}`} from ${r.source}`);

export function sgBlueprint(model: Model): PlannedResource[] {
  const rules = ingressRules(model);
  return [
    awsResource(
      model,
      'sg/alb',
      'security group',
      { description: 'devenv ALB: HTTP and HTTPS from anywhere', ingress: show(rules.alb) },
      undefined,
      `${model.project}-alb-sg`,
    ),
    awsResource(
      model,
      'sg/host',
      'security group',
      { description: 'devenv host: code-server from the ALB, SSH from the admin network', ingress: show(rules.host) },
      undefined,
      `${model.project}-host-sg`,
    ),
  ];
}
