import type { Filter, PricingClient } from '@aws-sdk/client-pricing';
import type { PriceKey, PriceSheet } from '../blueprint/prices.js';

/**
 * Unit prices from AWS's Price List Query API (`pricing:GetProducts`), one query per price. Each
 * query names the product by the attributes the price list gives it (docs/aws-behaviour.md#prices);
 * among the products that match, the one whose usage type is `usage` after the region's prefix
 * (`APS9-EBS:VolumeUsage.gp3`; none for us-east-1's EC2 and ELB ones) is taken.
 */
interface Query {
  service: string;
  filters: Record<string, string>;
  /** The usage type without its region's prefix: `BoxUsage:t3.2xlarge`, `EBS:VolumeUsage.gp3`. */
  usage: string;
}

function queries(instanceType: string): Record<PriceKey, Query> {
  const alb = { productFamily: 'Load Balancer-Application', operation: 'LoadBalancing:Application' };
  return {
    instanceHour: {
      service: 'AmazonEC2',
      filters: {
        productFamily: 'Compute Instance',
        instanceType,
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
        licenseModel: 'No License required',
        marketoption: 'OnDemand',
      },
      usage: `BoxUsage:${instanceType}`,
    },
    gp3GiBMonth: {
      service: 'AmazonEC2',
      filters: { productFamily: 'Storage', volumeApiName: 'gp3' },
      usage: 'EBS:VolumeUsage.gp3',
    },
    snapshotGBMonth: {
      service: 'AmazonEC2',
      filters: { productFamily: 'Storage Snapshot' },
      usage: 'EBS:SnapshotUsage',
    },
    albHour: { service: 'AWSELB', filters: alb, usage: 'LoadBalancerUsage' },
    albLcuHour: { service: 'AWSELB', filters: alb, usage: 'LCUUsage' },
    ipv4Hour: { service: 'AmazonVPC', filters: {}, usage: 'PublicIPv4:InUseAddress' },
    secretMonth: {
      service: 'AWSSecretsManager',
      filters: { productFamily: 'Secret' },
      usage: 'AWSSecretsManager-Secrets',
    },
    alarmMonth: {
      service: 'AmazonCloudWatch',
      filters: { productFamily: 'Alarm', alarmType: 'Standard' },
      usage: 'CW:AlarmMonitorUsage',
    },
    logsIngestGB: {
      service: 'AmazonCloudWatch',
      filters: { productFamily: 'Data Payload' },
      usage: 'DataProcessing-Bytes',
    },
    logsStoredGBMonth: {
      service: 'AmazonCloudWatch',
      filters: { productFamily: 'Storage Snapshot' },
      usage: 'TimedStorage-ByteHrs',
    },
    cognitoMau: {
      service: 'AmazonCognito',
      filters: { productFamily: 'Amazon Cognito - Essentials' },
      usage: 'CognitoEssentialsMAU',
    },
  };
}

interface Dimension {
  beginRange?: string;
  pricePerUnit?: Record<string, string>;
}

/** What the price list says of one product (GetProducts gives each as a JSON string). */
interface Product {
  product?: { attributes?: Record<string, string> };
  terms?: { OnDemand?: Record<string, { priceDimensions?: Record<string, Dimension> }> };
}

/**
 * The on-demand USD rate of a product: its lowest tier that is not free. A tiered price lists one
 * dimension per range (`beginRange`–`endRange`); a free allowance (CloudWatch's first alarms and
 * GBs, Cognito's first MAUs) is a $0 tier ahead of the rate, and the estimate prices what it bills
 * past it. A product priced $0 throughout is free: 0.
 */
export function onDemandUsd(product: Product): number | undefined {
  const tiers = Object.values(product.terms?.OnDemand ?? {})
    .flatMap((term) => Object.values(term.priceDimensions ?? {}))
    .map((d) => ({ begin: Number(d.beginRange ?? 0), usd: Number(d.pricePerUnit?.USD) }))
    .filter((t) => Number.isFinite(t.usd) && Number.isFinite(t.begin))
    .sort((a, b) => a.begin - b.begin);
  if (tiers.length === 0) return undefined;
  return (tiers.find((t) => t.usd > 0) ?? tiers[0]).usd;
}

/** A region's prefix: three capitals and a digit (`USE1-`, `APS9-`) or `EU-` (eu-west-1); us-east-1 often has none. */
const REGION_PREFIX = '(?:[A-Z]{3}\\d-|EU-)?';
const literal = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The price of the product whose usage type is `usage` in the region itself: not a Local Zone's,
 * Outposts' or Wavelength's (`USE1-BOS1-…`, `locationType` not `AWS Region`), nor a sibling whose
 * usage type ends the same (`USW2-TS-LoadBalancerUsage`). Undefined when none matches, or when the
 * matches disagree: the estimate then says the price is the shipped one rather than guess.
 */
export function priceOf(priceList: readonly string[], usage: string): number | undefined {
  const exact = new RegExp(`^${REGION_PREFIX}${literal(usage)}$`);
  const prices = new Set<number>();
  for (const text of priceList) {
    const product = JSON.parse(text) as Product;
    const attributes = product.product?.attributes ?? {};
    if (!exact.test(attributes.usagetype ?? '')) continue;
    if (attributes.locationType !== undefined && attributes.locationType !== 'AWS Region') continue;
    const usd = onDemandUsd(product);
    if (usd !== undefined) prices.add(usd);
  }
  return prices.size === 1 ? [...prices][0] : undefined;
}

/**
 * Every price the estimate needs in `region`, asked of the Price List API. A price the list does not
 * have is left out (the caller fills it from the shipped table); an error (no permission, no network)
 * is thrown for the caller to fall back on.
 */
export async function priceListSheet(
  pricing: PricingClient,
  region: string,
  instanceType: string,
  today: string,
): Promise<PriceSheet> {
  const { paginateGetProducts } = await import('@aws-sdk/client-pricing');
  const sheet: PriceSheet = {};
  const source = `AWS Price List, ${today}`;
  for (const [key, q] of Object.entries(queries(instanceType))) {
    const filters: Filter[] = Object.entries({ regionCode: region, ...q.filters }).map(([Field, Value]) => ({
      Type: 'TERM_MATCH',
      Field,
      Value,
    }));
    filters.push({ Type: 'CONTAINS', Field: 'usagetype', Value: q.usage });
    const list: string[] = [];
    for await (const page of paginateGetProducts(
      { client: pricing, pageSize: 100 },
      { ServiceCode: q.service, Filters: filters, FormatVersion: 'aws_v1' },
    ))
      list.push(...(page.PriceList ?? []));
    const usd = priceOf(list, q.usage);
    if (usd !== undefined) sheet[key as PriceKey] = { usd, source };
  }
  return sheet;
}
