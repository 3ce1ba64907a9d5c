import { createHash } from 'node:crypto';
import { AmbiguousResourceError, DevenvError, messageOf } from '../errors.js';
import type { AwsContext } from './context.js';
import type { Change, Row } from '../report.js';
import type { ResourceRecord } from '../state/schema.js';
import { isInconclusive, isNotFound } from './errors.js';
import { CREATE_VISIBILITY, retryWithin } from './retry.js';
import { formatDuration } from '../duration.js';

/**
 * How to find, describe and create one AWS resource. Phases describe their resources with
 * this and let `ensureResource` apply the resource rule (DESIGN.md), so no phase writes it again.
 */
export interface ResourceSpec<T> {
  /** State key and `devenv:resource` tag: `vpc`, `subnet/a`, `tg/alice` … */
  logicalId: string;
  /** For people: "VPC", "security group". */
  kind: string;
  developer?: string;
  /** The live resource with this id, or `undefined` when AWS says it does not exist (or it is being deleted). */
  describe(id: string): Promise<T | undefined>;
  /** Every live resource carrying this resource's devenv tags or deterministic name. */
  find(): Promise<T[]>;
  /** Creates it with its tags in the same call; `token` is the idempotency token for APIs that take one. */
  create(token: string): Promise<T>;
  /**
   * `false` for a create that takes no idempotency token (CreateVpc, CreateSecurityGroup …):
   * `create` sends it on a client the SDK retries only when throttled (`ctx.aws.ec2Untokened`),
   * and after a failure that may have been carried out (a timeout, a 5xx) the rule looks for
   * what the call may have made before creating again.
   */
  idempotent?: false;
  /** The create's error that means "it exists already" (a name taken): look for it again and adopt it. */
  alreadyExists?(err: unknown): boolean;
  idOf(resource: T): string;
  /** Facts worth keeping in the state (a public IP, a DNS name). */
  attrs?(resource: T): ResourceRecord['attrs'];
  /**
   * Called when the recorded resource is gone and the tag search finds none either, before a new
   * one is made in its place. Throw to stop instead: a data volume is never silently replaced by an empty one.
   */
  onVanished?(knownId: string): Promise<void>;
}

export type ResourceOutcome = 'kept' | 'adopted' | 'created';

/** What the resource rule needs of a Context. */
type RuleContext = Pick<AwsContext, 'state' | 'report' | 'phase' | 'clock' | 'signal'>;

/**
 * The resource rule: known → find by tags or name → create tagged, recording the id before the
 * next call. A known id that describes as missing is forgotten only after the tag search also
 * misses (AWS is eventually consistent); two matches stop the run and name both.
 */
export async function ensureResource<T>(
  ctx: RuleContext,
  spec: ResourceSpec<T>,
): Promise<{ resource: T; outcome: ResourceOutcome }> {
  const known = ctx.state.resource(spec.logicalId);
  if (known?.id) {
    const live = await describeOrUndefined(spec, known.id);
    if (live) {
      await recordAttrs(ctx, spec, known, live);
      ctx.report.resource({ action: 'kept', logicalId: spec.logicalId, kind: spec.kind, resourceId: known.id });
      return { resource: live, outcome: 'kept' };
    }
  }
  const found = await findOne(spec);
  if (found) {
    const id = spec.idOf(found);
    await ctx.state.setResource(spec.logicalId, { ...baseRecord(ctx, spec, known), id, ...attrsOf(spec, found) });
    ctx.report.resource({
      action: 'adopted',
      logicalId: spec.logicalId,
      kind: spec.kind,
      resourceId: id,
      message: `adopted ${spec.kind} ${id}${known?.id && known.id !== id ? ` (the recorded ${known.id} is gone)` : ''}`,
    });
    return { resource: found, outcome: 'adopted' };
  }
  const record = { ...baseRecord(ctx, spec, known), id: undefined };
  if (known?.id) {
    await spec.onVanished?.(known.id);
    ctx.report.warn(`${spec.kind} ${known.id} no longer exists (deleted outside devenv?); creating a new one`);
    // Its token made the resource that is gone: reusing it would return that one, or be refused.
    record.generation = (known.generation ?? 0) + 1;
    delete record.token;
  }
  record.token ??= deriveToken(ctx, spec.logicalId, record.generation ?? 0);
  await ctx.state.setResource(spec.logicalId, record); // the token is saved before the call that uses it
  const made = await createOrFind(ctx, spec, record.token);
  const id = spec.idOf(made.resource);
  await ctx.state.setResource(spec.logicalId, { ...record, id, ...attrsOf(spec, made.resource) });
  ctx.report.resource({
    action: made.outcome,
    logicalId: spec.logicalId,
    kind: spec.kind,
    resourceId: id,
    message: `${made.outcome} ${spec.kind} ${id}`,
  });
  return made;
}

