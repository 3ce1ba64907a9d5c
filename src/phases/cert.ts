import type { CertificateDetail, ResourceRecord } from '@aws-sdk/client-acm';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  anyStatus,
  certificateSpec,
  deleteCertificate,
  describeCertificate,
  describeNewCertificate,
  hasAllValidationRecords,
  validationNamesInUse,
  validationRecords,
} from '../aws/acm/certificate.js';
import { AcmCode, hasCode } from '../aws/errors.js';
import { ensureResource, inspectResource, removeResource, rowOf } from '../aws/resource.js';
import { retryWithin, type ConsistencyWindow } from '../aws/retry.js';
import { changeRecords, deletion, normalName, recordsUnder, upsert } from '../aws/route53/records.js';
import { waitFor, WaitTimeoutError, waitOptions } from '../aws/wait.js';
import { formatDuration } from '../duration.js';
import { certBlueprint } from '../blueprint/edge.js';
import { pick } from '../blueprint/types.js';
import { DevenvError } from '../errors.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase } from './types.js';

/**
 * cert: the ACM certificate of *.<baseDomain> (and the apex), validated through Route 53. It needs
 * only validate, so the runner starts it at once and its wait (minutes) overlaps the network and
 * the host. The validation CNAMEs stay while the certificate exists: ACM's renewal needs them.
 */

export const VALIDATION = 'cert/validation';
const planned = (ctx: Context) => pick(certBlueprint(ctx.model), 'cert');

/** ACM validates in minutes, sometimes over an hour; Terraform waits 45 minutes [tf-9338]. */
export const ISSUE_WAIT = { timeoutMs: 45 * 60_000, intervalMs: 10_000 };
/**
 * The gaps before the first polls, then every ISSUE_WAIT.intervalMs. A certificate already
 * validated (an adopted one, a record still in the zone, an emulator) is seen within seconds
 * instead of after a fixed 10 s; one that takes minutes costs three more DescribeCertificate calls.
 * Not the SDK's waitUntilCertificateValidated: it sleeps 60 s before its second look.
 */
export const EARLY_POLL_GAPS_MS = [2_000, 4_000, 8_000];
/** ACM writes the validation records a few seconds after the request [acm-req]. */
const RECORDS_WAIT = { timeoutMs: 2 * 60_000, intervalMs: 2_000 };
/**
 * DeleteCertificate answers ResourceInUseException for a while after its listener is gone (Terraform retries 20
 * minutes).
 */
export const CERT_RELEASE: ConsistencyWindow = {
  name: 'the load balancer to release the certificate',
  windowMs: 20 * 60_000,
  intervalMs: 15_000,
};

const asRecordSet = (r: ResourceRecord): ResourceRecordSet => ({
  Name: r.Name,
  Type: 'CNAME',
  TTL: 300,
  ResourceRecords: [{ Value: r.Value }],
});
const describeRecords = (records: ResourceRecord[]) =>
  records.map((r) => `${normalName(r.Name!)} CNAME ${normalName(r.Value!)}`).join(', ');

async function withValidationRecords(ctx: Context, cert: CertificateDetail): Promise<CertificateDetail> {
  if (hasAllValidationRecords(cert)) return cert;
  const arn = cert.CertificateArn!;
  return waitFor(
    async () => {
      const live = (await describeNewCertificate(ctx, arn)) ?? cert;
      return { done: hasAllValidationRecords(live), value: live, seen: 'no validation records yet' };
    },
    { what: `ACM to give the validation records of ${arn}`, ...RECORDS_WAIT, clock: ctx.clock, signal: ctx.signal },
  );
}

/** The validation records that are missing from the zone or hold another value. */
async function missingValidationRecords(ctx: Context, cert: CertificateDetail): Promise<ResourceRecord[]> {
  const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const value = (r: ResourceRecordSet) => normalName(r.ResourceRecords?.[0]?.Value ?? '');
  return validationRecords(cert).filter(
    (want) =>
      !live.some(
        (r) =>
          r.Type === 'CNAME' && normalName(r.Name!) === normalName(want.Name!) && value(r) === normalName(want.Value!),
      ),
  );
}

