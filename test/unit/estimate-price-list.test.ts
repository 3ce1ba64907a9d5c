/**
 * The estimate against AWS's own price list: GetProducts answered by real-shaped products
 * (test/helpers/price-list.ts), the prices read from them, and the example config's bill worked
 * out line by line, all month and with office hours. The prices are the ones AWS's price list gave
 * (docs/aws-behaviour.md#prices); where devenv found no ap-southeast-7 price (the load balancer,
 * Secrets Manager, CloudWatch), the list below has none either and the shipped us-east-1 price
 * stands in, the line saying so.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetProductsCommand, PricingClient } from '@aws-sdk/client-pricing';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { onDemandUsd, priceListSheet, priceOf } from '../../src/aws/pricing.js';
import { ASSUMPTIONS, estimate, HOURS_PER_MONTH, round2 } from '../../src/blueprint/estimate.js';
import { isStandIn, PRICE_KEYS, type PriceKey, shippedPrices } from '../../src/blueprint/prices.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { estimatePrices } from '../../src/commands/prices.js';
import { renderEstimate } from '../../src/ui/estimate.js';
import { README_OFFICE_HOURS } from '../../src/ui/readme-estimate.js';
import { baseConfig } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { fakeGetProducts, instance, product } from '../helpers/price-list.js';

const pricing = () => sdkMock(PricingClient);
const TODAY = 'AWS Price List, 2026-12-06';
const now = new Date('2026-12-06T10:00:00Z');

/** us-east-1's products, each at the price AWS lists, beside the ones that must not be taken for them. */
const US_EAST_1 = [
  instance('us-east-1', 'NAEW5C4GFCWHA5SX', 'BoxUsage:t3.2xlarge', '0.3328000000'),
  // same usage type, Windows: only the operatingSystem filter tells them apart
  instance('us-east-1', 'X4H5V5NXBD9BBHPT', 'BoxUsage:t3.2xlarge', '0.4800000000', {
    operatingSystem: 'Windows',
    operation: 'RunInstances:0002',
  }),
  instance('us-east-1', 'GX4HBE5EM6SHSTQC', 'DedicatedUsage:t3.2xlarge', '0.3661000000', { tenancy: 'Dedicated' }),
  product('us-east-1', {
    sku: 'HY3BZPP2B6K8MSJF',
    serviceCode: 'AmazonEC2',
    productFamily: 'Storage',
    attributes: { volumeApiName: 'gp3', volumeType: 'General Purpose', usagetype: 'EBS:VolumeUsage.gp3' },
    unit: 'GB-Mo',
    tiers: [['0', 'Inf', '0.0800000000']],
  }),
  // a Local Zone's gp3: same volume type, its own usage type and price
  product('us-east-1', {
    sku: 'B7Q4YZ2WCW5XNN8C',
    serviceCode: 'AmazonEC2',
    productFamily: 'Storage',
    attributes: {
      volumeApiName: 'gp3',
      usagetype: 'USE1-BOS1-EBS:VolumeUsage.gp3',
      locationType: 'AWS Local Zone',
      location: 'US East (Boston)',
    },
    unit: 'GB-Mo',
    tiers: [['0', 'Inf', '0.0960000000']],
  }),
  product('us-east-1', {
    sku: '7U7TWP44UP36AT3R',
    serviceCode: 'AmazonEC2',
    productFamily: 'Storage Snapshot',
    attributes: { usagetype: 'EBS:SnapshotUsage', storageMedia: 'Amazon S3' },
    unit: 'GB-Mo',
    tiers: [['0', 'Inf', '0.0500000000']],
  }),
  ...[
    ['LoadBalancerUsage', 'Load Balancer-Application', 'LoadBalancing:Application', 'Hrs', '0.0225000000'],
    ['TS-LoadBalancerUsage', 'Load Balancer-Application', 'LoadBalancing:Application', 'Hrs', '0.0063000000'],
    ['Outposts-LoadBalancerUsage', 'Load Balancer-Application', 'LoadBalancing:Application', 'Hrs', '0.0225000000'],
    ['LCUUsage', 'Load Balancer-Application', 'LoadBalancing:Application', 'LCU-Hrs', '0.0080000000'],
    ['LoadBalancerUsage', 'Load Balancer-Network', 'LoadBalancing:Network', 'Hrs', '0.0225000000'],
    ['LCUUsage', 'Load Balancer-Network', 'LoadBalancing:Network', 'LCU-Hrs', '0.0060000000'],
  ].map(([usagetype, productFamily, operation, unit, usd], i) =>
    product('us-east-1', {
      sku: `ELB${i}QJ3CZ7G4WS2B`,
      serviceCode: 'AWSELB',
      productFamily,
      attributes: { usagetype, operation },
      unit,
      tiers: [['0', 'Inf', usd]],
    }),
  ),
  ...['InUseAddress', 'IdleAddress'].map((kind, i) =>
    product('us-east-1', {
      sku: `IPV4${i}RS5QCTZBJKS`,
      serviceCode: 'AmazonVPC',
      attributes: { usagetype: `USE1-PublicIPv4:${kind}`, operation: '' },
      unit: 'Hrs',
      tiers: [['0', 'Inf', '0.0050000000']],
    }),
  ),
  product('us-east-1', {
    sku: 'P3NYBXTQ7DMJQ2BS',
    serviceCode: 'AWSSecretsManager',
    productFamily: 'Secret',
    attributes: { usagetype: 'USE1-AWSSecretsManager-Secrets' },
    unit: 'Secrets',
    tiers: [['0', 'Inf', '0.4000000000']],
  }),
  product('us-east-1', {
    sku: 'R6XQ8ZZ8W4X9D7WE',
    serviceCode: 'AWSSecretsManager',
    productFamily: 'API Request',
    attributes: { usagetype: 'USE1-AWSSecretsManagerAPIRequest' },
    unit: 'API Requests',
    tiers: [['0', 'Inf', '0.0000050000']],
  }),
  // CloudWatch lists its free allowance as a $0 tier ahead of the rate
  ...[
    ['Standard', '0.1000000000'],
    ['High Resolution', '0.3000000000'],
  ].map(([alarmType, usd], i) =>
    product('us-east-1', {
      sku: `CWA${i}H7XKCG3RXB4U`,
      serviceCode: 'AmazonCloudWatch',
      productFamily: 'Alarm',
      attributes: { usagetype: 'CW:AlarmMonitorUsage', alarmType, group: 'Alarm' },
      unit: 'Alarms',
      tiers: [
        ['0', '10', '0.0000000000'],
        ['10', 'Inf', usd],
      ],
    }),
  ),
  product('us-east-1', {
    sku: 'CWL1TSS6BH3QGA9K',
    serviceCode: 'AmazonCloudWatch',
    productFamily: 'Data Payload',
    attributes: { usagetype: 'USE1-DataProcessing-Bytes', group: 'Ingested Logs', operation: 'PutLogEvents' },
    unit: 'GB',
    tiers: [
      ['0', '5', '0.0000000000'],
      ['5', 'Inf', '0.5000000000'],
    ],
  }),
  product('us-east-1', {
    sku: 'CWS2B8ZUXP4ME2D6',
    serviceCode: 'AmazonCloudWatch',
    productFamily: 'Storage Snapshot',
    attributes: {
      usagetype: 'USE1-TimedStorage-ByteHrs',
      group: 'Amazon CloudWatch Standard Storage pricing current',
    },
    unit: 'GB-Mo',
    tiers: [
      ['0', '5', '0.0000000000'],
      ['5', 'Inf', '0.0300000000'],
    ],
  }),
  product('us-east-1', {
    sku: 'COG4E2GHD7N6TVKX',
    serviceCode: 'AmazonCognito',
    productFamily: 'Amazon Cognito - Essentials',
    attributes: { usagetype: 'CognitoEssentialsMAU' },
    unit: 'MAU',
    tiers: [
      ['0', '10000', '0.0000000000'],
      ['10000', 'Inf', '0.0150000000'],
    ],
  }),
];

