import {
  CreateSecretCommand,
  DeleteSecretCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { PER_DEVELOPER_CONCURRENCY, mapLimit } from '../aws/concurrency.js';
import { isNotFound } from '../aws/errors.js';
import {
  findSecret,
  isNameTaken,
  listProjectSecrets,
  readSecretValue,
  sendWithValue,
  type SecretInfo,
} from '../aws/find/secrets.js';
import { bumpGeneration, ensureResource, inspectResource, rowOf, type ResourceSpec } from '../aws/resource.js';
import { allocationTags, requireProjectTag, TAG, tagList, tagValue } from '../config/tags.js';
import { developerSecrets, type DeveloperSecret } from '../blueprint/identity.js';
import { DevenvError } from '../errors.js';
import { ApiKeyReader } from '../secrets/api-keys.js';
import { generatePassword } from '../secrets/password.js';
import { fromInspection, type Purpose } from './inspection.js';
import type { Change, Context, Inspection, Phase } from './types.js';

const day = (d: Date | undefined) => d?.toISOString().slice(0, 10) ?? 'an unknown date';
const isOurs = (s: SecretInfo) => tagValue(s.Tags, TAG.resource)?.startsWith('secret/') ?? false;

const isApiKey = (w: DeveloperSecret) => w.holds === 'anthropic-api-key';

/** Each secret also records its developer's port and priority in its tags: the copy that outlives a lost state. */
function wanted(ctx: Context): DeveloperSecret[] {
  return developerSecrets(ctx.model).map((w) => ({
    ...w,
    planned: { ...w.planned, tags: { ...w.planned.tags, ...allocationTags(w.developer) } },
  }));
}

/** The allocation tags a secret lacks or carries with another value; empty when it records the allocation already. */
function staleAllocationTags(w: DeveloperSecret, s: SecretInfo): { Key: string; Value: string }[] {
  return tagList(allocationTags(w.developer)).filter((t) => tagValue(s.Tags, t.Key) !== t.Value);
}

/**
 * Found by its name with DescribeSecret, which (unlike ListSecrets) is consistent and also shows
 * a secret scheduled for deletion: such a one is returned with `DeletedDate`, to be restored.
 */
function secretSpec(ctx: Context, w: DeveloperSecret, value: () => Promise<string>): ResourceSpec<SecretInfo> {
  const sm = ctx.aws.secrets;
  const p = w.planned;
  const owned = async (id: string) => {
    const found = await findSecret(sm, id);
    if (found) requireProjectTag(ctx.model.project, found.Tags, `secret ${p.name}`);
    return found;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    developer: w.developer.name,
    describe: owned,
    find: async () => [await owned(p.name)].filter((s): s is SecretInfo => s !== undefined),
    create: async (token) => {
      const secret = await value();
      const what = isApiKey(w) ? 'Anthropic API key' : 'code-server password';
      const description = `devenv ${ctx.model.project}: ${what} of ${w.developer.name}`;
      const input = {
        Name: p.name,
        SecretString: secret,
        ClientRequestToken: token,
        Description: description,
        Tags: tagList(p.tags),
      };
      return sendWithValue(() => sm.send(new CreateSecretCommand(input)), secret);
    },
    idOf: (s) => s.ARN!,
    attrs: () => ({ name: p.name }),
  };
}

async function ensureSecret(ctx: Context, w: DeveloperSecret, keys: ApiKeyReader, listed: SecretInfo[]): Promise<void> {
  const spec = listedSecretSpec(ctx, w, listed, async () =>
    isApiKey(w) ? keys.read(w.developer) : generatePassword(),
  );
  let result: Awaited<ReturnType<typeof ensureResource<SecretInfo>>>;
  try {
    result = await ensureResource(ctx, spec);
  } catch (err) {
    if (!isNameTaken(err)) throw err;
    // The name is held by a secret the find did not see yet (DescribeSecret lagging a delete or a create).
    const holder = await findSecret(ctx.aws.secrets, w.planned.name);
    if (!holder)
      throw new DevenvError('aws', `secret ${w.planned.name} is still being deleted`, {
        remedy: 'run again in a minute: force deletion is asynchronous',
        cause: err,
      });
    result = await ensureResource(ctx, spec);
  }
  const secret = result.resource;
  if (secret.DeletedDate) {
    await ctx.aws.secrets.send(new RestoreSecretCommand({ SecretId: secret.ARN }));
    ctx.report.resource({
      action: 'updated',
      logicalId: spec.logicalId,
      kind: spec.kind,
      resourceId: secret.ARN,
      message: `restored secret ${w.planned.name}: it was scheduled for deletion on ${day(secret.DeletedDate)}`,
    });
  }
  const stale = result.outcome === 'created' ? [] : staleAllocationTags(w, secret); // created with them
  if (stale.length > 0) {
    // After any restore: a secret scheduled for deletion cannot be tagged.
    await ctx.aws.secrets.send(new TagResourceCommand({ SecretId: secret.ARN, Tags: stale }));
    ctx.report.resource({
      action: 'updated',
      logicalId: w.planned.logicalId,
      message:
        `tagged secret ${w.planned.name} with ${w.developer.name}'s port ${w.developer.port} and ` +
        `priority ${w.developer.priority}`,
    });
  }
  if (isApiKey(w) && result.outcome !== 'created') await syncApiKey(ctx, w, secret.ARN!, await keys.read(w.developer));
}

async function syncApiKey(ctx: Context, w: DeveloperSecret, arn: string, value: string): Promise<void> {
  if ((await readSecretValue(ctx.aws.secrets, arn)) === value) return;
  await sendWithValue(
    () => ctx.aws.secrets.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value })),
    value,
  );
  ctx.report.resource({
    action: 'updated',
    logicalId: w.planned.logicalId,
    kind: w.planned.kind,
    resourceId: arn,
    message: `updated secret ${w.planned.name}: the key at its source changed`,
  });
}

