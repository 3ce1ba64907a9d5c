import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeOwnerOnlyFile } from '../files.js';
import type { ResourceAction, ResourceEvent } from '../report.js';
import type { ResourceRecord } from './schema.js';

/** One resource a run created, changed or deleted, as its audit record names it. */
const auditResourceSchema = z.object({
  action: z.enum(['created', 'adopted', 'updated', 'replaced', 'deleted']),
  phase: z.string(),
  kind: z.string().optional(),
  logicalId: z.string().optional(),
  resourceId: z.string().optional(),
  developer: z.string().optional(),
});

/** What one run of a command that changes something leaves in the audit trail: written once, never rewritten. */
export const auditRecordSchema = z.object({
  /** `<startedAt, compact>-<random>`: sorts by time; the S3 object's name. */
  id: z.string(),
  /** The caller's ARN (STS), as the lock records it. */
  who: z.string(),
  host: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  /** `up`, `phase`, `credentials rotate` … */
  command: z.string(),
  /** Its arguments: a phase's or a developer's name. */
  args: z.array(z.string()),
  /** The flags given on the command line, those of the allow-list only (commands/audit-trail.ts). */
  flags: z.record(z.string(), z.union([z.string(), z.boolean()])),
  exitCode: z.number().int(),
  /** The state it worked on: the file's path, or s3://bucket/key. */
  state: z.string(),
  resources: z.array(auditResourceSchema),
});

export type AuditRecord = z.infer<typeof auditRecordSchema>;
export type AuditResource = z.infer<typeof auditResourceSchema>;

/** `20261206T074958123Z`: an ISO time that sorts as text and holds no `:` (a file name on any system). */
export const compactTime = (iso: string): string => iso.replace(/[-:.]/g, '');

/** The record's id: its start time first, so ids (and the S3 keys made of them) sort by time. */
export const auditId = (startedAt: string, random: string): string => `${compactTime(startedAt)}-${random}`;

/** Strongest first: a resource created and then fixed in the same run counts as created. */
const RANK: ResourceAction[] = ['adopted', 'updated', 'replaced', 'created', 'deleted'];

/**
 * What a run did to each resource, from the resource events it reported: each resource (logical id
 * and AWS id) once, by its strongest action; `kept` ones left out. Kind, AWS id and developer come
 * from the state as the run found it or left it where the event does not say; a resource the state
 * shows made, gone or replaced without an event is listed from the state.
 */
export function auditResources(
  events: readonly ResourceEvent[],
  before: Record<string, ResourceRecord>,
  after: Record<string, ResourceRecord>,
): AuditResource[] {
  const byResource = new Map<string, AuditResource>();
  for (const e of events) {
    if (e.action === 'kept') continue;
    const known = e.logicalId ? (after[e.logicalId] ?? before[e.logicalId]) : undefined;
    const earlier = e.logicalId ? before[e.logicalId] : undefined;
    const resourceId = e.resourceId ?? known?.id ?? earlier?.id;
    const entry: AuditResource = {
      action: e.action,
      phase: e.phase,
      ...optional('kind', e.kind ?? known?.kind),
      ...optional('logicalId', e.logicalId),
      ...optional('resourceId', resourceId),
      ...optional('developer', known?.developer ?? earlier?.developer),
    };
    const key = `${e.logicalId ?? ''}\0${resourceId ?? ''}`;
    const seen = byResource.get(key);
    if (!seen || RANK.indexOf(entry.action) > RANK.indexOf(seen.action)) byResource.set(key, entry);
  }
  // What the state recorded without an event saying so (a secret scheduled for deletion is told as a step).
  const told = new Set(events.map((e) => e.logicalId));
  for (const logicalId of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (told.has(logicalId)) continue;
    const [was, is] = [before[logicalId], after[logicalId]];
    const action = !was?.id ? 'created' : !is?.id ? 'deleted' : was.id !== is.id ? 'replaced' : undefined;
    if (!action || (action === 'created' && !is?.id)) continue;
    const record = (action === 'deleted' ? was : is)!;
    byResource.set(`${logicalId}\0${record.id}`, {
      action,
      phase: record.phase,
      kind: record.kind,
      logicalId,
      ...optional('resourceId', record.id),
      ...optional('developer', record.developer ?? was?.developer),
    });
  }
  return [...byResource.values()];
}

const optional = <K extends string>(key: K, value: string | undefined) =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;

/** Whether a record concerns `developer`: a resource of theirs changed, or an argument or flag names them. */
export function concerns(record: AuditRecord, developer: string): boolean {
  return (
    record.resources.some((r) => r.developer === developer) ||
    record.args.includes(developer) ||
    Object.values(record.flags).includes(developer)
  );
}

/** The audit trail of a local state: a JSON-lines file beside it (`devenv.state.json` → `devenv.state.audit.jsonl`). */
export const localAuditPath = (statePath: string): string =>
  /\.json$/.test(statePath) ? statePath.replace(/\.json$/, '.audit.jsonl') : `${statePath}.audit.jsonl`;

/** Appends one record as one line (one write, O_APPEND: runs appending at once never interleave within a line). */
export async function appendLocalAudit(path: string, record: AuditRecord): Promise<void> {
  await writeOwnerOnlyFile(path, `${JSON.stringify(record)}\n`, 'a');
}

/** The records of a local trail, oldest first; a line that is not a record is skipped and counted. */
export async function readLocalAudit(path: string): Promise<{ records: AuditRecord[]; unreadable: number }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { records: [], unreadable: 0 };
    throw err;
  }
  const records: AuditRecord[] = [];
  let unreadable = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const record = parseAuditRecord(line);
    if (record) records.push(record);
    else unreadable++;
  }
  return { records, unreadable };
}

/** A record from its JSON text; `undefined` when it is not one. */
export function parseAuditRecord(text: string): AuditRecord | undefined {
  try {
    const parsed = auditRecordSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
