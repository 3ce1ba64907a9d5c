import { DevenvError, InterruptedError } from './errors.js';

/** A unit of work in the graph: a phase, with the names of the nodes it waits for. */
export interface Node {
  name: string;
  needs: string[];
  /** Nodes to wait for, whatever their outcome: an order, not a need. */
  after?: string[];
}

export type NodeOutcome =
  | { name: string; result: 'done' }
  | { name: string; result: 'failed'; error: unknown }
  | { name: string; result: 'blocked'; reason: string };

export interface GraphResult {
  outcomes: NodeOutcome[];
  /** The first failure, if any: what the command reports and exits on. */
  firstError?: unknown;
}

export interface GraphOptions {
  /** How many nodes may run at once. */
  concurrency: number;
  signal?: AbortSignal;
  /** After a failure, go on with every node that does not need the failed one (destroy: delete what can be deleted). */
  keepGoing?: boolean;
  run(name: string): Promise<void>;
  onBlocked?(name: string, reason: string): void;
}

/**
 * Runs every node whose needs are done, several at once. On a failure (or Ctrl-C) nothing new
 * starts, the running nodes finish, and the first error is reported; with `keepGoing`, a failure
 * only blocks the nodes behind it, and the rest of the graph goes on.
 */
export async function runGraph(nodes: Node[], o: GraphOptions): Promise<GraphResult> {
  const outcomes = new Map<string, NodeOutcome>();
  const running = new Map<string, Promise<void>>();
  let firstError: unknown;
  const stopped = () => (firstError !== undefined && !o.keepGoing) || o.signal?.aborted === true;

  const settle = (outcome: NodeOutcome) => {
    outcomes.set(outcome.name, outcome);
    running.delete(outcome.name);
  };

  for (;;) {
    for (const node of nodes) {
      if (outcomes.has(node.name) || running.has(node.name)) continue;
      const stuck = node.needs.find((n) => ['failed', 'blocked'].includes(outcomes.get(n)?.result ?? ''));
      if (stuck) {
        const reason = `needs ${stuck}, which ${describe(outcomes.get(stuck)!)}`;
        settle({ name: node.name, result: 'blocked', reason });
        o.onBlocked?.(node.name, reason);
        continue;
      }
      const ready =
        node.needs.every((n) => outcomes.get(n)?.result === 'done') && (node.after ?? []).every((n) => outcomes.has(n));
      if (!ready || stopped() || running.size >= o.concurrency) continue;
      running.set(
        node.name,
        o.run(node.name).then(
          () => settle({ name: node.name, result: 'done' }),
          (error: unknown) => {
            firstError ??= error;
            settle({ name: node.name, result: 'failed', error });
          },
        ),
      );
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (firstError === undefined && o.signal?.aborted) firstError = new InterruptedError();
  const ordered = nodes.map(
    (n) => outcomes.get(n.name) ?? { name: n.name, result: 'blocked' as const, reason: 'not started' },
  );
  return { outcomes: ordered, firstError };
}

function describe(o: NodeOutcome): string {
  switch (o.result) {
    case 'failed':
      return 'failed';
    case 'blocked':
      return 'could not run';
    case 'done':
      return 'is done';
  }
}

/** The same graph with every arrow reversed: what `destroy` walks (a phase goes after everything that needs it). */
export function reverseGraph(nodes: Node[]): Node[] {
  return nodes.map((n) => ({ name: n.name, needs: nodes.filter((m) => m.needs.includes(n.name)).map((m) => m.name) }));
}

/** A phase that needs another which has not completed: what `devenv phase` refuses with. */
export function missingNeedsError(phase: string, missing: string[]): DevenvError {
  return new DevenvError(
    'phase',
    `phase ${phase} needs ${missing.join(', ')}, which ${missing.length > 1 ? 'have' : 'has'} not completed`,
    {
      remedy:
        `run ${missing.map((m) => `\`devenv phase ${m}\``).join(', then ')} first, or \`devenv up\` to run ` +
        `everything in order`,
    },
  );
}
