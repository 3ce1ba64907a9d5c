import { normalName } from '../../aws/route53/records.js';
import type { Context } from '../types.js';

export interface Delegation {
  /** The domain is served by other name servers: ACM cannot validate, nobody reaches the URLs. */
  problem?: string;
  /** The public NS records could not be read: worth a look, not a reason to stop. */
  warning?: string;
}

/**
 * Is the zone's domain delegated to this hosted zone? A public hosted zone proves nothing by itself
 * (docs/aws-behaviour.md#certificates-and-dns): when the registrar or the parent zone names other name
 * servers, ACM never sees the validation record and the certificate waits until it times out.
 */
export async function checkDelegation(
  ctx: Pick<Context, 'dns'>,
  zoneId: string,
  zoneName: string,
  zoneServers: string[],
): Promise<Delegation> {
  const domain = normalName(zoneName);
  const own = zoneServers.map(normalName);
  if (own.length === 0) return {};
  let published: string[];
  try {
    published = (await ctx.dns.resolveNs(domain)).map(normalName);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    return {
      warning:
        `could not read the public NS records of ${domain} (${code}): make sure its registrar (or ` +
        `parent zone) delegates it to hosted zone ${zoneId}'s name servers ${own.join(', ')}, or ACM ` +
        'cannot validate the certificate',
    };
  }
  if (published.some((s) => own.includes(s))) return {};
  return {
    problem:
      `${domain} is delegated to ${published.join(', ') || 'no name servers'}, not to hosted zone ` +
      `${zoneId} (${own.join(', ')}): ACM could not validate the certificate and the developers' ` +
      'URLs would not resolve. ' +
      `Set ${domain}'s NS records at its registrar (or in the parent zone) to ${own.join(', ')}, or ` +
      `set hostedZoneId to the zone that serves ${domain}`,
  };
}
