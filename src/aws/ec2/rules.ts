import {
  AuthorizeSecurityGroupEgressCommand,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupEgressCommand,
  RevokeSecurityGroupIngressCommand,
  type EC2Client,
  type IpPermission,
  type SecurityGroupRule,
} from '@aws-sdk/client-ec2';
import { Ec2Code, hasCode, ignoring, isNotFound } from '../errors.js';
import { tagSpecifications, type Tags } from '../../config/tags.js';
import { SECURITY_GROUP_RULES, filter } from './collections.js';
import type { Fix } from '../fix.js';

// ---------------------------------------------------------------------------------------------
// Security group rules.

/**
 * An ingress rule devenv wants: TCP ports from a CIDR (IPv4, or IPv6 in EC2's written form) or from another security
 * group.
 */
export interface WantedRule {
  fromPort: number;
  toPort: number;
  cidr?: string;
  groupId?: string;
  description: string;
}

/** Shows ids by the names people know them by: `{ 'sg-0ab…': 'sg/alb' }`. */
export type Names = Record<string, string>;

/** A group's rules, each with its own id: one call for its ingress and its egress. */
export const groupRulesOf = (ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> =>
  SECURITY_GROUP_RULES.list(ec2, { filters: [filter('group-id', groupId)] });

/** A group's ingress rules, each with its own id (egress rules are left out). */
export async function ingressRulesOf(ec2: EC2Client, groupId: string): Promise<SecurityGroupRule[]> {
  return (await groupRulesOf(ec2, groupId)).filter((r) => !r.IsEgress);
}

/** The description of the egress rule devenv adds for the load balancer's sign-in (and the only one it revokes). */
export const SIGN_IN_EGRESS = 'HTTPS to the identity provider (load balancer sign-in)';

/** An IPv4 egress rule to anywhere that lets TCP 443 out (the default "all traffic" rule does). */
const letsHttpsOut = (r: SecurityGroupRule) =>
  r.IsEgress &&
  r.CidrIpv4 === '0.0.0.0/0' &&
  (r.IpProtocol === '-1' || (r.IpProtocol === 'tcp' && (r.FromPort ?? 0) <= 443 && (r.ToPort ?? 0) >= 443));

/**
 * The load balancer's way out to an identity provider: with `wanted`, TCP 443 to anywhere (the provider's addresses
 * are not known; AWS requires the rule for authenticate actions), added only when no egress rule lets it out
 * already (the default one does, unless it was narrowed). Without, the rule devenv added (by its description) goes.
 */
export function signInEgressFixes(
  ec2: EC2Client,
  groupId: string,
  live: SecurityGroupRule[],
  wanted: boolean,
  tags: Tags,
): Fix[] {
  if (wanted) {
    if (live.some(letsHttpsOut)) return [];
    const permission: IpPermission = {
      IpProtocol: 'tcp',
      FromPort: 443,
      ToPort: 443,
      IpRanges: [{ CidrIp: '0.0.0.0/0', Description: SIGN_IN_EGRESS }],
    };
    return [
      {
        description: 'authorize egress tcp 443 to anywhere (the identity provider)',
        run: () =>
          ignoring(
            (e) => hasCode(e, Ec2Code.permissionDuplicate),
            () =>
              ec2.send(
                new AuthorizeSecurityGroupEgressCommand({
                  GroupId: groupId,
                  IpPermissions: [permission],
                  TagSpecifications: tagSpecifications('security-group-rule', tags),
                }),
              ),
          ),
      },
    ];
  }
  const ours = live.filter((r) => r.IsEgress && r.Description === SIGN_IN_EGRESS);
  if (!ours.length) return [];
  return [
    {
      description: 'revoke egress tcp 443 to anywhere (no identity provider to reach)',
      run: () =>
        ignoring(isNotFound, () =>
          ec2.send(
            new RevokeSecurityGroupEgressCommand({
              GroupId: groupId,
              SecurityGroupRuleIds: ours.map((r) => r.SecurityGroupRuleId!),
            }),
          ),
        ),
    },
  ];
}

const sourceOf = (r: SecurityGroupRule) =>
  r.CidrIpv4 ?? r.CidrIpv6 ?? r.PrefixListId ?? r.ReferencedGroupInfo?.GroupId ?? 'unknown';
const liveKey = (r: SecurityGroupRule) => `${r.IpProtocol} ${r.FromPort}-${r.ToPort} ${sourceOf(r)}`;
const wantedKey = (w: WantedRule) => `tcp ${w.fromPort}-${w.toPort} ${w.cidr ?? w.groupId}`;

function showRule(
  protocol: string | undefined,
  from: number | undefined,
  to: number | undefined,
  source: string,
  names: Names,
): string {
  const ports = protocol === '-1' ? 'all traffic' : `${protocol} ${from === to ? from : `${from}-${to}`}`;
  return `${ports} from ${names[source] ?? source}`;
}
const showLive = (r: SecurityGroupRule, names: Names) =>
  showRule(r.IpProtocol, r.FromPort, r.ToPort, sourceOf(r), names);
const showWanted = (w: WantedRule, names: Names) =>
  showRule('tcp', w.fromPort, w.toPort, (w.cidr ?? w.groupId)!, names);

const toPermission = (w: WantedRule): IpPermission => ({
  IpProtocol: 'tcp',
  FromPort: w.fromPort,
  ToPort: w.toPort,
  ...(w.groupId
    ? { UserIdGroupPairs: [{ GroupId: w.groupId, Description: w.description }] }
    : w.cidr?.includes(':')
      ? { Ipv6Ranges: [{ CidrIpv6: w.cidr, Description: w.description }] }
      : { IpRanges: [{ CidrIp: w.cidr, Description: w.description }] }),
});

/**
 * What brings a group's ingress rules to `wanted`: authorize the missing ones, then revoke the
 * stale ones (in that order, so a changed port range or CIDR never leaves a moment without
 * access). A rule matches on protocol, ports and source; matching rules are left alone, their
 * descriptions included (moto 5.2.1 drops the description of a rule that names a group), and
 * egress is never touched.
 */
export function ruleFixes(
  ec2: EC2Client,
  groupId: string,
  wanted: WantedRule[],
  live: SecurityGroupRule[],
  tags: Tags,
  names: Names,
): Fix[] {
  const liveKeys = new Set(live.map(liveKey));
  const wantedKeys = new Set(wanted.map(wantedKey));
  const missing = wanted.filter((w) => !liveKeys.has(wantedKey(w)));
  const stale = live.filter((r) => !wantedKeys.has(liveKey(r)));
  return [...authorizeRules(ec2, groupId, missing, tags, names), ...revokeRules(ec2, groupId, stale, names)];
}

function authorizeRules(ec2: EC2Client, groupId: string, rules: WantedRule[], tags: Tags, names: Names): Fix[] {
  if (rules.length === 0) return [];
  const authorize = (some: WantedRule[]) =>
    ec2.send(
      new AuthorizeSecurityGroupIngressCommand({
        GroupId: groupId,
        IpPermissions: some.map(toPermission),
        TagSpecifications: tagSpecifications('security-group-rule', tags),
      }),
    );
  const run = async () => {
    try {
      await authorize(rules);
    } catch (err) {
      // The call is all or nothing: one rule that exists already (a describe lagging behind an
      // earlier authorize) fails them all. Add them one at a time, skipping the duplicate.
      if (!hasCode(err, Ec2Code.permissionDuplicate)) throw err;
      for (const rule of rules)
        await ignoring(
          (e) => hasCode(e, Ec2Code.permissionDuplicate),
          () => authorize([rule]),
        );
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
  return [
    {
      description: `revoke ${rules.map((r) => showLive(r, names)).join(', ')}`,
      run: () =>
        ignoring(isNotFound, () =>
          ec2.send(new RevokeSecurityGroupIngressCommand({ GroupId: groupId, SecurityGroupRuleIds })),
        ),
    },
  ];
}
