import { z } from 'zod';
import { authSchema, identityFields } from './auth.js';
import { anyCidrProblem, canonicalCidr, cidrProblem } from './cidr.js';
import { scheduleSchema } from './schedule.js';
import { TLS_POLICIES } from './tls-policies.js';

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy's `retentionInDays`). */
export const LOG_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

/** The most developers one environment serves: an ALB holds 100 rules and 100 target groups; keep headroom. */
export const MAX_DEVELOPERS = 90;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const dnsLabel = z.string().regex(DNS_LABEL, {
  message: 'is not a DNS label (use a-z, 0-9 and -, at most 63 characters, not starting or ending with -)',
});

/** What the README's configuration reference says of a key beyond its JSON type, default and description. */
export interface ReferenceNote {
  /** The default, when another key's value gives it (the schema cannot set it); markdown. */
  default?: string;
  /** What kind of string it is (`CIDR`): the type reads `string (CIDR)`, and a list of them `list of CIDRs`. */
  noun?: string;
  /** The type in words, where the schema's own would say too much. */
  type?: string;
}
export const referenceNotes = z.registry<ReferenceNote>();

const cidr = z
  .string()
  .superRefine((text, ctx) => {
    const problem = cidrProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .register(referenceNotes, { noun: 'CIDR' });
const cidrIpv4or6 = z
  .string()
  .superRefine((text, ctx) => {
    const problem = anyCidrProblem(text);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  })
  .register(referenceNotes, { noun: 'CIDR' });

/** A list of CIDR blocks where each appears once (an IPv6 block however it is written). */
const cidrList = (item: z.ZodType<string>) =>
  z.array(item).superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((text, i) => {
      const key = canonicalCidr(text);
      if (seen.has(key))
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `repeats item ${seen.get(key)} (list each block once)`,
          input: text,
        });
      else seen.set(key, i);
    });
  });

/** HSTS: at least a year, as browsers' preload lists and most audits ask. */
export const MIN_HSTS_SECONDS = 31536000;

/** A whole number in a range, with its unit in every message ("must be at least 8 GiB"). */
const whole = (min: number, max: number, unit: string) =>
  z
    .number()
    .int({ message: `must be a whole number of ${unit}` })
    .min(min, { message: `must be at least ${min} ${unit}` })
    .max(max, { message: `must be at most ${max} ${unit}` });

const cpus = z
  .number()
  .positive({ message: 'must be more than 0 CPUs' })
  .max(64, { message: 'must be at most 64 CPUs' });

