import { createHash } from 'node:crypto';

/** What an AWS API accepts as the name of one kind of resource. */
interface NameRule {
  max: number;
  /** Every character the API allows; any other is replaced by `-` when a name is shortened. */
  chars: RegExp;
  /** Only letters or digits at both ends. */
  alnumEnds?: boolean;
  /** Prefixes AWS reserves (compared case-insensitively). */
  reserved?: string[];
}

const ELB: NameRule = { max: 32, chars: /[A-Za-z0-9-]/, alnumEnds: true };
const IAM = /[\w+=,.@-]/;
/** For resources whose only name is the Name tag: any tag value of at most 256 characters. */
const TAG_ONLY: NameRule = { max: 256, chars: /[\p{L}\p{Z}\p{N}_.:/=+\-@]/u };

/**
 * Every AWS kind devenv creates, with its API's name rule (from each API reference's
 * "Length Constraints" / "Pattern", or the service's naming rules where the reference is silent).
 */
export const NAME_RULES = {
  VPC: TAG_ONLY,
  subnet: TAG_ONLY,
  'internet gateway': TAG_ONLY,
  'route table': TAG_ONLY,
  'security group': { max: 255, chars: /[A-Za-z0-9 ._\-:/()#,@[\]+=&;{}!$*]/, reserved: ['sg-'] },
  'IAM role': { max: 64, chars: IAM },
  'IAM inline policy': { max: 128, chars: IAM },
  'instance profile': { max: 128, chars: IAM },
  secret: { max: 512, chars: /[A-Za-z0-9/_+=.@-]/ },
  'key pair': { max: 255, chars: /[\x20-\x7e]/ },
  'EBS volume': TAG_ONLY,
  'EC2 instance': TAG_ONLY,
  'ACM certificate': TAG_ONLY,
  'DNS record': TAG_ONLY,
  'load balancer': { ...ELB, reserved: ['internal-'] },
  'target group': ELB,
  listener: TAG_ONLY,
  'listener rule': TAG_ONLY,
  'log group': { max: 512, chars: /[\w.\-/#]/ },
  'CloudWatch alarm': { max: 255, chars: /[^\p{Cc}]/u },
  // AWS Backup allows 200 characters for a plan name through the API but 50 in the console: keep it editable there.
  'backup vault': { max: 50, chars: /[\w-]/ },
  'backup plan': { max: 50, chars: /[\w.-]/ },
  'backup selection': { max: 50, chars: /[\w.-]/ },
  'SNS topic': { max: 256, chars: /[\w-]/ },
  'user pool': { max: 128, chars: /[\w\s+=,.@-]/ },
  'user pool client': { max: 128, chars: /[\w\s+=,.@-]/ },
  // EventBridge Scheduler: `[0-9a-zA-Z-_.]+`, 1–64 characters, for a schedule group and a schedule.
  'schedule group': { max: 64, chars: /[\w.-]/ },
  schedule: { max: 64, chars: /[\w.-]/ },
  'Lambda function': { max: 64, chars: /[\w-]/ },
  'EventBridge rule': { max: 64, chars: /[\w.-]/ },
} satisfies Record<string, NameRule>;

export type AwsKind = keyof typeof NAME_RULES;

const HASH_LENGTH = 8;

function fits(rule: NameRule, name: string): boolean {
  return (
    name.length > 0 &&
    name.length <= rule.max &&
    [...name].every((c) => rule.chars.test(c)) &&
    !(rule.alnumEnds && (/^[^A-Za-z0-9]/.test(name) || /[^A-Za-z0-9]$/.test(name))) &&
    !(rule.reserved ?? []).some((p) => name.toLowerCase().startsWith(p))
  );
}

/**
 * The name devenv gives a resource of `kind` whose full name is `full`: the full name itself when
 * the API accepts it (so existing resources keep their names and are adopted), otherwise a readable
 * prefix of it and a short hash of the whole, which is as stable and as distinct as the full name.
 * The full name stays in the Name tag.
 */
export function awsName(kind: AwsKind, full: string): string {
  const rule: NameRule = NAME_RULES[kind];
  if (fits(rule, full)) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  let readable = [...full].map((c) => (rule.chars.test(c) ? c : '-')).join('');
  const reservedPrefix = () => (rule.reserved ?? []).find((p) => readable.toLowerCase().startsWith(p));
  for (let p = reservedPrefix(); p; p = reservedPrefix()) readable = readable.slice(p.length);
  readable = readable.slice(0, rule.max - HASH_LENGTH - 1);
  if (rule.alnumEnds) readable = readable.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return readable ? `${readable}-${hash}` : hash;
}
