import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Config, DeveloperEntry, KeySource } from './schema.js';

/** A developer's port and listener-rule priority: allocated once, never renumbered. */
export interface Allocation {
  port: number;
  priority: number;
}
export type Allocations = Record<string, Allocation>;

/**
 * The allocations the state keeps: the current developers', and those of removed developers,
 * held back while their secrets are kept, so nobody else gets them and a returning developer
 * gets them back.
 */
export interface AllocationBook {
  allocations: Allocations;
  reserved: Allocations;
}

/**
 * What AWS records (the tags on the developers' secrets): every developer who still has a secret,
 * in its recovery window included, and the allocation those tags carry (none on an untagged one).
 */
export type RecordedAllocations = Map<string, Allocation | undefined>;

export interface Developer extends Allocation {
  name: string;
  hostname: string;
  url: string;
  cpuLimit: number;
  memoryLimitMiB: number;
  cpuReservation: number;
  memoryReservationMiB: number;
  anthropicApiKey?: KeySource;
  /** Who may open this editor when an identity provider signs developers in. */
  email?: string;
  subject?: string;
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
 * Keeps every allocation the state or AWS knows, and gives each new developer the lowest port and
 * priority nobody holds, so adding or removing a developer never moves another. A removed
 * developer's allocation is moved to `reserved`; it is released only once `recorded` (what AWS
 * says, when it was asked) shows none of their secrets left. When two sources disagree, the state
 * wins over AWS, and current developers over removed ones.
 */
export function allocate(
  config: Config,
  book: Partial<AllocationBook>,
  recorded?: RecordedAllocations,
): AllocationBook {
  const names = developerNames(config);
  const current = new Set(names);
  const ports = new Set<number>();
  const priorities = new Set<number>();
  const take = (into: Allocations, name: string, a: Allocation | undefined) => {
    if (!a || into[name] || ports.has(a.port) || priorities.has(a.priority)) return;
    into[name] = a;
    ports.add(a.port);
    priorities.add(a.priority);
  };
  const chosen: Allocations = {};
  const reserved: Allocations = {};
  const stillKept = (name: string) => !recorded || recorded.has(name);
  // In order of trust: the state's (current, then removed developers), then the secrets' tags.
  for (const name of names) take(chosen, name, book.allocations?.[name] ?? book.reserved?.[name]);
  for (const [name, a] of Object.entries({ ...book.reserved, ...book.allocations }))
    if (!current.has(name) && stillKept(name)) take(reserved, name, a);
  for (const name of names) take(chosen, name, recorded?.get(name));
  for (const [name, a] of recorded ?? []) if (!current.has(name)) take(reserved, name, a);
  const lowestFree = (used: Set<number>, from: number) => {
    let n = from;
    while (used.has(n)) n++;
    used.add(n);
    return n;
  };
  for (const name of names)
    chosen[name] ??= { port: lowestFree(ports, config.containers.basePort), priority: lowestFree(priorities, 1) };
  const sorted = (a: Allocations, order: string[]) =>
    Object.fromEntries(order.filter((n) => a[n]).map((n) => [n, a[n]]));
  return { allocations: sorted(chosen, names), reserved: sorted(reserved, Object.keys(reserved).sort()) };
}

/** True when a current developer has no allocation in the state: the only time AWS's record is worth a call. */
export const needsRecordedAllocations = (config: Config, book: Partial<AllocationBook>): boolean =>
  developerNames(config).some((name) => !book.allocations?.[name] && !book.reserved?.[name]);

export function buildModel(config: Config, allocations: Allocations = allocate(config, {}).allocations): Model {
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
      ...(e.email !== undefined && { email: e.email }),
      ...(e.subject !== undefined && { subject: e.subject }),
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
export const expandHome = (path: string): string =>
  path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path;

/** `<project>-<logical id>` with `/` turned into `-`: the Name of every resource devenv makes. */
export const resourceName = (model: Pick<Model, 'project'>, logicalId: string): string =>
  `${model.project}-${logicalId.replaceAll('/', '-')}`;
