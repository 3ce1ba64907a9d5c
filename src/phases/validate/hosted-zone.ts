import { GetHostedZoneCommand, type GetHostedZoneCommandOutput } from '@aws-sdk/client-route-53';
import { hasCode, Route53Code } from '../../aws/errors.js';
import { sharedNameFix, takenNames, takenText } from '../../aws/route53/owners.js';
import { normalName, recordsUnder } from '../../aws/route53/records.js';
import type { Context } from '../types.js';
import { checkDelegation } from './delegation.js';
import { fail, guarded, needs, pass, type ValidationResult } from './result.js';
import { LOAD_BALANCER, recordId } from '../../blueprint/edge.js';

/** `example.com.` covers `example.com` and every name under it. Route 53 zone names end with a dot. */
export function zoneCovers(zoneName: string, domain: string): boolean {
  const zone = normalName(zoneName);
  const name = normalName(domain);
  return name === zone || name.endsWith(`.${zone}`);
}

/**
 * The hosted zone exists, is public, is the zone of baseDomain or of a parent of it, and its domain is delegated to it.
 */
export function checkHostedZone(ctx: Context): Promise<ValidationResult> {
  const { hostedZoneId: id, baseDomain } = ctx.config;
  const findIt = `\`aws route53 list-hosted-zones-by-name --dns-name ${baseDomain}\` lists candidates`;
  return guarded('hosted zone', ctx.model.region, async () => {
    let answer: GetHostedZoneCommandOutput;
    try {
      answer = await needs('route53:GetHostedZone', ctx.aws.route53.send(new GetHostedZoneCommand({ Id: id })));
    } catch (err) {
      if (!hasCode(err, Route53Code.noSuchHostedZone)) throw err;
      return fail(
        'hosted zone',
        `hosted zone ${id} does not exist in this account: set hostedZoneId to the public zone of ` +
          `${baseDomain} or of a parent of it (${findIt})`,
        { id },
      );
    }
    const zone = answer.HostedZone;
    const name = zone?.Name ?? '';
    const problems: string[] = [];
    if (!zoneCovers(name, baseDomain)) {
      problems.push(
        `hosted zone ${id} is for ${name}, but baseDomain is ${baseDomain}: use the zone of ` +
          `${baseDomain} or a parent of it (${findIt})`,
      );
    }
    if (zone?.Config?.PrivateZone) {
      problems.push(
        `hosted zone ${id} (${name}) is private, but ACM's DNS validation and the developers' ` +
          `browsers need public DNS: use a public zone of ${baseDomain} or a parent of it`,
      );
    }
    if (problems.length > 0) return fail('hosted zone', problems.join('; '), { id });
    const delegation = await checkDelegation(ctx, id, name, answer.DelegationSet?.NameServers ?? []);
    if (delegation.problem) return fail('hosted zone', delegation.problem, { id });
    const taken = await namesOfOtherProjects(ctx, id);
    if (taken) return fail('hosted zone', taken, { id, cause: 'config' });
    return pass('hosted zone', `hosted zone ${id} ${name} (public) covers ${baseDomain}`, {
      id,
      outputs: { hostedZoneId: id, hostedZoneName: name },
      ...(delegation.warning ? { warnings: [delegation.warning] } : {}),
    });
  });
}

/**
 * Developers' names that another devenv project's records hold (aliases to its load balancer):
 * two projects cannot serve one name, and the dns phase would stop there after everything else
 * was built. Aliases to this project's recorded load balancer need no look-up; only names not yet
 * recorded as this project's are looked at.
 */
async function namesOfOtherProjects(ctx: Context, zoneId: string): Promise<string | undefined> {
  // A name the dns phase has recorded is this project's already: a converged rerun lists nothing.
  if (ctx.model.developers.every((d) => ctx.state.resource(recordId(d.name))?.id)) return undefined;
  const live = await needs('route53:ListResourceRecordSets', recordsUnder(ctx, zoneId, ctx.config.baseDomain));
  const developers = new Map(ctx.model.developers.map((d) => [normalName(d.hostname), d.name]));
  const ours = ctx.state.resource(LOAD_BALANCER)?.attrs?.dnsName;
  const held = await needs(
    'elasticloadbalancing:DescribeLoadBalancers',
    takenNames(ctx, live, {
      names: new Set(developers.keys()),
      project: ctx.model.project,
      ...(ours ? { ours: String(ours) } : {}),
    }),
  );
  const taken = held.map((t) => ({ ...t, developer: developers.get(normalName(t.record.Name!))! }));
  if (taken.length === 0) return undefined;
  const found = taken.map((t) => takenText(normalName(t.record.Name!), t.project, [t.record])).join('; ');
  const fix = sharedNameFix({
    project: ctx.model.project,
    baseDomain: ctx.config.baseDomain,
    developers: taken.map((t) => t.developer),
    others: taken.map((t) => t.project),
  });
  return `${found}: two projects cannot serve one name: ${fix}`;
}
