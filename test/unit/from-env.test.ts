import { describe, expect, it } from 'vitest';
import { configFromEnv, parseDotenv } from '../../src/config/from-env.js';
import { parseConfig } from '../../src/config/load.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';

const seedEnv = `# AWS Configuration
AWS_REGION=ap-southeast-7
AWS_ACCOUNT_ID=123456789012
AVAILABILITY_ZONE=ap-southeast-7a

# Domain Configuration
BASE_DOMAIN=dev.example.com
ROUTE53_HOSTED_ZONE_ID=Z1234567890ABC

# EC2 Configuration
EC2_INSTANCE_TYPE=t3.2xlarge
EC2_AMI_ID=ami-xxxxxxxxx  # Ubuntu 22.04 LTS in ap-southeast-7
EC2_KEY_NAME=code-server-admin-key
ADMIN_SSH_IP=1.2.3.4/32   # Your IP for SSH access

# Storage Configuration
EBS_DATA_VOLUME_SIZE=500  # GB
EBS_ROOT_VOLUME_SIZE=50   # GB

# Container Configuration
NUM_DEVELOPERS=8
CONTAINER_BASE_PORT=8443

# Project Name (for tagging)
PROJECT_NAME=code-server-multi-dev
ENVIRONMENT=production
`;

describe('init --from-env', () => {
  it("converts the seed's .env into a valid config", () => {
    const { config, ignored } = configFromEnv(seedEnv, '.env');
    const parsed = parseConfig(JSON.stringify(config));
    expect(ignored).toEqual([]);
    expect(parsed).toMatchObject({
      region: 'ap-southeast-7',
      accountId: '123456789012',
      availabilityZone: 'ap-southeast-7a',
      albAvailabilityZone: 'ap-southeast-7b',
      baseDomain: 'dev.example.com',
      hostedZoneId: 'Z1234567890ABC',
      project: 'code-server-multi-dev',
      environment: 'production',
      developers: 8,
      instance: { type: 't3.2xlarge', keyName: 'code-server-admin-key', dataVolumeGiB: 500, rootVolumeGiB: 50 },
      ssh: { adminCidr: '1.2.3.4/32' },
      containers: { basePort: 8443 },
    });
    expect(parsed.instance.amiId).toBeUndefined(); // the placeholder means "look it up"
  });

  it('keeps a real AMI id, adds /32 to a bare IP, and strips quotes and comments', () => {
    const env = seedEnv.replace('ami-xxxxxxxxx', 'ami-0123456789abcdef0').replace('1.2.3.4/32', '"5.6.7.8"');
    const { config } = configFromEnv(env, '.env');
    expect(config.instance?.amiId).toBe('ami-0123456789abcdef0');
    expect(config.ssh?.adminCidr).toBe('5.6.7.8/32');
  });

  it('names the variable at fault', () => {
    expect(() => configFromEnv(seedEnv.replace('NUM_DEVELOPERS=8', 'NUM_DEVELOPERS=eight'), 'team.env')).toThrow(
      'NUM_DEVELOPERS (developers): "eight"',
    );
    expect(() => parseDotenv('AWS_REGION=x\nthis is not an assignment\n')).toThrow(/line 2/);
  });

  it('lists variables it has no setting for', () => {
    expect(configFromEnv(`${seedEnv}SLACK_WEBHOOK=x\n`, '.env').ignored).toEqual(['SLACK_WEBHOOK']);
  });

  it('names the .env variable that is missing', () => {
    const env = seedEnv.replace(/^ADMIN_SSH_IP=.*\n/m, '').replace(/^BASE_DOMAIN=.*\n/m, '');
    expect(() => configFromEnv(env, 'team.env')).toThrow(
      'ADMIN_SSH_IP (ssh.adminCidr): missing from team.env: add ADMIN_SSH_IP=…',
    );
    expect(() => configFromEnv(env, 'team.env')).toThrow('BASE_DOMAIN (baseDomain): missing from team.env');
  });

  it("flags the seed's example values, and none when they are replaced", () => {
    const { placeholders } = configFromEnv(seedEnv, '.env');
    expect(placeholders).toEqual([
      expect.stringMatching(/^AWS_ACCOUNT_ID=123456789012 \(line 3\) is the example account id .*\(accountId\)$/),
      expect.stringMatching(/^ROUTE53_HOSTED_ZONE_ID=Z1234567890ABC \(line 8\) is the example hosted zone id/),
      expect.stringMatching(/^BASE_DOMAIN=dev.example.com \(line 7\) is a domain reserved for examples/),
      expect.stringMatching(/^ADMIN_SSH_IP=1.2.3.4\/32 \(line 14\) is an example address, not yours/),
    ]);
    const real = seedEnv
      .replace('123456789012', '210987654321')
      .replace('Z1234567890ABC', 'Z0ABCDEF12345')
      .replace('dev.example.com', 'dev.acme.io')
      .replace('1.2.3.4/32', '81.2.69.160/32');
    expect(configFromEnv(real, '.env').placeholders).toEqual([]);
  });

  it('init --from-env warns about placeholders and unknown variables, and still writes the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-from-env-'));
    writeFileSync(join(dir, '.env'), `${seedEnv}NUM_DEVELOPER=9\n`);
    const r = await cli(['init', '--from-env', join(dir, '.env'), '--output', join(dir, 'devenv.config.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: ignored NUM_DEVELOPER: devenv has no setting for it (did you mean NUM_DEVELOPERS?)',
    );
    expect(r.stderr).toContain('warning: ROUTE53_HOSTED_ZONE_ID=Z1234567890ABC (line 8)');
    expect(r.stderr).toContain('warning: AWS_ACCOUNT_ID=123456789012');
  });
});