/** ap-southeast-7's products whose price devenv found (docs/aws-behaviour.md#prices): no more. */
const AP_SOUTHEAST_7 = [
  instance('ap-southeast-7', 'T3MQ4ESUKTHZFQ7X', 'APS9-BoxUsage:t3.medium', '0.0475000000'),
  instance('ap-southeast-7', 'T3LR7YG9ZP2K6W4A', 'APS9-BoxUsage:t3.large', '0.0950000000'),
  instance('ap-southeast-7', 'M6LE2H7CVQ8WJ3NB', 'APS9-BoxUsage:m6i.large', '0.1020000000'),
  instance('ap-southeast-7', 'M6XB5N4KDT9QZ6RC', 'APS9-BoxUsage:m6i.2xlarge', '0.4080000000'),
  product('ap-southeast-7', {
    sku: 'G3TH8W2XKA5RUE7M',
    serviceCode: 'AmazonEC2',
    productFamily: 'Storage',
    attributes: { volumeApiName: 'gp3', volumeType: 'General Purpose', usagetype: 'APS9-EBS:VolumeUsage.gp3' },
    unit: 'GB-Mo',
    tiers: [['0', 'Inf', '0.0864000000']],
  }),
  product('ap-southeast-7', {
    sku: 'SNTHQ4YB7Z2MX9KC',
    serviceCode: 'AmazonEC2',
    productFamily: 'Storage Snapshot',
    attributes: { usagetype: 'APS9-EBS:SnapshotUsage', storageMedia: 'Amazon S3' },
    unit: 'GB-Mo',
    tiers: [['0', 'Inf', '0.0450000000']],
  }),
  product('ap-southeast-7', {
    sku: 'IPTH6C3MW8RZ5XVE',
    serviceCode: 'AmazonVPC',
    attributes: { usagetype: 'APS9-PublicIPv4:InUseAddress' },
    unit: 'Hrs',
    tiers: [['0', 'Inf', '0.0050000000']],
  }),
];

