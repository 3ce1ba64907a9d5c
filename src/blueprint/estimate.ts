import type { Model } from '../config/model.js';
import { parseDays, type ScheduleConfig } from '../config/schedule.js';
import { blueprints } from './index.js';
import type { PriceKey, PriceSheet } from './prices.js';

/** AWS bills a month as 730 hours (365 × 24 / 12). */
export const HOURS_PER_MONTH = 730;
const WEEKS_PER_MONTH = 365 / 7 / 12;

/** What the estimate assumes where the config cannot say; printed under it. */
export const ASSUMPTIONS = {
  /** Load balancer capacity units: a team's editors use well under one (AWS bills at least the hours). */
  lcu: 1,
  /** Public IPv4 addresses of the load balancer: one per zone, two zones. */
  albAddresses: 2,
  /** GB of the data volume in use, stored once by the first snapshot, and GB changed a day after. */
  snapshotUsedGB: 100,
  snapshotDailyChangeGB: 2,
  /** GB of logs a developer's container and their share of the host write in a month. */
  logsGBPerDeveloper: 0.25,
  /** Cognito's Essentials tier bills monthly active users above this many. */
  cognitoFreeMau: 10000,
} as const;

export interface EstimateLine {
  item: string;
  /** How it is billed, with the quantities: `$0.3328/h × 730 h`. */
  billing: string;
  /** USD a month; undefined when no source knew the price. */
  usd: number | undefined;
  source: string;
}

export interface Estimate {
  lines: EstimateLine[];
  /** The sum of the lines whose price is known. */
  total: number;
  perDeveloper: number;
  developers: number;
  region: string;
  hostHours: number;
  /** What the office hours save against running all month (absent without them). */
  officeHoursSaving?: number;
  /** Items whose price no source knew: the total leaves them out. */
  unknown: string[];
}

/** Hours a month the host runs: the office hours' days × their length, or all of them. */
export function hostHoursPerMonth(schedule: ScheduleConfig | undefined): number {
  if (!schedule?.start || !schedule.stop) return HOURS_PER_MONTH;
  const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3));
  const daily = (minutes(schedule.stop) - minutes(schedule.start) + 1440) % 1440;
  const days = parseDays(schedule.days)?.length ?? 7;
  return Math.min(HOURS_PER_MONTH, round2((days * WEEKS_PER_MONTH * daily) / 60));
}

/** Dollars to the cent. */
export const round2 = (n: number) => Math.round(n * 100) / 100;
const money = (n: number) => `$${n}`;

function count(model: Model, kind: string): number {
  return Object.values(blueprints)
    .flatMap((b) => b(model))
    .filter((r) => r.kind === kind).length;
}

/** The monthly estimate of `model` at `prices`: a line per billed item, in total and per developer. */
export function estimate(model: Model, prices: PriceSheet): Estimate {
  const { config } = model;
  const hostHours = hostHoursPerMonth(config.schedule);
  const lines: EstimateLine[] = [];
  const add = (item: string, key: PriceKey, quantity: number, unit: string, note = '') => {
    const price = prices[key];
    lines.push({
      item,
      billing: `${price ? money(price.usd) : '?'}/${unit} × ${round2(quantity)}${note}`,
      usd: price ? round2(price.usd * quantity) : undefined,
      source: price?.source ?? 'unknown: no price for it offline (run `devenv plan` with credentials)',
    });
  };
  const a = ASSUMPTIONS;
  const developers = model.developers.length;
  add(`EC2 host, ${config.instance.type} Linux`, 'instanceHour', hostHours, 'h', ' h');
  add(
    `EBS data volume, ${config.instance.dataVolumeGiB} GiB gp3`,
    'gp3GiBMonth',
    config.instance.dataVolumeGiB,
    'GiB-month',
    ' GiB',
  );
  add(
    `EBS root volume, ${config.instance.rootVolumeGiB} GiB gp3`,
    'gp3GiBMonth',
    config.instance.rootVolumeGiB,
    'GiB-month',
    ' GiB',
  );
  const retention = config.monitoring.backupRetentionDays;
  const snapshotGB = a.snapshotUsedGB + a.snapshotDailyChangeGB * Math.min(retention, 31);
  add(`backup snapshots, kept ${retention} days`, 'snapshotGBMonth', snapshotGB, 'GB-month', ' GB');
  add('Application Load Balancer', 'albHour', HOURS_PER_MONTH, 'h', ' h');
  add(`load balancer capacity (${a.lcu} LCU assumed)`, 'albLcuHour', a.lcu * HOURS_PER_MONTH, 'LCU-h', ' LCU-h');
  add('public IPv4, the host (only while it runs)', 'ipv4Hour', hostHours, 'h', ' h');
  add(`public IPv4, the load balancer (${a.albAddresses})`, 'ipv4Hour', a.albAddresses * HOURS_PER_MONTH, 'h', ' h');
  add('Secrets Manager secrets', 'secretMonth', count(model, 'secret'), 'secret-month', ' secrets');
  add('CloudWatch alarms', 'alarmMonth', count(model, 'CloudWatch alarm'), 'alarm-month', ' alarms');
  const logsGB = a.logsGBPerDeveloper * developers;
  add('CloudWatch Logs ingested', 'logsIngestGB', logsGB, 'GB', ' GB');
  const storedGB = logsGB * Math.min(config.monitoring.logRetentionDays / 30, 12);
  add(
    `CloudWatch Logs stored (${config.monitoring.logRetentionDays} days)`,
    'logsStoredGBMonth',
    storedGB,
    'GB-month',
    ' GB',
  );
  if (config.auth.provider === 'cognito')
    add(
      `Cognito users (${developers}; the first ${a.cognitoFreeMau} a month are free)`,
      'cognitoMau',
      Math.max(0, developers - a.cognitoFreeMau),
      'MAU',
      ' billed MAU',
    );
  const known = lines.filter((l) => l.usd !== undefined);
  const total = round2(known.reduce((s, l) => s + (l.usd ?? 0), 0));
  const result: Estimate = {
    lines,
    total,
    perDeveloper: round2(total / developers),
    developers,
    region: model.region,
    hostHours,
    unknown: lines.filter((l) => l.usd === undefined).map((l) => l.item),
  };
  const hostRate = (prices.instanceHour?.usd ?? 0) + (prices.ipv4Hour?.usd ?? 0);
  if (hostHours < HOURS_PER_MONTH) result.officeHoursSaving = round2((HOURS_PER_MONTH - hostHours) * hostRate);
  return result;
}
