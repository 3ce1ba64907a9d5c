import {
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  CreateUserPoolDomainCommand,
  DescribeUserPoolDomainCommand,
  DeleteUserPoolDomainCommand,
  type DomainDescriptionType,
  type UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';
import {
  type AppClient,
  clientFix,
  clientSettings,
  describeClient,
  findClients,
  withoutSecret,
} from '../aws/cognito/client.js';
import {
  deleteUserPool,
  describeUserPool,
  listUserPools,
  mfaFix,
  poolSettings,
  poolTags,
  settingsFix,
} from '../aws/cognito/pool.js';
import {
  createUser,
  deleteUser,
  emailOf,
  isUsernameTaken,
  listUsers,
  type PoolUser,
  setUserEnabled,
  usersWithEmail,
} from '../aws/cognito/users.js';
import { PER_DEVELOPER_CONCURRENCY, mapLimit } from '../aws/concurrency.js';
import { hostOf, listRules } from '../aws/elbv2/listeners.js';
import { hasCode, orUndefined } from '../aws/errors.js';
import { planChange, runFixes, type Fix } from '../aws/fix.js';
import { ensureResource, inspectResource, removeResource, rowOf, type ResourceSpec } from '../aws/resource.js';
import { HTTPS_LISTENER } from '../blueprint/edge.js';
import { pick, type PlannedResource } from '../blueprint/types.js';
import {
  callbackUrls,
  cognitoBlueprint,
  cognitoUserId,
  domainPrefix,
  USER_POOL,
  USER_POOL_CLIENT,
  USER_POOL_DOMAIN,
  usesCognito,
} from '../blueprint/sign-in.js';
import type { Developer } from '../config/model.js';
import { requireProjectTag, TAG, tagValue } from '../config/tags.js';
import { DevenvError } from '../errors.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/**
 * cognito: with `auth.provider: "cognito"`, the user pool the load balancer signs developers in
 * with — its hosted domain, an app client whose callback URLs are the developers' hosts, and one
 * user per developer (invited by e-mail by Cognito). A removed developer's user is disabled (deleted
 * with `up --purge-removed`). With another provider, a pool an earlier config made is deleted.
 */

const planned = (ctx: Context, logicalId: string) => pick(cognitoBlueprint(ctx.model), logicalId);
const account = (ctx: Context) => ctx.state.data.account ?? ctx.config.accountId ?? '';
const prefixOf = (ctx: Context) => domainPrefix(ctx.model, account(ctx));
/** The pool's tags: those of the blueprint (without a config, when the provider is no longer cognito). */
const tagsOf = (ctx: Context) => poolPlan(ctx).tags;

function poolPlan(ctx: Context): PlannedResource {
  if (usesCognito(ctx.model)) return planned(ctx, USER_POOL);
  const model = { ...ctx.model, config: { ...ctx.config, auth: { ...ctx.config.auth, provider: 'cognito' as const } } };
  return pick(cognitoBlueprint(model), USER_POOL);
}

function poolSpec(ctx: Context): ResourceSpec<UserPoolType> {
  const p = poolPlan(ctx);
  const cognito = ctx.aws.cognito;
  const owned = async (id: string) => {
    const pool = await describeUserPool(cognito, id);
    if (pool) requireProjectTag(ctx.model.project, poolTags(pool), `user pool ${id}`);
    return pool;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: owned,
    find: async () => {
      const named = (await listUserPools(cognito)).filter((u) => u.Name === p.name);
      const pools = await Promise.all(named.map((u) => owned(u.Id!)));
      return pools.filter((u): u is UserPoolType => !!u && tagValue(poolTags(u), TAG.resource) === p.logicalId);
    },
    create: async () => {
      const out = await ctx.aws.cognitoUntokened.send(
        new CreateUserPoolCommand({
          PoolName: p.name,
          ...poolSettings(p.tags, 'ACTIVE'),
          UsernameAttributes: ['email'],
          UsernameConfiguration: { CaseSensitive: false },
          MfaConfiguration: 'OFF', // mfaFix sets it: see there
        }),
      );
      return out.UserPool!;
    },
    idempotent: false,
    idOf: (u) => u.Id!,
    attrs: (u) => ({ arn: u.Arn! }),
  };
}

