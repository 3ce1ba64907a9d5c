import type { Filter, PricingClient } from '@aws-sdk/client-pricing';
import type { PriceKey, PriceSheet } from '../blueprint/prices.js';

/**
 * Unit prices from AWS's Price List Query API (`pricing:GetProducts`), one query per price. Each
 * query names the product by the attributes the price list gives it; among the products that match,
 * the one whose usage type ends with `usage` (after the region's prefix, `APS7-…`) is taken.
 */
interface Query {
  service: string;
  filters: Record<string, string>;
  /** The usage type's end: `BoxUsage:t3.2xlarge`, `EBS:VolumeUsage.gp3`. */
  usage: string;
}

function queries(instanceType: string): Record<Exclude<PriceKey, 'cognitoMau'>, Query> {
  return {
    instanceHour: {
      service: 'AmazonEC2',
      filters: {
        instanceType,
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
        licenseModel: 'No License required',
      },
      usage: `BoxUsage:${instanceType}`,
    },
    gp3GiBMonth: { service: 'AmazonEC2', filters: { volumeApiName: 'gp3' }, usage: 'EBS:VolumeUsage.gp3' },
    snapshotGBMonth: {
      service: 'AmazonEC2',
      filters: { productFamily: 'Storage Snapshot' },
      usage: 'EBS:SnapshotUsage',
    },
    albHour: {
      service: 'AWSELB',
      filters: { productFamily: 'Load Balancer-Application' },
      usage: 'LoadBalancerUsage',
    },
    albLcuHour: { service: 'AWSELB', filters: { productFamily: 'Load Balancer-Application' }, usage: 'LCUUsage' },
    ipv4Hour: { service: 'AmazonVPC', filters: {}, usage: 'PublicIPv4:InUseAddress' },
    secretMonth: { service: 'AWSSecretsManager', filters: {}, usage: 'AWSSecretsManager-Secrets' },
    alarmMonth: { service: 'AmazonCloudWatch', filters: {}, usage: 'CW:AlarmMonitorUsage' },
    logsIngestGB: { service: 'AmazonCloudWatch', filters: {}, usage: 'DataProcessing-Bytes' },
    logsStoredGBMonth: { service: 'AmazonCloudWatch', filters: {}, usage: 'TimedStorage-ByteHrs' },
  };
}

/** What the price list says of one product (GetProducts gives each as a JSON string). */
interface Product {
  product?: { attributes?: Record<string, string> };
  terms?: {
    OnDemand?: Record<
      string,
      { priceDimensions?: Record<string, { beginRange?: string; pricePerUnit?: Record<string, string> }> }
    >;
  };
}

/** The on-demand USD price of the product's first tier (the one that begins at 0). */
export function onDemandUsd(product: Product): number | undefined {
  for (const term of Object.values(product.terms?.OnDemand ?? {}))
    for (const dimension of Object.values(term.priceDimensions ?? {})) {
      const usd = Number(dimension.pricePerUnit?.USD);
      if ((dimension.beginRange ?? '0') === '0' && Number.isFinite(usd)) return usd;
    }
  return undefined;
}

/** The price of the product whose usage type is `usage` (with or without the region's prefix). */
export function priceOf(priceList: readonly string[], usage: string): number | undefined {
  for (const text of priceList) {
    const product = JSON.parse(text) as Product;
    const type = product.product?.attributes?.usagetype ?? '';
    if (type === usage || type.endsWith(`-${usage}`)) {
      const usd = onDemandUsd(product);
      if (usd !== undefined) return usd;
    }
  }
  return undefined;
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
