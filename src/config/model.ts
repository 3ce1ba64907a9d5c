import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config, DeveloperEntry, KeySource } from './schema.js';

/** A developer's port and listener-rule priority: allocated once, kept in the state, never renumbered. */
export interface Allocation {
  port: number;
  priority: number;
}
export type Allocations = Record<string, Allocation>;

export interface Developer extends Allocation {
  name: string;
  hostname: string;
  url: string;
  cpuLimit: number;
  memoryLimitMiB: number;
  cpuReservation: number;
  memoryReservationMiB: number;
  anthropicApiKey?: KeySource;
}

/** Everything the phases derive from the config, computed in one place. */
export interface Model {
  config: Config;
  project: string;
  region: string;
  hostAz: string;
  albAz: string;
  developers: Developer[];
  /** The host's inbound port range for the containers (one security-group rule covers them all). */
  portRange: { from: number; to: number };
  keyName: string;
  privateKeyPath: string;
}

function entries(config: Config): DeveloperEntry[] {
  const d = config.developers;
  if (typeof d === 'number') return Array.from({ length: d }, (_, i) => ({ name: `dev${i + 1}` }));
  return d.map((e) => (typeof e === 'string' ? { name: e } : e));
}

export const developerNames = (config: Config): string[] => entries(config).map((e) => e.name);

/**
 * Keeps every existing allocation of a current developer and gives each new developer the lowest
 * free port and priority, so adding or removing one developer never moves another.
 */
export function allocate(config: Config, existing: Allocations): Allocations {
  const names = developerNames(config);
  const kept: Allocations = {};
  for (const name of names) if (existing[name]) kept[name] = existing[name];
  const usedPorts = new Set(Object.values(kept).map((a) => a.port));
  const usedPriorities = new Set(Object.values(kept).map((a) => a.priority));
  const next = (used: Set<number>, from: number) => {
    let n = from;
    while (used.has(n)) n++;
    used.add(n);
    return n;
  };
  for (const name of names) {
    if (!kept[name]) kept[name] = { port: next(usedPorts, config.containers.basePort), priority: next(usedPriorities, 1) };
  }
  return kept;
}

export function buildModel(config: Config, allocations: Allocations = allocate(config, {})): Model {
  const c = config.containers;
  const developers = entries(config).map((e): Developer => {
    const hostname = `${e.name}.${config.baseDomain}`;
    const allocation = allocations[e.name];
    if (!allocation) throw new Error(`no port allocated for developer ${e.name}`);
    return {
      name: e.name,
      ...allocation,
      hostname,
      url: `https://${hostname}`,
      cpuLimit: e.cpuLimit ?? c.cpuLimit,
      memoryLimitMiB: e.memoryLimitMiB ?? c.memoryLimitMiB,
      cpuReservation: e.cpuReservation ?? c.cpuReservation,
      memoryReservationMiB: e.memoryReservationMiB ?? c.memoryReservationMiB,
      anthropicApiKey: e.anthropicApiKey ?? config.secrets.anthropicApiKey,
    };
  });
  const ports = developers.map((d) => d.port);
  const keyName = config.instance.keyName ?? `${config.project}-admin-key`;
  return {
    config,
    project: config.project,
    region: config.region,
    hostAz: config.availabilityZone ?? `${config.region}a`,
    albAz: config.albAvailabilityZone ?? `${config.region}b`,
    developers,
    portRange: { from: Math.min(...ports), to: Math.max(...ports) },
    keyName,
    privateKeyPath: expandHome(config.instance.privateKeyPath ?? join('~', '.ssh', `${keyName}.pem`)),
  };
}

/** `~/x` → `<home>/x`: a path in the config may start with `~`, as it would in a shell. */
export const expandHome = (path: string): string => (path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path);

/** `<project>-<logical id>` with `/` turned into `-`: the Name of every resource devenv makes. */
export const resourceName = (model: Pick<Model, 'project'>, logicalId: string): string =>
  `${model.project}-${logicalId.replaceAll('/', '-')}`;