/** A domain is the pool's when DescribeUserPoolDomain names the pool (it answers an empty description for none). */
async function describeDomain(
  ctx: Context,
  prefix: string,
  poolId: string,
): Promise<DomainDescriptionType | undefined> {
  const out = await ctx.aws.cognito.send(new DescribeUserPoolDomainCommand({ Domain: prefix }));
  const d = out.DomainDescription;
  return d?.UserPoolId === poolId ? d : undefined;
}

/** Cognito's answer when a prefix is held: by another pool of any account (prefixes are unique per region). */
const isDomainTaken = (err: unknown) =>
  hasCode(err, 'InvalidParameterException') && /already (associated|exists)/i.test(String((err as Error).message));

function domainSpec(ctx: Context, pool: UserPoolType): ResourceSpec<DomainDescriptionType> {
  const prefix = prefixOf(ctx);
  const poolId = pool.Id!;
  return {
    logicalId: USER_POOL_DOMAIN,
    kind: 'user pool domain',
    describe: (id) => describeDomain(ctx, id, poolId),
    find: async () => [await describeDomain(ctx, prefix, poolId)].filter((d) => d !== undefined),
    create: async () => {
      try {
        await ctx.aws.cognito.send(new CreateUserPoolDomainCommand({ UserPoolId: poolId, Domain: prefix }));
      } catch (err) {
        if (!isDomainTaken(err)) throw err;
        const ours = await describeDomain(ctx, prefix, poolId);
        if (ours) return ours; // made by a run that crashed before recording it
        throw domainTaken(ctx, prefix, err);
      }
      return { Domain: prefix, UserPoolId: poolId };
    },
    idOf: (d) => d.Domain!,
  };
}

function domainTaken(ctx: Context, prefix: string, cause: unknown): DevenvError {
  const given = ctx.config.auth.cognito.domainPrefix !== undefined;
  return new DevenvError(
    'config',
    `the Cognito sign-in domain prefix "${prefix}"${given ? ' (auth.cognito.domainPrefix)' : ''} is taken: ` +
      `prefixes are unique in ${ctx.model.region} across all AWS accounts`,
    {
      remedy: `set auth.cognito.domainPrefix to another prefix (lowercase letters, digits and -) and run again`,
      cause,
    },
  );
}

function clientSpec(ctx: Context, pool: UserPoolType): ResourceSpec<AppClient> {
  const p = planned(ctx, USER_POOL_CLIENT);
  const poolId = pool.Id!;
  const cognito = ctx.aws.cognito;
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (id) => describeClient(cognito, poolId, id),
    find: () => findClients(cognito, poolId, p.name),
    create: async () => {
      const out = await ctx.aws.cognitoUntokened.send(
        new CreateUserPoolClientCommand({ ...wantedClient(ctx, poolId), GenerateSecret: true }),
      );
      return withoutSecret(out.UserPoolClient!); // the secret is dropped here, unread
    },
    idempotent: false,
    idOf: (c) => c.ClientId!,
  };
}

const wantedClient = (ctx: Context, poolId: string) =>
  clientSettings(poolId, planned(ctx, USER_POOL_CLIENT).name, callbackUrls(ctx.model));

/**
 * A developer's user, looked up in one listing of the pool's users; read again by email only when the
 * rule looks again (after AdminCreateUser found the name taken: a crashed run made it).
 */
