/**
 * The cert phase against aws-sdk-client-mock: ACM as its docs describe it (a DNS-validated
 * certificate that stays PENDING_VALIDATION until its CNAME resolves, can end FAILED, and cannot be
 * deleted while a listener still uses it) and a Route 53 zone. moto issues every certificate after
 * a fixed wait without any record (docs/aws-behaviour.md#moto-differences), so these cases are tested here.
 */
import {
  ACMClient,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  ListCertificatesCommand,
  ListTagsForCertificateCommand,
  RequestCertificateCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  type CertificateDetail,
  type Tag,
} from '@aws-sdk/client-acm';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { beforeEach, describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import cert, { EARLY_POLL_GAPS_MS, ISSUE_WAIT } from '../../src/phases/cert.js';
import { sentCalls } from '../helpers/calls.js';
import { testContext, type TestContext } from '../helpers/context.js';

const acm = sdkMock(ACMClient);
const route53 = sdkMock(Route53Client);
const ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0000-1111';
const RECORD = { Name: '_abc.dev.example.com.', Type: 'CNAME' as const, Value: '_xyz.acm-validations.aws.' };

interface World {
  certs: (CertificateDetail & { Tags: Tag[] })[];
  records: ResourceRecordSet[];
  /** Status of each DescribeCertificate in turn; the last one sticks. */
  statuses: string[];
  inUseFor: number;
}
let world: World;

function fakeAws(): void {
  resetSdkMocks();
  acm.onAnyCommand().rejects(new Error('ACM call not faked'));
  route53.onAnyCommand().rejects(new Error('Route 53 call not faked'));
  acm.on(ListCertificatesCommand).callsFake(() => ({
    CertificateSummaryList: world.certs.map((c) => ({
      CertificateArn: c.CertificateArn,
      DomainName: c.DomainName,
      Status: c.Status,
    })),
  }));
  acm
    .on(ListTagsForCertificateCommand)
    .callsFake(({ CertificateArn }) => ({ Tags: world.certs.find((c) => c.CertificateArn === CertificateArn)?.Tags }));
  acm.on(DescribeCertificateCommand).callsFake(({ CertificateArn }) => {
    const c = world.certs.find((x) => x.CertificateArn === CertificateArn)!;
    if (world.statuses.length)
      c.Status = (
        world.statuses.length > 1 ? world.statuses.shift() : world.statuses[0]
      ) as CertificateDetail['Status'];
    const { Tags: _tags, ...detail } = c;
    return { Certificate: structuredClone(detail) };
  });
  acm.on(RequestCertificateCommand).callsFake((input) => {
    world.certs.push({
      CertificateArn: ARN,
      DomainName: input.DomainName,
      Status: 'PENDING_VALIDATION',
      Tags: input.Tags,
      // The wildcard and the apex share one validation record [acm-dup].
      DomainValidationOptions: [input.DomainName, ...input.SubjectAlternativeNames].map((DomainName: string) => ({
        DomainName,
        ResourceRecord: RECORD,
      })),
    });
    return { CertificateArn: ARN };
  });
  acm.on(DeleteCertificateCommand).callsFake(({ CertificateArn }) => {
    if (world.inUseFor-- > 0)
      throw new ResourceInUseException({ message: `Certificate ${CertificateArn} in use`, $metadata: {} });
    world.certs = world.certs.filter((c) => c.CertificateArn !== CertificateArn);
    return {};
  });
  route53
    .on(ListResourceRecordSetsCommand)
    .callsFake(() => ({ ResourceRecordSets: structuredClone(world.records), IsTruncated: false }));
  route53.on(ChangeResourceRecordSetsCommand).callsFake(({ ChangeBatch }) => {
    for (const c of ChangeBatch.Changes) {
      world.records = world.records.filter(
        (r) => r.Name !== c.ResourceRecordSet.Name || r.Type !== c.ResourceRecordSet.Type,
      );
      if (c.Action !== 'DELETE') world.records.push(c.ResourceRecordSet);
    }
    return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } };
  });
  route53
    .on(GetChangeCommand)
    .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
}

let ctx: TestContext;
beforeEach(async () => {
  world = { certs: [], records: [], statuses: [], inUseFor: 0 };
  fakeAws();
  ctx = await testContext('cert');
});

