import { z } from 'zod';
import { anyCidrProblem, canonicalCidr, cidrProblem } from './cidr.js';
import { TLS_POLICIES } from './tls-policies.js';

/** The retention periods CloudWatch Logs accepts (PutRetentionPolicy's `retentionInDays`). */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653] as const;

/** The most developers one environment serves: an ALB holds 100 rules and 100 target groups; keep headroom. */
export const MAX_DEVELOPERS = 90;

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const DOMAIN = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

const dnsLabel = z
  .string()
  .regex(DNS_LABEL, { message: 'is not a DNS label (use a-z, 0-9 and -, at most 63 characters, not starting or ending with -)' });

const cidr = z.string().superRefine((text, ctx) => {
  const problem = cidrProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
const cidrIpv4or6 = z.string().superRefine((text, ctx) => {
  const problem = anyCidrProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** A list of CIDR blocks where each appears once (an IPv6 block however it is written). */
const cidrList = (item: z.ZodType<string>) => z.array(item).superRefine((list, ctx) => {
  const seen = new Map<string, number>();
  list.forEach((text, i) => {
    const key = canonicalCidr(text);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `repeats item ${seen.get(key)} (list each block once)`, input: text });
    else seen.set(key, i);
  });
});

/** HSTS: at least a year, as browsers' preload lists and most audits ask. */
export const MIN_HSTS_SECONDS = 31536000;

/** A whole number in a range, with its unit in every message ("must be at least 8 GiB"). */
const whole = (min: number, max: number, unit: string) => z.number()
  .int({ message: `must be a whole number of ${unit}` })
  .min(min, { message: `must be at least ${min} ${unit}` })
  .max(max, { message: `must be at most ${max} ${unit}` });

const cpus = z.number().positive({ message: 'must be more than 0 CPUs' }).max(64, { message: 'must be at most 64 CPUs' });

/** Characters AWS allows in tag keys and values (the same in every service that takes tags). */
const TAG_TEXT = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const tagValue = z.string()
  .max(256, { message: 'is longer than 256 characters (the AWS limit for a tag value)' })
  .regex(TAG_TEXT, { message: 'may hold only letters, digits, spaces and _ . : / = + - @ (AWS tag rules)' });
const tags = z.record(z.string(), tagValue).superRefine((record, ctx) => {
  for (const key of Object.keys(record)) {
    const problem = key.length === 0 || key.length > 128 ? 'must be 1 to 128 characters long (the AWS limit for a tag key)'
      : !TAG_TEXT.test(key) ? 'may hold only letters, digits, spaces and _ . : / = + - @ (AWS tag rules)'
        : /^aws:/i.test(key) ? 'starts with aws:, which AWS reserves for its own tags'
          : /^devenv:/i.test(key) ? 'starts with devenv:, which devenv reserves for its own tags' : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: [key], message: `(a tag key) ${problem}`, input: key });
  }
});

const keySource = z
  .union([
    z.object({ file: z.string().min(1, { message: 'must be the path of a file holding the key' }).describe('path of a file holding the key') }).strict(),
    z.object({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'is not an environment variable name such as ANTHROPIC_API_KEY' })
        .describe('environment variable holding the key'),
    }).strict(),
  ], { message: 'must be {"file": "<path of a file holding the key>"} or {"env": "<ENVIRONMENT_VARIABLE>"}' })
  .describe('where devenv reads an Anthropic API key: {"file": "..."} or {"env": "VAR"}; never the key itself');

const resources = {
  cpuLimit: cpus.describe('CPUs the container may use at most'),
  memoryLimitMiB: whole(512, 1048576, 'MiB').describe('memory the container may use at most, MiB'),
  cpuReservation: cpus.describe('CPUs reserved for the container'),
  memoryReservationMiB: whole(256, 1048576, 'MiB').describe('memory reserved for the container, MiB'),
};

const developerObject = z
  .object({
    name: dnsLabel.describe('developer name: becomes <name>.<baseDomain>'),
    anthropicApiKey: keySource.optional(),
    ...Object.fromEntries(Object.entries(resources).map(([k, v]) => [k, v.optional()])),
  })
  .strict() as z.ZodType<DeveloperEntry>;