function notIssued(ctx: Context, cert: CertificateDetail, what: string): DevenvError {
  const records = describeRecords(validationRecords(cert));
  return new DevenvError('aws', `certificate ${cert.CertificateArn} for ${cert.DomainName} ${what}`, {
    remedy:
      `check that ${records || 'its validation CNAME'} resolves publicly (\`dig CNAME <name>\`). ` +
      `Likely causes: a CAA record on ${ctx.config.baseDomain} or a parent that does not allow ` +
      'amazon.com; ' +
      `hosted zone ${ctx.config.hostedZoneId} is not the delegated one (its name servers differ from ` +
      `the domain's public NS records). Fix that, then run \`devenv up\` again`,
  });
}

async function waitUntilIssued(ctx: Context, cert: CertificateDetail): Promise<CertificateDetail> {
  const arn = cert.CertificateArn!;
  const poll = async () => {
    const live = (await describeCertificate(ctx, arn)) ?? cert;
    if (live.Status === 'ISSUED') return { done: true, value: live, seen: 'ISSUED' };
    if (live.Status !== 'PENDING_VALIDATION')
      throw notIssued(
        ctx,
        live,
        `is ${live.Status}${live.FailureReason ? ` (${live.FailureReason})` : ''}: ACM will not issue it`,
      );
    return { done: false, value: live, seen: live.Status };
  };
  const started = ctx.clock.now();
  const line = (elapsed: number) =>
    `waiting for ACM to validate ${cert.DomainName} (${formatDuration(elapsed)} of at most ` +
    `${formatDuration(ISSUE_WAIT.timeoutMs)})`;
  try {
    for (const gap of EARLY_POLL_GAPS_MS) {
      const early = await poll();
      if (early.done) return early.value;
      ctx.report.progress(line(ctx.clock.now() - started));
      await ctx.clock.sleep(gap, ctx.signal);
    }
    const before = ctx.clock.now() - started;
    return await waitFor(poll, {
      what: `certificate ${arn} to be issued`,
      ...ISSUE_WAIT,
      timeoutMs: ISSUE_WAIT.timeoutMs - before,
      ...waitOptions(ctx),
      say: (elapsed) => line(before + elapsed),
    });
  } catch (err) {
    if (err instanceof WaitTimeoutError)
      throw notIssued(ctx, cert, `is still PENDING_VALIDATION after ${formatDuration(ISSUE_WAIT.timeoutMs)}`);
    throw err;
  }
}

async function apply(ctx: Context): Promise<void> {
  const { resource } = await ensureResource(ctx, certificateSpec(ctx, planned(ctx)));
  const cert = await withValidationRecords(ctx, resource);
  const missing = await missingValidationRecords(ctx, cert);
  await changeRecords(
    ctx,
    ctx.config.hostedZoneId,
    missing.map((r) => upsert(asRecordSet(r))),
    `devenv ${ctx.model.project}: ACM validation`,
  );
  const names = validationRecords(cert).map((r) => normalName(r.Name!));
  await ctx.state.setResource(VALIDATION, { kind: 'DNS record', phase: 'cert', id: names.join(' '), attrs: { names } });
  ctx.report.resource(
    missing.length
      ? {
          action: 'created',
          logicalId: VALIDATION,
          kind: 'DNS record',
          resourceId: names.join(' '),
          message: `wrote ${describeRecords(missing)}`,
        }
      : { action: 'kept', logicalId: VALIDATION, kind: 'DNS record', resourceId: names.join(' ') },
  );
  const issued = cert.Status === 'ISSUED' ? cert : await waitUntilIssued(ctx, cert);
  await ctx.state.setOutputs('cert', { certificateArn: issued.CertificateArn! });
}

/**
 * One read for `plan` and `status`: the usable certificate (or, when there is none, whatever failed
 * one is left, for the status row) and the zone's records. A certificate not issued yet is unhealthy.
 */
