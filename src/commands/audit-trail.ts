import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { AwsClients, CallHook } from '../aws/clients.js';
import { CALLER_IDENTITY, type ReadCache } from '../aws/read-once.js';
import type { Config } from '../config/schema.js';
import { ExitCode, messageOf } from '../errors.js';
import { appendLocalAudit, auditId, auditResources, localAuditPath, type AuditRecord } from '../state/audit.js';
import { beforeQuit } from '../state/quit.js';
import type { ResourceRecord } from '../state/schema.js';
import type { Reporter } from '../ui/events.js';

/** The commands that change something: each of their runs leaves one record in the audit trail. */
export const AUDITED_COMMANDS: readonly string[] = [
  'up',
  'phase',
  'destroy',
  'credentials rotate',
  'state bootstrap',
  'state push',
  'lock release',
  'restart',
  'sleep',
  'wake',
];

/**
 * The flags a record keeps (commander's names for them), when given on the command line. An
 * allow-list: a flag added later is left out of the trail until it is added here, so a flag that
 * carries a secret can never end up in it by being forgotten.
 */
export const AUDITED_FLAGS: ReadonlySet<string> = new Set([
  'config',
  'state',
  'yes',
  'lockWait',
  'lockMessage',
  'skip',
  'replaceHost',
  'adoptDataVolume',
  'newDataVolume',
  'acceptNewHostKey',
  'purgeRemoved',
  'takeOverDns',
  'resolve',
  'deleteData',
  'finalSnapshot',
  'forceDeleteSecrets',
  'force',
  'rotateClientSecret',
  'wait',
]);

/** What was run: the command, its arguments and the flags given (name → value). */
export interface Invocation {
  command: string;
  args: string[];
  flags: Record<string, unknown>;
}

/** The flags of `given` that the allow-list keeps, with string or boolean values only. */
export function recordedFlags(given: Record<string, unknown>): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(given).filter(
      (e): e is [string, string | boolean] =>
        AUDITED_FLAGS.has(e[0]) && (typeof e[1] === 'string' || typeof e[1] === 'boolean'),
    ),
  );
}

/** What a command tells its trail once it may change something. */
export interface AuditTarget {
  config: Config;
  /** The local state file (--state): its trail is beside it, unless the state is in S3. */
  statePath: string;
  /** Who runs this, when the command asked STS already: from `who`, or from the run's reads. */
  who?: string;
  reads?: ReadCache;
  /** The resources of the state as the run found it, and as it is now: what a changed resource is and whose. */
  resources?: { before: Record<string, ResourceRecord>; now: () => Record<string, ResourceRecord> };
}

/**
 * The audit record of one run. A command arms it once it may change something (it holds the lock);
 * the CLI finishes it with the exit code. Written once: on the way out, on a first Ctrl-C (the run
 * stops cleanly and comes back here) and on a second one (with the lock's release, before quitting).
 * A run killed outright (SIGKILL, power loss) writes none; its lock in S3 stays behind as stale, and
 * breaking it (`lock release --force`) is recorded naming it.
 */
export class AuditTrail {
  private target?: AuditTarget;
  private unregister?: () => void;
  private written?: Promise<void>;
  private readonly startedAt = new Date().toISOString();

  constructor(
    private readonly invocation: Invocation,
    private readonly o: { reporter: Reporter; env: Record<string, string | undefined>; hooks?: CallHook[] },
  ) {}

  /** From now on this run is recorded. */
  arm(target: AuditTarget): void {
    if (this.target) return;
    this.target = target;
    this.unregister = beforeQuit(() => this.write(ExitCode.interrupted));
  }

  /** Writes the record (once); a run that never armed it changed nothing and leaves none. */
  finish(exitCode: number): Promise<void> {
    this.unregister?.();
    return this.write(exitCode);
  }

  private write(exitCode: number): Promise<void> {
    const target = this.target;
    if (!target) return Promise.resolve();
    this.written ??= this.save(target, exitCode).catch((err: unknown) =>
      this.o.reporter.emit({
        type: 'warn',
        message: `could not write this run's audit record (${messageOf(err)}): the trail lacks it`,
      }),
    );
    return this.written;
  }

  private async save(target: AuditTarget, exitCode: number): Promise<void> {
    const resources = auditResources(
      this.o.reporter.resources,
      target.resources?.before ?? {},
      target.resources?.now() ?? {},
    );
    // A run that failed having changed nothing (bad input, a phase refused for its needs …) leaves no record.
    if (exitCode !== ExitCode.ok && exitCode !== ExitCode.interrupted && resources.length === 0) return;
    // Loaded here, not at the top: `--help` and `plan --offline` pass through this module and load no SDK.
    const { AwsClients } = await import('../aws/clients.js');
    const { s3PathStyle } = await import('./state-location.js');
    const aws = new AwsClients({
      region: target.config.region,
      hooks: this.o.hooks,
      s3PathStyle: s3PathStyle(this.o.env),
    });
    try {
      const record: AuditRecord = {
        id: auditId(this.startedAt, randomBytes(4).toString('hex')),
        who: await this.who(aws, target),
        host: hostname(),
        startedAt: this.startedAt,
        finishedAt: new Date().toISOString(),
        command: this.invocation.command,
        args: this.invocation.args,
        flags: recordedFlags(this.invocation.flags),
        exitCode,
        state: target.config.state.s3 ? '' : target.statePath,
        resources,
      };
      if (!target.config.state.s3) {
        await appendLocalAudit(localAuditPath(target.statePath), record);
        return;
      }
      const { putAuditRecord } = await import('../aws/s3/audit-log.js');
      const { s3Location, s3Url } = await import('../aws/s3/state-object.js');
      const loc = s3Location(target.config)!;
      record.state = s3Url(loc);
      await putAuditRecord(await aws.s3In(loc.region), loc, record);
    } finally {
      aws.destroy();
    }
  }

  /** The caller's ARN: from the run's own STS answer when it has one, else asked now. */
  private async who(aws: AwsClients, target: AuditTarget): Promise<string> {
    if (target.who) return target.who;
    const known = target.reads?.get(CALLER_IDENTITY) as Promise<{ Arn?: string; Account?: string }> | undefined;
    try {
      const id = known ? await known : undefined;
      if (id) return id.Arn ?? `account ${id.Account}`;
      const { callerName } = await import('./clients.js');
      return await callerName(aws, this.o.env);
    } catch (err) {
      return `unknown (${messageOf(err)})`;
    }
  }
}