/**
 * This project's secrets that no wanted secret accounts for: the tag sweep, plus state records
 * and extra names ListSecrets may not show yet (it is eventually consistent).
 */
async function unwanted(
  ctx: Context,
  keep: Set<string>,
  extraIds: string[],
  includeDeleted: boolean,
  known?: SecretInfo[],
): Promise<SecretInfo[]> {
  const all = known ?? (await listProjectSecrets(ctx.aws.secrets, ctx.model.project, includeDeleted));
  const listed = all.filter((s) => isOurs(s) && (includeDeleted || !s.DeletedDate));
  const seen = new Set(listed.flatMap((s) => [s.ARN, s.Name]));
  const extra: SecretInfo[] = [];
  for (const id of extraIds) {
    if (seen.has(id)) continue;
    const s = await findSecret(ctx.aws.secrets, id);
    if (
      !s ||
      seen.has(s.ARN) ||
      !isOurs(s) ||
      tagValue(s.Tags, TAG.project) !== ctx.model.project ||
      (s.DeletedDate && !includeDeleted)
    )
      continue;
    seen.add(s.ARN).add(s.Name);
    extra.push(s);
  }
  return [...listed, ...extra].filter((s) => !keep.has(tagValue(s.Tags, TAG.resource)!));
}

/** How a user gets a secret back that apply or destroy scheduled for deletion. */
function restoreHint(ctx: Context, s: SecretInfo, destroying: boolean): string {
  const developer = tagValue(s.Tags, TAG.developer);
  if (destroying) return 'by running `devenv up`';
  if (developer && ctx.model.developers.some((d) => d.name === developer))
    return `by giving ${developer} an anthropicApiKey again and running \`devenv up\``;
  return `by adding ${developer ?? 'its developer'} back to the config and running \`devenv up\``;
}

