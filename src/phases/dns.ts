import type { ResourceRecordSet, Change as RecordChange } from '@aws-sdk/client-route-53';
import { probeResource } from '../aws/resource.js';
import { aliasTargetName, sharedNameFix, takenNames, takenText as takenSentence } from '../aws/route53/owners.js';
import {
  changeRecords,
  deletion,
  describeTarget,
  normalName,
  recordsNamed,
  recordsUnder,
  upsert,
} from '../aws/route53/records.js';
import { LOAD_BALANCER, recordId } from '../blueprint/edge.js';
import type { Developer } from '../config/model.js';
import { DevenvError } from '../errors.js';
import { lbSpec } from './alb/world.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/**
 * dns: one alias A record per developer to the load balancer, all written in one batch. Records
 * carry no tags: a record is devenv's when it aliases this load balancer or the state records it.
 * A record that aliases another devenv project's load balancer (two projects in one zone) is that
 * project's and is never touched; any other record of a developer's name is left alone unless
 * `--take-over-dns`.
 */

interface AliasTarget {
  dnsName: string;
  zoneId: string;
}

type Decision =
  | { developer: Developer; action: 'keep'; live: ResourceRecordSet }
  | { developer: Developer; action: 'create' }
  /** `live`: what holds the name now: replaced (ours), or taken over (not ours, with --take-over-dns). */
  | { developer: Developer; action: 'update'; live: ResourceRecordSet[] }
  | Foreign
  | Taken;
type Foreign = { developer: Developer; action: 'foreign'; live: ResourceRecordSet[] };
/** The name is another devenv project's: an alias to its load balancer. */
type Taken = { developer: Developer; action: 'taken'; project: string; live: ResourceRecordSet[] };

/** Alias target (load balancer DNS name) → the other devenv project it belongs to. */
type Owners = Map<string, string>;

const PHASE = 'dns';
/** A removed record's logical id, from its name: `record/alice` for alice.dev.example.com. */
const recordIdOf = (r: ResourceRecordSet) => recordId(normalName(r.Name!).split('.')[0]);
const aliasName = (r: ResourceRecordSet) => aliasTargetName(r.AliasTarget?.DNSName ?? '');
const ownerOf = (r: ResourceRecordSet, owners: Owners) => (r.AliasTarget ? owners.get(aliasName(r)) : undefined);
const aliasesTo = (r: ResourceRecordSet, to: AliasTarget) => r.Type === 'A' && aliasName(r) === normalName(to.dnsName);
/** The record types that can share a name with devenv's A record only by replacing it. */
const CLASHING = new Set(['A', 'AAAA', 'CNAME']);

function recordedTarget(ctx: Context): AliasTarget | undefined {
  const attrs = ctx.state.resource(LOAD_BALANCER)?.attrs;
  return attrs?.dnsName ? { dnsName: String(attrs.dnsName), zoneId: String(attrs.canonicalHostedZoneId) } : undefined;
}

/** The load balancer the records point to: as the alb phase recorded it, or found by its name (a lost state). */
async function aliasTarget(ctx: Context): Promise<AliasTarget | undefined> {
  const recordedOne = recordedTarget(ctx);
  if (recordedOne) return recordedOne;
  const lb = (await probeResource(ctx, lbSpec(ctx))).resource;
  return lb ? { dnsName: lb.DNSName!, zoneId: lb.CanonicalHostedZoneId! } : undefined;
}

const aliasRecord = (d: Developer, to: AliasTarget): ResourceRecordSet => ({
  Name: d.hostname,
  Type: 'A',
  AliasTarget: { DNSName: to.dnsName, HostedZoneId: to.zoneId, EvaluateTargetHealth: true },
});

/**
 * Which other devenv projects the alias records devenv might touch belong to: those at a
 * developer's name or recorded in the state that do not alias this load balancer. Asked only
 * when there are such records.
 */
async function otherProjects(ctx: Context, live: ResourceRecordSet[], to: AliasTarget | undefined): Promise<Owners> {
  const names = new Set([
    ...ctx.model.developers.map((d) => normalName(d.hostname)),
    ...ctx.state.resourcesOf(PHASE).map(([, r]) => normalName(r.id ?? '')),
  ]);
  const taken = await takenNames(ctx, live, {
    names,
    project: ctx.model.project,
    ...(to ? { ours: to.dnsName } : {}),
  });
  return new Map(taken.map((t) => [aliasName(t.record), t.project]));
}

function decide(ctx: Context, d: Developer, live: ResourceRecordSet[], to: AliasTarget, owners: Owners): Decision {
  const here = recordsNamed(live, d.hostname).filter((r) => CLASHING.has(r.Type!));
  if (here.length === 0) return { developer: d, action: 'create' };
  const ours = here.find((r) => aliasesTo(r, to));
  if (
    ours &&
    here.length === 1 &&
    ours.AliasTarget?.EvaluateTargetHealth &&
    ours.AliasTarget.HostedZoneId === to.zoneId
  )
    return { developer: d, action: 'keep', live: ours };
  const project = here.map((r) => ownerOf(r, owners)).find((p) => p !== undefined);
  if (project) return { developer: d, action: 'taken', project, live: here };
  const mine = ours !== undefined || ctx.state.resource(recordId(d.name)) !== undefined;
  return { developer: d, action: mine ? 'update' : 'foreign', live: here };
}

