import { AccessCode, CredentialsCode, errorCodes, hasCode, isThrottling } from '../../aws/errors.js';
import { DevenvError, messageOf } from '../../errors.js';

export type CheckName =
  | 'account'
  | 'region'
  | 'hosted zone'
  | 'AMI'
  | 'instance type'
  | 'admin CIDR'
  | 'private key'
  | 'API keys'
  | 'load balancer'
  | 'login pages'
  | 'state bucket'
  | 'identity provider'
  | 'client secret';
type Scalar = string | number | boolean;

/** What one check found. */
export interface ValidationResult {
  check: CheckName;
  ok: boolean;
  /** What the check is about: the account, zone, AMI or instance type id. */
  id?: string;
  /** Passed: what was found. Failed: what was found and how to fix it. */
  detail: string;
  warnings?: string[];
  /** Facts later phases use, recorded by `apply` as the phase's outputs. */
  outputs?: Record<string, Scalar>;
  /**
   * Failed for a reason every AWS check shares (refused credentials, no network): the report says
   * it once. `config`: the fix is in the config or the files it names (exit 2 when all failures are).
   */
  cause?: 'credentials' | 'network' | 'config';
}

type Extra = Partial<Pick<ValidationResult, 'id' | 'warnings' | 'outputs' | 'cause'>>;
export const pass = (check: CheckName, detail: string, extra: Extra = {}): ValidationResult => ({
  check,
  ok: true,
  detail,
  ...extra,
});
export const fail = (check: CheckName, detail: string, extra: Extra = {}): ValidationResult => ({
  check,
  ok: false,
  detail,
  ...extra,
});

/** The IAM action each failed call needed, so that AccessDenied can name it. */
const actionOf = new WeakMap<object, string>();

/** Awaits an AWS call; if it fails, remembers which IAM action it needed and rethrows the same error. */
export async function needs<T>(action: string, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (err !== null && typeof err === 'object' && !actionOf.has(err)) actionOf.set(err, action);
    throw err;
  }
}

/** Runs a check; an AWS error becomes a failed result saying what to do, never a stack trace. */
export async function guarded(
  check: CheckName,
  region: string,
  run: () => Promise<ValidationResult>,
): Promise<ValidationResult> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof DevenvError && err.kind === 'interrupted') throw err;
    const action = err !== null && typeof err === 'object' ? actionOf.get(err) : undefined;
    return { check, ok: false, ...explainAwsError(err, action ?? `the ${check} check`, region) };
  }
}

/**
 * Regions enabled in every account. Every Region launched after 20 March 2019 is opt-in (AWS
 * "Manage AWS Regions"), so this list never grows. In a Region that is not enabled, EC2 answers
 * AuthFailure and STS InvalidClientTokenId, exactly as for bad credentials.
 */
const ENABLED_BY_DEFAULT = new Set([
  'us-east-1',
  'us-east-2',
  'us-west-1',
  'us-west-2',
  'ca-central-1',
  'sa-east-1',
  'eu-west-1',
  'eu-west-2',
  'eu-west-3',
  'eu-central-1',
  'eu-north-1',
  'ap-south-1',
  'ap-northeast-1',
  'ap-northeast-2',
  'ap-northeast-3',
  'ap-southeast-1',
  'ap-southeast-2',
]);
export const isOptInRegion = (region: string): boolean =>
  !ENABLED_BY_DEFAULT.has(region) && !/^(us-gov|cn|us-iso[a-z]*)-/.test(region);

const NETWORK = ['ENOTFOUND', 'EAI_AGAIN', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'TimeoutError'];

/** One line for the user: what AWS said, in words, and what to do. */
export function explainAwsError(
  err: unknown,
  action: string,
  region: string,
): Pick<ValidationResult, 'detail' | 'cause'> {
  const said = clip(messageOf(err));
  if (hasCode(err, ...Object.values(CredentialsCode))) {
    const expired = hasCode(err, CredentialsCode.expiredToken, CredentialsCode.requestExpired);
    const optIn = isOptInRegion(region)
      ? `; ${region} is an opt-in Region, and AWS answers the same way when it is not enabled for the ` +
        'account: enable it (AWS console → Account → AWS Regions), wait until it shows Enabled, and ' +
        'run again'
      : '';
    return {
      cause: 'credentials',
      detail:
        `AWS credentials are missing or invalid: ${expired ? 'they have expired' : said} (${action}): ` +
        `set AWS_PROFILE (after \`aws sso login\` if it uses SSO) or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ` +
        `and check them with \`aws sts get-caller-identity\`${optIn}`,
    };
  }
  if (hasCode(err, AccessCode.optInRequired)) {
    return {
      detail:
        `the account is not subscribed to ${action.split(':')[0]} in ${region} (OptInRequired: ${said}` +
        `): finish the account's sign-up` +
        `${isOptInRegion(region) ? `, or enable the Region ${region}` : ''}, then run again`,
    };
  }
  if (hasCode(err, ...Object.values(AccessCode))) {
    return {
      detail:
        `these credentials may not call ${action} (${said}): allow ${action} in their IAM policy (and ` +
        'in any SCP of the account)',
    };
  }
  const network = errorCodes(err).find((c) => NETWORK.includes(c));
  if (network) {
    const host = (err as { hostname?: string }).hostname;
    return {
      cause: 'network',
      detail:
        `cannot reach AWS for ${action} (${network}${host ? ` ${host}` : ''}): check the network, and ` +
        `that region "${region}" is an AWS Region`,
    };
  }
  if (isThrottling(err))
    return { detail: `AWS kept throttling ${action} after several retries: run again in a minute` };
  const code = errorCodes(err)[0];
  return { detail: `${action} failed${code && code !== 'Error' ? ` with ${code}` : ''}: ${said}` };
}

const clip = (text: string, max = 240): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);
