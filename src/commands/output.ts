import { guessFor, useInstead } from '../config/issues.js';
import { DevenvError, stateError } from '../errors.js';
import { nextSteps } from './next-steps.js';
import type { Session } from './session.js';

/** What `devenv output` gives a script, read from the state alone (no AWS call besides reading a state in S3). */
export interface Outputs {
  /** The load balancer's DNS name (resource `alb`, as the alb phase recorded it). */
  loadBalancerDns: string | null;
  /** `ssh.host`, else the host's public IP (resource `instance`). */
  hostAddress: string | null;
  instanceId: string | null;
  /** The EBS data volume (resource `volume/data`). */
  dataVolumeId: string | null;
  /** Each developer's URL, by name (from the config and the recorded allocations). */
  urls: Record<string, string>;
}

export function outputs(session: Pick<Session, 'config' | 'model' | 'state'>): Outputs {
  const { config, model, state } = session;
  const steps = nextSteps(config, model, state);
  return {
    loadBalancerDns: steps.loadBalancerDns,
    hostAddress: steps.hostAddress,
    instanceId: state.resource('instance')?.id ?? null,
    dataVolumeId: state.resource('volume/data')?.id ?? null,
    urls: steps.urls,
  };
}

/**
 * `devenv output [name] [--json]`: every output as `name = value` lines (or one JSON object), or one
 * by name — `urls.alice` for one developer's URL — as its bare value for `$(devenv output …)`.
 */
export function renderOutput(all: Outputs, name: string | undefined, json: boolean): string {
  const flat: Record<string, string | null> = {
    loadBalancerDns: all.loadBalancerDns,
    hostAddress: all.hostAddress,
    instanceId: all.instanceId,
    dataVolumeId: all.dataVolumeId,
    ...Object.fromEntries(Object.entries(all.urls).map(([dev, url]) => [`urls.${dev}`, url])),
  };
  if (name === undefined) {
    if (json) return JSON.stringify(all);
    return Object.entries(flat)
      .map(([key, value]) => `${key} = ${value ?? '(not created yet)'}`)
      .join('\n');
  }
  if (name === 'urls') {
    if (json) return JSON.stringify(all.urls);
    return Object.entries(all.urls)
      .map(([dev, url]) => `${dev} = ${url}`)
      .join('\n');
  }
  if (!(name in flat)) {
    const names = ['urls', ...Object.keys(flat)];
    throw new DevenvError('config', `no output named "${name}"${guessFor(name, names)}`, {
      remedy: useInstead(name, names),
    });
  }
  const value = flat[name];
  if (value === null || value === undefined) {
    throw stateError(`${name}: not in the state yet (what records it has not run)`, 'run `devenv up` first');
  }
  return json ? JSON.stringify(value) : value;
}
