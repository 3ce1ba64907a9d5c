/**
 * The crash injector: a CallHook that lets the first k mutating calls through and, once the k-th
 * has succeeded in AWS, throws from `after` — devenv sees the call fail although AWS did it, as if
 * the process had been killed between "AWS said yes" and "state written". From then on every call
 * fails in `before` (it never reaches AWS), as it would in a dead process. And `crashThenRerun`, the
 * check the crash tests make at each crash point.
 */
import { EventEmitter } from 'node:events';
import type { CallHook, CallInfo } from '../../src/aws/clients.js';
import { diffInventory, type Inventory } from './inventory.js';
import { describeResult, type CliResult, type Workspace } from './moto.js';

/** The error devenv sees; its name matches no AWS error code, so no phase mistakes it for NotFound or AlreadyExists. */
export class InjectedCrash extends Error {
  constructor(
    readonly afterCall: string,
    readonly k: number,
  ) {
    super(`injected crash after mutating call #${k} (${afterCall})`);
    this.name = 'InjectedCrash';
  }
}

export interface CrashInjector extends CallHook {
  /** Set once the crash happened: the call after which it did. */
  crashedAfter?: string;
  /** Calls stopped in `before` after the crash. */
  blocked: number;
  /**
   * Give it to the run as its `signals` (Workspace.cli's option): at the crash it emits SIGINT, so
   * whatever the run would do without an AWS call stops too — above all an SDK waiter, which
   * retries a failing call until its own time limit (up to hours), where a killed process would
   * simply be gone.
   */
  signals: EventEmitter;
}

export function crashAfter(k: number, isMutating: (operation: string) => boolean): CrashInjector {
  let mutating = 0;
  const injector: CrashInjector = {
    blocked: 0,
    signals: new EventEmitter(),
    before(call: CallInfo) {
      if (injector.crashedAfter !== undefined) {
        injector.blocked++;
        throw new InjectedCrash(injector.crashedAfter, k);
      }
      void call;
    },
    after(call: CallInfo, _ms: number, error?: unknown) {
      if (error !== undefined || !isMutating(call.operation) || injector.crashedAfter !== undefined) return;
      mutating++;
      if (mutating === k) {
        injector.crashedAfter = `${call.service}:${call.operation}`;
        injector.signals.emit('SIGINT');
        throw new InjectedCrash(injector.crashedAfter, k);
      }
    },
  };
  return injector;
}

/**
 * Crashes right after the `occurrence`-th successful call of `operation` (`ec2:CreateSubnet`, 2):
 * "the k-th mutating call of a clean run", named so that it is the same call whatever order the
 * concurrent phases (vpc, iam, secrets) interleave their calls in this time.
 */
export function crashAfterCall(operation: string, occurrence: number): CrashInjector {
  let seen = 0;
  const injector: CrashInjector = {
    blocked: 0,
    signals: new EventEmitter(),
    before() {
      if (injector.crashedAfter !== undefined) {
        injector.blocked++;
        throw new InjectedCrash(injector.crashedAfter, occurrence);
      }
    },
    after(call: CallInfo, _ms: number, error?: unknown) {
      if (
        error !== undefined ||
        injector.crashedAfter !== undefined ||
        `${call.service}:${call.operation}` !== operation
      )
        return;
      if (++seen === occurrence) {
        injector.crashedAfter = `${operation} #${occurrence}`;
        injector.signals.emit('SIGINT');
        throw new InjectedCrash(injector.crashedAfter, occurrence);
      }
    },
  };
  return injector;
}

/** `[operation, occurrence]` of each call of a clean run's sequence: the k-th entry is crash point k. */
export function crashPoints(changed: string[]): [string, number][] {
  const seen = new Map<string, number>();
  return changed.map((op) => {
    const n = (seen.get(op) ?? 0) + 1;
    seen.set(op, n);
    return [op, n];
  });
}

export interface CrashRerun {
  /** The resources of one clean run: what AWS must hold after the rerun. */
  baseline: Inventory;
  /** Names the crash point in each problem. */
  label: string;
  /** Where what went wrong is said, one line a problem. */
  problems: string[];
  /** What must happen between the crash and the rerun (with the state in S3: breaking the lock left behind). */
  beforeRerun?: () => Promise<void>;
  /** What of a third `up` counts as a change: every mutating call unless told. */
  changes?: (r: CliResult) => string[];
}

/**
 * `up` crashed right after the `occurrence`-th call of `operation`, then run again: the rerun converges,
 * AWS holds exactly `baseline`, every resource tagged, and a third `up` changes nothing. Says each
 * failure in `problems`; returns a line for the test's log once the rerun has converged.
 */
export async function crashThenRerun(
  ws: Workspace,
  [operation, occurrence]: [string, number],
  o: CrashRerun,
): Promise<string | undefined> {
  const { label, problems } = o;
  const changes = o.changes ?? ((r: CliResult) => r.calls.mutating);
  const injector = crashAfterCall(operation, occurrence);
  const crashed = await ws.cli(['up'], { hooks: [injector], signals: injector.signals });
  if (injector.crashedAfter === undefined) {
    problems.push(`${label}: the crashed run never made that call (${describeResult(crashed)})`);
    return undefined;
  }
  if (crashed.code === 0) problems.push(`${label}: up exited 0 although it crashed`);
  await o.beforeRerun?.();
  const rerun = await ws.cli(['up']);
  if (rerun.code !== 0) {
    problems.push(`${label}: the rerun did not converge: ${describeResult(rerun)}`);
    return undefined;
  }
  const inv = await ws.inventory();
  const diff = diffInventory(o.baseline, inv.items);
  if (diff.length) problems.push(`${label}: after the rerun, AWS holds ${diff.join('; ')}`);
  if (inv.tagProblems.length) problems.push(`${label}: ${inv.tagProblems.join('; ')}`);
  const third = await ws.cli(['up']);
  if (third.code !== 0 || changes(third).length > 0) {
    const what = third.code === 0 ? `made ${changes(third).join(', ')}` : `failed: ${describeResult(third)}`;
    problems.push(`${label}: a third up ${what}`);
  }
  return (
    `${label}: crashed run ${crashed.calls.changed.length} changes, ` +
    `rerun ${rerun.calls.changed.length} (${rerun.calls.refused.length} refused)`
  );
}
