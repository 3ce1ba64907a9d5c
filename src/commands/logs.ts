import { followLogEvents, readLogEvents, type EventQuery } from '../aws/logs/events.js';
import { logGroupName } from '../blueprint/monitoring.js';
import { recordedLogGroups } from '../phases/monitoring/logs.js';
import { dockerLogsCommand, sshArgv } from '../remote/system-ssh.js';
import { ExitCode } from '../errors.js';
import type { Io } from '../ui/io.js';
import { developerNamed } from './credentials-export.js';
import { requireContainer, runSsh, withVerifiedLogin } from './host-login.js';
import type { Session } from './session.js';

export interface LogsOptions {
  /** How far back, in milliseconds (`--since`). */
  sinceMs: number;
  follow: boolean;
  /** Only the lines holding this text, as it is (case and all), as `grep -F` keeps them. */
  grep?: string;
}

/** Where a developer's container log is read from. */
export type LogSource = { kind: 'cloudwatch'; group: string } | { kind: 'host' };

/**
 * CloudWatch Logs when the monitoring phase has made the developer's log group (the state records it): it keeps the
 * log of a container that was recreated or a host that was replaced. Otherwise (monitoring skipped, or not run yet)
 * Docker's own log on the host, over SSH: the running container's only.
 */
export function logSource(session: Pick<Session, 'state' | 'model'>, developer: string): LogSource {
  const group = logGroupName(session.model, { developer });
  return recordedLogGroups(session).has(group) ? { kind: 'cloudwatch', group } : { kind: 'host' };
}

/**
 * The line the container wrote: the CloudWatch agent ships Docker's json-file lines as they are
 * (`{"log":"…\n","stream":"stdout","time":"…"}`); anything else is shown as it came.
 */
export function containerLine(message: string): string {
  try {
    const parsed = JSON.parse(message) as { log?: unknown };
    if (typeof parsed.log === 'string') return parsed.log.replace(/\r?\n$/, '');
  } catch {
    // not a json-file line
  }
  return message;
}

/**
 * A CloudWatch filter pattern that narrows what FilterLogEvents sends: the text as a quoted term, when it holds only
 * characters that Docker's JSON encoding keeps as they are and a quoted term may hold. The text is matched again here
 * on the decoded line, so a pattern never changes what is shown, only how much travels.
 */
export function filterPatternFor(text: string | undefined): string | undefined {
  return text && /^[A-Za-z0-9 _.,:;=@#/+-]+$/.test(text) ? `"${text}"` : undefined;
}

/**
 * `devenv logs <developer> [--since 1h] [--follow] [--grep text]`: the developer's container log on stdout, the
 * source it came from on stderr. Read-only: no lock. Resolves the exit code (that of `docker logs` over SSH).
 * Ctrl-C is how --follow ends: quietly, with 130 as `tail -f` and `kubectl logs -f` (killed by SIGINT) give a shell,
 * so that a script or a loop around it stops too instead of going on as after a normal end.
 */
export async function logs(session: Session, developer: string, o: LogsOptions, io: Io): Promise<number> {
  developerNamed(session.model, developer);
  const keep = (line: string) => o.grep === undefined || line.includes(o.grep);
  const source = logSource(session, developer);
  if (source.kind === 'host') {
    requireContainer(session, developer);
    io.stderr.write(
      `logs: ${developer} has no CloudWatch log group (the monitoring phase has not run): reading \`docker logs\` ` +
        'on the host over SSH\n',
    );
    const command = dockerLogsCommand(developer, { sinceS: o.sinceMs / 1000, follow: o.follow });
    const code = await withVerifiedLogin(session, { firstBoot: true }, (login, knownHosts) =>
      runSsh(sshArgv(login, knownHosts, { tty: false, command }), io, o.grep === undefined ? {} : { keep }),
    );
    // ssh's own report of the signal is not shown: Ctrl-C is how --follow ends.
    return o.follow && session.context('containers').signal.aborted ? ExitCode.interrupted : code;
  }
  io.stderr.write(`logs: ${developer}'s container log from CloudWatch Logs (${source.group})\n`);
  await session.verifyAccount();
  const ctx = session.context('monitoring');
  const pattern = filterPatternFor(o.grep);
  const query: EventQuery = {
    logGroupName: source.group,
    startTime: ctx.clock.now() - o.sinceMs,
    ...(pattern ? { filterPattern: pattern } : {}),
  };
  const show = (e: { message?: string }) => {
    const line = containerLine(e.message ?? '');
    if (keep(line)) io.stdout.write(`${line}\n`);
  };
  if (!o.follow) {
    await readLogEvents(ctx, query, show);
    return ExitCode.ok;
  }
  await followLogEvents(ctx, query, show, { clock: ctx.clock, signal: ctx.signal });
  return ctx.signal.aborted ? ExitCode.interrupted : ExitCode.ok;
}
