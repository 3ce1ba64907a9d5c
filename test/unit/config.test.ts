import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { allocate, buildModel } from '../../src/config/model.js';
import { developerNetwork } from '../../src/config/network-pool.js';
import { TLS_POLICIES } from '../../src/config/tls-policies.js';
import { renderCompose } from '../../src/remote/compose.js';
import { baseConfig } from '../helpers/context.js';
import { parseWith, problemsWith } from '../helpers/config.js';

const parse = parseWith;
const problems = problemsWith;

describe('config', () => {
  it('fills the defaults of the seed .env', () => {
    const c = parseConfig(
      JSON.stringify({
        project: 'p',
        baseDomain: 'dev.example.com',
        hostedZoneId: 'Z1',
        ssh: { adminCidr: '1.2.3.4/32' },
        developers: 8,
      }),
    );
    expect(c.region).toBe('ap-southeast-7');
    expect(c.instance.type).toBe('t3.2xlarge');
    expect(c.containers.basePort).toBe(8443);
    expect(c.containers.image).toMatch(/^codercom\/code-server:\d+\.\d+\.\d+$/);
    expect(c.network.vpcCidr).toBe('10.0.0.0/16');
  });

  it('names the key, the bad value and what is allowed', () => {
    const message = problems({ developers: ['alice', 'Bob'] });
    expect(message).toContain('developers[1]: "Bob" is not a DNS label (use a-z, 0-9 and -');
  });

  it('reports every problem at once, and unknown keys by name', () => {
    const message = problems({ region: 'mars', hostedZoneId: 'nope', colour: 'blue' });
    expect(message).toContain('region: "mars" is not an AWS region');
    expect(message).toContain('hostedZoneId: "nope"');
    expect(message).toContain('unknown key "colour"');
  });

  it("reports every problem in one round: the schema's, and the rules across keys on whatever did parse", () => {
    const message = problems({
      instance: { ...baseConfig.instance, rootVolumeGiB: 'fifty' },
      colour: 'blue',
      containers: { networkPool: '10.0.0.0/16' },
      tags: { Project: 'other' },
    });
    const overlap = (range: string) =>
      `  - containers.networkPool: "10.0.0.0/16" overlaps ${range}: traffic for those addresses would go into a developer's Docker network; ` +
      'choose a pool outside both, such as 172.20.0.0/16 or 192.168.0.0/16';
    // (A pool overlapping the VPC overlaps its subnets too, each named.)
    expect(message.split('\n').filter((line) => line.startsWith('  - '))).toEqual([
      '  - instance.rootVolumeGiB: "fifty" must be a number',
      '  - unknown key "colour"',
      overlap('network.vpcCidr 10.0.0.0/16'),
      overlap('network.subnetCidrs[0] 10.0.1.0/24'),
      overlap('network.subnetCidrs[1] 10.0.2.0/24'),
      '  - tags.Project: devenv sets the Project tag itself (remove it from tags)',
    ]);
  });

  it('checks ssh.adminCidr against ssh.adminCidrs even when another ssh key is wrong; skips a rule whose keys did not parse', () => {
    const ssh = problems({ ssh: { adminCidr: '203.0.113.7/32', adminCidrs: ['198.51.100.0/24'], port: 'x' } });
    expect(ssh).toContain('ssh.port: "x" must be a number');
    expect(ssh).toContain('ssh.adminCidr: "203.0.113.7/32" is given together with ssh.adminCidrs');
    const vpc = problems({
      network: { vpcCidr: '10.0.0.0/33', subnetCidrs: ['10.1.0.0/24', '10.1.0.0/24'] },
      tags: { Environment: 'x' },
    });
    expect(vpc).toContain('network.vpcCidr: "10.0.0.0/33"');
    expect(vpc).toContain('network.subnetCidrs: "10.1.0.0/24" and "10.1.0.0/24" overlap');
    expect(vpc).toContain('tags.Environment: devenv sets the Environment tag itself');
    expect(vpc).not.toContain('not inside vpcCidr');
  });

  it('refuses duplicate developers and more than 90', () => {
    expect(problems({ developers: ['alice', 'alice'] })).toContain('developers[1]: "alice" appears twice');
    expect(problems({ developers: 91 })).toContain('developers: 91');
    expect(problems({ developers: Array.from({ length: 91 }, (_, i) => `d${i}`) })).toContain('developers');
  });

  it('refuses SSH from anywhere unless asked for', () => {
    expect(problems({ ssh: { adminCidr: '0.0.0.0/0' } })).toContain('ssh.allowSshFromAnywhere');
    expect(parse({ ssh: { adminCidr: '0.0.0.0/0', allowSshFromAnywhere: true } }).ssh.adminCidr).toBe('0.0.0.0/0');
    expect(problems({ ssh: { adminCidr: '1.2.3.4/33' } })).toContain('ssh.adminCidr: "1.2.3.4/33" is not an IPv4 CIDR');
  });

  it("checks each developer's reservations against their limits", () => {
    expect(problems({ developers: ['alice', { name: 'bob', cpuReservation: 4, cpuLimit: 1 }] })).toContain(
      'developers[1] (bob): cpuReservation 4 is above cpuLimit 1',
    );
    expect(problems({ containers: { memoryReservationMiB: 8192 } })).toContain(
      'containers: memoryReservationMiB 8192 is above memoryLimitMiB 4096',
    );
  });

  it('says what developers may be when it is neither a count nor a list', () => {
    expect(problems({ developers: 'abc' })).toContain(
      'developers: "abc" must be a count from 1 to 90, or a list of developer names',
    );
    expect(() => parseConfig('null', 'null.json')).toThrow('(top level)');
  });

  it('refuses a latest or unpinned image', () => {
    expect(problems({ containers: { image: 'codercom/code-server:latest' } })).toContain('pinned');
    expect(problems({ containers: { image: 'codercom/code-server' } })).toContain('pinned tag');
  });

  it('checks zones and subnets against the region and the VPC', () => {
    expect(problems({ availabilityZone: 'eu-west-1a' })).toContain(
      'availabilityZone: "eu-west-1a" is not in region us-east-1',
    );
    expect(problems({ availabilityZone: 'us-east-1a', albAvailabilityZone: 'us-east-1a' })).toContain(
      'two different zones',
    );
    expect(problems({ network: { subnetCidrs: ['10.1.0.0/24', '10.0.2.0/24'] } })).toContain('not inside vpcCidr');
  });
});

