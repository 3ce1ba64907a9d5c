import { DescribeAvailabilityZonesCommand } from '@aws-sdk/client-ec2';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { CALLER_IDENTITY, readOnce } from '../../aws/read-once.js';
import type { Context } from '../types.js';
import { fail, guarded, needs, pass, type ValidationResult } from './result.js';

/** Whose credentials these are, against the account the config expects and the one the state describes. */
export function checkAccount(ctx: Context): Promise<ValidationResult> {
  return guarded('account', ctx.model.region, async () => {
    const who = await needs(
      'sts:GetCallerIdentity',
      readOnce(ctx, CALLER_IDENTITY, () => ctx.aws.sts.send(new GetCallerIdentityCommand({}))),
    );
    const account = who.Account ?? '';
    const caller = who.Arn ?? 'unknown caller';
    const expected = ctx.config.accountId;
    if (expected && account !== expected) {
      return fail(
        'account',
        `these credentials are for account ${account} (${caller}), but the config expects ${expected}: ` +
          `use credentials of account ${expected} (AWS_PROFILE …), or change accountId in the config`,
        { id: account },
      );
    }
    const recorded = ctx.state.data.account;
    if (recorded && account !== recorded) {
      return fail(
        'account',
        `the state file ${ctx.state.path} describes account ${recorded}, but these credentials are ` +
          `for account ${account}: ` +
          `use credentials of account ${recorded}, or choose another state file with --state`,
        { id: account },
      );
    }
    return pass('account', `account ${account} (${caller})`, {
      id: account,
      outputs: { accountId: account, callerArn: caller },
    });
  });
}

/** The region answers, and both availability zones exist in it and are available. */
export function checkRegion(ctx: Context): Promise<ValidationResult> {
  const { region, hostAz, albAz } = ctx.model;
  return guarded('region', region, async () => {
    // AllAvailabilityZones: also zones the account has not opted into, so "not opted in" is told apart from "does not
    // exist".
    const out = await needs(
      'ec2:DescribeAvailabilityZones',
      ctx.aws.ec2.send(new DescribeAvailabilityZonesCommand({ AllAvailabilityZones: true })),
    );
    const zones = (out.AvailabilityZones ?? []).filter(
      (z) => (z.ZoneType ?? 'availability-zone') === 'availability-zone' && (z.RegionName ?? region) === region,
    );
    const available = zones
      .filter((z) => z.State === 'available')
      .map((z) => z.ZoneName!)
      .sort();
    const problems: string[] = [];
    for (const [key, az] of [
      ['availabilityZone', hostAz],
      ['albAvailabilityZone', albAz],
    ] as const) {
      const zone = zones.find((z) => z.ZoneName === az);
      if (!zone) {
        const all = zones
          .map((z) => z.ZoneName)
          .sort()
          .join(', ');
        problems.push(
          `availability zone ${az} does not exist in ${region} (its zones: ${all || 'none'}): set ` +
            `${key} to one of them`,
        );
      } else if (zone.State !== 'available' || zone.OptInStatus === 'not-opted-in') {
        const why = zone.OptInStatus === 'not-opted-in' ? 'not opted in' : (zone.State ?? 'not available');
        const said = (zone.Messages ?? [])
          .map((m) => m.Message)
          .filter(Boolean)
          .join('; ');
        problems.push(
          `availability zone ${az} is ${why}${said ? ` (${said})` : ''}: set ${key} to an available ` +
            `zone (${available.join(', ') || 'none'})`,
        );
      }
    }
    if (problems.length > 0) return fail('region', problems.join('; '), { id: region });
    const idOf = (az: string) => zones.find((z) => z.ZoneName === az)?.ZoneId ?? '';
    return pass(
      'region',
      `region ${region}: host in ${hostAz} (${idOf(hostAz)}), ALB also in ${albAz} (${idOf(albAz)})`,
      {
        id: region,
        outputs: { region, hostAz, hostAzId: idOf(hostAz), albAz, albAzId: idOf(albAz) },
      },
    );
  });
}
