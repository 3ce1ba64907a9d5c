/** Exit codes fixed by DESIGN.md. */
export const ExitCode = {
  ok: 0,
  phaseFailed: 1,
  badInput: 2,
  locked: 3,
  interrupted: 130,
} as const;

export type ErrorKind = 'config' | 'state' | 'credentials' | 'locked' | 'phase' | 'aws' | 'interrupted';

const exitCodeOf: Record<ErrorKind, number> = {
  config: ExitCode.badInput,
  state: ExitCode.badInput,
  credentials: ExitCode.badInput,
  locked: ExitCode.locked,
  phase: ExitCode.phaseFailed,
  aws: ExitCode.phaseFailed,
  interrupted: ExitCode.interrupted,
};

/** An error the user can act on: what went wrong and, where we know it, how to fix it. */
export class DevenvError extends Error {
  readonly kind: ErrorKind;
  readonly remedy?: string;

  constructor(kind: ErrorKind, message: string, options: { remedy?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DevenvError';
    this.kind = kind;
    this.remedy = options.remedy;
  }

  get exitCode(): number {
    return exitCodeOf[this.kind];
  }
}

export const configError = (message: string, remedy?: string) => new DevenvError('config', message, { remedy });
export const stateError = (message: string, remedy?: string) => new DevenvError('state', message, { remedy });

/** Two resources carry the same devenv tags: adopting either would be a guess. */
export class AmbiguousResourceError extends DevenvError {
  constructor(what: string, ids: string[]) {
    super('aws', `found ${ids.length} ${what} resources with the same devenv tags: ${ids.join(', ')}`, {
      remedy: `delete the one devenv should not use (or remove its devenv:resource tag), then run again`,
    });
  }
}

export class InterruptedError extends DevenvError {
  constructor() {
    super('interrupted', 'interrupted: the call in flight finished and the state was saved', {
      remedy: 'run the same command again to resume',
    });
  }
}

export function exitCodeFor(err: unknown): number {
  return err instanceof DevenvError ? err.exitCode : ExitCode.phaseFailed;
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
