import { loadConfig } from '../config/load.js';
import { parseDuration } from '../duration.js';
import { configError } from '../errors.js';
import { concerns, localAuditPath, readLocalAudit, type AuditRecord } from '../state/audit.js';
import { table } from '../table.js';
import { commandClients } from './clients.js';
import type { StateCommandOptions } from './state.js';

const DAY_MS = 24 * 60 * 60_000;

/** `--since`: `7d`, `12h`, `30m`, `90s`, or a date (`2026-12-01`, an ISO time); bad input otherwise. */
export function parseSince(text: string, now = Date.now()): Date {
  const days = /^(\d+)d$/.exec(text.trim());
  const ms = days ? Number(days[1]) * DAY_MS : parseDuration(text);
  if (ms !== undefined) return new Date(now - ms);
  const at = Date.parse(text);
  if (Number.isNaN(at)) {
    throw configError(
      `--since: "${text}" is neither a duration nor a date`,
      'pass one like 7d, 12h, 30m or 2026-12-01',
    );
  }
  return new Date(at);
}

/** `devenv audit`: the runs that changed something, newest first, from the state's trail (S3 or beside the file). */
export async function listAudit(
  o: Pick<StateCommandOptions, 'configPath' | 'statePath' | 'reporter' | 'signal' | 'env' | 'hooks'>,
  f: { since?: string; developer?: string; json: boolean },
): Promise<string> {
  const since = f.since === undefined ? undefined : parseSince(f.since);
  const config = await loadConfig(o.configPath);
  const { records, unreadable, where } = await (async () => {
    if (!config.state.s3) {
      const path = localAuditPath(o.statePath);
      return { ...(await readLocalAudit(path)), where: path };
    }
    const { listAuditRecords, auditPrefix } = await import('../aws/s3/audit-log.js');
    const { s3Location, s3Url } = await import('../aws/s3/state-object.js');
    const loc = s3Location(config)!;
    const aws = commandClients(config.region, o);
    try {
      return {
        ...(await listAuditRecords(await aws.s3In(loc.region), loc, since)),
        where: s3Url(loc, auditPrefix(loc)),
      };
    } finally {
      aws.destroy();
    }
  })();
  if (unreadable > 0)
    o.reporter.emit({ type: 'warn', message: `${where}: ${unreadable} record(s) that are not audit records, skipped` });
  const shown = records
    .filter((r) => !since || Date.parse(r.startedAt) >= since.getTime())
    .filter((r) => f.developer === undefined || concerns(r, f.developer))
    .sort((a, b) => b.id.localeCompare(a.id));
  if (f.json) return shown.map((r) => JSON.stringify(r)).join('\n');
  if (shown.length === 0) return `no runs recorded in ${where}${f.since || f.developer ? ' that match' : ''}`;
  return table(
    ['started', 'who', 'host', 'command', 'exit', 'changes'],
    shown.map((r) => [r.startedAt, r.who, r.host, commandLine(r), String(r.exitCode), changes(r)]),
  );
}

/** `up --skip dns --yes`, as run (the recorded flags but the config and state paths, which `--json` shows). */
function commandLine(r: AuditRecord): string {
  const given = Object.entries(r.flags).filter(([name]) => name !== 'config' && name !== 'state');
  const flags = given.map(([name, value]) => {
    const flag = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    return value === true ? `--${flag}` : value === false ? `--no-${flag}` : `--${flag} ${value}`;
  });
  return [r.command, ...r.args, ...flags].join(' ');
}

/** `created 2 (tg/bob, rule/bob); deleted 1 (record/carol)`, or `none`. */
function changes(r: AuditRecord): string {
  const by = new Map<string, string[]>();
  for (const c of r.resources) by.set(c.action, [...(by.get(c.action) ?? []), c.logicalId ?? c.resourceId ?? '?']);
  return [...by].map(([action, ids]) => `${action} ${ids.length} (${ids.join(', ')})`).join('; ') || 'none';
}
