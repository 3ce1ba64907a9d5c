import { DevenvError, ExitCode, messageOf, type ErrorKind } from '../errors.js';
import type { Context, Phase, PhaseName } from '../phases/types.js';
import type { ViewOptions } from '../ui/plan-and-status.js';
import type { Session } from './session.js';

/** A phase whose plan or status could not be read: its rows show the error, the other phases are still shown. */
export interface PhaseFailure {
  phase: string;
  error: unknown;
}

/**
 * What `plan` and `status` print, and the error they exit with after printing it (a phase that could not be read,
 * drift).
 */
export interface ReadResult {
  output: string;
  failure?: DevenvError;
}

/**
 * Reads every phase with `read`. A phase that fails (a same-named resource devenv does not
 * own, a refused call) becomes a failure of that phase and the others are still read.
 */
export async function readPhases<T>(
  session: Session,
  names: PhaseName[],
  read: (phase: Phase, ctx: Context) => Promise<T[]>,
): Promise<{ items: Map<PhaseName, T[]>; failures: PhaseFailure[] }> {
  const items = new Map<PhaseName, T[]>();
  const failures: PhaseFailure[] = [];
  await Promise.all(
    names.map(async (name) => {
      const phase = await session.loadPhase(name);
      try {
        items.set(name, await read(phase, session.context(name)));
      } catch (error) {
        failures.push({ phase: name, error });
      }
    }),
  );
  return { items, failures };
}

export const remediesOf = (failures: PhaseFailure[]): string[] =>
  failures.flatMap((f) => (f.error instanceof DevenvError && f.error.remedy ? [f.error.remedy] : []));

/** Bad input (a private key devenv cannot use, say) stays bad input, exit 2, though other phases could be read. */
export const kindOf = (failures: PhaseFailure[]): ErrorKind =>
  failures
    .map((f) => f.error)
    .find((e): e is DevenvError => e instanceof DevenvError && e.exitCode === ExitCode.badInput)?.kind ?? 'phase';

/** One error for the phases that could not be read: their messages, and their fixes. */
export function phaseFailure(verb: string, failures: PhaseFailure[]): DevenvError | undefined {
  if (failures.length === 0) return undefined;
  const remedies = remediesOf(failures);
  const names = failures.map((f) => f.phase).join(', ');
  return new DevenvError(
    kindOf(failures),
    `could not ${verb} phase${failures.length > 1 ? 's' : ''} ${names} (the others are shown above): ` +
      failures.map((f) => `${f.phase}: ${messageOf(f.error)}`).join('; '),
    { remedy: remedies.join('; ') || undefined, cause: failures[0].error },
  );
}

/** `plan` and `status` as the user asked: `--wide` (every column, ids whole), `--all` (plan: the keeps too). */
export interface ReadOptions extends ViewOptions {
  json: boolean;
  all?: boolean;
}
