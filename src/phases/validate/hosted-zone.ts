import { GetHostedZoneCommand } from '@aws-sdk/client-route-53';
import { hasCode, Route53Code } from '../../aws/errors.js';
import { normalName } from '../../aws/route53/records.js';
import type { Context } from '../types.js';
import { checkDelegation } from './delegation.js';
import { fail, guarded, needs, pass, type CheckResult } from './outcome.js';

/** `example.com.` covers `example.com` and every name under it. Route 53 zone names end with a dot. */
export function zoneCovers(zoneName: string, domain: string): boolean {
  const zone = normalName(zoneName);
  const name = normalName(domain);
  return name === zone || name.endsWith(`.${zone}`);
}

/** The hosted zone exists, is public, is the zone of baseDomain or of a parent of it, and its domain is delegated to it. */
export function checkHostedZone(ctx: Context): Promise<CheckResult> {
  const { hostedZoneId: id, baseDomain } = ctx.config;
  const findIt = `\`aws route53 list-hosted-zones-by-name --dns-name ${baseDomain}\` lists candidates`;
  return guarded('hosted zone', ctx.model.region, async () => {
    let answer;
    try {
      answer = await needs('route53:GetHostedZone', ctx.aws.route53.send(new GetHostedZoneCommand({ Id: id })));
    } catch (err) {
      if (!hasCode(err, Route53Code.noSuchHostedZone)) throw err;
      return fail('hosted zone', `hosted zone ${id} does not exist in this account: set hostedZoneId to the public zone of ${baseDomain} or of a parent of it (${findIt})`, { id });
    }
    const zone = answer.HostedZone;
    const name = zone?.Name ?? '';
    const problems: string[] = [];
    if (!zoneCovers(name, baseDomain)) {
      problems.push(`hosted zone ${id} is for ${name}, but baseDomain is ${baseDomain}: use the zone of ${baseDomain} or a parent of it (${findIt})`);
    }
    if (zone?.Config?.PrivateZone) {
      problems.push(`hosted zone ${id} (${name}) is private, but ACM's DNS validation and the developers' browsers need public DNS: use a public zone of ${baseDomain} or a parent of it`);
    }
    if (problems.length > 0) return fail('hosted zone', problems.join('; '), { id });
    const delegation = await checkDelegation(ctx, id, name, answer.DelegationSet?.NameServers ?? []);
    if (delegation.problem) return fail('hosted zone', delegation.problem, { id });
    return pass('hosted zone', `hosted zone ${id} ${name} (public) covers ${baseDomain}`, {
      id,
      outputs: { hostedZoneId: id, hostedZoneName: name },
      ...(delegation.warning ? { warnings: [delegation.warning] } : {}),
    });
  });
}