/** Creates of a resource without a token, each after the last one's tag search found nothing. */
const UNTOKENED_CREATES = 3;

/**
 * `spec.create`, and what a failed create may mean: with `alreadyExists`, that the resource is
 * there to adopt; for a create without a token (`idempotent: false`) after a timeout or a 5xx,
 * that AWS may have made it anyway, so it is looked for (by `find`, for a bounded time) before
 * being created again. Exported for creates outside the rule (a final snapshot).
 */
export async function createOrFind<T>(
  ctx: Pick<RuleContext, 'report' | 'clock' | 'signal'>,
  spec: Pick<ResourceSpec<T>, 'kind' | 'find' | 'create' | 'idOf' | 'idempotent' | 'alreadyExists'>,
  token = '',
): Promise<{ resource: T; outcome: 'created' | 'adopted' }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { resource: await spec.create(token), outcome: 'created' };
    } catch (err) {
      if (spec.alreadyExists?.(err)) {
        const existing = await lookAgain(ctx, spec);
        if (!existing) throw notFoundAfter(spec, err, `AWS says the ${spec.kind} already exists (${messageOf(err)})`);
        ctx.report.warn(`${spec.kind} already exists (${messageOf(err)}): using ${spec.idOf(existing)}`);
        return { resource: existing, outcome: 'adopted' };
      }
      if (spec.idempotent !== false || !isInconclusive(err)) throw err;
      const made = await lookAgain(ctx, spec);
      if (made) {
        ctx.report.warn(
          `creating the ${spec.kind} failed (${messageOf(err)}), but AWS made it: using ${spec.idOf(made)}`,
        );
        return { resource: made, outcome: 'adopted' };
      }
      if (attempt >= UNTOKENED_CREATES)
        throw notFoundAfter(spec, err, `creating the ${spec.kind} failed ${attempt} times (last: ${messageOf(err)})`);
      ctx.report.warn(
        `creating the ${spec.kind} failed (${messageOf(err)}) and no ${spec.kind} it may have made showed up; ` +
          `creating it again`,
      );
    }
  }
}

class NotFoundYet extends Error {}

/** `find`, again and again within CREATE_VISIBILITY until it shows something; `undefined` if it never does. */
async function lookAgain<T>(
  ctx: Pick<RuleContext, 'report' | 'clock' | 'signal'>,
  spec: Pick<ResourceSpec<T>, 'kind' | 'find' | 'idOf'>,
): Promise<T | undefined> {
  try {
    return await retryWithin(
      CREATE_VISIBILITY,
      (err) => err instanceof NotFoundYet,
      async () => {
        const found = await findOne(spec);
        if (!found) throw new NotFoundYet(`no ${spec.kind} found by its tags yet`);
        return found;
      },
      {
        clock: ctx.clock,
        signal: ctx.signal,
        onRetry: (message) => ctx.report.progress(`looking for the ${spec.kind}: ${message}`),
      },
    );
  } catch (err) {
    if (err instanceof NotFoundYet) return undefined;
    throw err;
  }
}

function notFoundAfter(spec: Pick<ResourceSpec<unknown>, 'kind'>, cause: unknown, what: string): DevenvError {
  return new DevenvError(
    'aws',
    `${what}, and looking for it by its tags or name for ${formatDuration(CREATE_VISIBILITY.windowMs)} found none`,
    {
      remedy:
        `run the same command again in a few minutes: by then AWS's searches have caught up, and ` +
        `a ${spec.kind} devenv made is found by its tags and adopted, not made twice`,
      cause,
    },
  );
}

/** What `ensureResource` would do, without doing it: for `devenv plan`. */
export async function probeResource<T>(
  ctx: RuleContext,
  spec: ResourceSpec<T>,
): Promise<{ action: 'keep' | 'adopt' | 'create'; resource?: T; id?: string }> {
  const known = ctx.state.resource(spec.logicalId);
  if (known?.id) {
    const live = await describeOrUndefined(spec, known.id);
    if (live) return { action: 'keep', resource: live, id: known.id };
  }
  const found = await findOne(spec);
  if (found) return { action: 'adopt', resource: found, id: spec.idOf(found) };
  return { action: 'create' };
}

/**
 * One live read of a resource, as the resource rule would find it: its plan line (keep, adopt or
 * create) with the live resource attached, from which `rowOf` makes its status row.
 */
export async function inspectResource<T>(
  ctx: RuleContext,
  spec: ResourceSpec<T>,
  name?: string,
): Promise<Change & { resource?: T }> {
  const p = await probeResource(ctx, spec);
  return {
    phase: ctx.phase as Change['phase'],
    action: p.action,
    logicalId: spec.logicalId,
    kind: spec.kind,
    name,
    id: p.id,
    resource: p.resource,
  };
}

