import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { mapLimit, PER_DEVELOPER_CONCURRENCY } from '../aws/concurrency.js';
import { secretName } from '../blueprint/identity.js';
import { dnsChecks, instanceCheck, targetChecks, type LoadBalancerName } from '../checks/aws.js';
import { containerChecks } from '../checks/containers.js';
import { describeProblems, forDeveloper, resultsTable, type TestCheckResult } from '../checks/result.js';
import { webChecks } from '../checks/web.js';
import type { Developer } from '../config/model.js';
import { DevenvError, messageOf } from '../errors.js';
import { containerName } from '../remote/compose.js';
import type { Change, Context, Phase, Row } from './types.js';
import { LOAD_BALANCER, targetGroupId } from '../blueprint/edge.js';
import { INSTANCE } from '../blueprint/compute.js';

/**
 * test: end-to-end checks of what `up` built, as the developers will meet it. The host's EC2
 * status checks; per developer, the container (over SSH), the target's health, the hostname
 * (the Route 53 alias, and public resolution unless `--resolve`), then over HTTPS through the load
 * balancer: the certificate, HTTP → HTTPS, code-server's login page, a login with the password from
 * Secrets Manager, and a websocket upgrade. It prints one table and fails, naming each developer,
 * check and what to look at, when any check fails. It creates nothing.
 */

const PHASE = 'test';
const WEB_CHECKS =
  'certificate, HTTP → HTTPS 301, login page, login with the password from Secrets Manager, websocket upgrade (101)';

function needed(ctx: Context): { instanceId: string; lb: LoadBalancerName } {
  const instanceId = ctx.state.resource(INSTANCE)?.id;
  const dnsName = ctx.state.resource(LOAD_BALANCER)?.attrs?.dnsName;
  if (!instanceId || typeof dnsName !== 'string') {
    throw new DevenvError(
      'phase',
      `test needs the host and the load balancer, but the state records ${instanceId ? 'no load balancer' : 'no host'}`,
      {
        remedy: 'run `devenv up` first',
      },
    );
  }
  return { instanceId, lb: { dnsName } };
}

/** Read only when the login page is there, handed to the request body and nowhere else. */
const passwordOf = (ctx: Context, d: Developer) => async (): Promise<string | Error> => {
  try {
    const out = await ctx.aws.secrets.send(
      new GetSecretValueCommand({ SecretId: secretName(ctx.model, d.name, 'password') }),
    );
    return out.SecretString ?? new Error('the secret has no string value');
  } catch (err) {
    return new Error((err as { name?: string }).name ?? messageOf(err));
  }
};

async function runChecks(ctx: Context): Promise<TestCheckResult[]> {
  const { instanceId, lb } = needed(ctx);
  const developers = ctx.model.developers;
  const names = developers.map((d) => d.name);
  ctx.report.progress(`checking the host and ${developers.length} developers`);
  const [instance, containers, targets, dns] = await Promise.all([
    instanceCheck(ctx, instanceId),
    containerChecks(ctx, names),
    targetChecks(
      ctx,
      developers.map((d) => ({ developer: d, groupArn: ctx.state.resource(targetGroupId(d.name))?.id })),
      instanceId,
    ),
    dnsChecks(ctx, developers, lb),
  ]);
  const now = ctx.clock.now();
  const web = await mapLimit(developers, PER_DEVELOPER_CONCURRENCY, async (d) =>
    forDeveloper(
      d.name,
      await webChecks(
        { hostname: d.hostname, address: ctx.options.resolve },
        { developer: d.name, container: containerName(d.name), password: passwordOf(ctx, d), now },
      ),
    ),
  );
  const byDeveloper = (results: TestCheckResult[], name: string) => results.filter((r) => r.developer === name);
  return [
    instance,
    ...names.flatMap((n, i) => [
      ...byDeveloper(containers, n),
      ...byDeveloper(targets, n),
      ...byDeveloper(dns, n),
      ...web[i],
    ]),
  ];
}

async function apply(ctx: Context): Promise<void> {
  const results = await runChecks(ctx);
  const failed = results.filter((r) => r.verdict === 'fail');
  const warned = results.filter((r) => r.verdict === 'warn');
  const counted = results.filter((r) => r.verdict !== 'skip').length;
  ctx.report.step(
    `results (${ctx.options.resolve ? `connecting to ${ctx.options.resolve}` : 'through public DNS'}` +
      `):\n${resultsTable(results)}`,
  );
  for (const line of describeProblems(warned)) ctx.report.warn(line);
  await ctx.state.setOutputs(PHASE, {
    checkedAt: new Date(ctx.clock.now()).toISOString(),
    checks: counted,
    failed: failed.length,
    warnings: warned.length,
    problems: describeProblems(failed).join('; '),
  });
  if (failed.length === 0) {
    ctx.report.step(
      `all ${counted} checks passed` +
        `${warned.length ? ` (${warned.length} warning${warned.length > 1 ? 's' : ''})` : ''}`,
    );
    return;
  }
  throw new DevenvError(
    'phase',
    `${failed.length} of ${counted} checks failed:\n  ${describeProblems(failed).join('\n  ')}`,
    {
      remedy:
        'look at what each failed check names, then run `devenv phase test` again (`devenv up` repairs what it built)',
    },
  );
}

async function plan(ctx: Context): Promise<Change[]> {
  const dns = ctx.options.resolve
    ? `the Route 53 alias (connecting to ${ctx.options.resolve})`
    : 'the Route 53 alias and public resolution';
  return [
    {
      phase: PHASE,
      action: 'keep',
      logicalId: 'check/host',
      kind: 'check',
      name: 'host',
      detail: 'EC2 instance and system status checks',
    },
    ...ctx.model.developers.map(
      (d): Change => ({
        phase: PHASE,
        action: 'keep',
        logicalId: `check/${d.name}`,
        kind: 'check',
        name: d.url,
        detail: `container healthy, target healthy, ${dns}, ${WEB_CHECKS}`,
      }),
    ),
  ];
}

/** The last run's outcome, from the state: `status` makes no HTTPS request and no login. */
async function status(ctx: Context): Promise<Row[]> {
  const outputs = ctx.state.phase(PHASE)?.outputs;
  if (!outputs?.checkedAt)
    return [
      {
        phase: PHASE,
        logicalId: 'checks',
        kind: 'end-to-end checks',
        state: 'not run',
        detail: '`devenv phase test` runs them',
      },
    ];
  const failed = Number(outputs.failed ?? 0);
  return [
    {
      phase: PHASE,
      logicalId: 'checks',
      kind: 'end-to-end checks',
      state: failed ? `${failed} of ${outputs.checks} failed` : `${outputs.checks} passed`,
      detail: `at ${outputs.checkedAt}${outputs.problems ? `: ${outputs.problems}` : ''}`,
    },
  ];
}

/** The checks create nothing. */
async function destroy(): Promise<void> {}

const phase: Phase = { name: PHASE, apply, destroy, plan, status };
export default phase;
