import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { type PriceSheet, shippedPrices } from '../blueprint/prices.js';
import type { AwsClients } from '../aws/clients.js';
import { errorCodes } from '../aws/errors.js';
import { messageOf } from '../errors.js';

/** Prices older than this are asked for again (AWS changes list prices rarely, and announces it). */
export const PRICE_CACHE_DAYS = 30;

interface CachedPrices {
  /** The day they were read, `2026-12-06`. */
  date: string;
  sheet: PriceSheet;
}

/**
 * `$XDG_CACHE_HOME/devenv` (`~/.cache/devenv`): prices hold nothing secret. `v2`: the caches of earlier
 * versions are not read, as they may hold CloudWatch's and Cognito's free first tier ($0) as their price.
 */
export const priceCacheFile = (env: Record<string, string | undefined>, region: string, instanceType: string) =>
  join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'devenv', `prices-v2-${region}-${instanceType}.json`);

async function readCache(file: string): Promise<CachedPrices | undefined> {
  try {
    const cached = JSON.parse(await readFile(file, 'utf8')) as CachedPrices;
    return typeof cached.date === 'string' && typeof cached.sheet === 'object' ? cached : undefined;
  } catch {
    return undefined; // none yet, or unreadable: asked again (online) or the shipped table (offline)
  }
}

async function writeCache(file: string, cached: CachedPrices): Promise<void> {
  await mkdir(join(file, '..'), { recursive: true });
  await writeFile(`${file}.tmp`, `${JSON.stringify(cached, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}

const ageInDays = (date: string, now: Date) => (now.getTime() - Date.parse(`${date}T00:00:00Z`)) / 86400000;

export interface PriceOptions {
  region: string;
  instanceType: string;
  env: Record<string, string | undefined>;
  now: Date;
  /** Asks the Price List API when the cache is missing or older than PRICE_CACHE_DAYS; offline without. */
  aws?: AwsClients;
}

/**
 * The prices of an estimate: the cache when fresh, else AWS's Price List (then cached), else —
 * offline, or when the API refuses — the cache whatever its age, else the shipped table. Whatever
 * one source lacks, the shipped table fills. `warning` says why the API was not used when it failed.
 */
export async function estimatePrices(o: PriceOptions): Promise<{ sheet: PriceSheet; warning?: string }> {
  const file = priceCacheFile(o.env, o.region, o.instanceType);
  const cached = await readCache(file);
  const shipped = shippedPrices(o.region, o.instanceType);
  const fromCache = (c: CachedPrices): PriceSheet =>
    Object.fromEntries(
      Object.entries(c.sheet).map(([k, p]) => [k, { usd: p.usd, source: `cached AWS Price List of ${c.date}` }]),
    );
  if (cached && (!o.aws || ageInDays(cached.date, o.now) <= PRICE_CACHE_DAYS))
    return { sheet: { ...shipped, ...fromCache(cached) } };
  if (!o.aws) return { sheet: shipped };
  const today = o.now.toISOString().slice(0, 10);
  try {
    const { priceListSheet } = await import('../aws/pricing.js');
    const sheet = await priceListSheet(await o.aws.pricing(), o.region, o.instanceType, today);
    await writeCache(file, { date: today, sheet });
    return { sheet: { ...shipped, ...sheet } };
  } catch (err) {
    const why = errorCodes(err)[0] ?? messageOf(err);
    return {
      sheet: { ...shipped, ...(cached ? fromCache(cached) : {}) },
      warning:
        `the estimate could not read AWS's Price List (${why}): it uses ` +
        `${cached ? `the prices cached on ${cached.date}` : 'the table shipped with devenv'}; ` +
        'grant pricing:GetProducts for current prices',
    };
  }
}
