import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListTagsForCertificateCommand,
  paginateListCertificates,
  RequestCertificateCommand,
  type CertificateDetail,
  type CertificateStatus,
  type ResourceRecord,
} from '@aws-sdk/client-acm';
import type { PlannedResource } from '../../blueprint/types.js';
import type { AwsContext } from '../context.js';
import { isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { retryWithin, type ConsistencyWindow } from '../retry.js';
import { TAG, tagList, tagValue } from '../../config/tags.js';

// ---------------------------------------------------------------------------------------------
// The ACM certificate of *.<baseDomain> (with the apex as a SAN), found by its devenv tags.

/** States in which a certificate is, or may still become, usable: the only ones `up` keeps or adopts. */
export const USABLE: CertificateStatus[] = ['PENDING_VALIDATION', 'ISSUED'];
const EVERY_STATUS: CertificateStatus[] = [
  ...USABLE,
  'INACTIVE',
  'EXPIRED',
  'VALIDATION_TIMED_OUT',
  'REVOKED',
  'FAILED',
];

type Acm = Pick<AwsContext, 'aws' | 'model'>;
/**
 * DescribeCertificate can answer ResourceNotFoundException for a while after RequestCertificate
 * returned the ARN: the certificate is not known yet, not gone (ACM is eventually consistent).
 */
export const NEW_CERTIFICATE_VISIBILITY: ConsistencyWindow = {
  name: 'ACM to know the certificate it has just issued the ARN of',
  windowMs: 2 * 60_000,
  intervalMs: 3_000,
};

export async function describeCertificate(
  ctx: Pick<AwsContext, 'aws'>,
  arn: string,
): Promise<CertificateDetail | undefined> {
  return (await ctx.aws.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate;
}

/**
 * Certificates of this project for this domain, in the given states. ListCertificates filters by
 * status only, so candidates are the ones for the same name, then their tags decide
 * (ListTagsForCertificate, one call per candidate: usually one).
 */
export async function findCertificates(
  ctx: Acm,
  planned: PlannedResource,
  statuses: CertificateStatus[],
): Promise<CertificateDetail[]> {
  const domain = String(planned.properties.domain);
  const arns: string[] = [];
  for await (const page of paginateListCertificates({ client: ctx.aws.acm }, { CertificateStatuses: statuses })) {
    for (const c of page.CertificateSummaryList ?? [])
      if (c.DomainName === domain && c.CertificateArn) arns.push(c.CertificateArn);
  }
  const ours: CertificateDetail[] = [];
  for (const arn of arns) {
    const tags = (await ctx.aws.acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))).Tags;
    if (tagValue(tags, TAG.project) !== ctx.model.project || tagValue(tags, TAG.resource) !== planned.logicalId)
      continue;
    const cert = await describeCertificate(ctx, arn);
    if (cert) ours.push(cert);
  }
  return ours;
}

/**
 * DNS validation, tagged in the same call; the token makes a rerun within the hour get the same
 * certificate back. Returns at once, so the ARN is recorded before the next call; the first read
 * after it goes through `describeNewCertificate`.
 */
export async function requestCertificate(
  ctx: Acm,
  planned: PlannedResource,
  token: string,
): Promise<CertificateDetail> {
  const out = await ctx.aws.acm.send(
    new RequestCertificateCommand({
      DomainName: String(planned.properties.domain),
      SubjectAlternativeNames: planned.properties.alternativeNames as string[],
      ValidationMethod: 'DNS',
      IdempotencyToken: token,
      Tags: tagList(planned.tags),
    }),
  );
  return {
    CertificateArn: out.CertificateArn,
    Status: 'PENDING_VALIDATION',
    DomainName: String(planned.properties.domain),
  };
}

/**
 * DescribeCertificate for a certificate just requested: NotFound within the window is "not known yet", never "gone".
 */
export const describeNewCertificate = (ctx: Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>, arn: string) =>
  retryWithin(NEW_CERTIFICATE_VISIBILITY, isNotFound, () => describeCertificate(ctx, arn), {
    clock: ctx.clock,
    signal: ctx.signal,
    onRetry: (message) => ctx.report.progress(`reading certificate ${arn}: ${message}`),
  });

/**
 * The resource rule's view of the certificate. `up` keeps or adopts only a usable one: a FAILED
 * or timed-out certificate never becomes ISSUED, so a new request (next generation) replaces it.
 * `destroy` finds it in any state.
 */
export function certificateSpec(
  ctx: Acm,
  planned: PlannedResource,
  statuses: CertificateStatus[] = USABLE,
): ResourceSpec<CertificateDetail> {
  return {
    logicalId: planned.logicalId,
    kind: planned.kind,
    describe: async (arn) => {
      const cert = await describeCertificate(ctx, arn);
      return cert && statuses.includes(cert.Status!) ? cert : undefined;
    },
    find: () => findCertificates(ctx, planned, statuses),
    create: (token) => requestCertificate(ctx, planned, token),
    idOf: (c) => c.CertificateArn!,
  };
}

export const anyStatus = (ctx: Acm, planned: PlannedResource) => certificateSpec(ctx, planned, EVERY_STATUS);

export const deleteCertificate = (ctx: Pick<AwsContext, 'aws'>, arn: string) =>
  ctx.aws.acm.send(new DeleteCertificateCommand({ CertificateArn: arn }));

/**
 * The validation CNAMEs, deduplicated: `*.example.com` and `example.com` share one [acm-dup].
 * Empty until ACM has made them (a few seconds after the request [acm-req]).
 */
export function validationRecords(cert: CertificateDetail): ResourceRecord[] {
  const byName = new Map<string, ResourceRecord>();
  for (const o of cert.DomainValidationOptions ?? [])
    if (o.ResourceRecord?.Name) byName.set(o.ResourceRecord.Name, o.ResourceRecord);
  return [...byName.values()];
}

/**
 * Validation records other certificates of the account still need: ACM gives every certificate
 * for a name in one account the same CNAME, so another project on the same domain shares it.
 */
export async function validationNamesInUse(
  ctx: Pick<AwsContext, 'aws'>,
  domains: string[],
  except: Set<string>,
): Promise<Set<string>> {
  const names = new Set<string>();
  for await (const page of paginateListCertificates({ client: ctx.aws.acm }, { CertificateStatuses: USABLE })) {
    for (const c of page.CertificateSummaryList ?? []) {
      if (!c.CertificateArn || except.has(c.CertificateArn) || !domains.includes(c.DomainName ?? '')) continue;
      const cert = await describeCertificate(ctx, c.CertificateArn);
      for (const r of cert ? validationRecords(cert) : []) names.add(r.Name!);
    }
  }
  return names;
}

/** Every name of the certificate has its validation record. */
export const hasAllValidationRecords = (cert: CertificateDetail): boolean =>
  (cert.DomainValidationOptions?.length ?? 0) > 0 && cert.DomainValidationOptions!.every((o) => o.ResourceRecord?.Name);
