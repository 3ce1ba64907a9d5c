import type { CallHook } from '../aws/clients.js';
import type { PublicDns } from '../remote/reachability.js';

/** Where the CLI reads and writes: the process by default, buffers in tests. */
export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: Record<string, string | undefined>;
  isTTY: boolean;
  /** Hooks on every AWS call: the benchmark's counter, the tests' crash injector. */
  hooks?: CallHook[];
  /** Where Ctrl-C comes from; `process` by default. */
  signals?: NodeJS.EventEmitter;
  /** Public DNS lookups; the system's resolver by default (an emulator's zones are on no public DNS). */
  dns?: PublicDns;
}
