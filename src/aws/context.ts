import type { Config } from '../config/schema.js';
import type { Model } from '../config/model.js';
import type { PhaseName } from '../phase-names.js';
import type { PhaseReporter } from '../report.js';
import type { StateStore } from '../state/store.js';
import type { AwsClients } from './clients.js';
import type { ReadCache } from './read-once.js';
import type { Clock } from './wait.js';

/** What the helpers in src/aws/ need of a run; a phase's Context (src/phases/types.ts) is one. */
export interface AwsContext {
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
}
