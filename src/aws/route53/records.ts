import {
  ChangeResourceRecordSetsCommand,
  ListResourceRecordSetsCommand,
  waitUntilResourceRecordSetsChanged,
  type Change,
  type ResourceRecordSet,
  type RRType,
} from '@aws-sdk/client-route-53';
import type { AwsContext } from '../context.js';
import { sdkWait } from '../wait.js';

// ---------------------------------------------------------------------------------------------
// Route 53 records: no tags and no ids, so a record is known by its name and type.

/** `Foo.Example.com.` → `foo.example.com`; Route 53 writes `*` as `\052`. */
export const normalName = (name: string): string => name.toLowerCase().replace(/\.$/, '').replaceAll('\\052', '*');

/** Every record of the zone at `domain` or under it (one call per 300 records). */
export async function recordsUnder(
  ctx: Pick<AwsContext, 'aws'>,
  zoneId: string,
  domain: string,
): Promise<ResourceRecordSet[]> {
  const wanted = normalName(domain);
  const out: ResourceRecordSet[] = [];
  let next: { StartRecordName?: string; StartRecordType?: RRType; StartRecordIdentifier?: string } = {};
  do {
    const page = await ctx.aws.route53.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 300, ...next }),
    );
    for (const r of page.ResourceRecordSets ?? []) {
      const name = normalName(r.Name ?? '');
      if (name === wanted || name.endsWith(`.${wanted}`)) out.push(r);
    }
    next = page.IsTruncated
      ? {
          StartRecordName: page.NextRecordName,
          StartRecordType: page.NextRecordType,
          StartRecordIdentifier: page.NextRecordIdentifier,
        }
      : {};
  } while (next.StartRecordName);
  return out;
}

export const recordsNamed = (records: ResourceRecordSet[], name: string): ResourceRecordSet[] =>
  records.filter((r) => normalName(r.Name ?? '') === normalName(name));

/** How long Route 53 may take to apply a change everywhere ("generally within 60 seconds" [r53-crrs]). */
const INSYNC_WAIT_S = 5 * 60;

/**
 * Sends all `changes` in one batch (all or nothing [r53-crrs]) and waits until Route 53 has
 * applied them (INSYNC). Nothing is sent when there is nothing to change.
 */
export async function changeRecords(
  ctx: Pick<AwsContext, 'aws' | 'signal' | 'report' | 'clock'>,
  zoneId: string,
  changes: Change[],
  comment: string,
): Promise<void> {
  if (changes.length === 0) return;
  const out = await ctx.aws.route53.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: comment, Changes: changes } }),
  );
  const id = out.ChangeInfo?.Id;
  if (!id || out.ChangeInfo?.Status === 'INSYNC') return;
  const what = `Route 53 change ${id} (${comment}) to be applied`;
  await sdkWait(
    ctx,
    ctx.aws.route53,
    what,
    INSYNC_WAIT_S,
    (w) => waitUntilResourceRecordSetsChanged({ ...w, minDelay: 5, maxDelay: 30 }, { Id: id }),
    {
      remedy: 'the records are written and Route 53 goes on applying them; run the same command again in a few minutes',
    },
  );
}

export const upsert = (record: ResourceRecordSet): Change => ({ Action: 'UPSERT', ResourceRecordSet: record });
/** A DELETE must repeat the record exactly as it is, so it takes the record as listed. */
export const deletion = (record: ResourceRecordSet): Change => ({ Action: 'DELETE', ResourceRecordSet: record });

/** What a record points to, for people: `alias → x.elb.amazonaws.com`, `CNAME → a.b`, `A 1.2.3.4`. */
export function describeTarget(r: ResourceRecordSet): string {
  if (r.AliasTarget) return `${r.Type} alias → ${normalName(r.AliasTarget.DNSName ?? '')}`;
  return `${r.Type} ${(r.ResourceRecords ?? []).map((v) => v.Value).join(', ')}`;
}
