/**
 * The unit prices a monthly estimate needs, and the small table shipped with devenv for when the
 * Price List API cannot be asked (offline, no `pricing:GetProducts` permission) and no cache exists.
 * Where each figure was read is in docs/aws-behaviour.md#prices.
 */

export type PriceKey =
  | 'instanceHour'
  | 'gp3GiBMonth'
  | 'snapshotGBMonth'
  | 'albHour'
  | 'albLcuHour'
  | 'ipv4Hour'
  | 'secretMonth'
  | 'alarmMonth'
  | 'logsIngestGB'
  | 'logsStoredGBMonth'
  | 'cognitoMau';

export const PRICE_KEYS: readonly PriceKey[] = [
  'instanceHour',
  'gp3GiBMonth',
  'snapshotGBMonth',
  'albHour',
  'albLcuHour',
  'ipv4Hour',
  'secretMonth',
  'alarmMonth',
  'logsIngestGB',
  'logsStoredGBMonth',
  'cognitoMau',
];

/** One unit price in USD and where it came from (`AWS Price List, 2026-12-06`), as each line of the estimate says. */
export interface Price {
  usd: number;
  source: string;
}

/** The prices for one region and instance type; a key is absent when no source knew it. */
export type PriceSheet = Partial<Record<PriceKey, Price>>;

/** One region's shipped prices: on-demand Linux per hour by instance type, the rest by key. */
interface ShippedRegion {
  /** When AWS's price list was read for it. */
  date: string;
  instanceHour: Record<string, number>;
  prices: Partial<Record<Exclude<PriceKey, 'instanceHour'>, number>>;
  /** Sizes priced from another size of their family: AWS prices a family's sizes in proportion. */
  scaled?: Record<string, { from: string; times: number }>;
}

/** us-east-1: every key (cognitoMau: the Essentials tier above its free MAUs). */
const US_EAST_1: ShippedRegion = {
  date: '2026-07',
  instanceHour: {
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    't3.2xlarge': 0.3328,
    't3a.large': 0.0752,
    't3a.xlarge': 0.1504,
    't3a.2xlarge': 0.3008,
    'm5.large': 0.096,
    'm5.xlarge': 0.192,
    'm5.2xlarge': 0.384,
    'm5.4xlarge': 0.768,
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'm6i.2xlarge': 0.384,
    'm6i.4xlarge': 0.768,
    'm7i.large': 0.1008,
    'm7i.xlarge': 0.2016,
    'm7i.2xlarge': 0.4032,
    'm7i.4xlarge': 0.8064,
  },
  prices: {
    gp3GiBMonth: 0.08,
    snapshotGBMonth: 0.05,
    albHour: 0.0225,
    albLcuHour: 0.008,
    ipv4Hour: 0.005,
    secretMonth: 0.4,
    alarmMonth: 0.1,
    logsIngestGB: 0.5,
    logsStoredGBMonth: 0.03,
    cognitoMau: 0.015,
  },
};

/** ap-southeast-7 (Thailand), the default region: what its price list of that day was found to say. */
const AP_SOUTHEAST_7: ShippedRegion = {
  date: '2026-07-21',
  instanceHour: { 't3.medium': 0.0475, 't3.large': 0.095, 'm6i.large': 0.102, 'm6i.2xlarge': 0.408 },
  scaled: {
    't3.xlarge': { from: 't3.large', times: 2 },
    't3.2xlarge': { from: 't3.large', times: 4 },
    'm6i.xlarge': { from: 'm6i.large', times: 2 },
    'm6i.4xlarge': { from: 'm6i.2xlarge', times: 2 },
  },
  prices: { gp3GiBMonth: 0.0864, snapshotGBMonth: 0.045, ipv4Hour: 0.005 },
};

const SHIPPED: Record<string, ShippedRegion> = { 'us-east-1': US_EAST_1, 'ap-southeast-7': AP_SOUTHEAST_7 };

/** The source of a shipped price: `shipped ap-southeast-7 table, 2026-07-21`. */
const shippedSource = (region: string) => `shipped ${region} table, ${SHIPPED[region]?.date}`;

/** The source of every price shipped for us-east-1 (for us-east-1 itself, or standing in for another region). */
export const SHIPPED_SOURCE = shippedSource('us-east-1');

/** Whether a line's price is us-east-1's standing in for `region`'s (which devenv does not ship). */
export const isStandIn = (source: string, region: string) =>
  region !== 'us-east-1' && source.startsWith(SHIPPED_SOURCE);

function regionPrice(region: string, key: PriceKey, instanceType: string): Price | undefined {
  const table = SHIPPED[region];
  if (!table) return undefined;
  const source = shippedSource(region);
  if (key !== 'instanceHour') {
    const usd = table.prices[key];
    return usd === undefined ? undefined : { usd, source };
  }
  const hourly = table.instanceHour[instanceType];
  if (hourly !== undefined) return { usd: hourly, source };
  const scaled = table.scaled?.[instanceType];
  const base = scaled && table.instanceHour[scaled.from];
  if (!scaled || base === undefined) return undefined;
  return { usd: Math.round(base * scaled.times * 1e6) / 1e6, source: `${source} (${scaled.times} × ${scaled.from})` };
}

/**
 * The shipped table for `region`: its own prices where devenv ships them (us-east-1 and the default
 * region, ap-southeast-7), else us-east-1's, the line saying so (regions cost up to ~30 % more).
 */
export function shippedPrices(region: string, instanceType: string): PriceSheet {
  const sheet: PriceSheet = {};
  for (const key of PRICE_KEYS) {
    const own = regionPrice(region, key, instanceType);
    const standIn = own ? undefined : regionPrice('us-east-1', key, instanceType);
    if (own) sheet[key] = own;
    if (standIn) sheet[key] = { usd: standIn.usd, source: `${standIn.source}, for want of ${region}'s` };
  }
  return sheet;
}
