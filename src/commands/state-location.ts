import { hostname } from 'node:os';
import { AwsClients, type CallHook } from '../aws/clients.js';
import type { Config } from '../config/schema.js';
import { beforeQuit } from '../state/quit.js';
import { fileBackend, type StateBackend } from '../state/store.js';
import type { Reporter } from '../ui/events.js';

/** Where this config keeps its state: the S3 object it names, else the local file (--state). */
export async function stateBackend(config: Config, statePath: string, aws: AwsClients): Promise<StateBackend> {
  if (!config.state.s3) return fileBackend(statePath);
  const { S3StateBackend, s3Location } = await import('../aws/s3/state-object.js');
  const loc = s3Location(config)!;
  return new S3StateBackend(await aws.s3In(loc.region), loc);
}

/** AWS_ENDPOINT_URL points at an emulator, which serves buckets by path, not by host name. */
export const s3PathStyle = (env: Record<string, string | undefined>): boolean =>
  Boolean(env.AWS_ENDPOINT_URL || env.AWS_ENDPOINT_URL_S3);

/**
 * Takes the lock of a state in S3 (`<key>.lock`) for this run, with its own S3 client: one that a
 * Ctrl-C does not stop, so the lock is still released then, and before a second Ctrl-C quits.
 */
export async function lockS3State(
  config: Config,
  o: {
    who: string;
    command: string;
    lockWaitMs?: number;
    lockMessage?: string;
    signal: AbortSignal;
    reporter: Reporter;
    hooks?: CallHook[];
    env: Record<string, string | undefined>;
  },
): Promise<{ release(): Promise<void> }> {
  const { acquireS3Lock } = await import('../aws/s3/state-lock.js');
  const { s3Location } = await import('../aws/s3/state-object.js');
  const loc = s3Location(config)!;
  const aws = new AwsClients({ region: config.region, hooks: o.hooks, s3PathStyle: s3PathStyle(o.env) });
  const now = new Date().toISOString();
  const me = { who: o.who, host: hostname(), command: o.command, pid: process.pid, since: now, renewedAt: now };
  try {
    const held = await acquireS3Lock(
      await aws.s3In(loc.region),
      loc,
      {
        ...me,
        ...(o.lockMessage ? { message: o.lockMessage } : {}),
      },
      {
        waitMs: o.lockWaitMs ?? 0,
        signal: o.signal,
        onWait: (holder) => o.reporter.emit({ type: 'step', message: `waiting for the lock held by ${holder}` }),
        onLost: (message) => o.reporter.emit({ type: 'warn', message }),
      },
    );
    const release = async () => {
      try {
        await held.release();
      } finally {
        aws.destroy();
      }
    };
    const unregister = beforeQuit(release);
    return {
      release: async () => {
        unregister();
        await release();
      },
    };
  } catch (err) {
    aws.destroy();
    throw err;
  }
}
