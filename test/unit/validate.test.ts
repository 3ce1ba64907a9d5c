import {
  DescribeAvailabilityZonesCommand,
  DescribeImagesCommand,
  DescribeInstanceTypeOfferingsCommand,
  DescribeInstanceTypesCommand,
  DescribeKeyPairsCommand,
  EC2Client,
  EC2ServiceException,
  type Image,
} from '@aws-sdk/client-ec2';
import {
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ListenerNotFoundException,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetHostedZoneCommand,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { GetCallerIdentityCommand, STSClient, STSServiceException } from '@aws-sdk/client-sts';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { DevenvError, InterruptedError } from '../../src/errors.js';
import validate from '../../src/phases/validate.js';
import { baseConfig, testContext, type TestContext } from '../helpers/context.js';

const sts = sdkMock(STSClient);
const ec2 = sdkMock(EC2Client);
const route53 = sdkMock(Route53Client);

const ACCOUNT = '123456789012';
const AMI = 'ami-0123456789abcdef0';
const noOverride = { instance: { privateKeyPath: '/tmp/devenv-test-key.pem' } }; // no amiId: look up the newest Ubuntu

const ec2Error = (name: string, message: string) =>
  new EC2ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

function image(id: string, name: string, created: string, extra: Partial<Image> = {}): Image {
  return {
    ImageId: id,
    Name: name,
    CreationDate: created,
    Architecture: 'x86_64',
    State: 'available',
    OwnerId: '099720109477',
    ...extra,
  };
}

const zone = (name: string, state = 'available') => ({
  ZoneName: name,
  ZoneId: `use1-${name.slice(-1)}`,
  RegionName: name.slice(0, -1),
  ZoneType: 'availability-zone',
  State: state as 'available',
});

/** A healthy account in us-east-1: every check passes. Tests replace one answer each. Unmocked calls fail. */
function healthyAws(): void {
  resetSdkMocks();
  const unexpected = () => new Error('unexpected AWS call in this test');
  sts.onAnyCommand().rejects(unexpected());
  ec2.onAnyCommand().rejects(unexpected());
  route53.onAnyCommand().rejects(unexpected());
  sts
    .on(GetCallerIdentityCommand)
    .resolves({ Account: ACCOUNT, Arn: `arn:aws:iam::${ACCOUNT}:user/alice`, UserId: 'AIDA' });
  ec2
    .on(DescribeAvailabilityZonesCommand)
    .resolves({ AvailabilityZones: ['us-east-1a', 'us-east-1b', 'us-east-1c'].map((z) => zone(z)) });
  ec2.on(DescribeImagesCommand).resolves({
    Images: [image(AMI, 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240501', '2024-05-01T00:00:00.000Z')],
  });
  ec2.on(DescribeInstanceTypesCommand).resolves({
    InstanceTypes: [
      {
        InstanceType: 't3.2xlarge',
        VCpuInfo: { DefaultVCpus: 8 },
        MemoryInfo: { SizeInMiB: 32768 },
        ProcessorInfo: { SupportedArchitectures: ['x86_64'] },
      },
    ],
  });
  offeredIn('us-east-1a', 'us-east-1b', 'us-east-1c');
  ec2.on(DescribeKeyPairsCommand).resolves({ KeyPairs: [] });
  route53.on(GetHostedZoneCommand).resolves({
    HostedZone: {
      Id: '/hostedzone/Z1234567890ABC',
      Name: 'example.com.',
      CallerReference: 'x',
      Config: { PrivateZone: false },
    },
  });
  route53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: [], IsTruncated: false, MaxItems: 300 });
}

function offeredIn(...zones: string[]): void {
  ec2.on(DescribeInstanceTypeOfferingsCommand).resolves({
    InstanceTypeOfferings: zones.map((Location) => ({
      InstanceType: 't3.2xlarge',
      LocationType: 'availability-zone',
      Location,
    })),
  });
}

/** Runs apply and returns the error the user would see: a failed phase (exit 1), or bad config or files (exit 2). */
async function failure(ctx: TestContext, kind: 'phase' | 'config' = 'phase'): Promise<DevenvError> {
  const err = await validate.apply(ctx).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevenvError);
  const error = err as DevenvError;
  expect(error.kind).toBe(kind);
  expect(error.exitCode).toBe(kind === 'phase' ? 1 : 2);
  expect(error.message).not.toMatch(/\n\s+at /); // no stack trace in what the user reads
  return error;
}

const steps = (ctx: TestContext) => ctx.events.filter((e) => e.type === 'step').map((e) => e.message);
const allWarnings = (ctx: TestContext) => ctx.events.filter((e) => e.type === 'warn').map((e) => e.message);
/** The warnings of the check under test: the test config leaves the login pages open, which its own tests cover. */
const warnings = (ctx: TestContext) =>
  allWarnings(ctx).filter((m) => !m.startsWith('the login pages are open to the whole internet'));

beforeEach(healthyAws);