beforeEach(() => resetSdkMocks());

describe('reading a product of the price list', () => {
  const tiered = (tiers: [string, string, string][]) =>
    JSON.parse(
      product('us-east-1', {
        sku: 'S3TIERED8XQ2Z7PE',
        serviceCode: 'AmazonS3',
        productFamily: 'Storage',
        attributes: { usagetype: 'TimedStorage-ByteHrs' },
        unit: 'GB-Mo',
        tiers,
      }),
    );

  it('takes the on-demand rate, never a reserved term', () => {
    const box = JSON.parse(instance('us-east-1', 'NAEW5C4GFCWHA5SX', 'BoxUsage:t3.2xlarge', '0.3328000000'));
    expect(Object.keys(box.terms)).toEqual(['OnDemand', 'Reserved']);
    expect(onDemandUsd(box)).toBe(0.3328);
  });

  it('of a tiered price, takes the tier that begins at 0', () => {
    const s3 = [
      ['0', '51200', '0.0230000000'],
      ['51200', '512000', '0.0220000000'],
      ['512000', 'Inf', '0.0210000000'],
    ] as [string, string, string][];
    expect(onDemandUsd(tiered(s3))).toBe(0.023);
    expect(onDemandUsd(tiered([...s3].reverse()))).toBe(0.023); // whatever order the dimensions come in
  });

  it('past a free allowance ($0 first tier), takes the rate billed after it; free throughout is 0', () => {
    expect(
      onDemandUsd(
        tiered([
          ['0', '10', '0.0000000000'],
          ['10', 'Inf', '0.1000000000'],
        ]),
      ),
    ).toBe(0.1);
    expect(onDemandUsd(tiered([['0', 'Inf', '0.0000000000']]))).toBe(0);
    expect(onDemandUsd({ terms: { OnDemand: {} } })).toBeUndefined();
  });

  it("takes only the region's own product of the usage type asked for, and gives up when they disagree", () => {
    const elb = US_EAST_1.filter((p) => JSON.parse(p).serviceCode === 'AWSELB');
    const alb = elb.filter((p) => JSON.parse(p).product.productFamily === 'Load Balancer-Application');
    expect(priceOf(alb, 'LoadBalancerUsage')).toBe(0.0225); // not TS-LoadBalancerUsage's $0.0063
    expect(
      priceOf(
        alb.filter((p) => !p.includes('"LoadBalancerUsage"')),
        'LoadBalancerUsage',
      ),
    ).toBeUndefined();
    expect(priceOf(elb, 'LCUUsage')).toBeUndefined(); // ALB's $0.008 and NLB's $0.006: not a guess
    const gp3 = US_EAST_1.filter((p) => p.includes('VolumeUsage.gp3'));
    expect(priceOf(gp3, 'EBS:VolumeUsage.gp3')).toBe(0.08); // not the Boston Local Zone's $0.096
    const box = US_EAST_1.filter((p) => p.includes('"BoxUsage:t3.2xlarge"'));
    expect(priceOf(box, 'BoxUsage:t3.2xlarge')).toBeUndefined(); // Linux and Windows both
    expect(priceOf(AP_SOUTHEAST_7, 'BoxUsage:t3.large')).toBe(0.095); // after the region's prefix, APS9-
    expect(priceOf(AP_SOUTHEAST_7, 'BoxUsage:t3.2xlarge')).toBeUndefined();
  });
});

