import ora, { type Ora } from 'ora';
import { formatDuration } from '../duration.js';
import type { Renderer, UiEvent } from './events.js';

export interface Output {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export type RendererKind = 'tty' | 'plain' | 'json';

export interface RenderOptions {
  kind: RendererKind;
  verbose: boolean;
  color: boolean;
}

/** A live spinner on a terminal, plain lines in CI and pipes, JSON lines for machines. */
export function createRenderer(out: Output, o: RenderOptions): Renderer {
  if (o.kind === 'json') return jsonRenderer(out, o);
  if (o.kind === 'tty') return ttyRenderer(out, o);
  return plainRenderer(out, o);
}

export function chooseRendererKind(o: { json: boolean; isTTY: boolean; ci: boolean; verbose: boolean }): RendererKind {
  if (o.json) return 'json';
  return o.isTTY && !o.ci && !o.verbose ? 'tty' : 'plain';
}

const mark = (color: boolean, code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);

function line(e: UiEvent, o: RenderOptions): string | undefined {
  const prefix = 'phase' in e && e.phase ? `[${e.phase}] ` : '';
  switch (e.type) {
    case 'phase-start':
      return `${prefix}started`;
    case 'phase-done':
      return `${mark(o.color, 32, '✔')} ${e.phase} done in ${formatDuration(e.durationMs)}`;
    // The first line only: the command ends by printing the whole error with its fix.
    case 'phase-failed':
      return (
        `${mark(o.color, 31, '✘')} ${e.phase} failed ` +
        `after ${formatDuration(e.durationMs)}: ${e.message.split('\n')[0]}`
      );
    case 'phase-blocked':
      return `${mark(o.color, 33, '-')} ${e.phase} not run: ${e.reason}`;
    case 'resource':
      return e.message === undefined ? undefined : `${prefix}${e.message}`;
    case 'step':
    case 'progress':
    case 'summary':
      return `${prefix}${e.message}`;
    case 'warn':
      return `${prefix}${mark(o.color, 33, 'warning:')} ${e.message}`;
    case 'aws-call':
      return o.verbose
        ? `  aws ${e.service} ${e.operation} ${Math.round(e.durationMs)}ms${e.error ? ` → ${e.error}` : ''}`
        : undefined;
    case 'remote-output':
      return o.verbose ? `  host: ${e.line}` : undefined;
  }
}

function plainRenderer(out: Output, o: RenderOptions): Renderer {
  return {
    render: (e) => {
      const text = line(e, o);
      if (text !== undefined) out.stderr.write(`${text}\n`);
    },
    close: () => undefined,
  };
}

function jsonRenderer(out: Output, o: RenderOptions): Renderer {
  return {
    render: (e) => {
      if ((e.type !== 'aws-call' && e.type !== 'remote-output') || o.verbose)
        out.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...e })}\n`);
    },
    close: () => undefined,
  };
}

/**
 * One spinner for all running phases (they run concurrently), with each phase's elapsed time; finished lines persist
 * above it.
 */
function ttyRenderer(out: Output, o: RenderOptions): Renderer {
  const running = new Map<string, { started: number; last: string }>();
  let spinner: Ora | undefined;
  const text = () =>
    [...running]
      .map(([phase, r]) => `${phase} ${formatDuration(Date.now() - r.started)}${r.last ? ` · ${r.last}` : ''}`)
      .join('  |  ');
  const ticker = setInterval(() => {
    if (spinner) spinner.text = text();
  }, 1000);
  ticker.unref();
  const persist = (message: string) => {
    spinner?.clear();
    out.stderr.write(`${message}\n`);
    spinner?.render();
  };
  return {
    render: (e) => {
      if (e.type === 'phase-start') {
        running.set(e.phase, { started: Date.now(), last: '' });
        spinner ??= ora({
          stream: out.stderr,
          color: o.color ? 'cyan' : (false as never),
          discardStdin: false,
        }).start();
      } else if (e.type === 'progress' && e.phase && running.has(e.phase)) {
        running.get(e.phase)!.last = e.message;
      } else {
        if (e.type === 'phase-done' || e.type === 'phase-failed') running.delete(e.phase);
        const message = line(e, o);
        if (message !== undefined) persist(message);
      }
      if (spinner) {
        if (running.size === 0) {
          spinner.stop();
          spinner = undefined;
        } else spinner.text = text();
      }
    },
    close: () => {
      clearInterval(ticker);
      spinner?.stop();
    },
  };
}