function userSpec(ctx: Context, poolId: string, d: Developer, listed: PoolUser[]): ResourceSpec<PoolUser> {
  const email = d.email!;
  const cognito = ctx.aws.cognito;
  let readAgain = false;
  return {
    logicalId: cognitoUserId(d.name),
    kind: 'Cognito user',
    developer: d.name,
    describe: async (id) => listed.find((u) => u.Username === id && emailOf(u) === email),
    find: async () => {
      if (readAgain) return usersWithEmail(cognito, poolId, email);
      readAgain = true;
      return listed.filter((u) => emailOf(u) === email);
    },
    create: () => createUser(cognito, poolId, email),
    alreadyExists: isUsernameTaken,
    idOf: (u) => u.Username!,
    attrs: () => ({ email }),
  };
}

const developerOf = (ctx: Context, username: string) =>
  ctx.state.resourcesOf('cognito').find(([id, r]) => id.startsWith('cognito/user/') && r.id === username);

/** The pool's users no current developer's email names: a removed developer's (or one added by hand). */
function unwantedUsers(ctx: Context, listed: PoolUser[]): PoolUser[] {
  const wanted = new Set(ctx.model.developers.map((d) => d.email));
  return listed.filter((u) => !wanted.has(emailOf(u)));
}

async function ensureUsers(ctx: Context, poolId: string): Promise<void> {
  const cognito = ctx.aws.cognito;
  const listed = await listUsers(cognito, poolId);
  await mapLimit(ctx.model.developers, PER_DEVELOPER_CONCURRENCY, async (d) => {
    const { resource: user } = await ensureResource(ctx, userSpec(ctx, poolId, d, listed));
    if (user.Enabled === false) {
      await setUserEnabled(cognito, poolId, user.Username!, true);
      ctx.report.resource({
        action: 'updated',
        logicalId: cognitoUserId(d.name),
        message: `enabled ${d.name}'s user ${d.email} again`,
      });
    }
  });
  for (const u of unwantedUsers(ctx, listed)) {
    const record = developerOf(ctx, u.Username!);
    const who = `${record ? `${record[0].slice('cognito/user/'.length)}'s user ` : 'user '}${emailOf(u) ?? u.Username}`;
    const logicalId = record?.[0] ?? `cognito/user/${u.Username}`;
    if (ctx.options.purgeRemoved) {
      await deleteUser(cognito, poolId, u.Username!);
      if (record) await ctx.state.forget(record[0]);
      ctx.report.resource({
        action: 'deleted',
        logicalId,
        kind: 'Cognito user',
        message: `deleted ${who} (--purge-removed)`,
      });
    } else if (u.Enabled !== false) {
      await setUserEnabled(cognito, poolId, u.Username!, false);
      ctx.report.resource({
        action: 'updated',
        logicalId,
        message: `disabled ${who}: not in the config (\`up --purge-removed\` deletes it)`,
      });
    }
  }
}

/** The pool's hosted domain; one under another prefix (domainPrefix changed) goes first: a pool has one domain. */
async function ensureDomain(ctx: Context, pool: UserPoolType): Promise<void> {
  const prefix = prefixOf(ctx);
  if (pool.Domain && pool.Domain !== prefix) {
    await ctx.aws.cognito.send(new DeleteUserPoolDomainCommand({ UserPoolId: pool.Id, Domain: pool.Domain }));
    ctx.report.resource({
      action: 'deleted',
      logicalId: USER_POOL_DOMAIN,
      kind: 'user pool domain',
      resourceId: pool.Domain,
      message: `deleted user pool domain ${pool.Domain}: the sign-in domain is now ${prefix}`,
    });
    await ctx.state.forget(USER_POOL_DOMAIN);
  }
  await ensureResource(ctx, domainSpec(ctx, pool));
}

