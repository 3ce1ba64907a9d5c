import { describe, expect, it } from 'vitest';
import { blueprints } from '../../src/blueprint/index.js';
import { awsName } from '../../src/blueprint/names.js';
import { parseConfig } from '../../src/config/load.js';
import { buildModel } from '../../src/config/model.js';
import { baseConfig } from '../helpers/context.js';
import { cli } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * AWS's rule for each kind of name devenv sends, written from each API's reference, independently
 * of src/blueprint/names.ts:
 * - ELBv2 CreateLoadBalancer Name: at most 32 characters, alphanumeric or hyphens, not beginning or
 *   ending with a hyphen, not beginning with "internal-"; CreateTargetGroup Name: the same without
 *   the "internal-" rule (docs.aws.amazon.com/elasticloadbalancing/latest/APIReference/API_CreateLoadBalancer.html,
 *   API_CreateTargetGroup.html).
 * - EC2 CreateSecurityGroup GroupName: up to 255 characters, not starting with "sg-"; in a VPC
 *   a-z, A-Z, 0-9, spaces and ._-:/()#,@[]+=&;{}!$* (AWSEC2/latest/APIReference/API_CreateSecurityGroup.html).
 * - IAM CreateRole RoleName: 1-64 of [\w+=,.@-]; CreateInstanceProfile InstanceProfileName and
 *   PutRolePolicy PolicyName: 1-128 of the same (IAM/latest/APIReference/API_CreateRole.html …).
 * - EC2 ImportKeyPair KeyName: up to 255 ASCII characters.
 * - Secrets Manager CreateSecret Name: 1-512 of [A-Za-z0-9/_+=.@-].
 * - CloudWatch Logs CreateLogGroup logGroupName: 1-512 of [.\-_/#A-Za-z0-9].
 * - CloudWatch PutMetricAlarm AlarmName: 1-255 characters.
 * - AWS Backup BackupVaultName ^[a-zA-Z0-9\-\_]{2,50}$; BackupPlanName and SelectionName 1-50 of
 *   alphanumerics and -_. (the plan allows 200 through the API, 50 in the console).
 * - Tags (every service): value at most 256 characters (tag-editor/latest/userguide/tagging.html).
 * - DNS record names: labels of at most 63, at most 253 in all (RFC 1035).
 */
const VALID: Record<string, (name: string) => boolean> = {
  'load balancer': (n) =>
    /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(n) && !n.toLowerCase().startsWith('internal-'),
  'target group': (n) => /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,30}[A-Za-z0-9])?$/.test(n),
  'security group': (n) => /^[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]{1,255}$/.test(n) && !n.toLowerCase().startsWith('sg-'),
  'IAM role': (n) => /^[\w+=,.@-]{1,64}$/.test(n),
  'instance profile': (n) => /^[\w+=,.@-]{1,128}$/.test(n),
  'IAM inline policy': (n) => /^[\w+=,.@-]{1,128}$/.test(n),
  'key pair': (n) => /^[\x20-\x7e]{1,255}$/.test(n) && n.trim() === n,
  secret: (n) => /^[A-Za-z0-9/_+=.@-]{1,512}$/.test(n),
  'log group': (n) => /^[.\-_/#A-Za-z0-9]{1,512}$/.test(n),
  'CloudWatch alarm': (n) => n.length >= 1 && n.length <= 255,
  'backup vault': (n) => /^[a-zA-Z0-9\-_]{2,50}$/.test(n),
  'backup plan': (n) => /^[a-zA-Z0-9\-_.]{1,50}$/.test(n),
  'backup selection': (n) => /^[a-zA-Z0-9\-_.]{1,50}$/.test(n),
  // Lambda's FunctionName pattern and EventBridge's rule Name pattern, 64 characters each.
  'Lambda function': (n) => /^[a-zA-Z0-9_-]{1,64}$/.test(n),
  'EventBridge rule': (n) => /^[.\-_A-Za-z0-9]{1,64}$/.test(n),
  'DNS record': (n) => n.length <= 253 && n.split('.').every((l) => l.length >= 1 && l.length <= 63),
};

const LONGEST_PROJECT = `${'p'.repeat(27)}1`; // 28 characters, the schema's limit
const developer = (i: number) => `${'d'.repeat(60)}${String(i).padStart(3, '0')}`; // 63 characters, a DNS label's limit

function allResources(project: string, developers: string[]) {
  const config = parseConfig(
    JSON.stringify({
      ...baseConfig,
      project,
      developers,
      instance: { ...baseConfig.instance, keyName: undefined },
      schedule: {}, // with the wake page and the schedules, so their names are checked too
    }),
  );
  const model = buildModel(config);
  return Object.values(blueprints)
    .flatMap((blueprint) => blueprint(model))
    .filter((r) => Object.keys(r.tags).length > 0 || r.kind === 'DNS record');
}