describe('config messages', () => {
  it("word range errors with their unit, never in zod's words", () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ developers: 0 }, 'developers: 0 must be at least 1 developer'],
      [{ developers: [] }, 'developers: [] must list at least 1 developer'],
      [{ developers: 1.5 }, 'developers: 1.5 must be a whole number of developers'],
      [{ instance: { rootVolumeGiB: 4 } }, 'instance.rootVolumeGiB: 4 must be at least 8 GiB'],
      [{ containers: { basePort: 80 } }, 'containers.basePort: 80 must be a port number from 1024 to 65000'],
      [{ containers: { cpuLimit: 0 } }, 'containers.cpuLimit: 0 must be more than 0 CPUs'],
      [{ secrets: { recoveryWindowDays: 3 } }, 'secrets.recoveryWindowDays: 3 must be at least 7 days'],
      [{ containers: { memoryLimitMiB: 'lots' } }, 'containers.memoryLimitMiB: "lots" must be a number'],
      [{ ssh: { adminCidr: 5 } }, 'ssh.adminCidr: 5 must be text in quotes'],
      [{ network: [] }, 'network: [] must be an object'],
      [{ developers: ['alice', 5] }, 'developers[1]: 5 must be a developer name such as "alice"'],
      [
        { secrets: { anthropicApiKey: 'sk-123' } },
        'secrets.anthropicApiKey: "sk-123" must be {"file": "<path of a file holding the key>"} or {"env": "<ENVIRONMENT_VARIABLE>"}',
      ],
      [{ environment: 'a b' }, 'environment: "a b" must be 1 to 32 letters, digits, _ . or -'],
      [{ ssh: undefined }, 'ssh: is required'],
      [
        { network: { subnetCidrs: ['10.0.1.0/24'] } },
        'network.subnetCidrs: ["10.0.1.0/24"] must be a list of two CIDR blocks: [host subnet, second ALB subnet]',
      ],
      [
        { ssh: { adminCidr: '203.0.113.7/32', allowSshFromAnywhere: 'yes' } },
        'ssh.allowSshFromAnywhere: "yes" must be true or false',
      ],
      [
        { developers: [{ name: 'bob', memoryLimitMiB: 100 }] },
        'developers[0].memoryLimitMiB: 100 must be at least 512 MiB',
      ],
    ];
    for (const [overrides, expected] of cases) {
      const message = problems(overrides);
      expect(message).toContain(expected);
      expect(message).not.toMatch(/Invalid input|expected \w+, received|Too (small|big)|>=|<=|Unrecognized/);
    }
  });

  it('suggests the key a mistyped one meant', () => {
    expect(problems({ ssh: { adminCIDR: '203.0.113.7/32' } })).toContain(
      'ssh: unknown key "adminCIDR" (did you mean "adminCidr"?)',
    );
    expect(problems({ regoin: 'us-east-1' })).toContain('unknown key "regoin" (did you mean "region"?)');
    expect(problems({ developers: [{ nmae: 'alice' }] })).toContain(
      'developers[0]: unknown key "nmae" (did you mean "name"?)',
    );
    expect(problems({ colour: 'blue' })).toMatch(/unknown key "colour"$/m);
  });

  it('says a CIDR has host bits set, and that a bare address wants /32', () => {
    expect(problems({ ssh: { adminCidr: '10.0.0.1/16' } })).toContain(
      'ssh.adminCidr: "10.0.0.1/16" has host bits set; did you mean 10.0.0.0/16?',
    );
    expect(problems({ ssh: { adminCidr: '203.0.113.7' } })).toContain(
      'ssh.adminCidr: "203.0.113.7" is an address, not a CIDR block: did you mean 203.0.113.7/32?',
    );
    expect(problems({ network: { vpcCidr: '10.0.3.0/16' } })).toContain(
      'network.vpcCidr: "10.0.3.0/16" has host bits set; did you mean 10.0.0.0/16?',
    );
  });

  it('gives the line and column of a JSON syntax error', () => {
    expect(() => parseConfig('{\n  "project": "demo",\n}', 'trailing.json')).toThrow(
      'trailing.json: not valid JSON at line 3, column 1: expected double-quoted property name',
    );
    expect(() => parseConfig('{\n  "project": }', 'value.json')).toThrow(
      "value.json: not valid JSON at line 2, column 14: unexpected token '}'",
    );
    expect(() => parseConfig('{"project": ', 'broken.json')).toThrow(
      'broken.json: not valid JSON at line 1, column 13: unexpected end of JSON input',
    );
  });
});

