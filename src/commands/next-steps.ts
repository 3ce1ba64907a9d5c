import type { Config } from '../config/schema.js';
import type { Model } from '../config/model.js';
import { PHASES } from '../phases/index.js';
import type { PhaseName } from '../phases/types.js';
import type { StateStore } from '../state/store.js';
import { LOAD_BALANCER } from '../blueprint/edge.js';
import { INSTANCE } from '../blueprint/compute.js';

/** A phase whose last run did not complete: what it creates is not there (or not known to be). */
export interface PendingPhase {
  phase: PhaseName;
  reason: string;
}

/**
 * Every phase whose recorded status is not `complete`, with why: never run, left out by `--skip`, failed, interrupted.
 */
export function pendingPhases(state: Pick<StateStore, 'phase'>): PendingPhase[] {
  return PHASES.flatMap((p): PendingPhase[] => {
    const record = state.phase(p.name);
    if (record?.status === 'complete') return [];
    const reason = !record
      ? 'no run of it recorded in the state file'
      : record.status === 'skipped'
        ? 'left out by `up --skip`'
        : record.status === 'failed'
          ? `failed at the last run${record.error ? `: ${record.error.split('\n')[0]}` : ''}`
          : 'started but did not finish (or is running now)';
    return [{ phase: p.name, reason }];
  });
}

/** The sentence `status` and `up` print for a pending phase. */
export const describePending = (p: PendingPhase): string => `phase ${p.phase} not created yet: ${p.reason}`;

/**
 * What a user needs after `up`, and what `status --json` carries: where each developer logs in, the load balancer, the
 * host, what is still pending.
 */
export interface NextSteps {
  /** Each developer's URL, by name. */
  urls: Record<string, string>;
  /** The load balancer's DNS name, as the alb phase recorded it; null before it exists. */
  loadBalancerDns: string | null;
  /** The address devenv reaches the host at (`ssh.host`, else its public IP as recorded); null before it exists. */
  hostAddress: string | null;
  pending: PendingPhase[];
}

export function nextSteps(
  config: Pick<Config, 'ssh'>,
  model: Pick<Model, 'developers'>,
  state: Pick<StateStore, 'phase' | 'resource'>,
): NextSteps {
  const dns = state.resource(LOAD_BALANCER)?.attrs?.dnsName;
  const ip = state.resource(INSTANCE)?.attrs?.publicIp;
  return {
    urls: Object.fromEntries(model.developers.map((d) => [d.name, d.url])),
    loadBalancerDns: typeof dns === 'string' && dns ? dns : null,
    hostAddress: config.ssh.host ?? (typeof ip === 'string' && ip ? ip : null),
    pending: pendingPhases(state),
  };
}

/** The lines `up` ends with. */
export function renderNextSteps(n: NextSteps): string[] {
  const urls = Object.entries(n.urls);
  const width = Math.max(0, ...urls.map(([name]) => name.length));
  return [
    `developers' URLs (${urls.length}; logins: \`devenv credentials export\`):`,
    ...urls.map(([name, url]) => `  ${name.padEnd(width)}  ${url}`),
    `load balancer: ${n.loadBalancerDns ?? 'not created yet'}`,
    `host: ${n.hostAddress ?? 'not created yet'}`,
    n.pending.length
      ? `still pending: ${n.pending.map((p) => `${p.phase} (${p.reason})`).join(', ')}; \`devenv up\` runs them`
      : 'nothing pending: every phase is complete',
  ];
}

/** `up`'s last lines, from the state it has just saved. */
export function reportNextSteps(
  session: { config: Config; model: Model; state: StateStore },
  reporter: { emit(e: { type: 'step'; message: string }): void },
): void {
  reporter.emit({
    type: 'step',
    message: renderNextSteps(nextSteps(session.config, session.model, session.state)).join('\n'),
  });
}
