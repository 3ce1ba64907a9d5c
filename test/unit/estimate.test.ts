import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { priceOf } from '../../src/aws/pricing.js';
import { estimate, hostHoursPerMonth } from '../../src/blueprint/estimate.js';
import { SHIPPED_SOURCE, shippedPrices } from '../../src/blueprint/prices.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { offlinePlan } from '../../src/commands/plan.js';
import { estimatePrices, priceCacheFile } from '../../src/commands/prices.js';
import { readmeEstimate } from '../../src/ui/readme-estimate.js';
import { baseConfig } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

const configWith = (overrides: Record<string, unknown>) =>
  parseConfig(JSON.stringify({ ...baseConfig, ...overrides }), 'test.json');
const usEast = (overrides: Record<string, unknown> = {}) =>
  buildModel(configWith({ region: 'us-east-1', developers: 8, ...overrides }));
const line = (e: ReturnType<typeof estimate>, item: RegExp) => e.lines.find((l) => item.test(l.item))!;

describe('hours the host runs a month', () => {
  it('is all 730 without office hours', () => {
    expect(hostHoursPerMonth(undefined)).toBe(730);
    expect(hostHoursPerMonth({ timezone: 'UTC', days: 'MON-FRI', idleStopMinutes: 30 })).toBe(730);
  });

  it('is the working days of an average month times the hours of a day', () => {
    // 5 days × 52.14 weeks / 12 months × 12 h
    expect(hostHoursPerMonth({ timezone: 'Asia/Bangkok', days: 'MON-FRI', start: '08:00', stop: '20:00' })).toBe(
      260.71,
    );
    expect(hostHoursPerMonth({ timezone: 'UTC', days: 'SAT,SUN', start: '09:30', stop: '12:00' })).toBe(21.73);
  });

  it('counts a night shift that stops after midnight', () => {
    expect(hostHoursPerMonth({ timezone: 'UTC', days: 'SUN-SAT', start: '22:00', stop: '06:00' })).toBe(243.33);
  });
});

describe('the monthly estimate', () => {
  it("prices the host as AWS's calculator does: hourly price × 730 h", () => {
    const e = estimate(usEast(), shippedPrices('us-east-1', 't3.2xlarge'));
    expect(line(e, /^EC2 host/).usd).toBe(242.94); // $0.3328 × 730
    expect(line(e, /^Application Load Balancer/).usd).toBe(16.43); // $0.0225 × 730
    expect(line(e, /capacity/).usd).toBe(5.84); // $0.008 × 1 LCU × 730
    expect(line(e, /data volume/).usd).toBe(40); // 500 GiB × $0.08
    expect(line(e, /load balancer \(2\)/).usd).toBe(7.3); // 2 addresses × 730 h × $0.005
    expect(e.total).toBe(Math.round(e.lines.reduce((s, l) => s + l.usd!, 0) * 100) / 100);
    expect(e.perDeveloper).toBe(Math.round((e.total / 8) * 100) / 100);
    expect(e.lines.every((l) => l.source === SHIPPED_SOURCE)).toBe(true);
  });

  it('a ninth developer adds their secret, their alarm and their logs', () => {
    const names = (n: number) => Array.from({ length: n }, (_, i) => `dev${i + 1}`);
    const eight = estimate(usEast({ developers: names(8) }), shippedPrices('us-east-1', 't3.2xlarge'));
    const nine = estimate(usEast({ developers: names(9) }), shippedPrices('us-east-1', 't3.2xlarge'));
    expect(line(nine, /secrets/).usd! - line(eight, /secrets/).usd!).toBeCloseTo(0.4);
    expect(line(nine, /alarms/).usd! - line(eight, /alarms/).usd!).toBeCloseTo(0.1);
    expect(nine.total).toBeGreaterThan(eight.total);
    expect(line(nine, /^EC2 host/).usd).toBe(line(eight, /^EC2 host/).usd);
  });

  it('with office hours bills the host and its address only while it runs, and says what that saves', () => {
    const schedule = { timezone: 'Europe/Berlin', days: 'MON-FRI', start: '08:00', stop: '20:00' };
    const always = estimate(usEast(), shippedPrices('us-east-1', 't3.2xlarge'));
    const office = estimate(usEast({ schedule }), shippedPrices('us-east-1', 't3.2xlarge'));
    expect(line(office, /^EC2 host/).usd).toBe(86.76); // 260.71 h × $0.3328
    expect(line(office, /data volume/).usd).toBe(line(always, /data volume/).usd); // billed while stopped too
    expect(office.officeHoursSaving).toBe(Math.round((730 - 260.71) * (0.3328 + 0.005) * 100) / 100);
    expect(always.total - office.total).toBeCloseTo(office.officeHoursSaving!, 1);
  });

  it('leaves out of the total, and names, what no source priced', () => {
    const e = estimate(usEast({ instance: { type: 'x9z.huge' } }), shippedPrices('us-east-1', 'x9z.huge'));
    expect(line(e, /^EC2 host/).usd).toBeUndefined();
    expect(e.unknown).toEqual(['EC2 host, x9z.huge Linux']);
    expect(e.total).toBeGreaterThan(0);
  });

  it('adds Cognito only when it signs developers in', () => {
    const developers = [{ name: 'a', email: 'a@example.com' }];
    expect(estimate(usEast(), shippedPrices('us-east-1', 't3.2xlarge')).lines.some((l) => /Cognito/.test(l.item))).toBe(
      false,
    );
    const e = estimate(usEast({ developers, auth: { provider: 'cognito' } }), shippedPrices('us-east-1', 't3.2xlarge'));
    expect(line(e, /Cognito/).usd).toBe(0); // under the 10,000 free monthly active users
  });
});

