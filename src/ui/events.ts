/** What the engine tells the user. Phases report events; a renderer (tty, plain, json) decides how they look. */
export type UiEvent =
  | { type: 'phase-start'; phase: string }
  | { type: 'phase-done'; phase: string; durationMs: number }
  | { type: 'phase-failed'; phase: string; durationMs: number; message: string }
  | { type: 'phase-blocked'; phase: string; reason: string }
  | { type: 'step'; phase?: string; message: string }
  | { type: 'progress'; phase?: string; message: string }
  | { type: 'warn'; phase?: string; message: string }
  | { type: 'aws-call'; service: string; operation: string; durationMs: number; error?: string };

export interface Renderer {
  render(event: UiEvent): void;
  close(): void;
}

/** A phase's view of the reporter: every line it emits is tagged with the phase. */
export interface PhaseReporter {
  /** Something happened: "created VPC vpc-0ab (demo-vpc)". */
  step(message: string): void;
  /** Still working: "waiting for instance i-0ab to be running (1m10s)". */
  progress(message: string): void;
  warn(message: string): void;
}

export class Reporter {
  constructor(private readonly renderer: Renderer) {}

  emit(event: UiEvent): void {
    this.renderer.render(event);
  }

  forPhase(phase: string): PhaseReporter {
    return {
      step: (message) => this.emit({ type: 'step', phase, message }),
      progress: (message) => this.emit({ type: 'progress', phase, message }),
      warn: (message) => this.emit({ type: 'warn', phase, message }),
    };
  }

  close(): void {
    this.renderer.close();
  }
}
