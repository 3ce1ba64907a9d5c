import type { AwsClients } from '../aws/clients.js';
import type { ReadCache } from '../aws/read-once.js';
import type { Clock } from '../aws/wait.js';
import type { Config } from '../config/schema.js';
import type { Model } from '../config/model.js';
import type { StateStore } from '../state/store.js';
import type { RemoteHost } from '../remote/host.js';
import type { PhaseReporter } from '../ui/events.js';

export const PHASE_NAMES = [
  'validate', 'vpc', 'sg', 'iam', 'secrets', 'ec2', 'storage', 'containers', 'cert', 'alb', 'https', 'dns', 'monitoring', 'test',
] as const;
/** `teardown` is no step of `up`: it is what `destroy` ends with (src/phases/teardown.ts). */
export type PhaseName = (typeof PHASE_NAMES)[number] | 'teardown';

/** Flags of `up`, `phase` and `destroy` that change what a phase may do. */
export interface RunOptions {
  /** `up --replace-host`: allow replacing an instance whose type or AMI changed. */
  replaceHost?: boolean;
  /** `up --adopt-data-volume <vol-id>`: take this volume (one restored from a backup) as the data volume. */
  adoptDataVolume?: string;
  /** `up --new-data-volume`: accept an empty data volume in place of a recorded one that is gone. */
  newDataVolume?: boolean;
  /** `up --take-over-dns`: overwrite a developer's DNS record that devenv did not make. */
  takeOverDns?: boolean;
  /** `destroy --delete-data`: delete the data volume too. */
  deleteData?: boolean;
  /** `destroy --no-final-snapshot`: with --delete-data, skip the snapshot. */
  noFinalSnapshot?: boolean;
  /** `destroy --force-delete-secrets`: delete secrets without a recovery window. */
  forceDeleteSecrets?: boolean;
  /** `up --accept-new-host-key`: trust the host's SSH key although nothing vouches for it or it differs from the one expected. */
  acceptNewHostKey?: boolean;
  /** `up --purge-removed`: delete the folders of developers no longer in the config. */
  purgeRemoved?: boolean;
  /** `--resolve <ip>`: the test phase connects to this address (as curl's --resolve), keeping each hostname for SNI and Host. */
  resolve?: string;
}

export interface Context {
  /** The phase this context was made for: what its resources are recorded under. */
  phase: PhaseName;
  config: Config;
  model: Model;
  state: StateStore;
  aws: AwsClients;
  report: PhaseReporter;
  signal: AbortSignal;
  clock: Clock;
  /** Listings the phases of one run share (src/aws/read-once.ts); absent in unit tests. */
  reads?: ReadCache;
  options: RunOptions;
  /** Environment variables the config may name (API key sources); phases never read process.env. */
  env: Record<string, string | undefined>;
  /** The host over SSH: connected on first use, one session per run shared by the phases. */
  ssh(): Promise<RemoteHost>;
  /**
   * Public DNS, for what AWS cannot answer: is the hosted zone the one its domain is delegated to?
   * Where does a developer's hostname lead from here (`lookup`: the addresses an HTTPS client would connect to)?
   * `publicAddress`: this machine's public IPv4 address as the internet sees it, `undefined` when it
   * cannot be learnt in a few seconds (absent: never asked, as in tests).
   */
  dns: { resolveNs(name: string): Promise<string[]>; lookup(name: string): Promise<string[]>; publicAddress?(): Promise<string | undefined> };
}

export type ChangeAction = 'create' | 'adopt' | 'update' | 'replace' | 'delete' | 'keep';

/** One line of `devenv plan`. */
export interface Change {
  phase: PhaseName;
  action: ChangeAction;
  logicalId: string;
  kind: string;
  name?: string;
  id?: string;
  detail?: string;
  /** Why `up` would stop here instead of making this change (a DNS name another record holds): `plan` fails naming it, `status` counts it a problem. */
  blocked?: string;
  /** Said as warnings under the plan, not inside its row (the zone's delegation could not be checked …). */
  warnings?: string[];
}

/** One line of `devenv status`. */
export interface Row {
  phase: PhaseName;
  logicalId: string;
  kind: string;
  id?: string;
  /** Live state as AWS reports it (`available`, `running`, `missing` …). */
  state: string;
  detail?: string;
  /** The developer it serves, when one does; else the blueprint's owner of `logicalId`, if any. */
  developer?: string;
  /** What is wrong with it, when something is: `status` exits 1 on any. A row with state `missing` and none is missing. */
  problem?: Problem;
  /** Said as warnings under the table, not inside the row. */
  warnings?: string[];
}

/** Missing: in the state or the config, not in AWS. Drifted: differs from what `up` makes (or left over). Unhealthy: there, as planned, not working. */
export type Verdict = 'missing' | 'drifted' | 'unhealthy';

export interface Problem {
  verdict: Verdict;
  /** A sentence naming the resource: `sg security group itest-alb differs from the config (…)`. */
  message: string;
}

/** One live read of a phase's resources, shared by `plan` (its changes) and `status` (its rows). */
export interface Inspection {
  changes: Change[];
  rows: Row[];
}

export interface Phase {
  name: PhaseName;
  apply(ctx: Context): Promise<void>;
  destroy(ctx: Context): Promise<void>;
  plan(ctx: Context): Promise<Change[]>;
  status(ctx: Context): Promise<Row[]>;
}
