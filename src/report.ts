import type { PhaseName } from './phase-names.js';

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
  /**
   * Why `up` would stop here instead of making this change (a DNS name another record holds): `plan` fails naming it,
   * `status` counts it a problem.
   */
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
  /**
   * What is wrong with it, when something is: `status` exits 1 on any. A row with state `missing` and none is missing.
   */
  problem?: Problem;
  /** Said as warnings under the table, not inside the row. */
  warnings?: string[];
}

/**
 * Missing: in the state or the config, not in AWS. Drifted: differs from what `up` makes (or left over). Unhealthy:
 * there, as planned, not working.
 */
export type ProblemVerdict = 'missing' | 'drifted' | 'unhealthy';

export interface Problem {
  verdict: ProblemVerdict;
  /** A sentence naming the resource: `sg security group itest-alb differs from the config (…)`. */
  message: string;
}

/** One live read of a phase's resources, shared by `plan` (its changes) and `status` (its rows). */
export interface Inspection {
  changes: Change[];
  rows: Row[];
}

/** What happened to one AWS resource; `up` and `destroy` end with these counted. */
export type ResourceAction = 'created' | 'adopted' | 'kept' | 'updated' | 'replaced' | 'deleted';

export interface ResourceEvent {
  type: 'resource';
  phase: string;
  action: ResourceAction;
  logicalId?: string;
  kind?: string;
  resourceId?: string;
  /** The line a person reads; a kept resource has none (it is only counted). */
  message?: string;
}

/** A phase's view of the reporter: every line it emits is tagged with the phase. */
export interface PhaseReporter {
  /** Something happened: "wrote a new private key to …". */
  step(message: string): void;
  /** Something happened to a resource: "created VPC vpc-0ab", an in-place fix (`updated`), or nothing (`kept`). */
  resource(e: Omit<ResourceEvent, 'type' | 'phase'>): void;
  /** Still working: "waiting for instance i-0ab to be running (1m10s)". */
  progress(message: string): void;
  warn(message: string): void;
}