describe('AWS limits, checked before any call', () => {
  const manyTags = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`tag${i}`, 'x']));

  it("keeps every resource within 50 tags: devenv puts 9 on a developer's secrets", () => {
    expect(parse({ tags: manyTags(41) }).tags).toHaveProperty('tag40');
    expect(problems({ tags: manyTags(42) })).toContain(
      "tags: 42 tags plus devenv's 9 make 51 on a developer's secrets; AWS allows 50 per resource: remove at least 1",
    );
  });

  it("checks tag keys and values against AWS's rules and refuses the tags devenv sets", () => {
    const message = problems({
      tags: {
        'aws:owner': 'x',
        'devenv:x': 'y',
        'k#': 'v',
        [`k${'x'.repeat(128)}`]: 'v',
        long: 'v'.repeat(257),
        Project: 'other',
        ok: 'a#b',
      },
    });
    expect(message).toContain('tags.aws:owner: "x" (a tag key) starts with aws:, which AWS reserves');
    expect(message).toContain('tags.devenv:x: "y" (a tag key) starts with devenv:');
    expect(message).toContain('tags.k#: "v" (a tag key) may hold only letters, digits, spaces and _ . : / = + - @');
    expect(message).toContain('(a tag key) must be 1 to 128 characters long');
    expect(message).toContain('tags.long: "vvvv');
    expect(message).toContain('is longer than 256 characters');
    expect(message).toContain('tags.ok: "a#b" may hold only letters');
    expect(problems({ tags: { Project: 'other' } })).toContain('tags.Project: devenv sets the Project tag itself');
    expect(parse({ tags: { 'Cost Center': 'R&D'.replace('&', ' and ') } }).tags).toEqual({ 'Cost Center': 'R and D' });
  });

  it("keeps *.<baseDomain> within ACM's 64 characters and each hostname within a host rule's 128", () => {
    const domain = (length: number) => `${'a'.repeat(length - 12)}.example.com`;
    expect(parse({ baseDomain: domain(62) }).baseDomain).toHaveLength(62);
    expect(problems({ baseDomain: domain(63) })).toContain(
      `baseDomain: "${domain(63)}" is 63 characters; the certificate's name *.${domain(63)} may have at most 64 (ACM), so baseDomain at most 62`,
    );
  });

  it('wants subnets of /27 or larger and a VPC that holds both', () => {
    expect(problems({ network: { vpcCidr: '10.0.0.0/16', subnetCidrs: ['10.0.1.0/28', '10.0.2.0/24'] } })).toContain(
      'network.subnetCidrs[0]: "10.0.1.0/28" is smaller than /27: a load balancer needs 8 free addresses in each subnet',
    );
    expect(
      parse({ network: { vpcCidr: '10.0.0.0/26', subnetCidrs: ['10.0.0.0/27', '10.0.0.32/27'] } }).network.vpcCidr,
    ).toBe('10.0.0.0/26');
    expect(problems({ network: { vpcCidr: '10.0.0.0/27', subnetCidrs: ['10.0.0.0/27', '10.0.0.0/27'] } })).toContain(
      'network.vpcCidr: "10.0.0.0/27" cannot hold two /27 subnets',
    );
    expect(problems({ network: { vpcCidr: '10.0.0.0/8', subnetCidrs: ['10.0.1.0/24', '10.0.2.0/24'] } })).toContain(
      'network.vpcCidr: "10.0.0.0/8" is larger than AWS allows for a VPC (/16 to /28)',
    );
  });

  it('treats an admin CIDR broader than /8 like 0.0.0.0/0', () => {
    expect(problems({ ssh: { adminCidr: '10.0.0.0/7' } })).toContain(
      'ssh.adminCidr: "10.0.0.0/7" opens SSH (port 22) to 33,554,432 addresses (10.0.0.0/7)',
    );
    expect(problems({ ssh: { adminCidr: '10.0.0.0/7' } })).toContain('ssh.allowSshFromAnywhere: true');
    expect(parse({ ssh: { adminCidr: '10.0.0.0/8' } }).ssh.adminCidr).toBe('10.0.0.0/8');
    expect(parse({ ssh: { adminCidr: '10.0.0.0/7', allowSshFromAnywhere: true } }).ssh.adminCidr).toBe('10.0.0.0/7');
  });
});

