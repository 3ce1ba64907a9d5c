/**
 * A second Ctrl-C ends devenv at once, and the lock file goes with it: the next run is not
 * refused. The AWS call in flight is held by an endpoint that accepts and never answers, so the
 * first Ctrl-C cannot finish the run by itself.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/errors.js';
import { baseConfig } from '../helpers/context.js';

const BIN = new URL('../../bin/devenv.js', import.meta.url).pathname;

describe('a second Ctrl-C', () => {
  const sockets: Socket[] = [];
  let server: Server;
  afterAll(() => {
    for (const s of sockets) s.destroy();
    server?.close();
  });

  it('quits at once and still removes the lock file', async () => {
    let connected!: () => void;
    const awsAsked = new Promise<void>((r) => (connected = r));
    // accepts, never answers
    server = createServer((s) => {
      sockets.push(s);
      connected();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'devenv-sigint-'));
    writeFileSync(join(dir, 'c.json'), JSON.stringify(baseConfig));
    const lock = join(dir, 's.json.lock');
    const child = spawn(
      process.execPath,
      [BIN, 'up', '--config', join(dir, 'c.json'), '--state', join(dir, 's.json')],
      {
        env: {
          PATH: process.env.PATH,
          HOME: dir,
          AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'x',
          AWS_ENDPOINT_URL: `http://127.0.0.1:${port}`,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    let warned!: () => void;
    const secondCtrlCWarned = new Promise<void>((r) => (warned = r));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (stderr.includes('press Ctrl-C again')) warned();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    await awsAsked;
    expect(existsSync(lock), 'devenv took the lock and is waiting on AWS').toBe(true);
    child.kill('SIGINT');
    await secondCtrlCWarned;
    expect(existsSync(lock), 'after the first Ctrl-C it still waits for the call in flight').toBe(true);
    child.kill('SIGINT');
    expect(await exited).toBe(ExitCode.interrupted);
    expect(existsSync(lock), stderr).toBe(false);
  }, 30_000);
});

describe('a quit in the middle of a state write', () => {
  it('leaves no *.tmp-* file next to the state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-tmpwrite-'));
    const store = new URL('../../dist/state/store.js', import.meta.url).href;
    // Saves a large state over and over and quits (as a second Ctrl-C does: process.exit) while a temp file exists.
    const script = `
      import { readdirSync } from 'node:fs';
      const { StateStore } = await import(${JSON.stringify(store)});
      const s = await StateStore.open(${JSON.stringify(join(dir, 's.json'))}, { project: 'demo', region: 'us-east-1' });
      s.data.resources.blob = { kind: 'blob', phase: 'vpc', attrs: { blob: 'x'.repeat(8_000_000) } };
      const writing = () => readdirSync(${JSON.stringify(dir)}).some((f) => f.includes('.tmp-'));
      for (let i = 0; i < 100000; i++) {
        void s.save();
        await new Promise((r) => setImmediate(r));
        if (writing()) process.exit(130);
      }
      process.exit(3);
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    expect(code, `the script quit in the middle of a write: ${stderr}`).toBe(ExitCode.interrupted);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  }, 30_000);
});
