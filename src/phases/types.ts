import type { AwsContext } from '../aws/context.js';
import type { PhaseName } from '../phase-names.js';
import type { RemoteHost } from '../remote/host.js';
import type { RunOptions } from '../run-options.js';
import type { PublicDns } from '../remote/reachability.js';
import type { Change, Row } from '../report.js';

export { PHASE_NAMES, type PhaseName } from '../phase-names.js';
export type { Change, ChangeAction, Inspection, Problem, Row, ProblemVerdict } from '../report.js';

export type { RunOptions } from '../run-options.js';

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
