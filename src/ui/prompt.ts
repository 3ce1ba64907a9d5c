import { createInterface } from 'node:readline';
import type { Io } from './io.js';
import { DevenvError } from '../errors.js';

/** Ctrl-C or Ctrl-D at a prompt: the command stops before it changed anything. */
export class PromptCancelledError extends DevenvError {
  constructor(what: string) {
    super('interrupted', `${what} cancelled at the prompt: nothing changed`);
  }
}

/**
 * Asks on stderr and reads one line from stdin. Ctrl-C (caught by readline on a terminal, or a
 * SIGINT/SIGTERM from elsewhere) and Ctrl-D (end of input) cancel with PromptCancelledError.
 */
export async function ask(io: Io, question: string, what: string): Promise<string> {
  const rl = createInterface({ input: io.stdin, output: io.stderr });
  const signals = ['SIGINT', 'SIGTERM'];
  let cancel = (): void => undefined;
  try {
    return await new Promise<string>((resolve, reject) => {
      cancel = () => {
        io.stderr.write('\n');
        reject(new PromptCancelledError(what));
      };
      rl.once('SIGINT', cancel);
      rl.once('close', cancel);
      for (const name of signals) io.signals?.on(name, cancel);
      rl.question(question, resolve);
    });
  } finally {
    for (const name of signals) io.signals?.off(name, cancel);
    rl.removeListener('close', cancel);
    rl.close();
  }
}
