import { AwsClients, type CallHook } from '../aws/clients.js';
import { explainAccessError } from '../aws/credentials.js';
import { errorCodes } from '../aws/errors.js';
import { CALLER_IDENTITY, readOnce, type ReadCache } from '../aws/read-once.js';
import type { Reporter } from '../ui/events.js';
import { s3PathStyle } from './state-location.js';

/** A command's AWS clients in `region`: each call reported as an `aws-call` event, then passed to `hooks`. */
export function commandClients(
  region: string,
  o: { reporter: Reporter; signal: AbortSignal; env: Record<string, string | undefined>; hooks?: CallHook[] },
): AwsClients {
  const reportCalls: CallHook = {
    after: (call, durationMs, error) =>
      o.reporter.emit({
        type: 'aws-call',
        ...call,
        durationMs,
        ...(error ? { error: errorCodes(error)[0] ?? 'error' } : {}),
      }),
  };
  return new AwsClients({
    region,
    signal: o.signal,
    hooks: [reportCalls, ...(o.hooks ?? [])],
    s3PathStyle: s3PathStyle(o.env),
  });
}

/**
 * GetCallerIdentity, once per run (`reads`): missing or expired credentials come out as the
 * sentence that says how to fix them.
 */
export async function callerIdentity(
  aws: AwsClients,
  env: Record<string, string | undefined>,
  reads: ReadCache = new Map(),
) {
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  return readOnce({ reads }, CALLER_IDENTITY, () => aws.sts.send(new GetCallerIdentityCommand({}))).catch(
    (err: unknown) => {
      throw explainAccessError(err, env) ?? err;
    },
  );
}

/** Who runs this, as a lock records it: the caller's ARN (the account when STS names no ARN). */
export async function callerName(
  aws: AwsClients,
  env: Record<string, string | undefined>,
  reads?: ReadCache,
): Promise<string> {
  const who = await callerIdentity(aws, env, reads);
  return who.Arn ?? `account ${who.Account}`;
}