describe("asking AWS's Price List (pricing:GetProducts)", () => {
  it('reads every price of us-east-1 from its products, past the Windows, dedicated and NLB ones', async () => {
    pricing().on(GetProductsCommand).callsFake(fakeGetProducts(US_EAST_1));
    const sheet = await priceListSheet(
      new PricingClient({ region: 'us-east-1' }),
      'us-east-1',
      't3.2xlarge',
      '2026-12-06',
    );
    const usd = Object.fromEntries(Object.entries(sheet).map(([k, p]) => [k, p.usd]));
    expect(usd).toEqual({
      instanceHour: 0.3328,
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
    } satisfies Record<PriceKey, number>);
    expect(Object.values(sheet).every((p) => p.source === TODAY)).toBe(true);
  });

  it('names each product by the attributes the price list gives it, in the region asked', async () => {
    pricing().on(GetProductsCommand).callsFake(fakeGetProducts(US_EAST_1));
    await priceListSheet(new PricingClient({ region: 'us-east-1' }), 'ap-southeast-7', 't3.2xlarge', '2026-12-06');
    const calls = pricing()
      .commandCalls(GetProductsCommand)
      .map((c) => c.args[0].input);
    const asked = (service: string, usage: string) => {
      const input = calls.find((i) => i.ServiceCode === service && i.Filters?.some((f) => f.Value === usage));
      return Object.fromEntries((input?.Filters ?? []).map((f) => [f.Field, `${f.Type} ${f.Value}`]));
    };
    expect(calls.every((i) => i.Filters?.some((f) => f.Field === 'regionCode' && f.Value === 'ap-southeast-7'))).toBe(
      true,
    );
    expect(asked('AmazonEC2', 'BoxUsage:t3.2xlarge')).toEqual({
      regionCode: 'TERM_MATCH ap-southeast-7',
      productFamily: 'TERM_MATCH Compute Instance',
      instanceType: 'TERM_MATCH t3.2xlarge',
      operatingSystem: 'TERM_MATCH Linux',
      tenancy: 'TERM_MATCH Shared',
      preInstalledSw: 'TERM_MATCH NA',
      capacitystatus: 'TERM_MATCH Used',
      licenseModel: 'TERM_MATCH No License required',
      marketoption: 'TERM_MATCH OnDemand',
      usagetype: 'CONTAINS BoxUsage:t3.2xlarge',
    });
    expect(asked('AWSELB', 'LCUUsage')).toMatchObject({
      productFamily: 'TERM_MATCH Load Balancer-Application',
      operation: 'TERM_MATCH LoadBalancing:Application',
    });
    expect(asked('AmazonCloudWatch', 'CW:AlarmMonitorUsage')).toMatchObject({ alarmType: 'TERM_MATCH Standard' });
    expect(new Set(calls.map((c) => c.ServiceCode))).toEqual(
      new Set(['AmazonEC2', 'AWSELB', 'AmazonVPC', 'AWSSecretsManager', 'AmazonCloudWatch', 'AmazonCognito']),
    );
    expect(calls).toHaveLength(PRICE_KEYS.length); // one query a price (nothing of us-east-1 matches: one page each)
  });
});

