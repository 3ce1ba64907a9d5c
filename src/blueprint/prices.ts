/**
 * The unit prices a monthly estimate needs, and the small table shipped with devenv for when the
 * Price List API cannot be asked (offline, no `pricing:GetProducts` permission) and no cache exists.
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

/** When the shipped table's prices were read from AWS's pricing pages. */
export const SHIPPED_DATE = '2025-12';

/** us-east-1 on-demand Linux prices per hour, of the instance types a devenv host is usually given. */
const US_EAST_1_INSTANCE_HOUR: Record<string, number> = {
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
};

/** us-east-1 list prices of everything else (cognitoMau: the Essentials tier above its 10,000 free MAUs). */
const US_EAST_1: Record<Exclude<PriceKey, 'instanceHour'>, number> = {
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
};

/** The shipped table's source, as each line of an estimate names it. */
export const SHIPPED_SOURCE = `shipped us-east-1 table, ${SHIPPED_DATE}`;

/**
 * The shipped table: us-east-1's list prices. For another region they are the best guess devenv has
 * offline (the estimate says so: regions cost up to ~30 % more).
 */
export function shippedPrices(instanceType: string): PriceSheet {
  const sheet: PriceSheet = {};
  for (const [key, usd] of Object.entries(US_EAST_1)) sheet[key as PriceKey] = { usd, source: SHIPPED_SOURCE };
  const hourly = US_EAST_1_INSTANCE_HOUR[instanceType];
  if (hourly !== undefined) sheet.instanceHour = { usd: hourly, source: SHIPPED_SOURCE };
  return sheet;
}