/** Characters AWS allows in tag keys and values (the same in every service that takes tags). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tagValue = z
  .string()
  .max(256, { message: 'is longer than 256 characters (the AWS limit for a tag value)' })
  .regex(TAG_TEXT, { message: 'may hold only letters, digits, spaces and _ . : / = + - @ (AWS tag rules)' });
const tags = z.record(z.string(), tagValue).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    const problem =
      key.length === 0 || key.length > 128
        ? 'must be 1 to 128 characters long (the AWS limit for a tag key)'
        : !TAG_TEXT.test(key)
          ? 'may hold only letters, digits, spaces and _ . : / = + - @ (AWS tag rules)'
          : /^aws:/i.test(key)
            ? 'starts with aws:, which AWS reserves for its own tags'
            : /^devenv:/i.test(key)
              ? 'starts with devenv:, which devenv reserves for its own tags'
              : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `(a tag key) ${problem}`, input: key });
  }
});

const keySource = z
  .union(
    [
      z
        .object({
          file: z
            .string()
            .min(1, { message: 'must be the path of a file holding the key' })
            .describe('path of a file holding the key'),
        })
        .strict(),
      z
        .object({
          env: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
              message: 'is not an environment variable name such as ANTHROPIC_API_KEY',
            })
            .describe('environment variable holding the key'),
        })
        .strict(),
    ],
    { message: 'must be {"file": "<path of a file holding the key>"} or {"env": "<ENVIRONMENT_VARIABLE>"}' },
  )
  .describe('where devenv reads an Anthropic API key: {"file": "..."} or {"env": "VAR"}; never the key itself');

const resources = {
  cpuLimit: cpus.describe('CPUs a container may use at most (up to 64)'),
  memoryLimitMiB: whole(512, 1048576, 'MiB').describe('memory a container may use at most, MiB (512–1048576)'),
  cpuReservation: cpus.describe('CPUs reserved for each container (`validate` adds them up against the instance type)'),
  memoryReservationMiB: whole(256, 1048576, 'MiB').describe('memory reserved for each container, MiB (256–1048576)'),
};

const developerObject = z
  .object({
    name: dnsLabel.describe("in an object: the developer's name, a DNS label: `<name>.<baseDomain>`"),
    anthropicApiKey: keySource
      .optional()
      .describe('in an object: this developer\'s own Anthropic API key, `{"env":"VAR"}` or `{"file":"path"}`')
      .register(referenceNotes, { default: '`secrets.anthropicApiKey`' }),
    ...identityFields,
    ...Object.fromEntries(
      Object.entries(resources).map(([k, v]) => [
        k,
        v
          .optional()
          .describe(`in an object: \`containers.${k}\` for this developer alone`)
          .register(referenceNotes, { default: `\`containers.${k}\`` }),
      ]),
    ),
  })
  .strict() as z.ZodType<DeveloperEntry>;

export interface DeveloperEntry {
  name: string;
  email?: string;
  subject?: string;
  anthropicApiKey?: KeySource;
  cpuLimit?: number;
  memoryLimitMiB?: number;
  cpuReservation?: number;
  memoryReservationMiB?: number;
}
export type KeySource = { file: string } | { env: string };

const ONE_ALB = 'an ALB holds 100 rules; run a second project for more';
const TLS_POLICY_LIST = TLS_POLICIES.join(', ');

const developers = z
  .union(
    [
      z
        .number()
        .int({ message: 'must be a whole number of developers' })
        .min(1, { message: 'must be at least 1 developer' })
        .max(MAX_DEVELOPERS, {
          message: `must be at most ${MAX_DEVELOPERS} developers (${ONE_ALB})`,
        }),
      z
        .array(
          z.union([dnsLabel, developerObject], {
            message: 'must be a developer name such as "alice", or an object such as {"name": "alice"}',
          }),
        )
        .min(1, { message: 'must list at least 1 developer' })
        .max(MAX_DEVELOPERS, {
          message: `must list at most ${MAX_DEVELOPERS} developers (${ONE_ALB})`,
        }),
    ],
    { message: `must be a count from 1 to ${MAX_DEVELOPERS}, or a list of developer names` },
  )
  .describe(
    'names (`["alice","bob"]`), objects with per-developer settings (`{"name":"bob","memoryLimitMiB":8192}`), ' +
      `or a count (\`8\` → \`dev1\`…\`dev8\`); DNS labels, unique, at most ${MAX_DEVELOPERS}`,
  )
  .meta({ examples: [['alice', 'bob', 'carol']] })
  .register(referenceNotes, { type: 'number or list' });

/**
 * A key's first example (`examples`, as in JSON Schema) is what `devenv init` writes for it; other keys get their
 * default.
 */