describe("prices from AWS's Price List", () => {
  const product = (usagetype: string, usd: string) =>
    JSON.stringify({
      product: { attributes: { usagetype, instanceType: 't3.large' } },
      terms: {
        OnDemand: {
          'SKU.JRTCKXETXF': {
            priceDimensions: {
              'SKU.JRTCKXETXF.6YS6EN2CT7': {
                unit: 'Hrs',
                beginRange: '0',
                endRange: 'Inf',
                pricePerUnit: { USD: usd },
              },
            },
          },
        },
      },
    });

  it("takes the product whose usage type is the one asked for, after the region's prefix", () => {
    const list = [product('APS9-BoxUsage:t3.large', '0.0950000000'), product('APS9-DedicatedUsage:t3.large', '9')];
    expect(priceOf(list, 'BoxUsage:t3.large')).toBe(0.095);
    expect(priceOf([product('BoxUsage:t3.2xlarge', '0.3328')], 'BoxUsage:t3.2xlarge')).toBe(0.3328);
    expect(priceOf(list, 'BoxUsage:m5.large')).toBeUndefined();
  });

  describe('the cache', () => {
    let env: Record<string, string>;
    const now = new Date('2026-12-06T10:00:00Z');
    const pricing = () => sdkMock(PricingClient);
    beforeEach(() => {
      resetSdkMocks();
      env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'devenv-prices-')) };
    });
    const cache = (date: string, usd: number) => {
      const file = priceCacheFile(env, 'ap-southeast-7', 't3.large');
      mkdirSync(join(file, '..'), { recursive: true });
      writeFileSync(file, JSON.stringify({ date, sheet: { instanceHour: { usd, source: 'x' } } }));
    };
    const o = (aws?: AwsClients) => ({ region: 'ap-southeast-7', instanceType: 't3.large', env, now, aws });

    it('asks the Price List once, then reads the cache with its date for 30 days', async () => {
      pricing()
        .on(GetProductsCommand)
        .callsFake((input) =>
          input.ServiceCode === 'AmazonEC2' && input.Filters.some((f: { Value: string }) => f.Value === 't3.large')
            ? { PriceList: [product('APS9-BoxUsage:t3.large', '0.0950000000')] }
            : { PriceList: [] },
        );
      const aws = new AwsClients({ region: 'ap-southeast-7' });
      const first = await estimatePrices(o(aws));
      expect(first.sheet.instanceHour).toEqual({ usd: 0.095, source: 'AWS Price List, 2026-12-06' });
      // what the list lacked: the shipped table, us-east-1's where it holds no ap-southeast-7 price, saying so
      expect(first.sheet.secretMonth).toEqual({ usd: 0.4, source: `${SHIPPED_SOURCE}, for want of ap-southeast-7's` });
      expect(first.sheet.gp3GiBMonth).toEqual({ usd: 0.0864, source: 'shipped ap-southeast-7 table, 2026-07-21' });
      const asked = pricing().commandCalls(GetProductsCommand).length;
      expect(asked).toBeGreaterThan(0);
      const second = await estimatePrices({ ...o(aws), now: new Date('2026-12-30T00:00:00Z') });
      expect(second.sheet.instanceHour).toEqual({ usd: 0.095, source: 'cached AWS Price List of 2026-12-06' });
      expect(pricing().commandCalls(GetProductsCommand)).toHaveLength(asked);
    });

    it('falls back on an old cache, saying why, when the Price List refuses', async () => {
      cache('2026-01-01', 0.4);
      pricing()
        .on(GetProductsCommand)
        .rejects(Object.assign(new Error('no'), { name: 'AccessDeniedException' }));
      const { sheet, warning } = await estimatePrices(o(new AwsClients({ region: 'ap-southeast-7' })));
      expect(sheet.instanceHour).toEqual({ usd: 0.4, source: 'cached AWS Price List of 2026-01-01' });
      expect(warning).toMatch(/AccessDeniedException.*cached on 2026-01-01.*pricing:GetProducts/);
    });

    it('offline, uses the cache whatever its age, else the shipped table, and never asks', async () => {
      expect((await estimatePrices(o())).sheet.instanceHour).toEqual({
        usd: 0.095,
        source: 'shipped ap-southeast-7 table, 2026-07-21',
      });
      cache('2025-06-01', 0.5);
      expect((await estimatePrices(o())).sheet.instanceHour?.usd).toBe(0.5);
      expect(pricing().commandCalls(GetProductsCommand)).toHaveLength(0);
    });

    it("does not read an earlier version's cache, which may hold a free tier's $0 as a price", async () => {
      const old = join(env.XDG_CACHE_HOME, 'devenv', 'prices-ap-southeast-7-t3.large.json');
      mkdirSync(join(old, '..'), { recursive: true });
      writeFileSync(old, JSON.stringify({ date: '2026-12-01', sheet: { alarmMonth: { usd: 0, source: 'x' } } }));
      expect((await estimatePrices(o())).sheet.alarmMonth?.usd).toBeGreaterThan(0);
    });
  });
});

describe("the README's cost section", () => {
  const root = join(import.meta.dirname, '..', '..');
  const example = readFileSync(join(root, 'devenv.config.example.json'), 'utf8');

  it('is what devenv computes for the example config, as `npm run build` writes it', () => {
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(readmeEstimate(example));
  });

  it('shows the total `plan --offline` prints for the example config', async () => {
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'devenv-prices-')) };
    const state = join(env.XDG_CACHE_HOME, 'none.json');
    const { output } = await offlinePlan(join(root, 'devenv.config.example.json'), state, false, env);
    const total = output.match(/^Total: (\$[\d.]+) a month/m)?.[1];
    expect(total).toBeDefined();
    expect(readFileSync(join(root, 'README.md'), 'utf8')).toContain(`**${total}**`);
    // each line's price source, numbered alike in both
    const allMonth = readmeEstimate(example).split('With office hours')[0];
    const readmeSources = [...allMonth.matchAll(/^(\d+)\. (.+)$/gm)];
    expect(readmeSources.map(([, n, source]) => `Price ${n}: ${source}.`)).toEqual(
      output.split('\n').filter((l) => l.startsWith('Price ')),
    );
    expect(existsSync(state)).toBe(false);
  });
});