/** A status row for a resource from what `inspectResource` read (no second read): its live state, or `missing`. */
export function rowOf<T>(
  probed: Change & { resource?: T },
  stateOf: (r: T) => string,
  detail?: (r: T) => string | undefined,
): Row {
  const row: Row = {
    phase: probed.phase,
    logicalId: probed.logicalId,
    kind: probed.kind,
    id: probed.id,
    state: 'missing',
  };
  const live = probed.resource;
  if (!live) return row;
  return {
    ...row,
    state: probed.action === 'adopt' ? `${stateOf(live)} (not in state)` : stateOf(live),
    detail: detail?.(live),
  };
}

/**
 * Deletes a resource: the recorded id and anything else its tags find (so a lost state file
 * leaves nothing behind). NotFound counts as done. Once all are gone the record keeps only its
 * next generation, so creating it again later never reuses a token AWS may still remember.
 */
export async function removeResource<T>(
  ctx: RuleContext,
  spec: ResourceSpec<T>,
  remove: (id: string, resource?: T) => Promise<void>,
): Promise<string[]> {
  const known = ctx.state.resource(spec.logicalId);
  const found = await spec.find();
  const targets = new Map<string, T | undefined>(found.map((r) => [spec.idOf(r), r]));
  if (known?.id && !targets.has(known.id)) targets.set(known.id, undefined);
  for (const [id, resource] of targets) {
    try {
      await remove(id, resource);
      ctx.report.resource({
        action: 'deleted',
        logicalId: spec.logicalId,
        kind: spec.kind,
        resourceId: id,
        message: `deleted ${spec.kind} ${id}`,
      });
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }
  if (known?.id || known?.token || targets.size > 0) await bumpGeneration(ctx, spec.logicalId);
  return [...targets.keys()];
}

async function describeOrUndefined<T>(spec: ResourceSpec<T>, id: string): Promise<T | undefined> {
  try {
    return await spec.describe(id);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

async function findOne<T>(spec: Pick<ResourceSpec<T>, 'kind' | 'find' | 'idOf'>): Promise<T | undefined> {
  const found = await spec.find();
  if (found.length > 1)
    throw new AmbiguousResourceError(
      spec.kind,
      found.map((r) => spec.idOf(r)),
    );
  return found[0];
}

function baseRecord(ctx: RuleContext, spec: ResourceSpec<unknown>, known?: ResourceRecord): ResourceRecord {
  return {
    kind: spec.kind,
    phase: ctx.phase,
    ...(spec.developer ? { developer: spec.developer } : {}),
    ...(known?.token ? { token: known.token } : {}),
    ...(known?.generation ? { generation: known.generation } : {}),
  };
}

function attrsOf<T>(spec: ResourceSpec<T>, resource: T): Pick<ResourceRecord, 'attrs'> {
  const attrs = spec.attrs?.(resource);
  return attrs && Object.keys(attrs).length > 0 ? { attrs } : {};
}

async function recordAttrs<T>(ctx: RuleContext, spec: ResourceSpec<T>, known: ResourceRecord, live: T): Promise<void> {
  const { attrs } = attrsOf(spec, live);
  if (attrs && JSON.stringify(attrs) !== JSON.stringify(known.attrs))
    await ctx.state.setResource(spec.logicalId, { ...known, attrs });
}

/**
 * A stable idempotency token: the same state file, resource and generation give the same token on
 * every run (the SDK's own token covers only its own retries, not a rerun after a crash). The
 * state's creation time and the generation make a resource created again after a destroy get a
 * new token: AWS remembers a RunInstances token for 24 h after termination and would answer with
 * the dead instance. 32 hex characters fit every API: ACM's `\w{1,32}`, Secrets Manager's 32–64.
 */
export function deriveToken(ctx: Pick<AwsContext, 'state'>, logicalId: string, generation: number): string {
  const { project, region, account = '', createdAt } = ctx.state.data;
  return createHash('sha256')
    .update([project, account, region, createdAt, logicalId, String(generation)].join('\0'))
    .digest('hex')
    .slice(0, 32);
}

/** Starts a fresh generation of a resource (a replaced host): the next create gets a new token. */
export async function bumpGeneration(ctx: RuleContext, logicalId: string): Promise<void> {
  const known = ctx.state.resource(logicalId);
  const generation = (known?.generation ?? 0) + 1;
  await ctx.state.setResource(logicalId, {
    kind: known?.kind ?? logicalId,
    phase: ctx.phase,
    ...(known?.developer ? { developer: known.developer } : {}),
    generation,
  });
}