export interface DeveloperEntry {
  name: string;
  anthropicApiKey?: KeySource;
  cpuLimit?: number;
  memoryLimitMiB?: number;
  cpuReservation?: number;
  memoryReservationMiB?: number;
}
export type KeySource = { file: string } | { env: string };

const developers = z
  .union([
    z.number().int({ message: 'must be a whole number of developers' })
      .min(1, { message: 'must be at least 1 developer' })
      .max(MAX_DEVELOPERS, { message: `must be at most ${MAX_DEVELOPERS} developers (an ALB holds 100 rules; run a second project for more)` }),
    z.array(z.union([dnsLabel, developerObject], { message: 'must be a developer name such as "alice", or an object such as {"name": "alice"}' }))
      .min(1, { message: 'must list at least 1 developer' })
      .max(MAX_DEVELOPERS, { message: `must list at most ${MAX_DEVELOPERS} developers (an ALB holds 100 rules; run a second project for more)` }),
  ], { message: `must be a count from 1 to ${MAX_DEVELOPERS}, or a list of developer names` })
  .describe(`developer names (["alice","bob"], or objects with per-developer limits) or a count (8 → dev1…dev8); at most ${MAX_DEVELOPERS}`);

export const configSchema = z
  .object({
    $schema: z.string().optional().describe('the JSON Schema of this file, for editors (devenv init writes it); devenv ignores it'),
    project: dnsLabel
      .max(28, { message: 'is longer than 28 characters (AWS name limits)' })
      .describe('project name: prefixes every resource name and tags everything'),
    environment: z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, { message: 'must be 1 to 32 letters, digits, _ . or -' }).default('production').describe('environment tag value'),
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'is not an AWS region such as ap-southeast-7' }).default('ap-southeast-7').describe('AWS region'),
    availabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'is not an availability zone such as ap-southeast-7a' }).optional().describe("the host's availability zone (default <region>a)"),
    albAvailabilityZone: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d[a-z]$/, { message: 'is not an availability zone such as ap-southeast-7a' }).optional().describe('second availability zone, for the ALB (default <region>b)'),
    accountId: z.string().regex(/^\d{12}$/, { message: 'is not a 12-digit AWS account id' }).optional()
      .describe('expected AWS account id: when set, a run against any other account is refused'),
    baseDomain: z.string().regex(DOMAIN, { message: 'is not a domain name such as dev.example.com' }).describe('developers get https://<name>.<baseDomain>'),
    // The aws CLI prints ids as /hostedzone/Z…: accepted, and kept without the prefix.
    hostedZoneId: z.string().regex(/^(\/hostedzone\/)?[A-Z0-9]{1,32}$/, { message: 'is not a Route 53 hosted zone id such as Z1234567890ABC' })
      .transform((id) => id.replace(/^\/hostedzone\//, ''))
      .describe('the public Route 53 hosted zone of baseDomain (or a parent), delegated to it: Z1234567890ABC or /hostedzone/Z1234567890ABC'),
    network: z
      .object({
        vpcCidr: cidr.default('10.0.0.0/16'),
        subnetCidrs: z.tuple([cidr, cidr], { message: 'must be a list of two CIDR blocks: [host subnet, second ALB subnet]' }).default(['10.0.1.0/24', '10.0.2.0/24']).describe('[host subnet, second ALB subnet]'),
      })
      .strict()
      .prefault({}),
    instance: z
      .object({
        type: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, { message: 'is not an EC2 instance type such as t3.2xlarge' }).default('t3.2xlarge'),
        amiId: z.string().regex(/^ami-[0-9a-f]{8,17}$/, { message: 'is not an AMI id such as ami-0123456789abcdef0' }).optional()
          .describe('AMI override; default: the newest Canonical Ubuntu 22.04 amd64 image'),
        keyName: z.string().regex(/^[A-Za-z0-9._-]{1,255}$/, { message: 'must be 1 to 255 letters, digits, . _ or -' }).optional().describe('EC2 key pair name (default <project>-admin-key: key pair names are per region, so two projects must not share one)'),
        privateKeyPath: z.string().min(1, { message: 'must not be empty' }).optional().describe('where the private key is kept (default ~/.ssh/<keyName>.pem)'),
        rootVolumeGiB: whole(8, 16384, 'GiB').default(50),
        dataVolumeGiB: whole(1, 16384, 'GiB').default(500),
      })
      .strict()
      .prefault({}),
    ssh: z
      .object({
        adminCidr: cidr.optional().describe('the only source allowed to reach port 22 (or adminCidrs for several)'),
        adminCidrs: cidrList(cidr).min(1, { message: 'must list at least one CIDR block' }).max(20, { message: 'must list at most 20 CIDR blocks' }).optional()
          .describe('the sources allowed to reach port 22, instead of adminCidr'),
        allowSshFromAnywhere: z.boolean().default(false).describe('must be true to allow an admin CIDR broader than a /8, such as 0.0.0.0/0'),
        user: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, { message: 'is not a Linux user name such as ubuntu' }).default('ubuntu')
          .describe("the host's login user (passwordless sudo)"),
        host: z.string().regex(/^[A-Za-z0-9.:-]{1,253}$/, { message: 'is not a host name or IP address' }).optional()
          .describe("log in here instead of the host's public IP (a bastion's forwarded port, a tunnel, a test host)"),
        port: z.number().int().min(1).max(65535).default(22).describe('SSH port'),
        hostKeyFingerprint: z.string().regex(/^SHA256:[A-Za-z0-9+/]{43}$/, { message: 'is not an SSH key fingerprint such as SHA256:… (43 characters after the colon, as `ssh-keygen -lf` prints it)' }).optional()
          .describe("the host's ED25519 key (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`): the only key accepted; needed with ssh.host, where the instance's console cannot vouch for the key"),
        connectTimeout: z.number().int().min(30, { message: 'must be at least 30 seconds' }).max(3600, { message: 'must be at most 3600 seconds' }).default(600)
          .describe('seconds to keep trying to log in to the host before giving up'),
      })
      .strict(),
    developers,
    containers: z
      .object({
        basePort: z.number().int({ message: 'must be a port number from 1024 to 65000' }).min(1024, { message: 'must be a port number from 1024 to 65000' }).max(65000, { message: 'must be a port number from 1024 to 65000' }).default(8443).describe('first host port; one port per developer'),
        image: z
          .string()
          .regex(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/, { message: 'must name a pinned tag, such as codercom/code-server:4.100.3' })
          .refine((s) => !s.endsWith(':latest'), { message: 'must be pinned to a version, not latest' })
          .default('codercom/code-server:4.100.3'),
        cpuLimit: resources.cpuLimit.default(1.5),
        memoryLimitMiB: resources.memoryLimitMiB.default(4096),
        cpuReservation: resources.cpuReservation.default(1),
        memoryReservationMiB: resources.memoryReservationMiB.default(3072),
        extensions: z.array(z.string().regex(/^([A-Za-z0-9-]+\.[A-Za-z0-9.-]+(@[A-Za-z0-9.-]+)?|\/[^'"\\\s]+\.vsix)$/, {
          message: 'is not a VS Code extension id (publisher.name, optionally @version) nor the absolute path of a .vsix file inside the container',
        })).default([]).describe("extensions installed once into each developer's container (kept on the data volume)"),
        editor: z
          .object({
            updateCheck: z.boolean().default(false)
              .describe("whether code-server asks GitHub for new releases (devenv pins the image: an update is a config change)"),
            telemetry: z.boolean().default(false)
              .describe('whether code-server sends usage data to Microsoft'),
            workspaceTrust: z.boolean().default(false)
              .describe("whether VS Code's Workspace Trust asks before trusting a folder (off: the developer's own workspace opens trusted, not in Restricted Mode)"),
          })
          .strict()
          .prefault({}),
        networkPool: cidr.default('172.20.0.0/16')
          .describe("the block each developer's Docker network takes a /24 of (by rule priority); must not overlap the VPC, its subnets or Docker's 172.17.0.0/16"),
      })
      .strict()
      .prefault({}),
    secrets: z
      .object({
        recoveryWindowDays: whole(7, 30, 'days').default(7)
          .describe("days a removed developer's secrets can still be restored"),
        anthropicApiKey: keySource.optional().describe('one Anthropic API key shared by every developer without their own'),
      })
      .strict()
      .prefault({}),
    alb: z
      .object({
        idleTimeoutSeconds: z.number().int().min(60).max(4000).default(3600)
          .describe("seconds the load balancer keeps an idle connection open; code-server's websockets need long ones (the AWS default of 60 drops idle editors)"),
        sslPolicy: z.string()
          .refine((p) => (TLS_POLICIES as readonly string[]).includes(p), {
            message: `is not a TLS policy whose oldest protocol is TLS 1.2 or 1.3; use one of ${TLS_POLICIES.join(', ')}`,
          })
          .default('ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09')
          .describe('TLS policy of the HTTPS listener (`aws elbv2 describe-ssl-policies` lists them)'),
        allowedCidrs: cidrList(cidrIpv4or6).min(1, { message: 'must list at least one CIDR block' }).max(30, { message: 'must list at most 30 CIDR blocks (each takes a rule for 443 and one for 80, and a security group holds 60)' })
          .default(['0.0.0.0/0'])
          .describe('the sources (IPv4 or IPv6 CIDR blocks) allowed to reach the load balancer, so the login pages; default the whole internet'),
        hsts: z
          .object({
            maxAgeSeconds: z.number().int({ message: 'must be a whole number of seconds' })
              .min(MIN_HSTS_SECONDS, { message: `must be at least ${MIN_HSTS_SECONDS} seconds (a year)` })
              .max(10 * MIN_HSTS_SECONDS, { message: `must be at most ${10 * MIN_HSTS_SECONDS} seconds (ten years)` })
              .default(MIN_HSTS_SECONDS)
              .describe('how long a browser keeps to HTTPS for these names after one visit'),
            includeSubDomains: z.boolean().default(true).describe('the HSTS header covers the names under each developer\'s host name too'),
          })
          .strict()
          .prefault({})
          .describe('the Strict-Transport-Security header the HTTPS listener adds to every answer'),
        httpRedirect: z.boolean().default(true)
          .describe('keep a listener on port 80 that answers 301 to HTTPS; false removes it (and port 80 from the security group)'),
      })
      .strict()
      .prefault({}),
    monitoring: z
      .object({
        logRetentionDays: z.number()
          .refine((n) => (LOG_RETENTION_DAYS as readonly number[]).includes(n), { message: `must be one of ${LOG_RETENTION_DAYS.join(', ')} (the retention periods CloudWatch Logs accepts)` })
          .default(30)
          .describe('days CloudWatch Logs keeps the host\'s and the containers\' logs'),
        backupRetentionDays: whole(1, 36500, 'days').default(30).describe('days AWS Backup keeps each daily backup of the data volume'),
        alarmEmail: z.string().regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'is not an e-mail address such as ops@example.com' }).optional()
          .describe('where the alarms are sent (an SNS e-mail subscription, confirmed from the first message); none by default'),
      })
      .strict()
      .prefault({}),
    tags: tags
      .default({})
      .describe('extra tags on every resource'),
    state: z
      .object({
        s3: z
          .object({
            bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'is not an S3 bucket name (3 to 63 lowercase letters, digits, . or -)' })
              .describe('the bucket holding the state (`devenv state bootstrap` creates it)'),
            key: z.string().regex(/^[A-Za-z0-9!_.*'()\/-]{1,1000}$/, { message: 'is not an S3 object key such as devenv/demo.json' })
              .refine((k) => !k.endsWith('/'), { message: 'must name an object, not end with /' })
              .default('devenv.state.json')
              .describe('the state object; its lock is <key>.lock and its audit records are under <key>.audit/'),
            region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'is not an AWS region such as ap-southeast-7' }).optional()
              .describe("the bucket's region (default: region)"),
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