const mutating = () => [...sentCalls(acm), ...sentCalls(route53)].filter((c) => !/^(Describe|Get|List)/.test(c.op));

describe('cert', () => {
  it('requests *.baseDomain with the apex, a 32-character token and the tags in one call, writes the shared validation CNAME once, and waits for ISSUED', async () => {
    world.statuses = ['PENDING_VALIDATION', 'PENDING_VALIDATION', 'ISSUED'];
    await cert.apply(ctx);
    const request = sentCalls(acm).find((c) => c.op === 'RequestCertificate')!.input;
    expect(request).toMatchObject({
      DomainName: '*.dev.example.com',
      SubjectAlternativeNames: ['dev.example.com'],
      ValidationMethod: 'DNS',
    });
    expect(request.IdempotencyToken).toMatch(/^\w{32}$/);
    expect(request.Tags).toContainEqual({ Key: 'devenv:project', Value: 'demo' });
    const batches = sentCalls(route53).filter((c) => c.op === 'ChangeResourceRecordSets');
    expect(batches).toHaveLength(1);
    expect((batches[0]!.input.ChangeBatch as { Changes: unknown[] }).Changes).toEqual([
      {
        Action: 'UPSERT',
        ResourceRecordSet: { Name: RECORD.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: RECORD.Value }] },
      },
    ]);
    expect(ctx.state.phase('cert')?.outputs?.certificateArn).toBe(ARN);
    expect(
      ctx.events.some(
        (e) => e.type === 'progress' && /waiting for ACM to validate \*\.dev\.example\.com/.test(e.message),
      ),
    ).toBe(true);
  });

  it('waits while DescribeCertificate does not know the certificate just requested yet (not gone): one request, then validated', async () => {
    world.statuses = ['PENDING_VALIDATION', 'ISSUED'];
    let unknownFor = 2;
    const known = acm.commandCalls(DescribeCertificateCommand).length;
    acm.on(DescribeCertificateCommand).callsFake(({ CertificateArn }) => {
      if (unknownFor-- > 0)
        throw new ResourceNotFoundException({
          message: `Could not find certificate ${CertificateArn}.`,
          $metadata: {},
        });
      const { Tags: _t, ...detail } = world.certs.find((x) => x.CertificateArn === CertificateArn)!;
      return {
        Certificate: {
          ...structuredClone(detail),
          Status: world.statuses.length > 1 ? world.statuses.shift() : world.statuses[0],
        },
      };
    });
    await cert.apply(ctx);
    expect(sentCalls(acm).filter((c) => c.op === 'RequestCertificate')).toHaveLength(1);
    expect(acm.commandCalls(DescribeCertificateCommand).length - known).toBeGreaterThanOrEqual(3);
    expect(ctx.state.phase('cert')?.outputs?.certificateArn).toBe(ARN);
    expect(
      ctx.events.some(
        (e) => e.type === 'progress' && /reading certificate .*waiting for ACM to know the certificate/.test(e.message),
      ),
    ).toBe(true);
  });

  it('adopts a PENDING_VALIDATION certificate of this project for the same names instead of requesting another', async () => {
    world.certs.push({
      CertificateArn: ARN,
      DomainName: '*.dev.example.com',
      Status: 'PENDING_VALIDATION',
      DomainValidationOptions: [{ DomainName: '*.dev.example.com', ResourceRecord: RECORD }],
      Tags: [
        { Key: 'devenv:project', Value: 'demo' },
        { Key: 'devenv:resource', Value: 'cert' },
      ],
    });
    world.certs.push({
      CertificateArn: `${ARN}-other`,
      DomainName: '*.dev.example.com',
      Status: 'ISSUED',
      Tags: [
        { Key: 'devenv:project', Value: 'someone-else' },
        { Key: 'devenv:resource', Value: 'cert' },
      ],
    });
    world.statuses = ['PENDING_VALIDATION', 'ISSUED'];
    await cert.apply(ctx);
    expect(sentCalls(acm).map((c) => c.op)).not.toContain('RequestCertificate');
    expect(ctx.state.resource('cert')?.id).toBe(ARN);
  });

  it('a converged run makes no mutating call', async () => {
    world.statuses = ['ISSUED'];
    await cert.apply(ctx);
    acm.resetHistory();
    route53.resetHistory();
    await cert.apply(ctx);
    expect(mutating()).toEqual([]);
  });

  it('a FAILED certificate stops with the record to check and the likely causes', async () => {
    world.statuses = ['PENDING_VALIDATION', 'FAILED'];
    acm.on(DescribeCertificateCommand).callsFake(({ CertificateArn }) => {
      const c = world.certs.find((x) => x.CertificateArn === CertificateArn)!;
      const { Tags: _t, ...detail } = c;
      return {
        Certificate: {
          ...structuredClone(detail),
          Status: world.statuses.length > 1 ? world.statuses.shift() : world.statuses[0],
          FailureReason: 'CAA_ERROR',
        },
      };
    });
    const err = await cert.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toMatch(/is FAILED \(CAA_ERROR\): ACM will not issue it/);
    expect((err as DevenvError).remedy).toMatch(/_abc\.dev\.example\.com CNAME _xyz\.acm-validations\.aws/);
    expect((err as DevenvError).remedy).toMatch(/CAA record/);
    expect((err as DevenvError).remedy).toMatch(/name servers/);
  });

  it('polls the certificate soon, then backs off to every 10 s: a quick validation is seen within seconds', async () => {
    world.statuses = [
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
      'PENDING_VALIDATION',
      'ISSUED',
    ];
    await cert.apply(ctx);
    expect((ctx.clock as unknown as { slept: number[] }).slept).toEqual([
      ...EARLY_POLL_GAPS_MS,
      ISSUE_WAIT.intervalMs,
      ISSUE_WAIT.intervalMs,
    ]);
    expect(EARLY_POLL_GAPS_MS[0]).toBeLessThan(ISSUE_WAIT.intervalMs);
    expect(ctx.state.phase('cert')?.outputs?.certificateArn).toBe(ARN);
  });

  it('a validation that never completes gives up after the bound, naming the record', async () => {
    world.statuses = ['PENDING_VALIDATION'];
    const err = await cert.apply(ctx).catch((e: unknown) => e);
    expect((err as DevenvError).message).toMatch(/still PENDING_VALIDATION after 45m00s/);
    expect((err as DevenvError).remedy).toMatch(/_abc\.dev\.example\.com/);
    const waited = (ctx.clock as unknown as { slept: number[] }).slept.reduce((a, b) => a + b, 0);
    expect(waited).toBeLessThanOrEqual(ISSUE_WAIT.timeoutMs);
    expect(waited).toBeGreaterThan(ISSUE_WAIT.timeoutMs - 2 * ISSUE_WAIT.intervalMs);
  });

  it("destroy keeps the validation CNAME while another project's certificate for the same domain still validates with it", async () => {
    world.statuses = ['ISSUED'];
    await cert.apply(ctx);
    world.certs.push({
      CertificateArn: `${ARN}-beta`,
      DomainName: '*.dev.example.com',
      Status: 'ISSUED',
      DomainValidationOptions: [{ DomainName: '*.dev.example.com', ResourceRecord: RECORD }],
      Tags: [{ Key: 'devenv:project', Value: 'beta' }],
    });
    await cert.destroy(ctx);
    expect(world.certs.map((c) => c.CertificateArn)).toEqual([`${ARN}-beta`]);
    expect(world.records.map((r) => r.Name)).toEqual([RECORD.Name]);
    expect(
      ctx.events.some(
        (e) => e.type === 'step' && /kept DNS record _abc\.dev\.example\.com: another certificate/.test(e.message),
      ),
    ).toBe(true);
  });

  it('destroy retries ResourceInUseException while the load balancer lets go of the certificate, then removes the validation CNAME', async () => {
    world.statuses = ['ISSUED'];
    await cert.apply(ctx);
    world.inUseFor = 2;
    acm.resetHistory();
    route53.resetHistory();
    await cert.destroy(ctx);
    expect(sentCalls(acm).filter((c) => c.op === 'DeleteCertificate')).toHaveLength(3);
    expect(world.certs).toEqual([]);
    expect(world.records).toEqual([]);
    expect(ctx.state.resource('cert/validation')).toBeUndefined();
    expect(ctx.events.some((e) => e.type === 'progress' && /release the certificate/.test(e.message))).toBe(true);
  });
});