/**
 * Records of developers no longer in the config: named in the state, or aliasing this load balancer under baseDomain;
 * never another project's.
 */
function removedRecords(
  ctx: Context,
  live: ResourceRecordSet[],
  to: AliasTarget | undefined,
  owners: Owners,
): ResourceRecordSet[] {
  const current = new Set(ctx.model.developers.map((d) => normalName(d.hostname)));
  const recordedNames = new Set(ctx.state.resourcesOf(PHASE).map(([, r]) => normalName(r.id ?? '')));
  return live.filter(
    (r) =>
      r.Type === 'A' &&
      !current.has(normalName(r.Name!)) &&
      !ownerOf(r, owners) &&
      ((to && aliasesTo(r, to)) || (recordedNames.has(normalName(r.Name!)) && r.AliasTarget)),
  );
}

const takenText = (t: Taken) => takenSentence(t.developer.hostname, t.project, t.live);

/**
 * Another project's names stop the run whatever the flags; names devenv did not make stop it unless `--take-over-dns`.
 */
function conflictError(ctx: Context, taken: Taken[], foreign: Foreign[]): DevenvError {
  const foreignText = foreign
    .map((f) => `${f.developer.hostname} (${f.live.map(describeTarget).join('; ')})`)
    .join(', ');
  if (taken.length === 0) {
    return new DevenvError(
      'phase',
      `DNS records devenv did not make already hold ${foreignText}; nothing was changed`,
      {
        remedy:
          'check that nothing else serves these names; then run `devenv up --take-over-dns` to ' +
          'replace them with aliases to the load balancer, or remove those developers',
      },
    );
  }
  const also = foreign.length ? `; DNS records devenv did not make hold ${foreignText}` : '';
  return new DevenvError(
    'phase',
    `${taken.map(takenText).join('; ')}: two projects cannot serve one name${also}; nothing was changed`,
    {
      remedy: sharedNameFix({
        project: ctx.model.project,
        baseDomain: ctx.config.baseDomain,
        developers: taken.map((t) => t.developer.name),
        others: taken.map((t) => t.project),
      }),
    },
  );
}

function changesFor(decisions: Decision[], to: AliasTarget, removed: ResourceRecordSet[]): RecordChange[] {
  const changes: RecordChange[] = [];
  for (const d of decisions) {
    if (d.action === 'keep') continue;
    // An UPSERT of an A record cannot replace a CNAME or an AAAA of the same name: those are deleted in the same batch.
    if (d.action !== 'create') changes.push(...d.live.filter((r) => r.Type !== 'A').map(deletion));
    changes.push(upsert(aliasRecord(d.developer, to)));
  }
  return [...changes, ...removed.map(deletion)];
}

async function apply(ctx: Context): Promise<void> {
  const to = recordedTarget(ctx);
  if (!to)
    throw new DevenvError('phase', 'dns needs the load balancer, but the state records none', {
      remedy: 'run `devenv phase alb` (or `devenv up`) first',
    });
  const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const owners = await otherProjects(ctx, live, to);
  const decisions = ctx.model.developers.map((d) => decide(ctx, d, live, to, owners));
  const taken = decisions.filter((d): d is Taken => d.action === 'taken');
  const foreign = decisions.filter((d): d is Foreign => d.action === 'foreign');
  if (taken.length || (foreign.length && !ctx.options.takeOverDns))
    throw conflictError(ctx, taken, ctx.options.takeOverDns ? [] : foreign);
  const removed = removedRecords(ctx, live, to, owners);
  await changeRecords(
    ctx,
    ctx.config.hostedZoneId,
    changesFor(decisions, to, removed),
    `devenv ${ctx.model.project}: developer records`,
  );
  for (const d of decisions) {
    const base = { logicalId: recordId(d.developer.name), kind: 'DNS record', resourceId: d.developer.hostname };
    if (d.action === 'keep') ctx.report.resource({ action: 'kept', ...base });
    else
      ctx.report.resource({
        action: d.action === 'create' ? 'created' : 'updated',
        ...base,
        message: `${d.action === 'create' ? 'created' : 'replaced'} ${d.developer.hostname} → ${to.dnsName}`,
      });
  }
  for (const r of removed)
    ctx.report.resource({
      action: 'deleted',
      logicalId: recordIdOf(r),
      kind: 'DNS record',
      resourceId: normalName(r.Name!),
      message: `deleted ${normalName(r.Name!)} (no longer a developer)`,
    });
  // All at once: their saves share one write (one S3 PutObject for a state in S3, not one per developer).
  await Promise.all(decisions.map((d) => recordDecision(ctx, d, to)));
  for (const [logicalId, r] of ctx.state.resourcesOf(PHASE))
    if (!ctx.model.developers.some((d) => recordId(d.name) === logicalId) || !r.id) await ctx.state.forget(logicalId);
}

