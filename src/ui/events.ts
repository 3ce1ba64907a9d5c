import type { PhaseReporter, ResourceAction, ResourceEvent } from '../report.js';

/** What the engine tells the user. Phases report events; a renderer (tty, plain, json) decides how they look. */
export type UiEvent =
  | { type: 'phase-start'; phase: string }
  | { type: 'phase-done'; phase: string; durationMs: number }
  | { type: 'phase-failed'; phase: string; durationMs: number; message: string }
  | { type: 'phase-blocked'; phase: string; reason: string }
  | ResourceEvent
  | { type: 'step'; phase?: string; message: string }
  | { type: 'progress'; phase?: string; message: string }
  | { type: 'warn'; phase?: string; message: string }
  | { type: 'summary'; command: string; message: string; counts: Record<string, number> }
  | { type: 'aws-call'; service: string; operation: string; durationMs: number; error?: string }
  /** A line the host printed while running a command over SSH (shown with --verbose). */
  | { type: 'remote-output'; line: string };

export interface Renderer {
  render(event: UiEvent): void;
  close(): void;
}

export class Reporter {
  /** Every resource event so far, for the closing count. */
  private readonly seen: ResourceEvent[] = [];

  constructor(private readonly renderer: Renderer) {}

  emit(event: UiEvent): void {
    if (event.type === 'resource') this.seen.push(event);
    this.renderer.render(event);
  }

  /** Every resource event so far, in order: what the run's audit record lists. */
  get resources(): readonly ResourceEvent[] {
    return this.seen;
  }

  forPhase(phase: string): PhaseReporter {
    return {
      step: (message) => this.emit({ type: 'step', phase, message }),
      resource: (e) => this.emit({ type: 'resource', phase, ...e }),
      progress: (message) => this.emit({ type: 'progress', phase, message }),
      warn: (message) => this.emit({ type: 'warn', phase, message }),
    };
  }

  /**
   * How many resources each action touched so far, each resource once, by its strongest action: a
   * resource fixed right after it was created counts as created; one kept and fixed, as updated.
   */
  tally(): Record<ResourceAction, number> {
    const rank: ResourceAction[] = ['kept', 'adopted', 'updated', 'replaced', 'created', 'deleted'];
    const byResource = new Map<string, ResourceAction>();
    this.seen.forEach((e, i) => {
      const key = e.logicalId ? `${e.phase}\0${e.logicalId}` : String(i);
      const before = byResource.get(key);
      if (!before || rank.indexOf(e.action) > rank.indexOf(before)) byResource.set(key, e.action);
    });
    const counts = Object.fromEntries(rank.map((a) => [a, 0])) as Record<ResourceAction, number>;
    for (const action of byResource.values()) counts[action]++;
    return counts;
  }

  close(): void {
    this.renderer.close();
  }
}