async function deleteSecret(ctx: Context, s: SecretInfo, force: boolean, destroying: boolean): Promise<void> {
  const days = ctx.config.secrets.recoveryWindowDays;
  try {
    const input = force
      ? { SecretId: s.ARN, ForceDeleteWithoutRecovery: true }
      : { SecretId: s.ARN, RecoveryWindowInDays: days };
    const out = await ctx.aws.secrets.send(new DeleteSecretCommand(input));
    ctx.report.step(
      force
        ? `deleted secret ${s.Name} without recovery (--force-delete-secrets)`
        : `scheduled secret ${s.Name} for deletion in ${days} days: restorable until ` +
            `${day(out.DeletionDate)} ${restoreHint(ctx, s, destroying)}`,
    );
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const logicalId = tagValue(s.Tags, TAG.resource);
  if (logicalId && ctx.state.resource(logicalId)) await bumpGeneration(ctx, logicalId);
}

async function apply(ctx: Context): Promise<void> {
  const keys = new ApiKeyReader(ctx.config, ctx.env);
  const all = wanted(ctx);
  // a missing key source fails before anything changes
  for (const w of all) if (isApiKey(w)) await keys.read(w.developer);
  // One listing for every developer's secret (and the unwanted ones), not a DescribeSecret each.
  const listed = await listProjectSecrets(ctx.aws.secrets, ctx.model.project, true);
  await mapLimit(all, PER_DEVELOPER_CONCURRENCY, (w) => ensureSecret(ctx, w, keys, listed));
  const keep = new Set(all.map((w) => w.planned.logicalId));
  const stale = ctx.state
    .resourcesOf('secrets')
    .filter(([id, r]) => !keep.has(id) && r.id)
    .map(([, r]) => r.id!);
  await mapLimit(await unwanted(ctx, keep, stale, false, listed), PER_DEVELOPER_CONCURRENCY, (s) =>
    deleteSecret(ctx, s, false, false),
  );
}

async function destroy(ctx: Context): Promise<void> {
  const force = ctx.options.forceDeleteSecrets === true;
  const records = ctx.state.resourcesOf('secrets');
  const extraIds = [
    ...records.map(([, r]) => r.id).filter((id): id is string => !!id),
    ...wanted(ctx).map((w) => w.planned.name),
  ];
  // Forcing also purges secrets an earlier destroy scheduled, so their names are free at once.
  await mapLimit(await unwanted(ctx, new Set(), extraIds, force), PER_DEVELOPER_CONCURRENCY, (s) =>
    deleteSecret(ctx, s, force, true),
  );
  for (const [logicalId, r] of records) if (r.id) await bumpGeneration(ctx, logicalId);
}

/**
 * The spec `up`, `plan` and `status` use: each secret looked up in one listing of the project's
 * secrets (so reading them costs one paginated call, not one per developer), and with DescribeSecret
 * only when the listing lacks it (ListSecrets lags a create; a same-named secret of no project is refused).
 */
function listedSecretSpec(
  ctx: Context,
  w: DeveloperSecret,
  listed: SecretInfo[],
  value: () => Promise<string> = async () => '',
): ResourceSpec<SecretInfo> {
  const spec = secretSpec(ctx, w, value);
  const inList = (id: string) => listed.find((s) => s.ARN === id || s.Name === id);
  return {
    ...spec,
    describe: async (id) => inList(id) ?? spec.describe(id),
    find: async () => {
      const hit = inList(w.planned.name);
      return hit ? [hit] : spec.find();
    },
  };
}

/**
 * One read for `plan` and `status`: a single ListSecrets (those in their recovery window too).
 * Only `plan` compares an API key with its source, which reads each key's value: `status` reads no secret value.
 */
async function inspect(ctx: Context, purpose: Purpose): Promise<Inspection> {
  const keys = new ApiKeyReader(ctx.config, ctx.env);
  const all = wanted(ctx);
  const listed = await listProjectSecrets(ctx.aws.secrets, ctx.model.project, true);
  const probed = await mapLimit(all, PER_DEVELOPER_CONCURRENCY, async (w) => ({
    w,
    probe: await inspectResource(ctx, listedSecretSpec(ctx, w, listed), w.planned.name),
  }));
  const changes: Change[] = await mapLimit(probed, PER_DEVELOPER_CONCURRENCY, async ({ w, probe }): Promise<Change> => {
    const { resource, ...change } = probe;
    if (resource?.DeletedDate)
      return {
        ...change,
        action: 'update',
        detail: `restore (scheduled for deletion on ${day(resource.DeletedDate)})`,
      };
    if (resource && staleAllocationTags(w, resource).length > 0)
      return { ...change, action: 'update', detail: `tag port ${w.developer.port}, priority ${w.developer.priority}` };
    if (
      purpose === 'plan' &&
      resource &&
      isApiKey(w) &&
      (await readSecretValue(ctx.aws.secrets, resource.ARN!)) !== (await keys.read(w.developer))
    ) {
      return { ...change, action: 'update', detail: 'new value from the key source' };
    }
    return change;
  });
  const rows = probed.map(({ probe }) => rowOf(probe, secretState, secretDetail));
  const keep = new Set(all.map((w) => w.planned.logicalId));
  const days = ctx.config.secrets.recoveryWindowDays;
  for (const s of listed.filter(isOurs).filter((s) => !keep.has(tagValue(s.Tags, TAG.resource)!))) {
    const logicalId = tagValue(s.Tags, TAG.resource)!;
    if (!s.DeletedDate)
      changes.push({
        phase: 'secrets',
        action: 'delete',
        logicalId,
        kind: 'secret',
        name: s.Name,
        id: s.ARN,
        detail: `${days}-day recovery`,
      });
    rows.push({
      phase: 'secrets',
      logicalId,
      kind: 'secret',
      id: s.ARN,
      state: secretState(s),
      detail: `${s.Name}: not in the config; ${secretDetail(s)}`,
    });
  }
  return { changes, rows };
}

const secretState = (s: SecretInfo) => (s.DeletedDate ? 'scheduled for deletion' : 'exists');
const secretDetail = (s: SecretInfo) =>
  s.DeletedDate ? `deletion date ${day(s.DeletedDate)}` : `last changed ${day(s.LastChangedDate ?? s.CreatedDate)}`;

const phase: Phase = { name: 'secrets', apply, destroy, ...fromInspection(inspect) };
export default phase;
