/**
 * Price List products as `pricing:GetProducts` returns them: each a JSON string of `product`
 * (family, attributes, sku), `serviceCode`, `terms` (OnDemand and, for EC2, Reserved: one term per
 * offer, one price dimension per tier) and the list's `version`. The shape is copied from a real
 * response kept by AWS's own amazon-ec2-instance-selector (test/static/GetProducts/m5_large.json),
 * trimmed to the attributes devenv filters on; the attribute names and values of the other services
 * are the ones docs/aws-behaviour.md#prices cites. `fakeGetProducts` answers a GetProducts request
 * from a catalog of them as the API does: ServiceCode, then every filter (TERM_MATCH equal, CONTAINS
 * a substring), one product a page so that the paginator is exercised.
 */
import type { GetProductsCommandInput, GetProductsCommandOutput } from '@aws-sdk/client-pricing';

/** One price dimension: `[beginRange, endRange, USD]`. */
type Tier = [begin: string, end: string, usd: string];

export interface ProductSpec {
  sku: string;
  serviceCode: string;
  /** Absent on some products (the public IPv4 address's, a transit gateway's). */
  productFamily?: string;
  /** The product's attributes besides `servicecode`, `regionCode`, `location` and `locationType`. */
  attributes: Record<string, string>;
  unit: string;
  /** On-demand tiers, lowest first; a single `['0', 'Inf', usd]` when the price is flat. */
  tiers: Tier[];
  /** A reserved term's price, which an on-demand estimate must not read. */
  reserved?: string;
}

const LOCATIONS: Record<string, string> = {
  'us-east-1': 'US East (N. Virginia)',
  'ap-southeast-7': 'Asia Pacific (Thailand)',
};

/** A product of `region` (`locationType` given in `attributes` wins: `AWS Local Zone`, `AWS Outposts`). */
export function product(region: string, p: ProductSpec): string {
  const onDemand = `${p.sku}.JRTCKXETXF`;
  const dimensions = Object.fromEntries(
    p.tiers.map(([beginRange, endRange, usd], i) => {
      const rateCode = `${onDemand}.${['6YS6EN2CT7', 'PGHJ3S3EYE', 'VF6T3GAUKQ'][i]}`;
      const description = `$${Number(usd)} per ${p.unit} (${beginRange} to ${endRange})`;
      const pricePerUnit = { USD: usd };
      return [rateCode, { unit: p.unit, endRange, description, appliesTo: [], rateCode, beginRange, pricePerUnit }];
    }),
  );
  const terms: Record<string, unknown> = {
    OnDemand: {
      [onDemand]: {
        priceDimensions: dimensions,
        sku: p.sku,
        effectiveDate: '2026-07-01T00:00:00Z',
        offerTermCode: 'JRTCKXETXF',
        termAttributes: {},
      },
    },
  };
  if (p.reserved)
    terms.Reserved = {
      [`${p.sku}.4NA7Y494T4`]: {
        priceDimensions: {
          [`${p.sku}.4NA7Y494T4.6YS6EN2CT7`]: {
            unit: 'Hrs',
            endRange: 'Inf',
            description: 'Linux/UNIX (Amazon VPC), reserved instance applied',
            appliesTo: [],
            rateCode: `${p.sku}.4NA7Y494T4.6YS6EN2CT7`,
            beginRange: '0',
            pricePerUnit: { USD: p.reserved },
          },
        },
        sku: p.sku,
        effectiveDate: '2026-07-01T00:00:00Z',
        offerTermCode: '4NA7Y494T4',
        termAttributes: { LeaseContractLength: '1yr', OfferingClass: 'standard', PurchaseOption: 'No Upfront' },
      },
    };
  return JSON.stringify({
    product: {
      ...(p.productFamily && { productFamily: p.productFamily }),
      attributes: {
        servicecode: p.serviceCode,
        regionCode: region,
        location: LOCATIONS[region] ?? region,
        locationType: 'AWS Region',
        ...p.attributes,
      },
      sku: p.sku,
    },
    serviceCode: p.serviceCode,
    terms,
    version: '20260721012550',
    publicationDate: '2026-07-21T01:25:50Z',
  });
}

/** An EC2 on-demand instance product (Linux, shared, no software, used capacity unless `attributes` say otherwise). */
export const instance = (
  region: string,
  sku: string,
  usagetype: string,
  usd: string,
  attributes: Record<string, string> = {},
) =>
  product(region, {
    sku,
    serviceCode: 'AmazonEC2',
    productFamily: 'Compute Instance',
    attributes: {
      instanceType: usagetype.split(':')[1] ?? '',
      usagetype,
      operation: 'RunInstances',
      operatingSystem: 'Linux',
      tenancy: 'Shared',
      preInstalledSw: 'NA',
      capacitystatus: 'Used',
      licenseModel: 'No License required',
      marketoption: 'OnDemand',
      ...attributes,
    },
    unit: 'Hrs',
    tiers: [['0', 'Inf', usd]],
    reserved: '0.0010000000',
  });

/** GetProducts over `catalog`, as the Price List Query API filters it. */
export function fakeGetProducts(catalog: readonly string[]) {
  return (input: GetProductsCommandInput): Partial<GetProductsCommandOutput> => {
    const matching = catalog.filter((text) => {
      const { product: p, serviceCode } = JSON.parse(text);
      if (serviceCode !== input.ServiceCode) return false;
      const fields: Record<string, string> = { ...p.attributes, productFamily: p.productFamily };
      return (input.Filters ?? []).every((f) => {
        const value = fields[f.Field ?? ''];
        if (value === undefined) return false;
        return f.Type === 'CONTAINS' ? value.includes(f.Value ?? '') : value === f.Value;
      });
    });
    const at = Number(input.NextToken ?? 0);
    return {
      FormatVersion: 'aws_v1',
      PriceList: matching.slice(at, at + 1),
      ...(at + 1 < matching.length && { NextToken: String(at + 1) }),
    };
  };
}
