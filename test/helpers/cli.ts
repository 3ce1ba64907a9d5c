import { PassThrough, Writable } from 'node:stream';
import type { CallHook } from '../../src/aws/clients.js';
import { run } from '../../src/cli.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

const sink = (chunks: string[]) =>
  new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });

/** Runs the CLI in this process with captured output, as a user would run it in a pipe (no TTY). */
export async function cli(
  args: string[],
  o: { hooks?: CallHook[]; env?: Record<string, string | undefined> } = {},
): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, {
    stdout: sink(out),
    stderr: sink(err),
    stdin: new PassThrough(),
    env: o.env ?? { ...process.env, CI: 'true' },
    isTTY: false,
    hooks: o.hooks,
  });
  return { code, stdout: out.join(''), stderr: err.join('') };
}