describe("the example config's monthly bill, at ap-southeast-7's prices", () => {
  const root = join(import.meta.dirname, '..', '..');
  const config = parseConfig(readFileSync(join(root, 'devenv.config.example.json'), 'utf8'), 'example');
  const listed = 'AWS Price List, 2026-12-06';
  const derived = 'shipped ap-southeast-7 table, 2026-07-21 (4 × t3.large)';
  const standIn = "shipped us-east-1 table, 2026-07, for want of ap-southeast-7's";
  const sheetFromList = async () => {
    pricing().on(GetProductsCommand).callsFake(fakeGetProducts(AP_SOUTHEAST_7));
    const env = { XDG_CACHE_HOME: mkdtempSync(join(tmpdir(), 'devenv-prices-')) };
    const aws = new AwsClients({ region: config.region });
    const { sheet, warning } = await estimatePrices({
      region: config.region,
      instanceType: 't3.2xlarge',
      env,
      now,
      aws,
    });
    expect(warning).toBeUndefined();
    return sheet;
  };
  /** Each line as `[item, billed, USD, source]`: the USD is the product of the billed figures, to the cent. */
  const bill = (e: ReturnType<typeof estimate>) => e.lines.map((l) => [l.item, l.billing, l.usd, l.source]);

  it('all month: 730 hours of everything', async () => {
    expect(config.region).toBe('ap-southeast-7');
    const e = estimate(buildModel(config), await sheetFromList());
    expect(bill(e)).toEqual([
      ['EC2 host, t3.2xlarge Linux', '$0.38/h × 730 h', 277.4, derived], // 0.38 × 730 = 277.40
      ['EBS data volume, 500 GiB gp3', '$0.0864/GiB-month × 500 GiB', 43.2, listed], // 0.0864 × 500
      ['EBS root volume, 50 GiB gp3', '$0.0864/GiB-month × 50 GiB', 4.32, listed], // 0.0864 × 50
      // 100 GB in use + 2 GB a day × 30 days kept = 160 GB; × 0.045
      ['backup snapshots, kept 30 days', '$0.045/GB-month × 160 GB', 7.2, listed],
      ['Application Load Balancer', '$0.0225/h × 730 h', 16.43, standIn], // 16.425
      ['load balancer capacity (1 LCU assumed)', '$0.008/LCU-h × 730 LCU-h', 5.84, standIn],
      ['public IPv4, the host (only while it runs)', '$0.005/h × 730 h', 3.65, listed],
      ['public IPv4, the load balancer (2)', '$0.005/h × 1460 h', 7.3, listed], // 2 × 730 h
      ['Secrets Manager secrets', '$0.4/secret-month × 3 secrets', 1.2, standIn], // one a developer
      ['CloudWatch alarms', '$0.1/alarm-month × 7 alarms', 0.7, standIn],
      ['CloudWatch Logs ingested', '$0.5/GB × 0.75 GB', 0.38, standIn], // 0.25 GB × 3 developers; 0.375
      ['CloudWatch Logs stored (30 days)', '$0.03/GB-month × 0.75 GB', 0.02, standIn], // 0.0225
    ]);
    // 277.40 + 43.20 + 4.32 + 7.20 + 16.43 + 5.84 + 3.65 + 7.30 + 1.20 + 0.70 + 0.38 + 0.02
    expect(e.total).toBe(367.64);
    expect(e.perDeveloper).toBe(122.55); // 367.64 / 3
    expect(e.officeHoursSaving).toBeUndefined();
  });

  it('with office hours (MON-FRI 08:00–20:00 Asia/Bangkok): the host and its address bill 260.71 h', async () => {
    const e = estimate(buildModel({ ...config, schedule: README_OFFICE_HOURS }), await sheetFromList());
    // 5 days × 365/7/12 weeks × 12 h = 260.714…, to the hundredth
    expect(e.hostHours).toBe(260.71);
    expect(bill(e).filter(([, billed]) => String(billed).includes('260.71'))).toEqual([
      ['EC2 host, t3.2xlarge Linux', '$0.38/h × 260.71 h', 99.07, derived], // 99.0698
      ['public IPv4, the host (only while it runs)', '$0.005/h × 260.71 h', 1.3, listed], // 1.30355
    ]);
    expect(e.total).toBe(186.96); // 367.64 − 277.40 − 3.65 + 99.07 + 1.30
    expect(e.perDeveloper).toBe(62.32); // 186.96 / 3
    expect(e.officeHoursSaving).toBe(180.68); // (730 − 260.71) h × ($0.38 + $0.005)
    expect(round2((HOURS_PER_MONTH - e.hostHours) * (0.38 + 0.005))).toBe(e.officeHoursSaving);
  });
});