async function inspect(ctx: Context): Promise<Inspection> {
  const usable = await inspectResource(ctx, certificateSpec(ctx, planned(ctx)), String(planned(ctx).properties.domain));
  const { resource: cert, ...change } = usable;
  const certChange: Change = {
    ...change,
    detail: cert ? `${cert.Status}${expiry(cert)}` : `DNS-validated, ${ctx.config.baseDomain} as a second name`,
  };
  const shown = cert ? usable : await inspectResource(ctx, anyStatus(ctx, planned(ctx)));
  const row = rowOf(
    shown,
    (c) => c.Status ?? 'unknown',
    (c) => `${c.DomainName}${expiry(c)}${c.FailureReason ? `; ${c.FailureReason}` : ''}`,
  );
  if (shown.resource && shown.resource.Status !== 'ISSUED')
    row.problem = {
      verdict: 'unhealthy',
      message: `cert certificate ${shown.id} is ${shown.resource.Status}, not ISSUED`,
    };
  const missing = cert && hasAllValidationRecords(cert) ? await missingValidationRecords(ctx, cert) : undefined;
  const recordAction = missing === undefined || missing.length > 0 ? 'create' : 'keep';
  const changes: Change[] = [
    certChange,
    {
      phase: 'cert',
      action: recordAction,
      logicalId: VALIDATION,
      kind: 'DNS record',
      detail: missing?.length ? describeRecords(missing) : 'validation CNAME(s) in the hosted zone',
    },
  ];
  if (!cert || missing === undefined) return { changes, rows: [row] };
  const records = validationRecords(cert);
  return {
    changes,
    rows: [
      row,
      {
        phase: 'cert',
        logicalId: VALIDATION,
        kind: 'DNS record',
        id: records.map((r) => normalName(r.Name!)).join(' '),
        state: missing.length ? 'missing' : 'in zone',
        detail: describeRecords(missing.length ? missing : records),
      },
    ],
  };
}

const expiry = (c: CertificateDetail) => (c.NotAfter ? `, expires ${c.NotAfter.toISOString().slice(0, 10)}` : '');

/**
 * Deletes the certificate (every one of this project's, in any state) once no listener uses it,
 * then its validation records, which the seed's cleanup left behind, unless another certificate
 * for the same domain in the account (another project's) validates with the same record.
 */
async function destroy(ctx: Context): Promise<void> {
  const names = new Set((ctx.state.resource(VALIDATION)?.attrs?.names as string[] | undefined) ?? []);
  const p = planned(ctx);
  const deleted = await removeResource(ctx, anyStatus(ctx, p), async (arn, found) => {
    const cert = found ?? (await describeCertificate(ctx, arn));
    for (const r of cert ? validationRecords(cert) : []) names.add(normalName(r.Name!));
    await deleteWhenReleased(ctx, arn);
  });
  await deleteValidationRecords(ctx, names, String(p.properties.domain), new Set(deleted));
  if (ctx.state.resource(VALIDATION)) await ctx.state.forget(VALIDATION);
}

/** Deletes a certificate, retrying while the load balancer that used it has not let go of it yet. */
export async function deleteWhenReleased(
  ctx: Pick<Context, 'aws' | 'clock' | 'signal' | 'report'>,
  arn: string,
): Promise<void> {
  await retryWithin(
    CERT_RELEASE,
    (err) => hasCode(err, AcmCode.resourceInUse),
    () => deleteCertificate(ctx, arn),
    {
      clock: ctx.clock,
      signal: ctx.signal,
      onRetry: (message) => ctx.report.progress(`deleting certificate ${arn}: ${message}`),
    },
  );
}

/**
 * Deletes the validation CNAMEs of these names from the hosted zone, except those another
 * certificate for `domain` in the account (another project's) still validates with: ACM gives
 * every certificate for a name in one account the same record. Also the teardown sweep's.
 */
export async function deleteValidationRecords(
  ctx: Pick<Context, 'aws' | 'config' | 'model' | 'report' | 'signal' | 'clock'>,
  names: Set<string>,
  domain: string,
  deletedArns: Set<string>,
): Promise<void> {
  if (names.size === 0) return;
  const wanted = new Set([...names].map(normalName));
  const shared = [...(await validationNamesInUse(ctx, [domain], deletedArns))].map(normalName);
  for (const name of shared)
    if (wanted.delete(name))
      ctx.report.step(`kept DNS record ${name}: another certificate for ${domain} in this account validates with it`);
  const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const stale = live.filter((r) => r.Type === 'CNAME' && wanted.has(normalName(r.Name!)));
  await changeRecords(
    ctx,
    ctx.config.hostedZoneId,
    stale.map(deletion),
    `devenv ${ctx.model.project}: ACM validation removed`,
  );
  for (const r of stale)
    ctx.report.resource({
      action: 'deleted',
      logicalId: VALIDATION,
      kind: 'DNS record',
      resourceId: normalName(r.Name!),
      message: `deleted DNS record ${normalName(r.Name!)} CNAME`,
    });
}

const phase: Phase = { name: 'cert', apply, destroy, ...fromInspection(inspect) };
export default phase;
