import { blueprints } from '../blueprint/index.js';
import { usesCognito } from '../blueprint/sign-in.js';
import type { PlannedResource } from '../blueprint/types.js';
import type { Model } from '../config/model.js';
import type { Phase, PhaseName } from './types.js';

/**
 * The registry: every phase's name, what it needs and what it creates. Implementations are
 * loaded on demand, so `--help` and `plan --offline` never load the AWS SDK.
 */
export interface PhaseInfo {
  name: PhaseName;
  title: string;
  needs: PhaseName[];
  /** Phases that run first when they run at all, but whose absence (skipped) holds this one back no more. */
  after?: PhaseName[];
  /**
   * With a config that no longer wants what this phase made, which it then deletes: the phases whose resources refer
   * to it. In such a run they stop referring to it first — the arrows between them turn round (needsIn).
   */
  removal?: { when(model: Pick<Model, 'config'>): boolean; referredBy: PhaseName[] };
  blueprint(model: Model): PlannedResource[];
  load: () => Promise<Phase>;
}

const phase = (
  name: PhaseName,
  title: string,
  needs: PhaseName[],
  load: () => Promise<{ default: Phase }>,
  after?: PhaseName[],
  removal?: PhaseInfo['removal'],
): PhaseInfo => ({
  name,
  title,
  needs,
  ...(after ? { after } : {}),
  ...(removal ? { removal } : {}),
  blueprint: blueprints[name],
  load: async () => (await load()).default,
});

export const PHASES: readonly PhaseInfo[] = [
  phase(
    'validate',
    'check account, region, zones, hosted zone, AMI and instance size',
    [],
    () => import('./validate.js'),
  ),
  phase('vpc', 'VPC, two public subnets, internet gateway, routes', ['validate'], () => import('./vpc.js')),
  phase('sg', 'security groups for the ALB and the host', ['validate', 'vpc'], () => import('./sg.js')),
  phase('iam', "the host's role, least-privilege policy and instance profile", ['validate'], () => import('./iam.js')),
  phase('secrets', "developers' passwords and API keys in Secrets Manager", ['validate'], () => import('./secrets.js')),
  phase(
    'ec2',
    'key pair, data volume and the host instance',
    ['validate', 'vpc', 'sg', 'iam'],
    () => import('./ec2.js'),
  ),
  phase(
    'storage',
    'data volume formatted, mounted, one directory per developer',
    ['ec2'],
    () => import('./storage.js'),
  ),
  phase(
    'containers',
    'one code-server container per developer',
    ['storage', 'secrets'],
    () => import('./containers.js'),
  ),
  phase(
    'cert',
    'ACM certificate for *.<baseDomain>, validated through Route 53',
    ['validate'],
    () => import('./cert.js'),
  ),
  // Switching the provider away: the rules stop signing in with the pool before it is deleted.
  phase(
    'cognito',
    'Cognito user pool, sign-in domain, app client, a user per developer',
    ['validate'],
    () => import('./cognito.js'),
    undefined,
    { when: (model) => !usesCognito(model), referredBy: ['https'] },
  ),
  // Not after cert: the load balancer provisions (minutes) while the certificate validates (minutes).
  phase(
    'alb',
    'load balancer, target group per developer, HTTP listener',
    ['vpc', 'sg', 'ec2'],
    () => import('./alb.js'),
  ),
  phase(
    'https',
    'HTTPS listener with the issued certificate, host rule per developer',
    ['alb', 'cert', 'cognito'],
    () => import('./https.js'),
  ),
  phase(
    'gate',
    "the load balancer the host's gates accept (with an identity provider)",
    ['containers', 'alb'],
    () => import('./gate.js'),
  ),
  phase('dns', 'Route 53 alias record per developer', ['alb'], () => import('./dns.js')),
  // After containers when both run: the agent that phase starts ships only to groups that exist; monitoring makes the
  // rest and adds them.
  phase(
    'monitoring',
    'log groups, alarms and AWS Backup of the data volume',
    ['ec2', 'alb'],
    () => import('./monitoring.js'),
    ['containers'],
  ),
  phase(
    'schedule',
    'office hours and idle stop: start and stop the host on time',
    ['ec2'],
    () => import('./schedule.js'),
    ['containers'],
  ),
  phase(
    'wake',
    "the page a sleeping host's URLs show, and the switch of the rules to it",
    ['https', 'ec2'],
    () => import('./wake.js'),
  ),
  // Last in `up`, but monitoring is no part of what it checks: `up --skip monitoring` still tests.
  phase('test', 'end-to-end checks of every developer URL', ['containers', 'dns', 'https'], () => import('./test.js'), [
    'monitoring',
    'gate',
  ]),
];

export const phaseInfo = (name: PhaseName): PhaseInfo => PHASES.find((p) => p.name === name)!;

const removing = (p: PhaseInfo, model: Pick<Model, 'config'>) => p.removal?.when(model) === true;

/**
 * What a phase waits for in a run with this config: its needs, except where a phase deletes what others refer to
 * (`removal`): then it waits for them, and they no longer wait for it. Without a config (`destroy`, which deletes
 * what refers before what is referred to anyway): the needs as registered.
 */
export function needsIn(name: PhaseName, model?: Pick<Model, 'config'>): PhaseName[] {
  const info = phaseInfo(name);
  if (!model) return info.needs;
  const own = removing(info, model) ? [...info.needs, ...info.removal!.referredBy] : info.needs;
  return own.filter((n) => !(removing(phaseInfo(n), model) && phaseInfo(n).removal!.referredBy.includes(name)));
}

/** Phases in an order where each comes after what it needs; throws naming the cycle if there is one. */
export function topologicalOrder(phases: readonly PhaseInfo[] = PHASES): PhaseName[] {
  const order: PhaseName[] = [];
  const state = new Map<PhaseName, 'visiting' | 'done'>();
  const visit = (name: PhaseName, path: PhaseName[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') throw new Error(`phase dependency cycle: ${[...path, name].join(' → ')}`);
    state.set(name, 'visiting');
    const info = phases.find((p) => p.name === name);
    if (!info) throw new Error(`phase ${path.at(-1)} needs unknown phase ${name}`);
    for (const need of info.needs) visit(need, [...path, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const p of phases) visit(p.name, []);
  return order;
}
