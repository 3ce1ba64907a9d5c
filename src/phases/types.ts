import type { AwsContext } from '../aws/context.js';
import type { PhaseName } from '../phase-names.js';
import type { RemoteHost } from '../remote/host.js';
import type { PublicDns } from '../remote/reachability.js';
import type { Change, Row } from '../report.js';

export { PHASE_NAMES, type PhaseName } from '../phase-names.js';
export type { Change, ChangeAction, Inspection, Problem, Row, Verdict } from '../report.js';

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

export interface Context extends AwsContext {
  options: RunOptions;
  /** Environment variables the config may name (API key sources); phases never read process.env. */
  env: Record<string, string | undefined>;
  /** The host over SSH: connected on first use, one session per run shared by the phases. */
  ssh(): Promise<RemoteHost>;
  /** Public DNS, for what AWS cannot answer (src/remote/reachability.ts). */
  dns: PublicDns;
}

export interface Phase {
  name: PhaseName;
  apply(ctx: Context): Promise<void>;
  destroy(ctx: Context): Promise<void>;
  plan(ctx: Context): Promise<Change[]>;
  status(ctx: Context): Promise<Row[]>;
}
