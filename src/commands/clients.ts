import { AwsClients, type CallHook } from '../aws/clients.js';
import { errorCodes } from '../aws/errors.js';
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