export const configSchema = z
  .object({
    $schema: z
      .string()
      .optional()
      .describe(
        "the config's JSON Schema, for editors (`devenv init` writes the path of the one shipped in the " +
          'package, `schema/devenv.config.schema.json`); devenv ignores it',
      ),
    project: dnsLabel
      .max(28, { message: 'is longer than 28 characters (AWS name limits)' })
      .describe(
        'project name, a DNS label of at most 28 characters: prefixes every resource name, tags ' +
          "everything. A name too long for its AWS API (a target group's 32 characters) or starting with a " +
          'prefix AWS reserves (`sg-`, `internal-`) is shortened to a readable prefix and a hash; the full ' +
          'name stays in the `Name` tag',
      )
      .meta({ examples: ['code-server-multi-dev'] }),
    environment: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'must be 1 to 32 letters, digits, _ . or -' })
      .default('production')
      .describe('`Environment` tag (1–32 letters, digits, `_ . -`)'),
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'is not an AWS region such as ap-southeast-7' })
      .default('ap-southeast-7')
      .describe('AWS region (ap-southeast-7 is an opt-in region: enable it in the account first)'),
    availabilityZone: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'is not an availability zone such as ap-southeast-7a' })
      .optional()
      .describe("the host's zone")
      .register(referenceNotes, { default: '`<region>a`' }),
    albAvailabilityZone: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'is not an availability zone such as ap-southeast-7a' })
      .optional()
      .describe('the second zone an ALB needs; must differ')
      .register(referenceNotes, { default: '`<region>b`' }),
    accountId: z
      .string()
      .regex(/^\d{12}$/, { message: 'is not a 12-digit AWS account id' })
      .optional()
      .describe('expected AWS account id (12 digits); when set, a run against any other account is refused'),
    baseDomain: z
      .string()
      .regex(DOMAIN, { message: 'is not a domain name such as dev.example.com' })
      .describe(
        "developers get `https://<name>.<baseDomain>`; at most 62 characters (the certificate's " +
          '`*.<baseDomain>` may have 64), and each `<name>.<baseDomain>` at most 128 (a load balancer host ' +
          'rule)',
      )
      .meta({ examples: ['dev.example.com'] }),
    // The aws CLI prints ids as /hostedzone/Z…: accepted, and kept without the prefix.
    hostedZoneId: z
      .string()
      .regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, {
        message: 'is not a Route 53 hosted zone id such as Z1234567890ABC',
      })
      .transform((id) => id.replace(/^\/hostedzone\//, ''))
      .describe(
        'the public Route 53 zone of `baseDomain` (or a parent), delegated to it: `Z0123456789ABC`, or ' +
          '`/hostedzone/Z0123456789ABC` as the aws CLI prints it',
      )
      .meta({ examples: ['Z1234567890ABC'] }),
    network: z
      .object({
        vpcCidr: cidr.default('10.0.0.0/16').describe('VPC block, /16 to /26 (it must hold both subnets)'),
        subnetCidrs: z
          .tuple([cidr, cidr], { message: 'must be a list of two CIDR blocks: [host subnet, second ALB subnet]' })
          .default(['10.0.1.0/24', '10.0.2.0/24'])
          .describe(
            'host subnet, second ALB subnet; inside the VPC, not overlapping, each /27 or larger (a load ' +
              'balancer needs 8 free addresses per subnet). A block with host bits set (`10.0.1.1/24`) is ' +
              'refused with the network it probably meant',
          ),
      })
      .strict()
      .prefault({}),
    instance: z
      .object({
        type: z
          .string()
          .regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'is not an EC2 instance type such as t3.2xlarge' })
          .default('t3.2xlarge')
          .describe(
            "must cover the developers' reservations (`validate` says how many fit); T3 runs in unlimited mode",
          ),
        amiId: z
          .string()
          .regex(/^ami-[0-9a-f]{8,17}$/, { message: 'is not an AMI id such as ami-0123456789abcdef0' })
          .optional()
          .describe('AMI override')
          .register(referenceNotes, { default: 'newest Canonical Ubuntu 22.04 amd64' }),
        keyName: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,255}$/, { message: 'must be 1 to 255 letters, digits, . _ or -' })
          .optional()
          .describe('EC2 key pair name (per region: a key pair of another devenv project is never adopted or deleted)')
          .register(referenceNotes, { default: '`<project>-admin-key`' }),
        privateKeyPath: z
          .string()
          .min(1, { message: 'must not be empty' })
          .optional()
          .describe(
            'where the generated private key is written (0600, never overwritten); `~` is your home. An ' +
              'existing file must be an unencrypted private key readable by you only (`chmod 600`), matching ' +
              'the key pair `keyName` if AWS has one: `validate` (so `plan` and `up`) checks this before ' +
              'anything is created',
          )
          .register(referenceNotes, { default: '`~/.ssh/<keyName>.pem`' }),
        rootVolumeGiB: whole(8, 16384, 'GiB').default(50).describe('encrypted gp3 root volume, 8–16384 GiB'),
        dataVolumeGiB: whole(1, 16384, 'GiB')
          .default(500)
          .describe('encrypted gp3 data volume, 1–16384 GiB, kept by `destroy` unless `--delete-data`'),
      })
      .strict()
      .prefault({}),
    ssh: z
      .object({
        adminCidr: cidr
          .optional()
          .describe(
            'the only source allowed on port 22, a CIDR block (`203.0.113.7/32`; a bare address is refused ' +
              'with the `/32` suggested). Give this or `ssh.adminCidrs`, not both',
          )
          .meta({ examples: ['203.0.113.7/32'] }),
        adminCidrs: cidrList(cidr)
          .min(1, { message: 'must list at least one CIDR block' })
          .max(20, { message: 'must list at most 20 CIDR blocks' })
          .optional()
          .describe(
            'the sources allowed on port 22 (up to 20 IPv4 blocks, each listed once), instead of ' +
              "`adminCidr`: one rule each in the host's security group, reconciled by `up`",
          ),
        allowSshFromAnywhere: z
          .boolean()
          .default(false)
          .describe(
            'must be `true` for an admin CIDR broader than a /8, such as `0.0.0.0/0` (each one of `adminCidrs` is ' +
              'checked)',
          ),
        user: z
          .string()
          .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'is not a Linux user name such as ubuntu' })
          .default('ubuntu')
          .describe("the host's login user (passwordless sudo)"),
        host: z
          .string()
          .regex(/^[A-Za-z0-9.:-]{1,253}$/, { message: 'is not a host name or IP address' })
          .optional()
          .describe("where devenv logs in instead (a bastion's forwarded port, a tunnel, a test host)")
          .register(referenceNotes, { default: "the host's public IP" }),
        port: z.number().int().min(1).max(65535).default(22).describe('the SSH port devenv logs in to'),
        hostKeyFingerprint: z
          .string()
          .regex(/^SHA256:[A-Za-z0-9+/]{43}$/, {
            message:
              'is not an SSH key fingerprint such as SHA256:… (43 characters after the colon, as `ssh-keygen -lf` ' +
              'prints it)',
          })
          .optional()
          .describe(
            "the host's ED25519 key as `ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` prints it " +
              '(`SHA256:…`, 43 characters after the colon): when set, the only key devenv accepts. Needed ' +
              "with `ssh.host` (or pass `--accept-new-host-key` once), where the instance's console cannot " +
              'vouch for whatever answers there ([The host over SSH](#the-host-over-ssh))',
          ),
        connectTimeout: z
          .number()
          .int()
          .min(30, { message: 'must be at least 30 seconds' })
          .max(3600, { message: 'must be at most 3600 seconds' })
          .default(600)
          .describe(
            'seconds (30–3600) devenv keeps trying to log in to the host (it refuses or times out while it ' +
              'boots) before giving up with what it found',
          ),
      })
      .strict(),
    developers,
    containers: z
      .object({
        basePort: z
          .number()
          .int({ message: 'must be a port number from 1024 to 65000' })
          .min(1024, { message: 'must be a port number from 1024 to 65000' })
          .max(65000, { message: 'must be a port number from 1024 to 65000' })
          .default(8443)
          .describe('first host port (1024–65000); each developer gets one, kept for good'),
        image: z
          .string()
          .regex(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, {
            message: 'must name a pinned tag, such as codercom/code-server:4.100.3',
          })
          .refine((s) => !s.endsWith(':latest'), { message: 'must be pinned to a version, not latest' })
          .default('codercom/code-server:4.100.3')
          .describe('pinned image (never `latest`)'),
        cpuLimit: resources.cpuLimit.default(1.5),
        memoryLimitMiB: resources.memoryLimitMiB.default(4096),
        cpuReservation: resources.cpuReservation.default(1),
        memoryReservationMiB: resources.memoryReservationMiB.default(3072),
        extensions: z
          .array(
            z.string().regex(/^([A-Za-z0-9-]+\.[A-Za-z0-9.-]+(@[A-Za-z0-9.-]+)?|\/[^'"\\\s]+\.vsix)$/, {
              message:
                'is not a VS Code extension id (publisher.name, optionally @version) nor the absolute path of a ' +
                '.vsix file inside the container',
            }),
          )
          .default([])
          .describe(
            'VS Code extension ids (`ms-python.python`, optionally `@version`) or absolute `.vsix` paths ' +
              "inside the container, installed once into each developer's container and kept on the data " +
              'volume',
          ),
        editor: z
          .object({
            updateCheck: z
              .boolean()
              .default(false)
              .describe(
                '`true` lets code-server ask GitHub for new releases (`--disable-update-check` otherwise); ' +
                  'devenv pins the image, so an upgrade is a change of `containers.image`',
              ),
            telemetry: z
              .boolean()
              .default(false)
              .describe('`true` lets code-server send usage data to Microsoft (`--disable-telemetry` otherwise)'),
            workspaceTrust: z
              .boolean()
              .default(false)
              .describe(
                "`true` keeps VS Code's Workspace Trust (a trust dialog on first login, Restricted Mode " +
                  'until answered); off, code-server runs with `--disable-workspace-trust` and the ' +
                  "developer's own workspace opens trusted",
              ),
          })
          .strict()
          .prefault({}),
        networkPool: cidr
          .default('172.20.0.0/16')
          .describe(
            "the block each developer's Docker network takes a /24 of, numbered by their listener-rule " +
              'priority; a /16 or larger (one /24 per priority up to 255). Must not overlap ' +
              "`network.vpcCidr`, `network.subnetCidrs` or Docker's own `172.17.0.0/16`: the host would send " +
              "the load balancer's health checks and your SSH into a developer's bridge. Refused (exit 2, " +
              'naming both blocks) by every command',
          ),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        recoveryWindowDays: whole(7, 30, 'days')
          .default(7)
          .describe("days a removed developer's secrets can still be restored (7–30)"),
        anthropicApiKey: keySource
          .optional()
          .describe(
            'one Anthropic API key for every developer without their own: `{"env":"VAR"}` or ' +
              '`{"file":"path"}`. devenv reads the key from there, never from the config itself, and never ' +
              'prompts',
          ),
      })
      .strict()
      .prefault({}),
    alb: z
      .object({
        idleTimeoutSeconds: z
          .number()
          .int()
          .min(60)
          .max(4000)
          .default(3600)
          .describe(
            "seconds the load balancer keeps an idle connection (60–4000); code-server's websockets need " +
              "long ones (AWS's default 60 drops idle editors). Changed in place by `up`",
          ),
        sslPolicy: z
          .string()
          .refine((p) => (TLS_POLICIES as readonly string[]).includes(p), {
            message: `is not a TLS policy whose oldest protocol is TLS 1.2 or 1.3; use one of ${TLS_POLICY_LIST}`,
          })
          .default('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09')
          .describe(
            "TLS policy of the HTTPS listener: only the policies of AWS's table whose oldest protocol is " +
              'TLS 1.2 or 1.3 (the `ELBSecurityPolicy-TLS13-1-2-…`, `-TLS13-1-3-…`, their FIPS and ' +
              'post-quantum variants, `-TLS-1-2-2017-01`, `-TLS-1-2-Ext-2018-06`, `-FS-1-2-…`); ' +
              "`-TLS13-1-0-2021-06`, `-TLS13-1-1-2021-06` and the API's default `ELBSecurityPolicy-2016-08` " +
              'allow TLS 1.0/1.1 and are refused with the list of allowed ones ' +
              '(`src/config/tls-policies.ts`). Changed in place by `up`',
          ),
        allowedCidrs: cidrList(cidrIpv4or6)
          .min(1, { message: 'must list at least one CIDR block' })
          .max(30, {
            message:
              'must list at most 30 CIDR blocks (each takes a rule for 443 and one for 80, and a security group ' +
              'holds 60)',
          })
          .default(['0.0.0.0/0'])
          .describe(
            'who may reach the load balancer, so the login pages: IPv4 and IPv6 blocks (up to 30, each ' +
              "listed once), one rule per block and port in the load balancer's security group, reconciled " +
              'by `up` (new ones added before old ones go). The load balancer is IPv4-only today: an IPv6 ' +
              'block is accepted but carries no traffic, and the list must hold an IPv4 block. While the ' +
              'pages are open to the whole internet (any block broader than a /8), `validate` and `plan` ' +
              'warn: see [Security notes](#security-notes)',
          ),
        hsts: z
          .object({
            maxAgeSeconds: z
              .number()
              .int({ message: 'must be a whole number of seconds' })
              .min(MIN_HSTS_SECONDS, { message: `must be at least ${MIN_HSTS_SECONDS} seconds (a year)` })
              .max(10 * MIN_HSTS_SECONDS, { message: `must be at most ${10 * MIN_HSTS_SECONDS} seconds (ten years)` })
              .default(MIN_HSTS_SECONDS)
              .describe(
                'the `Strict-Transport-Security` header the HTTPS listener adds to every answer (a ' +
                  'listener attribute, changed in place by `up`): how long a browser keeps to HTTPS for a ' +
                  "developer's address after one visit, seconds (at least a year, at most ten)",
              ),
            includeSubDomains: z
              .boolean()
              .default(true)
              .describe("the header covers the names under each developer's address too"),
          })
          .strict()
          .prefault({})
          .describe('the Strict-Transport-Security header the HTTPS listener adds to every answer'),
        httpRedirect: z
          .boolean()
          .default(true)
          .describe(
            'a listener on port 80 answering 301 to HTTPS; `false` deletes it and closes port 80 in the security group',
          ),
      })
      .strict()
      .prefault({}),
    monitoring: z
      .object({
        logRetentionDays: z
          .number()
          .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), {
            message: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (the retention periods CloudWatch Logs accepts)`,
          })
          .default(30)
          .describe(
            `days CloudWatch Logs keeps the host's and the containers' logs; only the values CloudWatch accepts: ` +
              `${LOG_RETENTION_DAYS.join(', ')}. Changed in place by \`up\``,
          ),
        backupRetentionDays: whole(1, 36500, 'days')
          .default(30)
          .describe('days AWS Backup keeps each daily backup of the data volume (1–36500). Changed in place by `up`'),
        alarmEmail: z
          .string()
          .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'is not an e-mail address such as ops@example.com' })
          .optional()
          .describe(
            'an e-mail address the alarms are sent to (an SNS topic and subscription, ' +
              'confirmed from the first message); none by default',
          ),
      })
      .strict()
      .prefault({}),
    tags: tags
      .default({})
      .describe(
        'extra tags on every resource: keys of 1–128 and values of at most 256 letters, digits, spaces and ' +
          '`_ . : / = + - @`; not `aws:…`, `devenv:…`, nor the tags devenv sets (`Name`, `Project`, ' +
          '`Environment`, `ManagedBy`). AWS allows 50 tags per resource and devenv sets up to 9 (on a ' +
          "developer's secrets), so at most 41",
      ),
    auth: authSchema,
    schedule: scheduleSchema,
    state: z
      .object({
        s3: z
          .object({
            bucket: z
              .string()
              .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, {
                message: 'is not an S3 bucket name (3 to 63 lowercase letters, digits, . or -)',
              })
              .describe(
                'keep the state in this S3 bucket, shared by every admin, instead of the local file `--state` ' +
                  'names ([State in S3](#state-in-s3)); `devenv state bootstrap` creates it',
              ),
            key: z
              .string()
              .regex(/^[A-Za-z0-9!_.*'()/-]{1,1000}$/, { message: 'is not an S3 object key such as devenv/demo.json' })
              .refine((k) => !k.endsWith('/'), { message: 'must name an object, not end with /' })
              .default('devenv.state.json')
              .describe('the state object (one per project, e.g. `demo/devenv.state.json`)'),
            region: z
              .string()
              .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'is not an AWS region such as ap-southeast-7' })
              .optional()
              .describe("the bucket's region; `region` when absent"),
          })
          .strict()
          .optional()
          .describe('keep the state in S3, shared by every admin, instead of the local file (--state)'),
      })
      .strict()
      .prefault({})
      .describe('where the state is kept'),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