describe("AWS's own pricing examples, with the estimate's prices and arithmetic", () => {
  // The traffic is the ELB pricing page's Application Load Balancer example; the dollars are worked here.
  it("the load balancer example's traffic is 1.08 LCU: $16.43 for the hours and $6.31 for it (us-east-1)", () => {
    const sheet = shippedPrices('us-east-1', 't3.2xlarge');
    // 1 new connection a second (of 25 an LCU), each 2 minutes (120 active of 3,000), 300 KB a second
    // (1.08 GB an hour, of 1 GB), 5 requests a second past 60 rules of which 10 are free (250 of 1,000)
    const lcu = Math.max(1 / 25, 120 / 3000, (300 * 3600) / 1e6, ((60 - 10) * 5) / 1000);
    expect(lcu).toBeCloseTo(1.08, 10);
    const hours = round2(sheet.albHour!.usd * HOURS_PER_MONTH); // AWS: × 24 h × 30.42 days
    const capacity = round2(lcu * sheet.albLcuHour!.usd * HOURS_PER_MONTH);
    expect([hours, capacity, round2(hours + capacity)]).toEqual([16.43, 6.31, 22.74]);
    // the estimate bills its load balancer the same way, at its assumed 1 LCU
    const e = estimate(buildModel(parseConfig(JSON.stringify({ ...baseConfig, region: 'us-east-1' }), 't')), sheet);
    expect(e.lines.find((l) => l.item === 'Application Load Balancer')?.usd).toBe(hours);
    expect(e.lines.find((l) => /capacity/.test(l.item))?.usd).toBe(round2(ASSUMPTIONS.lcu * 0.008 * 730));
  });
});

describe('the shipped table (offline, or when the Price List refuses)', () => {
  const planText = (region: string) =>
    renderEstimate(
      estimate(
        buildModel(parseConfig(JSON.stringify({ ...baseConfig, region }), 't')),
        shippedPrices(region, 't3.2xlarge'),
      ),
      {},
    );

  it("prices ap-southeast-7 by its own list where devenv found it, else by us-east-1's, saying so", () => {
    const th = shippedPrices('ap-southeast-7', 't3.2xlarge');
    expect(th.instanceHour).toEqual({ usd: 0.38, source: 'shipped ap-southeast-7 table, 2026-07-21 (4 × t3.large)' });
    expect(th.gp3GiBMonth).toEqual({ usd: 0.0864, source: 'shipped ap-southeast-7 table, 2026-07-21' });
    expect(th.albHour).toEqual({
      usd: 0.0225,
      source: "shipped us-east-1 table, 2026-07, for want of ap-southeast-7's",
    });
    expect(shippedPrices('ap-southeast-7', 't3a.large').instanceHour).toEqual({
      usd: 0.0752,
      source: "shipped us-east-1 table, 2026-07, for want of ap-southeast-7's",
    });
    const eu = shippedPrices('eu-west-1', 't3.2xlarge');
    expect(Object.keys(eu)).toEqual(PRICE_KEYS);
    expect(Object.values(eu).every((p) => isStandIn(p.source, 'eu-west-1'))).toBe(true);
    expect(Object.values(shippedPrices('us-east-1', 't3.2xlarge')).some((p) => isStandIn(p.source, 'us-east-1'))).toBe(
      false,
    );
  });

  it("plan says which lines stand in for the region's own prices, and only then", () => {
    expect(planText('ap-southeast-7')).toMatch(
      /^Price 3: shipped us-east-1 table, 2026-07, for want of ap-southeast-7's\.$/m,
    );
    expect(planText('ap-southeast-7')).toContain(
      'devenv ships no ap-southeast-7 price for the lines priced from the us-east-1',
    );
    expect(planText('us-east-1')).toMatch(/^Prices: shipped us-east-1 table, 2026-07\.$/m);
    expect(planText('us-east-1')).not.toContain('ships no');
  });
});