describe('validate apply', () => {
  it('passes a healthy account, reports each check and records the outputs later phases use', async () => {
    const ctx = await testContext('validate');
    await validate.apply(ctx);

    expect(steps(ctx)).toEqual([
      `account ${ACCOUNT} (arn:aws:iam::${ACCOUNT}:user/alice)`,
      'region us-east-1: host in us-east-1a (use1-a), ALB also in us-east-1b (use1-b)',
      'hosted zone Z1234567890ABC example.com. (public) covers dev.example.com',
      `${AMI} ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240501 (2024-05-01)`,
      't3.2xlarge has 8 vCPUs and 32768 MiB in us-east-1a; 2 developers reserve 2 vCPUs and 6144 MiB (+ 1024 MiB for the host), room for 8',
      'SSH (port 22) only from 203.0.113.7/32',
      'the login pages are reachable from the whole internet',
      expect.stringMatching(
        /^key pair demo-admin-key(: a new ed25519 key will be written to| will be imported from) \/tmp\/devenv-test-key\.pem$/,
      ),
      "2 developers use 2 of the load balancer's 100 target groups and 2 of its 100 rules",
    ]);
    const saved = JSON.parse(readFileSync(ctx.state.path, 'utf8'));
    expect(saved.account).toBe(ACCOUNT);
    expect(saved.phases.validate.outputs).toMatchObject({
      accountId: ACCOUNT,
      amiId: AMI,
      amiName: 'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240501',
      hostAz: 'us-east-1a',
      albAz: 'us-east-1b',
      hostedZoneName: 'example.com.',
      instanceType: 't3.2xlarge',
      vcpus: 8,
      memoryMiB: 32768,
    });
  });

  it('makes only read calls, and asks for all zones and the type in the host zone', async () => {
    const ctx = await testContext('validate');
    await validate.apply(ctx);
    const names = [...sts.calls(), ...ec2.calls(), ...route53.calls()].map(
      (c) => (c.args[0] as object).constructor.name,
    );
    expect(names.every((n) => /^(Get|Describe|List)/.test(n))).toBe(true);
    expect(ec2.commandCalls(DescribeAvailabilityZonesCommand)[0].args[0].input).toEqual({ AllAvailabilityZones: true });
    expect(ec2.commandCalls(DescribeInstanceTypeOfferingsCommand)[0].args[0].input).toMatchObject({
      LocationType: 'availability-zone',
      Filters: [{ Name: 'instance-type', Values: ['t3.2xlarge'] }],
    });
  });

  it('runs the checks concurrently: nothing waits for the account check', async () => {
    let answer!: () => void;
    sts.on(GetCallerIdentityCommand).callsFake(
      () =>
        new Promise((resolve) => {
          answer = () => resolve({ Account: ACCOUNT, Arn: 'arn:aws:iam::123456789012:user/alice' });
        }),
    );
    const ctx = await testContext('validate');
    const run = validate.apply(ctx);
    await vi.waitFor(() => {
      expect(route53.commandCalls(GetHostedZoneCommand)).toHaveLength(1);
      expect(ec2.commandCalls(DescribeInstanceTypesCommand)).toHaveLength(1);
    });
    answer();
    await run;
  });

  it('reports every failed check together, each with what was found and the fix', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/bob' });
    route53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: { Id: '/hostedzone/Z1234567890ABC', Name: 'example.org.', CallerReference: 'x' } });
    const ctx = await testContext('validate', { developers: 9 });
    const err = await failure(ctx);
    expect(err.message).toContain('validate found 3 problems');
    expect(err.message).toContain(
      '  - account: these credentials are for account 111122223333 (arn:aws:iam::111122223333:user/bob), but the config expects 123456789012',
    );
    expect(err.message).toContain(
      '  - hosted zone: hosted zone Z1234567890ABC is for example.org., but baseDomain is dev.example.com: use the zone of dev.example.com or a parent of it',
    );
    expect(err.message).toContain('  - instance type: ');
    expect(err.remedy).toMatch(/fix each problem above/);
    // the passing checks are still reported
    expect(steps(ctx)).toContain('SSH (port 22) only from 203.0.113.7/32');
  });
});

describe('account', () => {
  it('refuses credentials of another account than the config expects, and does not bind the state to it', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '111122223333', Arn: 'arn:aws:iam::111122223333:user/bob' });
    const ctx = await testContext('validate');
    const err = await failure(ctx);
    expect(err.message).toMatch(
      /these credentials are for account 111122223333 .*, but the config expects 123456789012: use credentials of account 123456789012/,
    );
    expect(ctx.state.data.account).toBe(ACCOUNT);
  });

  it('without accountId in the config, binds the state to the account of the credentials', async () => {
    const ctx = await testContext('validate', { accountId: undefined });
    expect(ctx.state.data.account).toBeUndefined();
    await validate.apply(ctx);
    expect(ctx.state.data.account).toBe(ACCOUNT);
  });

  it('refuses credentials of another account than the state file describes', async () => {
    const ctx = await testContext('validate', { accountId: undefined });
    ctx.state.data.account = '999988887777';
    const err = (await validate.apply(ctx).catch((e: unknown) => e)) as DevenvError;
    expect(err.message).toContain(
      `describes AWS account 999988887777, but these credentials are for account ${ACCOUNT}`,
    );
    expect(err.exitCode).toBe(2); // bad state, not a failed phase
    expect(err.remedy).toContain('--state');
    expect(ctx.state.data.account).toBe('999988887777');
  });
});

