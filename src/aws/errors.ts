import { DevenvError } from '../errors.js';

/**
 * AWS error codes, matched on the SDK's `name` and, for the query-protocol services (ELBv2, IAM,
 * CloudWatch), the wire `Code` too: there `name` is the class name (`NoSuchEntityException`)
 * and `Code` the code (`NoSuchEntity`). EC2 has no modeled errors, so its `name` is the raw code.
 */
export const Ec2Code = {
  groupDuplicate: 'InvalidGroup.Duplicate',
  keyPairDuplicate: 'InvalidKeyPair.Duplicate',
  permissionDuplicate: 'InvalidPermission.Duplicate',
  dependencyViolation: 'DependencyViolation',
  idempotentParameterMismatch: 'IdempotentParameterMismatch',
  invalidParameterValue: 'InvalidParameterValue',
  gatewayNotAttached: 'Gateway.NotAttached',
} as const;

export const IamCode = {
  alreadyExists: 'EntityAlreadyExists',
  noSuchEntity: 'NoSuchEntity',
  deleteConflict: 'DeleteConflict',
} as const;

export const SecretsCode = {
  exists: 'ResourceExistsException',
  invalidRequest: 'InvalidRequestException',
} as const;

export const Route53Code = {
  noSuchHostedZone: 'NoSuchHostedZone',
} as const;

/** ELBv2 and ACM: `name` is the class name; hasCode also matches it without the `Exception` suffix. */
export const ElbCode = {
  duplicateTargetGroupName: 'DuplicateTargetGroupName',
  certificateNotFound: 'CertificateNotFound',
  resourceInUse: 'ResourceInUse',
  invalidTarget: 'InvalidTarget',
} as const;

export const AcmCode = {
  resourceInUse: 'ResourceInUseException',
} as const;

/** Any service: the credentials are missing, wrong or expired (EC2 says AuthFailure; STS InvalidClientTokenId). */
export const CredentialsCode = {
  authFailure: 'AuthFailure',
  unrecognizedClient: 'UnrecognizedClientException',
  invalidClientTokenId: 'InvalidClientTokenId',
  expiredToken: 'ExpiredToken',
  requestExpired: 'RequestExpired',
  signatureDoesNotMatch: 'SignatureDoesNotMatch',
  incompleteSignature: 'IncompleteSignature',
  missingAuthenticationToken: 'MissingAuthenticationToken',
  /** Thrown by the SDK itself when no credential provider had any. */
  noCredentials: 'CredentialsProviderError',
} as const;

/**
 * Any service: the caller lacks an IAM permission (EC2 says UnauthorizedOperation), or the account lacks the service.
 */
export const AccessCode = {
  accessDenied: 'AccessDenied',
  accessDeniedException: 'AccessDeniedException',
  unauthorizedOperation: 'UnauthorizedOperation',
  optInRequired: 'OptInRequired',
} as const;

export const Ec2LookupCode = {
  invalidInstanceType: 'InvalidInstanceType',
} as const;

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
]);

/** Every code an error carries: `name`, and `Code` with and without the `Exception` suffix. */
export function errorCodes(err: unknown): string[] {
  if (err === null || typeof err !== 'object') return [];
  const e = err as { name?: unknown; Code?: unknown; code?: unknown };
  const codes = [e.name, e.Code, e.code].filter((c): c is string => typeof c === 'string');
  return codes.flatMap((c) => (c.endsWith('Exception') ? [c, c.slice(0, -'Exception'.length)] : [c]));
}

export function hasCode(err: unknown, ...codes: string[]): boolean {
  const own = errorCodes(err);
  return codes.some((c) => own.includes(c));
}

/**
 * A NotFound of any service we use: EC2's `Invalid<Thing>ID.NotFound`, ELBv2's `<Thing>NotFound`,
 * IAM's `NoSuchEntity`, Secrets Manager's and ACM's `ResourceNotFound`, Route 53's `NoSuchHostedZone`.
 */
export function isNotFound(err: unknown): boolean {
  return errorCodes(err).some(
    (c) =>
      c.endsWith('.NotFound') ||
      c.endsWith('NotFound') ||
      c === 'NoSuchEntity' ||
      c === 'ResourceNotFound' ||
      c === 'NoSuchHostedZone',
  );
}

export const isThrottling = (err: unknown): boolean => errorCodes(err).some((c) => THROTTLING.has(c));

/** A request that timed out or whose connection failed (the SDK's and Node's codes). */
const CUT_OFF = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

/**
 * A failure that does not say whether AWS carried the request out: a 5xx other than throttling,
 * a timeout, a connection cut. (A throttled request was refused; a client error was answered.)
 */
export function isInconclusive(err: unknown): boolean {
  if (isThrottling(err)) return false;
  const e = err as { $fault?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  return (
    e?.$fault === 'server' || (e?.$metadata?.httpStatusCode ?? 0) >= 500 || errorCodes(err).some((c) => CUT_OFF.has(c))
  );
}
export const isDependencyViolation = (err: unknown): boolean => hasCode(err, Ec2Code.dependencyViolation);

/** `err.message` when the error carries a matching code and (optionally) a stable substring of AWS's message. */
export function matches(err: unknown, code: string, messagePart?: string): boolean {
  if (!hasCode(err, code)) return false;
  return messagePart === undefined || String((err as Error).message ?? '').includes(messagePart);
}

/** What `get` answers, or undefined when AWS says the thing is not there (any not-found code). */
export async function orUndefined<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Runs a call whose expected failure (a NotFound on delete, say) means there is nothing to do.
 * True when the call did something.
 */
export async function ignoring(isExpected: (err: unknown) => boolean, call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return true;
  } catch (err) {
    if (!isExpected(err)) throw err;
    return false;
  }
}

/**
 * An answer that is no AWS API's: an HTML page (a proxy's, a captive portal's, an emulator's for an
 * API it does not implement) or text that is neither JSON nor XML. The SDK would report it as a
 * parse error, or, for an XML API, as an error named after the HTTP status ("NotFound": a 404 page
 * would read as "the resource is gone"), or even read an HTML page answered 200 as an empty answer.
 * Carries the status in `$metadata`/`$fault` as an AWS error would, so that the SDK's retries and
 * `isInconclusive` treat a proxy's 502 page as they treat AWS's 502.
 */
export function nonApiAnswer(status: number, body: string, url: string, call: string): DevenvError | undefined {
  const text = body.trimStart();
  if (!text || text.startsWith('{') || text.startsWith('[')) return undefined;
  const html =
    /^<(!doctype\s+html|html[\s>]|head[\s>]|body[\s>])/i.test(text) || (/^<!--/.test(text) && /<html[\s>]/i.test(text));
  if (text.startsWith('<') && !html) return undefined;
  const title = html
    ? /<title[^>]*>([^<]*)<\/title>/i.exec(text)?.[1]?.trim().replace(/\s+/g, ' ')
    : text.slice(0, 120).replace(/\s+/g, ' ').trim();
  const what = html ? 'an HTML page' : 'an answer that is neither JSON nor XML';
  const err = new DevenvError(
    'aws',
    `AWS answered ${status} with ${what} from ${url} (to ${call})${title ? `: "${title}"` : ''}, not an AWS API answer`,
    {
      remedy:
        `something other than AWS answered: check the proxy settings (HTTPS_PROXY, NO_PROXY) and the ` +
        `network between this machine and AWS; if AWS_ENDPOINT_URL points at an emulator, it may not implement ${call}`,
    },
  );
  return Object.assign(err, { $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' });
}