function invalidNames(project: string, developers: string[]): string[] {
  return allResources(project, developers).flatMap((r) => {
    const bad: string[] = [];
    const valid = VALID[r.kind];
    if (valid && !valid(r.name)) bad.push(`${r.kind} ${r.logicalId}: "${r.name}" (${r.name.length} characters)`);
    for (const [key, value] of Object.entries(r.tags))
      if (value.length > 256) bad.push(`${r.logicalId}: tag ${key} is ${value.length} characters`);
    return bad;
  });
}

describe('AWS names', () => {
  it('are valid for every kind with the longest project and developer names', () => {
    expect(
      invalidNames(
        LONGEST_PROJECT,
        Array.from({ length: 90 }, (_, i) => developer(i)),
      ),
    ).toEqual([]);
  });

  it('are valid for projects starting with a prefix AWS reserves', () => {
    for (const project of ['sg-team', 'internal-tools', `internal-${'x'.repeat(19)}`]) {
      expect(invalidNames(project, ['alice', developer(1)])).toEqual([]);
    }
  });

  it('covers every AWS kind a blueprint names', () => {
    const kinds = new Set(allResources(LONGEST_PROJECT, ['alice']).map((r) => r.kind));
    const unchecked = [
      'VPC',
      'subnet',
      'internet gateway',
      'route table',
      'EBS volume',
      'EC2 instance',
      'ACM certificate',
      'listener',
      'listener rule',
    ];
    expect([...kinds].filter((k) => !VALID[k] && !unchecked.includes(k))).toEqual([]);
  });

  it('keep a name AWS accepts unchanged, so existing resources are still adopted', () => {
    const byId = new Map(allResources('demo', ['alice']).map((r) => [r.logicalId, r.name]));
    expect(byId.get('tg/alice')).toBe('demo-tg-alice');
    expect(byId.get('alb')).toBe('demo-alb');
    expect(byId.get('sg/host')).toBe('demo-host-sg');
    expect(byId.get('iam/role')).toBe('demo-ec2-role');
    expect(byId.get('secret/alice/password')).toBe('demo/alice/password');
  });

  it('shorten a name that is too long to a readable prefix and a hash, keeping the full name in the Name tag', () => {
    const tg = allResources('code-server-multi-dev', ['carolina']).find((r) => r.logicalId === 'tg/carolina')!;
    expect(tg.tags.Name).toBe('code-server-multi-dev-tg-carolina'); // 33 characters
    expect(tg.name).toMatch(/^code-server-multi-dev-t-[0-9a-f]{8}$/);
    expect(tg.name).toBe(awsName('target group', 'code-server-multi-dev-tg-carolina')); // deterministic
  });

  it('give every developer a distinct target group, and the wake page its own, even when the names agree up to the cut', () => {
    const names = allResources(
      LONGEST_PROJECT,
      Array.from({ length: 90 }, (_, i) => developer(i)),
    )
      .filter((r) => r.kind === 'target group')
      .map((r) => r.name);
    expect(new Set(names).size).toBe(91);
  });

  it('move a reserved prefix out of the way', () => {
    const byId = new Map(allResources('sg-team', ['alice']).map((r) => [r.logicalId, r.name]));
    expect(byId.get('sg/alb')).toMatch(/^team-alb-sg-[0-9a-f]{8}$/);
    expect(new Map(allResources('internal-tools', ['alice']).map((r) => [r.logicalId, r.name])).get('alb')).toMatch(
      /^tools-alb-[0-9a-f]{8}$/,
    );
  });
});

describe('plan --offline with the longest names', () => {
  it('prints only names AWS accepts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-names-'));
    const config = join(dir, 'devenv.config.json');
    const developers = Array.from({ length: 3 }, (_, i) => developer(i));
    writeFileSync(config, JSON.stringify({ ...baseConfig, project: LONGEST_PROJECT, developers }));
    const { code, stdout } = await cli(['plan', '--offline', '--config', config, '--state', join(dir, 'state.json')]);
    expect(code).toBe(0);
    const printed = [
      ...stdout.matchAll(
        /^ {2}\+ (target group|load balancer|security group|IAM role|instance profile|backup vault|backup plan|backup selection) (\S+) {2}\[/gm,
      ),
    ];
    expect(printed.map((m) => m[1])).toEqual(
      expect.arrayContaining(['target group', 'load balancer', 'security group', 'IAM role']),
    );
    expect(printed.filter(([, kind, name]) => !VALID[kind](name)).map((m) => m[0])).toEqual([]);
    expect(stdout).toContain(`Name=${LONGEST_PROJECT}-tg-${developer(0)}`);
  });
});