describe('AWS errors', () => {
  it('maps refused credentials to one clear line, not one per check', async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      new STSServiceException({
        name: 'InvalidClientTokenId',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'The security token included in the request is invalid.',
      }),
    );
    ec2
      .on(DescribeAvailabilityZonesCommand)
      .rejects(ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    ec2
      .on(DescribeImagesCommand)
      .rejects(ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejects(ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    route53.on(GetHostedZoneCommand).rejects(
      new Route53ServiceException({
        name: 'InvalidClientTokenId',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'The security token included in the request is invalid.',
      }),
    );
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain('validate found a problem');
    expect(err.message.match(/AWS credentials are missing or invalid/g)).toHaveLength(1);
    expect(err.message).toContain('AWS_PROFILE');
    expect(err.message).not.toContain('opt-in'); // us-east-1 is enabled in every account
  });

  it('says an expired session is expired', async () => {
    sts.on(GetCallerIdentityCommand).rejects(
      new STSServiceException({
        name: 'ExpiredTokenException',
        $fault: 'client',
        $metadata: {},
        message: 'The security token included in the request is expired',
      }),
    );
    const err = await failure(await testContext('validate'));
    expect(err.message).toMatch(
      /account: AWS credentials are missing or invalid: they have expired \(sts:GetCallerIdentity\)/,
    );
  });

  it('in an opt-in region (ap-southeast-7), says the region may not be enabled', async () => {
    ec2
      .on(DescribeAvailabilityZonesCommand)
      .rejects(ec2Error('AuthFailure', 'AWS was not able to validate the provided access credentials'));
    const ctx = await testContext('validate', { region: 'ap-southeast-7' });
    const err = await failure(ctx);
    expect(err.message).toContain('region: AWS credentials are missing or invalid');
    expect(err.message).toContain('ap-southeast-7 is an opt-in Region');
    expect(err.message).toContain('AWS Regions');
  });

  it('maps OptInRequired to the account not being subscribed to EC2 there', async () => {
    ec2
      .on(DescribeAvailabilityZonesCommand)
      .rejects(
        ec2Error(
          'OptInRequired',
          'You are not subscribed to this service. Please go to http://aws.amazon.com to subscribe.',
        ),
      );
    const err = await failure(await testContext('validate', { region: 'ap-southeast-7' }));
    expect(err.message).toContain('region: the account is not subscribed to ec2 in ap-southeast-7 (OptInRequired');
    expect(err.message).toContain('enable the Region ap-southeast-7');
  });

  it('says once that AWS cannot be reached, with the host it tried', async () => {
    const unreachable = () =>
      Object.assign(new Error('getaddrinfo ENOTFOUND ec2.us-east-1.amazonaws.com'), {
        code: 'ENOTFOUND',
        hostname: 'ec2.us-east-1.amazonaws.com',
      });
    ec2.on(DescribeAvailabilityZonesCommand).callsFake(() => Promise.reject(unreachable()));
    ec2.on(DescribeImagesCommand).callsFake(() => Promise.reject(unreachable()));
    ec2.on(DescribeInstanceTypesCommand).callsFake(() => Promise.reject(unreachable()));
    const err = await failure(await testContext('validate'));
    expect(err.message.match(/cannot reach AWS/g)).toHaveLength(1);
    expect(err.message).toContain('(ENOTFOUND ec2.us-east-1.amazonaws.com): check the network');
  });

  it('names the permission an AccessDenied lacks', async () => {
    route53.on(GetHostedZoneCommand).rejects(
      new Route53ServiceException({
        name: 'AccessDenied',
        $fault: 'client',
        $metadata: { httpStatusCode: 403 },
        message: 'User: arn:aws:iam::123456789012:user/alice is not authorized to perform: route53:GetHostedZone',
      }),
    );
    ec2
      .on(DescribeInstanceTypeOfferingsCommand)
      .rejects(ec2Error('UnauthorizedOperation', 'You are not authorized to perform this operation.'));
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain('hosted zone: these credentials may not call route53:GetHostedZone');
    expect(err.message).toContain('instance type: these credentials may not call ec2:DescribeInstanceTypeOfferings');
    expect(err.message).toContain('allow ec2:DescribeInstanceTypeOfferings in their IAM policy');
  });

  it('lets an interrupt through instead of reporting it as a failed check', async () => {
    sts.on(GetCallerIdentityCommand).rejects(new InterruptedError());
    await expect(validate.apply(await testContext('validate'))).rejects.toBeInstanceOf(InterruptedError);
  });
});

describe('region and zones', () => {
  it('names a zone that does not exist and lists the ones that do', async () => {
    const ctx = await testContext('validate', { albAvailabilityZone: 'us-east-1f' });
    const err = await failure(ctx);
    expect(err.message).toContain(
      'region: availability zone us-east-1f does not exist in us-east-1 (its zones: us-east-1a, us-east-1b, us-east-1c): set albAvailabilityZone to one of them',
    );
  });

  it('refuses a zone that is not available', async () => {
    ec2
      .on(DescribeAvailabilityZonesCommand)
      .resolves({ AvailabilityZones: [zone('us-east-1a', 'impaired'), zone('us-east-1b'), zone('us-east-1c')] });
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain(
      'availability zone us-east-1a is impaired: set availabilityZone to an available zone (us-east-1b, us-east-1c)',
    );
  });
});

describe('hosted zone', () => {
  it('says when the zone does not exist', async () => {
    route53.on(GetHostedZoneCommand).rejects(
      new NoSuchHostedZone({
        $metadata: { httpStatusCode: 404 },
        message: 'No hosted zone found with ID: Z1234567890ABC',
      }),
    );
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain(
      'hosted zone: hosted zone Z1234567890ABC does not exist in this account: set hostedZoneId to the public zone of dev.example.com or of a parent of it',
    );
  });

  it('accepts the zone of baseDomain itself, and refuses one that only ends with the same letters', async () => {
    route53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: { Id: '/hostedzone/Z1234567890ABC', Name: 'dev.example.com.', CallerReference: 'x' } });
    await validate.apply(await testContext('validate'));

    route53
      .on(GetHostedZoneCommand)
      .resolves({ HostedZone: { Id: '/hostedzone/Z1234567890ABC', Name: 'ample.com.', CallerReference: 'x' } });
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain('is for ample.com., but baseDomain is dev.example.com');
  });

  it('refuses a private zone: ACM validation and browsers need public DNS', async () => {
    route53.on(GetHostedZoneCommand).resolves({
      HostedZone: {
        Id: '/hostedzone/Z1234567890ABC',
        Name: 'example.com.',
        CallerReference: 'x',
        Config: { PrivateZone: true },
      },
    });
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain('hosted zone Z1234567890ABC (example.com.) is private');
    expect(err.message).toContain('public DNS');
  });

  describe('delegation: the public NS records of the zone name the hosted zone', () => {
    const ZONE_NS = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.com'];
    beforeEach(() => {
      route53.on(GetHostedZoneCommand).resolves({
        HostedZone: {
          Id: '/hostedzone/Z1234567890ABC',
          Name: 'example.com.',
          CallerReference: 'x',
          Config: { PrivateZone: false },
        },
        DelegationSet: { NameServers: ZONE_NS },
      });
    });
    const withDns = async (resolveNs: (name: string) => Promise<string[]>) =>
      Object.assign(await testContext('validate'), { dns: { resolveNs } });

    it('passes when the domain is delegated to the zone (case and trailing dots aside)', async () => {
      const asked: string[] = [];
      const ctx = await withDns(async (name) => {
        asked.push(name);
        return ['NS-2.awsdns-02.com.', 'ns-9.elsewhere.net'];
      });
      await validate.apply(ctx);
      expect(asked).toEqual(['example.com']);
      expect(warnings(ctx)).toEqual([]);
    });

    it('refuses a zone the domain is not delegated to, naming both sets of name servers and the fix', async () => {
      const err = await failure(await withDns(async () => ['dns1.registrar.example', 'dns2.registrar.example']));
      expect(err.message).toContain(
        'example.com is delegated to dns1.registrar.example, dns2.registrar.example, not to hosted zone Z1234567890ABC (ns-1.awsdns-01.org, ns-2.awsdns-02.com)',
      );
      expect(err.message).toContain(
        "Set example.com's NS records at its registrar (or in the parent zone) to ns-1.awsdns-01.org, ns-2.awsdns-02.com",
      );
    });

    it('only warns when the public NS records cannot be read (no network, NXDOMAIN)', async () => {
      const ctx = await withDns(() =>
        Promise.reject(Object.assign(new Error('queryNs ENOTFOUND example.com'), { code: 'ENOTFOUND' })),
      );
      await validate.apply(ctx);
      expect(warnings(ctx)).toEqual([
        expect.stringContaining(
          'could not read the public NS records of example.com (ENOTFOUND): make sure its registrar (or parent zone) delegates it to hosted zone Z1234567890ABC',
        ),
      ]);
    });
  });
});