describe('developers', () => {
  it('turns a count into dev1…devN with ports from the base port', () => {
    const model = buildModel(parse({ developers: 3 }));
    expect(model.developers.map((d) => [d.name, d.port, d.priority, d.url])).toEqual([
      ['dev1', 8443, 1, 'https://dev1.dev.example.com'],
      ['dev2', 8444, 2, 'https://dev2.dev.example.com'],
      ['dev3', 8445, 3, 'https://dev3.dev.example.com'],
    ]);
    expect(model.portRange).toEqual({ from: 8443, to: 8445 });
  });

  it("never renumbers a developer when another is removed or added, and holds the removed one's port and priority", () => {
    const before = allocate(parse({ developers: ['alice', 'bob', 'carol'] }), {});
    const after = allocate(parse({ developers: ['alice', 'carol', 'dave'] }), before);
    expect(after.allocations).toEqual({
      alice: before.allocations.alice,
      carol: before.allocations.carol,
      dave: { port: 8446, priority: 4 },
    });
    expect(after.reserved, "bob's secrets are still kept: nobody else gets his port").toEqual({
      bob: { port: 8444, priority: 2 },
    });
    const back = allocate(parse({ developers: ['alice', 'bob', 'carol', 'dave'] }), after);
    expect(back.allocations.bob, 'a returning developer gets the old allocation back').toEqual({
      port: 8444,
      priority: 2,
    });
    expect(back.reserved).toEqual({});
  });

  it("releases a removed developer's allocation only once AWS shows none of their secrets left", () => {
    const book = {
      allocations: { alice: { port: 8443, priority: 1 } },
      reserved: { bob: { port: 8444, priority: 2 } },
    };
    const config = parse({ developers: ['alice', 'dave'] });
    const inWindow = allocate(
      config,
      book,
      new Map([
        ['alice', { port: 8443, priority: 1 }],
        ['bob', { port: 8444, priority: 2 }],
      ]),
    );
    expect(inWindow.allocations.dave).toEqual({ port: 8445, priority: 3 });
    expect(inWindow.reserved).toEqual({ bob: { port: 8444, priority: 2 } });
    const gone = allocate(config, book, new Map([['alice', undefined]]));
    expect(gone.allocations.dave, "bob's secrets are gone: his port is free again").toEqual({
      port: 8444,
      priority: 2,
    });
    expect(gone.reserved).toEqual({});
  });

  it("with no state, takes back what the secrets' tags record, for current and removed developers alike", () => {
    const recorded = new Map([
      ['carol', { port: 8445, priority: 3 }],
      ['bob', { port: 8444, priority: 2 }], // removed: his secrets are in their recovery window
      ['dave', { port: 8446, priority: 4 }],
      ['alice', undefined], // a secret made before devenv tagged allocations
    ]);
    const book = allocate(parse({ developers: ['alice', 'carol', 'dave', 'erin'] }), {}, recorded);
    expect(book.allocations).toEqual({
      alice: { port: 8443, priority: 1 },
      carol: { port: 8445, priority: 3 },
      dave: { port: 8446, priority: 4 },
      erin: { port: 8447, priority: 5 },
    });
    expect(book.reserved).toEqual({ bob: { port: 8444, priority: 2 } });
  });

  it("the state wins when the secrets' tags disagree with it, and nobody ends up sharing a port or a priority", () => {
    const book = { allocations: { alice: { port: 8443, priority: 1 } }, reserved: {} };
    const recorded = new Map([
      ['alice', { port: 8450, priority: 9 }],
      ['bob', { port: 8443, priority: 1 }],
    ]);
    const out = allocate(parse({ developers: ['alice', 'bob'] }), book, recorded);
    expect(out.allocations).toEqual({ alice: { port: 8443, priority: 1 }, bob: { port: 8444, priority: 2 } });
  });

  it('applies per-developer limits over the defaults', () => {
    const model = buildModel(parse({ developers: ['alice', { name: 'bob', memoryLimitMiB: 8192 }] }));
    expect(model.developers.map((d) => d.memoryLimitMiB)).toEqual([4096, 8192]);
  });
});

