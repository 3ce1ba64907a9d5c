import type { Context } from '../types.js';

/**
 * The teardown sweep: every kind of resource devenv creates, listed with its service's own calls
 * and kept only when it carries this project's `devenv:project` tag (names only narrow the search;
 * the log groups and alarms the state records are taken as tagged, as the phases take them),
 * then deleted in dependency order. The Resource Groups Tagging API is not used: it does not
 * return key pairs, IAM roles and instance profiles, listeners, rules or backup plans, and does
 * return terminated instances.
 */

/** One resource the sweep found. */
export interface Found<T = unknown> {
  /** For people: "EC2 instance", "security group". */
  kind: string;
  id: string;
  /** How people know it, when that is not its id: a name, `snap-1 of vol-1`. */
  label?: string;
  /** Set when the sweep leaves it on purpose (the user's data), saying why and how to delete it. */
  kept?: string;
  resource: T;
}

/** The context a sweeper works in: a phase's, and a memo for listings several sweepers share (the load balancers). */
export interface SweepContext extends Context {
  once<T>(key: string, read: () => Promise<T>): Promise<T>;
}

/** One kind of resource: what it waits for, how to list this project's, how to delete one. */
export interface Sweeper<T = unknown> {
  /** Node name in the sweep's graph: `instances`, `security-groups` … */
  name: string;
  /** Sweepers whose resources must be gone first (instances before their security groups …). */
  needs: string[];
  list(ctx: SweepContext): Promise<Found<T>[]>;
  /**
   * Deletes one (NotFound counts as done). Returns a reason when the resource stays on purpose
   * after the call (a secret scheduled for deletion is restorable for its recovery window).
   */
  // biome-ignore lint/suspicious/noConfusingVoidType: most removers return nothing, and need not say so
  remove?(ctx: SweepContext, found: Found<T>): Promise<string | void>;
  /** Deletes them all in one go where the API batches (Route 53 changes): all succeed or all fail. */
  removeAll?(ctx: SweepContext, found: Found<T>[]): Promise<void>;
  /**
   * Why one stays in AWS although `remove` runs on it (a secret scheduled for deletion): said before `destroy` starts.
   */
  stays?(ctx: SweepContext, found: Found<T>): string | undefined;
  /** What deleting one leaves behind, kept (a final snapshot of the data volume): said before `destroy` starts. */
  leaves?(ctx: SweepContext, found: Found<T>): string | undefined;
}

/** Erases the resource type, so sweepers of different kinds share one list. */
export const sweeper = <T>(s: Sweeper<T>): Sweeper => s as unknown as Sweeper;

/**
 * Whether a name may be devenv's for this project: every name devenv gives starts with
 * `<project>-` (or `/aws/ec2/<project>/`), and where an API's limit shortens it (awsName) at least
 * the first 41 characters survive. Only a pre-filter, to bound the calls that read tags: the tag decides.
 */
export function mayBeNamedFor(project: string, name: string | undefined): boolean {
  return (name ?? '').toLowerCase().startsWith(project.slice(0, 40).toLowerCase());
}