describe('AMI', () => {
  it('without instance.amiId, picks the newest Canonical Ubuntu 22.04 amd64 image across pages', async () => {
    ec2
      .on(DescribeImagesCommand)
      .resolvesOnce({
        Images: [
          image(
            'ami-00000000000000001',
            'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240101',
            '2024-01-01T00:00:00.000Z',
          ),
          image(
            'ami-00000000000000003',
            'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240601',
            '2024-06-01T00:00:00.000Z',
          ),
        ],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        Images: [
          image(
            'ami-00000000000000002',
            'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-20240301',
            '2024-03-01T00:00:00.000Z',
          ),
          image(
            'ami-00000000000000004',
            'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-20240901',
            '2024-09-01T00:00:00.000Z',
          ),
          image(
            'ami-00000000000000005',
            'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-20241001',
            '2024-10-01T00:00:00.000Z',
            { State: 'pending' },
          ),
        ],
      });
    const ctx = await testContext('validate', noOverride);
    await validate.apply(ctx);

    expect(ctx.state.phase('validate')?.outputs).toMatchObject({
      amiId: 'ami-00000000000000004',
      amiName: 'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-20240901',
    });
    const calls = ec2.commandCalls(DescribeImagesCommand);
    expect(calls).toHaveLength(2);
    expect(calls[0].args[0].input).toMatchObject({
      Owners: ['099720109477'],
      Filters: expect.arrayContaining([
        {
          Name: 'name',
          Values: [
            'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-*',
            'ubuntu/images/hvm-ssd-gp3/ubuntu-jammy-22.04-amd64-server-*',
          ],
        },
        { Name: 'state', Values: ['available'] },
      ]),
    });
    expect(calls[1].args[0].input).toMatchObject({ NextToken: 'page-2' });
  });

  it('says to set instance.amiId when no Ubuntu 22.04 image exists in the region', async () => {
    ec2.on(DescribeImagesCommand).resolves({ Images: [] });
    const err = await failure(await testContext('validate', noOverride));
    expect(err.message).toContain('AMI: no Canonical Ubuntu 22.04 amd64 AMI found in us-east-1');
    expect(err.message).toContain('set instance.amiId to an Ubuntu 22.04 x86_64 AMI of us-east-1');
  });

  it('refuses an instance.amiId that does not exist in the region', async () => {
    ec2.on(DescribeImagesCommand).rejects(ec2Error('InvalidAMIID.NotFound', `The image id '[${AMI}]' does not exist`));
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain(
      `AMI: AMI ${AMI} (instance.amiId) does not exist in us-east-1 or is not shared with this account`,
    );
    expect(ec2.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({ ImageIds: [AMI] });
  });

  it('refuses an instance.amiId built for arm64', async () => {
    ec2
      .on(DescribeImagesCommand)
      .resolves({ Images: [image(AMI, 'ubuntu-jammy-arm64', '2024-05-01T00:00:00.000Z', { Architecture: 'arm64' })] });
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain(`AMI ${AMI} (ubuntu-jammy-arm64) is arm64, but the host needs x86_64`);
  });

  it('when the host already runs an older AMI, says which one and passes', async () => {
    const ctx = await testContext('validate', noOverride);
    await ctx.state.setResource('instance', {
      kind: 'EC2 instance',
      phase: 'ec2',
      id: 'i-0abc',
      attrs: { amiId: 'ami-0aaaaaaaaaaaaaaaa' },
    });
    await validate.apply(ctx);
    expect(steps(ctx)).toContain(
      `instance i-0abc uses ami-0aaaaaaaaaaaaaaaa; a new host would boot ${AMI} ` +
        'ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20240501 (2024-05-01) (the ec2 phase replaces the host only with --replace-host)',
    );
  });

  it('when the host already runs and no AMI resolves any more, warns and keeps the running one', async () => {
    ec2.on(DescribeImagesCommand).rejects(ec2Error('InvalidAMIID.NotFound', `The image id '[${AMI}]' does not exist`));
    const ctx = await testContext('validate');
    await ctx.state.setResource('instance', {
      kind: 'EC2 instance',
      phase: 'ec2',
      id: 'i-0abc',
      attrs: { amiId: AMI },
    });
    await validate.apply(ctx);
    expect(warnings(ctx)).toEqual([
      `AMI ${AMI} (instance.amiId) does not exist in us-east-1 or is not shared with this account; instance i-0abc keeps ${AMI}`,
    ]);
    expect(ctx.state.phase('validate')?.outputs?.amiId).toBe(AMI);
  });
});

describe('instance type', () => {
  it('says where the type is offered when the host zone lacks it', async () => {
    offeredIn('us-east-1b', 'us-east-1c');
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain(
      'instance type: t3.2xlarge is not offered in us-east-1a (it is offered in us-east-1b, us-east-1c): set availabilityZone to one of them',
    );
  });

  it('says when the type is offered nowhere in the region', async () => {
    offeredIn();
    ec2.on(DescribeInstanceTypeOfferingsCommand, { Filters: [{ Name: 'location', Values: ['us-east-1a'] }] }).resolves({
      InstanceTypeOfferings: [{ InstanceType: 'm5.large', LocationType: 'availability-zone', Location: 'us-east-1a' }],
    });
    const err = await failure(await testContext('validate'));
    expect(err.message).toContain('t3.2xlarge is not offered in us-east-1a (it is offered in no zone of us-east-1)');
  });

  it('warns, not fails, when the zone lists no offerings at all (the API has no data, as in an emulator)', async () => {
    offeredIn();
    const ctx = await testContext('validate');
    await validate.apply(ctx);
    expect(warnings(ctx)).toEqual([
      'us-east-1 lists no instance type offerings at all for us-east-1a: could not confirm that t3.2xlarge is offered there',
    ]);
    expect(ctx.state.phase('validate')?.outputs?.vcpus).toBe(8);
  });

  it('refuses a type that does not exist', async () => {
    ec2
      .on(DescribeInstanceTypesCommand)
      .rejects(ec2Error('InvalidInstanceType', 'The following supplied instance types do not exist: [t3.huge]'));
    const err = await failure(await testContext('validate', { instance: { ...baseConfig.instance, type: 't3.huge' } }));
    expect(err.message).toContain('instance type: instance type t3.huge does not exist: set instance.type');
  });

  it('refuses an arm64-only type for the x86_64 host', async () => {
    ec2.on(DescribeInstanceTypesCommand).resolves({
      InstanceTypes: [
        {
          InstanceType: 't4g.2xlarge',
          VCpuInfo: { DefaultVCpus: 8 },
          MemoryInfo: { SizeInMiB: 32768 },
          ProcessorInfo: { SupportedArchitectures: ['arm64'] },
        },
      ],
    });
    const err = await failure(
      await testContext('validate', { instance: { ...baseConfig.instance, type: 't4g.2xlarge' } }),
    );
    expect(err.message).toContain('t4g.2xlarge runs arm64, but the host image is x86_64 Ubuntu');
  });

  it('fits 8 developers of 1 vCPU on a t3.2xlarge', async () => {
    const ctx = await testContext('validate', { developers: 8 });
    await validate.apply(ctx);
    expect(steps(ctx)).toContain(
      't3.2xlarge has 8 vCPUs and 32768 MiB in us-east-1a; 8 developers reserve 8 vCPUs and 24576 MiB (+ 1024 MiB for the host), room for 8',
    );
  });

  it('refuses 9 developers of 1 vCPU on a t3.2xlarge and says 8 fit', async () => {
    const err = await failure(await testContext('validate', { developers: 9 }));
    expect(err.message).toContain(
      'instance type: t3.2xlarge has 8 vCPUs and 32768 MiB, but the 9 developers reserve 9 vCPUs and 27648 MiB (+ 1024 MiB for the host): not enough vCPUs.',
    );
    expect(err.message).toContain('8 developers of 1 vCPU / 3072 MiB fit on t3.2xlarge');
    expect(err.message).toContain(
      'choose an instance type with at least 9 vCPUs and 28672 MiB, or lower containers.cpuReservation',
    );
  });

  it('counts the host overhead against memory', async () => {
    // 8 × 3968 MiB = 31744 MiB fits 32768 MiB only without the host's 1024 MiB; 3969 MiB each does not
    await validate.apply(
      await testContext('validate', {
        developers: 8,
        containers: { memoryReservationMiB: 3968, memoryLimitMiB: 4096 },
      }),
    );
    const err = await failure(
      await testContext('validate', {
        developers: 8,
        containers: { memoryReservationMiB: 3969, memoryLimitMiB: 4096 },
      }),
    );
    expect(err.message).toContain('not enough memory');
    expect(err.message).toContain('7 developers of 1 vCPU / 3969 MiB fit');
  });

  it('adds up per-developer reservations', async () => {
    const err = await failure(
      await testContext('validate', {
        developers: ['alice', { name: 'bob', cpuReservation: 7.5, cpuLimit: 8 }],
      }),
    );
    expect(err.message).toContain('the 2 developers reserve 8.5 vCPUs');
  });
});

describe('load balancer capacity', () => {
  const elb = sdkMock(ElasticLoadBalancingV2Client);
  const hostRule = (host: string, i: number) => ({
    RuleArn: `arn:rule/${i}`,
    Priority: String(i + 1),
    IsDefault: false,
    Conditions: [{ Field: 'host-header', HostHeaderConfig: { Values: [host] } }],
  });
  /** 90 small developers: the most the config allows; they fit a t3.2xlarge only with tiny reservations. */
  const ninety = {
    developers: 90,
    containers: { cpuReservation: 0.05, memoryReservationMiB: 256, cpuLimit: 0.1, memoryLimitMiB: 512 },
  };

  it("counts one target group and one rule per developer against the load balancer's 100", async () => {
    const ctx = await testContext('validate', ninety);
    await validate.apply(ctx);
    expect(steps(ctx)).toContain(
      "90 developers use 90 of the load balancer's 100 target groups and 90 of its 100 rules",
    );
  });

  it('refuses, before anything changes, when other rules on the listener leave no room for every developer', async () => {
    elb.reset();
    const ctx = await testContext('validate', ninety);
    await ctx.state.setResource('listener/https', { kind: 'listener', phase: 'alb', id: 'arn:listener/https' });
    const developers = ctx.model.developers.map((d, i) => hostRule(d.hostname, i));
    const others = Array.from({ length: 15 }, (_, i) => hostRule(`sso-${i}.example.org`, 100 + i));
    elb.on(DescribeRulesCommand).resolves({
      Rules: [...developers, ...others, { RuleArn: 'arn:default', IsDefault: true, Priority: 'default' }],
    });
    const err = await failure(ctx);
    expect(err.message).toContain(
      'load balancer: 90 developers need 90 listener rules besides the 15 other rules on arn:listener/https, but a load balancer holds at most 100',
    );
    expect(err.message).toMatch(/remove developers or those other rules, or split the team over two environments/);
  });

  it('a recorded HTTPS listener deleted by hand counts no rules, and does not fail the check (up makes it again)', async () => {
    elb.reset();
    const ctx = await testContext('validate');
    await ctx.state.setResource('listener/https', { kind: 'listener', phase: 'alb', id: 'arn:listener/https' });
    elb
      .on(DescribeRulesCommand)
      .rejects(new ListenerNotFoundException({ message: 'The specified listener does not exist.', $metadata: {} }));
    await validate.apply(ctx);
    expect(steps(ctx)).toContain("2 developers use 2 of the load balancer's 100 target groups and 2 of its 100 rules");
  });
});

describe('admin CIDR', () => {
  it('loading the config refuses SSH from anywhere unless allowed', async () => {
    await expect(testContext('validate', { ssh: { adminCidr: '0.0.0.0/0' } })).rejects.toThrow(
      /ssh\.adminCidr: "0\.0\.0\.0\/0" opens SSH \(port 22\) to the whole internet/,
    );
  });

  it('warns when SSH from anywhere was allowed on purpose', async () => {
    const ctx = await testContext('validate', { ssh: { adminCidr: '0.0.0.0/0', allowSshFromAnywhere: true } });
    await validate.apply(ctx);
    expect(warnings(ctx)).toEqual([expect.stringContaining('SSH (port 22) is open to the whole internet')]);
  });

  it('refuses SSH from anywhere in a config that skipped loading', async () => {
    const ctx = await testContext('validate');
    ctx.config.ssh.adminCidr = '0.0.0.0/0';
    const err = await failure(ctx, 'config');
    expect(err.message).toContain('admin CIDR: ssh.adminCidr "0.0.0.0/0" opens SSH (port 22) to the whole internet');
  });

  it("applies the loader's rule to a CIDR broader than /8 too", async () => {
    const ctx = await testContext('validate');
    ctx.config.ssh.adminCidr = '64.0.0.0/2';
    expect((await failure(ctx, 'config')).message).toContain(
      'admin CIDR: ssh.adminCidr "64.0.0.0/2" opens SSH (port 22) to 1,073,741,824 addresses (64.0.0.0/2)',
    );
    ctx.config.ssh.allowSshFromAnywhere = true;
    await validate.apply(ctx);
    expect(warnings(ctx)).toEqual([
      expect.stringContaining('SSH (port 22) is open to 1,073,741,824 addresses (64.0.0.0/2)'),
    ]);
  });
});

describe('login pages', () => {
  it('warns in validate and in plan, with the reason, when the login pages are open to the whole internet', async () => {
    const ctx = await testContext('validate');
    await validate.apply(ctx);
    const login = allWarnings(ctx).filter((m) => m.startsWith('the login pages are open to the whole internet'));
    expect(login).toEqual([
      "the login pages are open to the whole internet: code-server's login limiter is shared by everyone who tries (2 attempts a minute, 12 an hour, per developer's editor), " +
        'so anyone on the internet can lock a developer out with two wrong passwords a minute; list your team\'s networks in alb.allowedCidrs (such as ["203.0.113.0/24"])',
    ]);
    const plan = await validate.plan(await testContext('validate'));
    expect(plan.find((c) => c.logicalId === 'check/login-pages')?.warnings?.join('\n')).toContain(
      "the login pages are open to the whole internet: code-server's login limiter",
    );
  });

  it('counts a block broader than a /8 (IPv4 or IPv6) as the whole internet', async () => {
    for (const allowedCidrs of [
      ['0.0.0.0/1', '128.0.0.0/1'],
      ['203.0.113.0/24', '::/0'],
      ['203.0.113.0/24', '2000::/3'],
    ]) {
      const ctx = await testContext('validate', { alb: { allowedCidrs } });
      await validate.apply(ctx);
      expect(
        allWarnings(ctx).filter((m) => m.startsWith('the login pages are open')),
        allowedCidrs.join(),
      ).toHaveLength(1);
    }
  });

  it('says nothing more when alb.allowedCidrs narrows who reaches them', async () => {
    const ctx = await testContext('validate', { alb: { allowedCidrs: ['203.0.113.0/24', '2001:db8::/32'] } });
    await validate.apply(ctx);
    expect(allWarnings(ctx)).toEqual([]);
    expect(steps(ctx)).toContain(
      'the login pages are reachable from only 203.0.113.0/24, 2001:db8::/32 (alb.allowedCidrs)',
    );
  });
});

describe('ssh.adminCidrs', () => {
  it('validate checks each block and says them all', async () => {
    const ctx = await testContext('validate', { ssh: { adminCidrs: ['203.0.113.7/32', '198.51.100.0/24'] } });
    await validate.apply(ctx);
    expect(steps(ctx)).toContain('SSH (port 22) only from 203.0.113.7/32, 198.51.100.0/24');
    ctx.config.ssh.adminCidrs = ['203.0.113.7/32', '0.0.0.0/0'];
    expect((await failure(ctx, 'config')).message).toContain(
      'admin CIDR: ssh.adminCidrs[1] "0.0.0.0/0" opens SSH (port 22) to the whole internet',
    );
  });
});

describe('private key', () => {
  const keyAt = (content: string, mode = 0o600) => {
    const path = join(mkdtempSync(join(tmpdir(), 'devenv-validate-key-')), 'admin.pem');
    writeFileSync(path, content);
    chmodSync(path, mode);
    return path;
  };
  const withKey = (privateKeyPath: string) =>
    testContext('validate', { instance: { ...baseConfig.instance, privateKeyPath } });

  it('refuses a file that is not a private key, in plan and before up creates anything (exit 2)', async () => {
    const path = keyAt('not a key\n');
    const ctx = await withKey(path);
    await expect(validate.plan(ctx)).rejects.toThrow(`private key: ${path} is not a private key devenv can use`);
    expect((await failure(ctx, 'config')).message).toContain(`${path} is not a private key devenv can use`);
  });

  it('refuses a key others can read, as ssh does, and gives the chmod', async () => {
    const path = keyAt(generateEd25519('demo').privateKey, 0o644);
    const err = await failure(await withKey(path), 'config');
    expect(err.message).toContain(
      `private key: the private key ${path} can be read by its group and everyone (mode 0644): ssh refuses a key that is not private: chmod 600 ${path}`,
    );
  });

  it('refuses a key that does not match the key pair of that name in AWS', async () => {
    const path = keyAt(generateEd25519('demo').privateKey);
    ec2.on(DescribeKeyPairsCommand).resolves({
      KeyPairs: [{ KeyName: 'demo-admin-key', KeyPairId: 'key-0abc', PublicKey: generateEd25519('other').publicKey }],
    });
    const err = await failure(await withKey(path), 'config');
    expect(err.message).toContain(
      `private key: key pair "demo-admin-key" exists in AWS, but it does not match the private key ${path}: point instance.privateKeyPath at`,
    );
  });

  it('passes a key that matches, and a missing key devenv will write', async () => {
    const key = generateEd25519('demo');
    const path = keyAt(key.privateKey);
    ec2
      .on(DescribeKeyPairsCommand)
      .resolves({ KeyPairs: [{ KeyName: 'demo-admin-key', KeyPairId: 'key-0abc', PublicKey: key.publicKey }] });
    const matching = await withKey(path);
    await validate.apply(matching);
    expect(steps(matching)).toContain(`key pair demo-admin-key matches ${path}`);

    ec2.on(DescribeKeyPairsCommand).resolves({ KeyPairs: [] });
    const missing = await withKey(join(path, '..', 'new.pem'));
    await validate.apply(missing);
    expect(steps(missing)).toContain(
      `key pair demo-admin-key: a new ed25519 key will be written to ${join(path, '..', 'new.pem')}`,
    );
  });
});

describe('plan, status, destroy', () => {
  it('plan lists each check as kept, records nothing', async () => {
    const ctx = await testContext('validate', { accountId: undefined });
    const changes = await validate.plan(ctx);
    expect(changes.map((c) => [c.action, c.kind, c.logicalId])).toEqual([
      ['keep', 'check', 'check/account'],
      ['keep', 'check', 'check/region'],
      ['keep', 'check', 'check/hosted-zone'],
      ['keep', 'check', 'check/ami'],
      ['keep', 'check', 'check/instance-type'],
      ['keep', 'check', 'check/admin-cidr'],
      ['keep', 'check', 'check/login-pages'],
      ['keep', 'check', 'check/private-key'],
      ['keep', 'check', 'check/load-balancer'],
    ]);
    expect(changes.find((c) => c.logicalId === 'check/ami')?.detail).toContain(AMI);
    expect(ctx.state.data.account).toBeUndefined();
    expect(ctx.state.phase('validate')).toBeUndefined();
  });

  it('plan throws the same error as apply', async () => {
    offeredIn('us-east-1b');
    const err = await validate.plan(await testContext('validate')).then(
      () => undefined,
      (e: unknown) => e as DevenvError,
    );
    expect(err).toBeInstanceOf(DevenvError);
    expect(err?.message).toContain('t3.2xlarge is not offered in us-east-1a');
  });

  it('status shows account, region, hosted zone, AMI and instance type, failed ones too', async () => {
    route53
      .on(GetHostedZoneCommand)
      .rejects(new NoSuchHostedZone({ $metadata: {}, message: 'No hosted zone found with ID: Z1234567890ABC' }));
    const rows = await validate.status(await testContext('validate'));
    expect(rows.map((r) => [r.logicalId, r.id, r.state])).toEqual([
      ['check/account', ACCOUNT, 'ok'],
      ['check/region', 'us-east-1', 'ok'],
      ['check/hosted-zone', 'Z1234567890ABC', 'failed'],
      ['check/ami', AMI, 'ok'],
      ['check/instance-type', 't3.2xlarge', 'ok'],
    ]);
    expect(rows[2].detail).toContain('does not exist');
  });

  it('destroy deletes nothing and calls nothing', async () => {
    await validate.destroy(await testContext('validate'));
    expect([...sts.calls(), ...ec2.calls(), ...route53.calls()]).toHaveLength(0);
  });
});