describe('README', () => {
  it('documents every config key', async () => {
    const { readFileSync } = await import('node:fs');
    const { configSchema } = await import('../../src/config/schema.js');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    const keys = Object.entries(configSchema.shape).flatMap(([key, value]) => {
      const inner =
        (value as { unwrap?: () => unknown; def?: { innerType?: { shape?: object } } }).def?.innerType?.shape ??
        (value as { shape?: object }).shape;
      return inner && key !== 'tags' ? Object.keys(inner).map((k) => `${key}.${k}`) : [key];
    });
    expect(keys).toContain('instance.amiId');
    expect(keys.filter((k) => !readme.includes(`\`${k}\``))).toEqual([]);
  });

  describe('TLS policy (alb.sslPolicy)', () => {
    it("accepts every policy of AWS's table whose oldest protocol is TLS 1.2 or 1.3, FIPS and post-quantum ones included", () => {
      for (const policy of TLS_POLICIES) expect(parse({ alb: { sslPolicy: policy } }).alb.sslPolicy).toBe(policy);
      expect(TLS_POLICIES).toEqual(
        expect.arrayContaining([
          'ELBSecurityPolicy-TLS13-1-2-FIPS-2023-04',
          'ELBSecurityPolicy-TLS13-1-3-FIPS-PQ-2025-09',
          'ELBSecurityPolicy-TLS-1-2-Ext-2018-06',
        ]),
      );
    });

    it.each([
      'ELBSecurityPolicy-TLS13-1-0-2021-06',
      'ELBSecurityPolicy-TLS13-1-1-2021-06',
      'ELBSecurityPolicy-TLS13-1-0-FIPS-2023-04',
      'ELBSecurityPolicy-TLS13-1-1-FIPS-2023-04',
      'ELBSecurityPolicy-TLS13-1-0-PQ-2025-09',
      'ELBSecurityPolicy-2016-08',
      'ELBSecurityPolicy-TLS-1-1-2017-01',
      'ELBSecurityPolicy-FS-1-1-2019-08',
      'ELBSecurityPolicy-FS-2018-06',
      'ELBSecurityPolicy-TLS13-1-2-Made-Up',
    ])("refuses %s (it allows TLS 1.0 or 1.1, or is not AWS's), listing the ones allowed (exit 2)", (policy) => {
      const message = problems({ alb: { sslPolicy: policy } });
      expect(message).toContain(
        `alb.sslPolicy: "${policy}" is not a TLS policy whose oldest protocol is TLS 1.2 or 1.3; use one of ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09, `,
      );
      expect(message).toContain('ELBSecurityPolicy-FS-1-2-Res-2020-10');
    });
  });

  describe('who reaches the load balancer and SSH', () => {
    it('alb.allowedCidrs: the whole internet by default; IPv4 and IPv6 blocks, each checked and listed once', () => {
      expect(parse({}).alb.allowedCidrs).toEqual(['0.0.0.0/0']);
      expect(parse({ alb: { allowedCidrs: ['203.0.113.0/24', '2001:db8::/32', '::/0'] } }).alb.allowedCidrs).toEqual([
        '203.0.113.0/24',
        '2001:db8::/32',
        '::/0',
      ]);
      const message = problems({
        alb: {
          allowedCidrs: [
            '2001:db8::1/32',
            '2001:db8::1',
            'fe80::x/64',
            '203.0.113.0/24',
            '203.0.113.0/24',
            '2001:DB8:0::/48',
            '2001:db8::/48',
          ],
        },
      });
      expect(message).toContain('alb.allowedCidrs[0]: "2001:db8::1/32" has host bits set; did you mean 2001:db8::/32?');
      expect(message).toContain(
        'alb.allowedCidrs[1]: "2001:db8::1" is an address, not a CIDR block: did you mean 2001:db8::1/128?',
      );
      expect(message).toContain('alb.allowedCidrs[2]: "fe80::x/64" is not an IPv4 or IPv6 CIDR block');
      expect(message).toContain('alb.allowedCidrs[4]: "203.0.113.0/24" repeats item 3');
      expect(message).toContain('alb.allowedCidrs[6]: "2001:db8::/48" repeats item 5');
      expect(problems({ alb: { allowedCidrs: [] } })).toContain(
        'alb.allowedCidrs: [] must list at least one CIDR block',
      );
      expect(problems({ alb: { allowedCidrs: ['2001:db8::/32'] } })).toContain(
        'alb.allowedCidrs: ["2001:db8::/32"] lists no IPv4 block, but the load balancer has IPv4 addresses only',
      );
    });

    it('ssh.adminCidrs: several blocks, each held to the /8 rule; adminCidr still accepted; both, or neither, is an error', () => {
      expect(parse({ ssh: { adminCidrs: ['203.0.113.7/32', '198.51.100.0/24'] } }).ssh.adminCidrs).toEqual([
        '203.0.113.7/32',
        '198.51.100.0/24',
      ]);
      expect(parse({}).ssh.adminCidr).toBe('203.0.113.7/32');
      expect(problems({ ssh: { adminCidrs: ['203.0.113.7/32', '64.0.0.0/2'] } })).toContain(
        'ssh.adminCidrs[1]: "64.0.0.0/2" opens SSH (port 22) to 1,073,741,824 addresses (64.0.0.0/2)',
      );
      expect(parse({ ssh: { adminCidrs: ['64.0.0.0/2'], allowSshFromAnywhere: true } }).ssh.adminCidrs).toEqual([
        '64.0.0.0/2',
      ]);
      expect(problems({ ssh: { adminCidr: '203.0.113.7/32', adminCidrs: ['198.51.100.0/24'] } })).toContain(
        'ssh.adminCidr: "203.0.113.7/32" is given together with ssh.adminCidrs: keep only adminCidrs',
      );
      expect(problems({ ssh: { user: 'ubuntu' } })).toContain('ssh.adminCidrs: is required');
      expect(problems({ ssh: { adminCidrs: ['203.0.113.7'] } })).toContain(
        'ssh.adminCidrs[0]: "203.0.113.7" is an address, not a CIDR block: did you mean 203.0.113.7/32?',
      );
    });

    it('alb.hsts: at least a year; alb.httpRedirect on by default', () => {
      const c = parse({});
      expect(c.alb.hsts).toEqual({ maxAgeSeconds: 31536000, includeSubDomains: true });
      expect(c.alb.httpRedirect).toBe(true);
      expect(problems({ alb: { hsts: { maxAgeSeconds: 86400 } } })).toContain(
        'alb.hsts.maxAgeSeconds: 86400 must be at least 31536000 seconds (a year)',
      );
    });
  });

  describe('Docker networks (containers.networkPool)', () => {
    it('defaults to 172.20.0.0/16 and gives each developer the /24 at their rule priority', () => {
      const model = buildModel(parse({ developers: ['alice', 'bob'] }));
      const yaml = renderCompose(model);
      expect(yaml).toContain('"172.20.1.0/24"');
      expect(yaml).toContain('"172.20.2.0/24"');
      const moved = renderCompose(
        buildModel(parse({ developers: ['alice'], containers: { networkPool: '192.168.0.0/16' } })),
      );
      expect(moved).toContain('"192.168.1.0/24"');
      expect(developerNetwork('172.20.0.0/16', 255)).toBe('172.20.255.0/24');
      expect(developerNetwork('10.128.0.0/15', 256)).toBe('10.129.0.0/24');
      expect(() => developerNetwork('172.20.0.0/16', 256)).toThrow(
        'containers.networkPool 172.20.0.0/16 has no /24 left for listener-rule priority 256',
      );
    });

    it("refuses a pool overlapping the VPC, a subnet or Docker's own bridge, naming both ranges (exit 2)", () => {
      const vpc = problems({ network: { vpcCidr: '172.20.0.0/16', subnetCidrs: ['172.20.1.0/24', '172.20.2.0/24'] } });
      expect(vpc).toContain('containers.networkPool: "172.20.0.0/16" overlaps network.vpcCidr 172.20.0.0/16');
      expect(vpc).toContain('containers.networkPool: "172.20.0.0/16" overlaps network.subnetCidrs[0] 172.20.1.0/24');
      expect(
        problems({ network: { vpcCidr: '172.16.0.0/12', subnetCidrs: ['172.31.1.0/24', '172.31.2.0/24'] } }),
      ).toContain('containers.networkPool: "172.20.0.0/16" overlaps network.vpcCidr 172.16.0.0/12');
      expect(problems({ containers: { networkPool: '172.16.0.0/12' } })).toContain(
        'containers.networkPool: "172.16.0.0/12" overlaps Docker\'s default bridge network 172.17.0.0/16',
      );
      expect(problems({ containers: { networkPool: '10.0.0.0/16' } })).toContain(
        'containers.networkPool: "10.0.0.0/16" overlaps network.vpcCidr 10.0.0.0/16',
      );
      expect(problems({ containers: { networkPool: '192.168.0.0/17' } })).toContain(
        'containers.networkPool: "192.168.0.0/17" is too small',
      );
      expect(parse({ containers: { networkPool: '192.168.0.0/16' } }).containers.networkPool).toBe('192.168.0.0/16');
    });
  });
});