async function apply(ctx: Context): Promise<void> {
  if (!usesCognito(ctx.model)) return removeAll(ctx);
  const cognito = ctx.aws.cognito;
  const { resource: pool } = await ensureResource(ctx, poolSpec(ctx));
  const poolId = pool.Id!;
  const poolFixes = [
    ...settingsFix(cognito, pool, tagsOf(ctx)),
    ...(await mfaFix(cognito, poolId, ctx.config.auth.cognito.mfa)),
  ];
  await runFixes(ctx, poolFixes, { logicalId: USER_POOL });
  await ensureDomain(ctx, pool);
  const { resource: client } = await ensureResource(ctx, clientSpec(ctx, pool));
  await runFixes(ctx, clientFix(cognito, client, wantedClient(ctx, poolId)), { logicalId: USER_POOL_CLIENT });
  await ensureUsers(ctx, poolId);
}

/**
 * Deletes the pool (its domain, client and users with it) and forgets every record of the phase. Never while a rule
 * of the HTTPS listener still signs in with it: developers would be sent to a sign-in that is gone.
 */
async function removeAll(ctx: Context): Promise<void> {
  const records = ctx.state.resourcesOf('cognito');
  if (!records.some(([, r]) => r.id)) {
    for (const [id] of records) await ctx.state.forget(id);
    return;
  }
  await removeResource(ctx, poolSpec(ctx), async (id) => {
    await requireNoRuleSigningIn(ctx, id);
    await deleteUserPool(ctx.aws.cognito, id, tagsOf(ctx), (m) => ctx.report.step(m));
  });
  for (const [id] of ctx.state.resourcesOf('cognito')) if (id !== USER_POOL) await ctx.state.forget(id);
}

/**
 * `up` rewrites the rules (https) before it deletes the pool when the provider changes (phases/index.ts: `removal`);
 * this stops `devenv phase cognito`, or an `up --skip https`, from deleting it under them.
 */
async function requireNoRuleSigningIn(ctx: Context, poolId: string): Promise<void> {
  const listener = ctx.state.resource(HTTPS_LISTENER)?.id;
  if (!listener) return;
  const rules = (await orUndefined(() => listRules(ctx, listener))) ?? [];
  const hosts = rules
    .filter((r) => r.Actions?.some((a) => a.AuthenticateCognitoConfig?.UserPoolArn?.endsWith(`/${poolId}`)))
    .map((r) => hostOf(r) ?? r.RuleArn!);
  if (hosts.length === 0) return;
  throw new DevenvError(
    'phase',
    `user pool ${poolId} is not deleted: the HTTPS rules of ${hosts.join(', ')} still sign in with it`,
    { remedy: 'run `devenv up` (it rewrites the rules first), or `devenv phase https` and then this again' },
  );
}

// ---------------------------------------------------------------------------------------------
// plan and status: one read of the pool, its MFA, domain, client and users.