async function recordDecision(ctx: Context, d: Decision, to: AliasTarget): Promise<void> {
  const logicalId = recordId(d.developer.name);
  const record = {
    kind: 'DNS record',
    phase: PHASE,
    developer: d.developer.name,
    id: d.developer.hostname,
    attrs: { target: to.dnsName },
  };
  if (JSON.stringify(ctx.state.resource(logicalId)) !== JSON.stringify(record))
    await ctx.state.setResource(logicalId, record);
}

/**
 * One read for `plan` and `status`: the load balancer's alias target and every record under the base domain, in one
 * listing.
 */
async function inspect(ctx: Context): Promise<Inspection> {
  const to = await aliasTarget(ctx);
  const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const owners = await otherProjects(ctx, live, to);
  const target = to ?? { dnsName: 'the load balancer (to be created)', zoneId: '' };
  const decisions = ctx.model.developers.map((d) => decide(ctx, d, live, target, owners));
  for (const t of decisions.filter((d): d is Taken => d.action === 'taken')) {
    const fix = sharedNameFix({
      project: ctx.model.project,
      baseDomain: ctx.config.baseDomain,
      developers: [t.developer.name],
      others: [t.project],
    });
    ctx.report.warn(`${takenText(t)}: \`up\` stops there; ${fix}`);
  }
  const changes = decisions.map((decision): Change => {
    const d = decision.developer;
    const base = { phase: PHASE, logicalId: recordId(d.name), kind: 'DNS record', name: d.hostname } as const;
    if (decision.action === 'create') return { ...base, action: 'create', detail: `A alias → ${target.dnsName}` };
    if (decision.action === 'keep')
      return { ...base, action: 'keep', id: d.hostname, detail: describeTarget(decision.live) };
    const now = decision.live.map(describeTarget).join('; ');
    if (decision.action === 'update')
      return { ...base, action: 'update', id: d.hostname, detail: `${now} → A alias ${target.dnsName}` };
    if (decision.action === 'taken') {
      const refusal = `devenv project "${decision.project}"'s: ${now}; up refuses: two projects cannot serve one name`;
      return { ...base, action: 'keep', id: d.hostname, detail: refusal, blocked: refusal };
    }
    if (ctx.options.takeOverDns)
      return { ...base, action: 'replace', id: d.hostname, detail: `not devenv's: ${now}; taken over` };
    const refusal = `not devenv's: ${now}; up refuses to overwrite it without --take-over-dns`;
    return { ...base, action: 'keep', id: d.hostname, detail: refusal, blocked: refusal };
  });
  const removed = removedRecords(ctx, live, to, owners).map(
    (r): Change => ({
      phase: PHASE,
      action: 'delete',
      logicalId: recordIdOf(r),
      kind: 'DNS record',
      name: normalName(r.Name!),
      detail: describeTarget(r),
    }),
  );
  const rows = decisions.map((decision): Row => {
    const d = decision.developer;
    const here = recordsNamed(live, d.hostname).filter((r) => CLASHING.has(r.Type!));
    const state =
      here.length === 0
        ? 'missing'
        : here.some((r) => to && aliasesTo(r, to))
          ? 'in sync'
          : decision.action === 'taken'
            ? `project ${decision.project}'s`
            : 'points elsewhere';
    // What is wrong with a record that points elsewhere is what `plan` says about it (an update, or a conflict `up`
    // stops at).
    return {
      phase: PHASE,
      logicalId: recordId(d.name),
      kind: 'DNS record',
      id: here.length ? d.hostname : undefined,
      state,
      detail: here.map(describeTarget).join('; ') || d.hostname,
    };
  });
  return { changes: [...changes, ...removed], rows };
}

/** Every developer record of this load balancer (current or removed developers), in one batch. */
async function destroy(ctx: Context): Promise<void> {
  const to = await aliasTarget(ctx);
  const live = await recordsUnder(ctx, ctx.config.hostedZoneId, ctx.config.baseDomain);
  const recordedNames = new Set(ctx.state.resourcesOf(PHASE).map(([, r]) => normalName(r.id ?? '')));
  const owners = to ? new Map<string, string>() : await otherProjects(ctx, live, to);
  const ours = live.filter(
    (r) =>
      r.Type === 'A' &&
      ((to && aliasesTo(r, to)) ||
        (recordedNames.has(normalName(r.Name!)) && r.AliasTarget && to === undefined && !ownerOf(r, owners))),
  );
  await changeRecords(
    ctx,
    ctx.config.hostedZoneId,
    ours.map(deletion),
    `devenv ${ctx.model.project}: developer records removed`,
  );
  for (const r of ours)
    ctx.report.resource({
      action: 'deleted',
      logicalId: recordIdOf(r),
      kind: 'DNS record',
      resourceId: normalName(r.Name!),
      message: `deleted DNS record ${normalName(r.Name!)}`,
    });
  for (const [logicalId] of ctx.state.resourcesOf(PHASE)) await ctx.state.forget(logicalId);
}

const phase: Phase = { name: PHASE, apply, destroy, ...fromInspection(inspect) };
export default phase;
