import { DevenvError } from '../errors.js';
import { CredentialsCode, errorCodes, hasCode } from './errors.js';

/** Node's and the SDK's codes for "nothing answered there". */
const UNREACHABLE = [
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'TimeoutError',
];
const EXPIRED = [CredentialsCode.expiredToken, CredentialsCode.requestExpired];
const REJECTED = Object.values(CredentialsCode).filter(
  (c) => c !== CredentialsCode.noCredentials && !EXPIRED.includes(c as never),
);

const LOGIN =
  'set AWS_PROFILE to a profile of `aws configure list-profiles` (after `aws sso login --profile <name>` if it ' +
  'uses SSO), ' +
  'or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; `aws sts get-caller-identity` shows whether they work';

/**
 * The first AWS call of a command failed: when the cause is the credentials or the endpoint, a
 * message naming it and its fix (exit 2: bad input, nothing was created). Anything else: undefined.
 */
export function explainAccessError(err: unknown, env: Record<string, string | undefined>): DevenvError | undefined {
  const problem = (message: string, remedy: string) => new DevenvError('credentials', message, { remedy, cause: err });
  const codes = errorCodes(err);
  const endpoint = env.AWS_ENDPOINT_URL;
  if (endpoint && codes.includes('ERR_INVALID_URL')) {
    return problem(
      `AWS_ENDPOINT_URL is set to "${endpoint}", which is not a valid URL`,
      'set it to a full URL such as http://127.0.0.1:5000, or unset it to use AWS',
    );
  }
  const unreachable = codes.find((c) => UNREACHABLE.includes(c));
  if (endpoint && unreachable) {
    return problem(
      `AWS_ENDPOINT_URL is set to ${endpoint}, and nothing answers there (${unreachable})`,
      'start the emulator at that address (python3 -m moto.server -p <port>), or unset AWS_ENDPOINT_URL to use AWS',
    );
  }
  if (hasCode(err, CredentialsCode.noCredentials)) {
    const said = err instanceof Error && !/from any providers/.test(err.message) ? ` (${err.message})` : '';
    if (env.AWS_PROFILE) {
      return problem(
        `AWS_PROFILE is "${env.AWS_PROFILE}", but that profile gave no credentials${said}: it is not in ` +
          `~/.aws/config or ~/.aws/credentials, has no keys, or its SSO session has expired`,
        `add the profile (\`aws configure --profile ${env.AWS_PROFILE}\`) or log in (\`aws sso login ` +
          `--profile ${env.AWS_PROFILE}\`), or ${LOGIN}`,
      );
    }
    return problem(
      `no AWS credentials found${said}: the SDK tried AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the default ` +
        `profile of ~/.aws/credentials and ~/.aws/config (SSO included), web identity, and the container and ` +
        `instance roles; AWS_PROFILE is not set`,
      LOGIN,
    );
  }
  if (hasCode(err, ...EXPIRED)) {
    return problem(
      `the AWS credentials have expired (${codes[0]})${env.AWS_PROFILE ? ` (AWS_PROFILE=${env.AWS_PROFILE})` : ''}`,
      'get new ones: `aws sso login` for an SSO profile, a new AWS_SESSION_TOKEN for temporary keys; if they are ' +
        "fresh, check this machine's clock",
    );
  }
  if (hasCode(err, ...REJECTED)) {
    return problem(
      `AWS refused these credentials (${codes[0]})${env.AWS_PROFILE ? ` of profile ${env.AWS_PROFILE}` : ''}: the ` +
        `access key is unknown or the secret key is wrong`,
      LOGIN,
    );
  }
  return undefined;
}