async function inspect(ctx: Context): Promise<Inspection> {
  if (!usesCognito(ctx.model)) return inspectLeftover(ctx);
  const cognito = ctx.aws.cognito;
  const poolProbe = await inspectResource(ctx, poolSpec(ctx), planned(ctx, USER_POOL).name);
  const pool = poolProbe.resource;
  const fixes: Fix[] = pool
    ? [...settingsFix(cognito, pool, tagsOf(ctx)), ...(await mfaFix(cognito, pool.Id!, ctx.config.auth.cognito.mfa))]
    : [];
  const changes: Change[] = [planChange(poolProbe, planned(ctx, USER_POOL), fixes)];
  const rows: Row[] = [
    rowOf(
      poolProbe,
      () => 'exists',
      (u) => `MFA ${u.MfaConfiguration ?? 'OFF'}; deletion protection ${u.DeletionProtection ?? 'INACTIVE'}`,
    ),
  ];
  const rest = cognitoBlueprint(ctx.model).filter((r) => r.logicalId !== USER_POOL);
  if (!pool) {
    for (const r of rest)
      changes.push(
        planChange({ phase: 'cognito', action: 'create', logicalId: r.logicalId, kind: r.kind, name: r.name }, r, []),
      );
    for (const r of rest)
      rows.push({
        phase: 'cognito',
        logicalId: r.logicalId,
        kind: r.kind,
        state: 'missing',
        ...(r.developer ? { developer: r.developer } : {}),
      });
    return { changes, rows };
  }
  const poolId = pool.Id!;
  const domain = await inspectResource(ctx, domainSpec(ctx, pool), prefixOf(ctx));
  changes.push(
    planChange(
      domain,
      planned(ctx, USER_POOL_DOMAIN),
      [],
      pool.Domain && pool.Domain !== prefixOf(ctx) ? [`replaces ${pool.Domain}`] : [],
    ),
  );
  rows.push(rowOf(domain, (d) => (d.Status ?? 'exists').toLowerCase()));
  const client = await inspectResource(ctx, clientSpec(ctx, pool), planned(ctx, USER_POOL_CLIENT).name);
  const clientFixes = client.resource ? clientFix(cognito, client.resource, wantedClient(ctx, poolId)) : [];
  changes.push(planChange(client, planned(ctx, USER_POOL_CLIENT), clientFixes));
  rows.push(
    rowOf(
      client,
      () => 'exists',
      (c) => `${(c.CallbackURLs ?? []).length} callback URLs`,
    ),
  );
  const listed = await listUsers(cognito, poolId);
  for (const d of ctx.model.developers) {
    const p = planned(ctx, cognitoUserId(d.name));
    const probe = await inspectResource(ctx, userSpec(ctx, poolId, d, listed), p.name);
    const change = planChange(probe, p, []);
    const disabled = probe.resource?.Enabled === false;
    changes.push(disabled ? { ...change, action: 'update', detail: 'disabled: enable it again' } : change);
    rows.push({ ...rowOf(probe, userState, userDetail), developer: d.name });
  }
  for (const u of unwantedUsers(ctx, listed)) {
    const record = developerOf(ctx, u.Username!);
    const logicalId = record?.[0] ?? `cognito/user/${u.Username}`;
    const name = emailOf(u) ?? u.Username;
    if (u.Enabled !== false || ctx.options.purgeRemoved)
      changes.push({
        phase: 'cognito',
        action: ctx.options.purgeRemoved ? 'delete' : 'update',
        logicalId,
        kind: 'Cognito user',
        name,
        id: u.Username,
        detail: ctx.options.purgeRemoved ? 'not in the config (--purge-removed)' : 'disable: not in the config',
      });
    rows.push({
      phase: 'cognito',
      logicalId,
      kind: 'Cognito user',
      id: u.Username,
      state: userState(u),
      detail: `${name}: not in the config`,
    });
  }
  return { changes, rows };
}

const userState = (u: PoolUser) => (u.Enabled === false ? 'disabled' : 'enabled');
/** FORCE_CHANGE_PASSWORD: the invitation's temporary password has not been used yet. */
const userDetail = (u: PoolUser) =>
  u.UserStatus === 'FORCE_CHANGE_PASSWORD' ? 'invited, not signed in yet' : (u.UserStatus ?? '').toLowerCase();

/** With another provider: the pool an earlier config made, which `up` deletes. */
async function inspectLeftover(ctx: Context): Promise<Inspection> {
  if (!ctx.state.resource(USER_POOL)?.id) return { changes: [], rows: [] };
  const probe = await inspectResource(ctx, poolSpec(ctx), poolPlan(ctx).name);
  if (!probe.resource) return { changes: [], rows: [] };
  const { resource: _pool, ...change } = probe;
  return {
    changes: [{ ...change, action: 'delete', detail: 'auth.provider is no longer "cognito": its users go with it' }],
    rows: [
      rowOf(
        probe,
        () => 'exists',
        () => 'left over: auth.provider is no longer "cognito"',
      ),
    ],
  };
}

async function destroy(ctx: Context): Promise<void> {
  await removeAll(ctx);
}

const phase: Phase = { name: 'cognito', apply, destroy, ...fromInspection(inspect) };
export default phase;
