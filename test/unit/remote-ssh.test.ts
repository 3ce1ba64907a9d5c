import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import { fingerprintOf, judgeHostKey, type ExpectedHostKey } from '../../src/remote/host-key.js';
import { connectWithRetry, type SshTarget } from '../../src/remote/ssh.js';
import { generateEd25519 } from '../../src/ssh/keys.js';
import { fakeClock } from '../helpers/context.js';

describe('host key pin', () => {
  const pin: ExpectedHostKey = { source: 'pin', fingerprints: ['SHA256:aaa'] };
  const console: ExpectedHostKey = { source: 'console', fingerprints: ['SHA256:ecdsa', 'SHA256:ed25519'] };
  const none: ExpectedHostKey = { source: 'none', why: 'nothing printed' };

  it('keeps the pinned key, records a key the console or the config vouches for, refuses any other unless told', () => {
    expect(judgeHostKey(pin, 'SHA256:aaa', false)).toBe('pinned');
    expect(judgeHostKey(pin, 'SHA256:bbb', false)).toBe('refuse');
    expect(judgeHostKey(pin, 'SHA256:bbb', true)).toBe('accept-new');
    expect(judgeHostKey(console, 'SHA256:ed25519', false)).toBe('verified');
    expect(judgeHostKey({ source: 'config', fingerprints: ['SHA256:ccc'] }, 'SHA256:ccc', false)).toBe('verified');
    expect(judgeHostKey(console, 'SHA256:other', false)).toBe('refuse');
    expect(judgeHostKey(none, 'SHA256:any', false)).toBe('unverified');
    expect(judgeHostKey(none, 'SHA256:any', true)).toBe('accept-new');
  });

  it.skipIf(spawnSync('ssh-keygen', ['-?']).error !== undefined)('writes fingerprints as ssh-keygen -l does', () => {
    const key = join(mkdtempSync(join(tmpdir(), 'devenv-hostkey-')), 'k');
    spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const blob = Buffer.from(readFileSync(`${key}.pub`, 'utf8').split(' ')[1]!, 'base64');
    const shown = spawnSync('ssh-keygen', ['-lf', `${key}.pub`], { encoding: 'utf8' }).stdout.split(' ')[1];
    expect(fingerprintOf(blob)).toBe(shown);
  });
});

/** A port where nothing listens: connections are refused at once. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}

describe('connectWithRetry', () => {
  it('keeps trying with growing pauses while the host refuses, then gives up with what it tried and how to fix it', async () => {
    const target: SshTarget = {
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'ubuntu',
      privateKey: generateEd25519('test').privateKey,
      instanceId: 'i-0abc',
    };
    const clock = fakeClock();
    const progress: string[] = [];
    const err = await connectWithRetry(target, {
      clock,
      signal: new AbortController().signal,
      expected: { source: 'none', why: 'a test' },
      acceptNewHostKey: false,
      warn: () => undefined,
      savePin: async () => {
        throw new Error('nothing to pin');
      },
      progress: (m) => progress.push(m),
      windowMs: 60_000,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toMatch(
      /could not connect to ubuntu@127\.0\.0\.1:\d+ over SSH in 1m00s \(8 attempts\): .*ECONNREFUSED/,
    );
    expect((err as DevenvError).remedy).toContain('i-0abc');
    expect(clock.slept.slice(0, 5)).toEqual([1000, 2000, 4000, 8000, 15000]);
    expect(clock.slept.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(60_000);
    expect(progress[0]).toMatch(/^waiting for SSH on ubuntu@127\.0\.0\.1:\d+ \(0s\): .*ECONNREFUSED/);
  });

  it('does not retry a private key it cannot read', async () => {
    const target: SshTarget = {
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'ubuntu',
      privateKey: 'not a key',
      instanceId: 'i-0abc',
    };
    const clock = fakeClock();
    await expect(
      connectWithRetry(target, {
        clock,
        signal: new AbortController().signal,
        expected: { source: 'none', why: 'a test' },
        acceptNewHostKey: false,
        savePin: async () => undefined,
        progress: () => undefined,
        warn: () => undefined,
      }),
    ).rejects.toMatchObject({ kind: 'config', message: expect.stringContaining('private key') });
    expect(clock.slept).toEqual([]);
  });

  it('stops at Ctrl-C', async () => {
    const controller = new AbortController();
    controller.abort();
    const target: SshTarget = {
      host: '127.0.0.1',
      port: await closedPort(),
      user: 'ubuntu',
      privateKey: 'unused',
      instanceId: 'i-0abc',
    };
    await expect(
      connectWithRetry(target, {
        clock: fakeClock(),
        signal: controller.signal,
        expected: { source: 'none', why: 'a test' },
        acceptNewHostKey: false,
        savePin: async () => undefined,
        progress: () => undefined,
        warn: () => undefined,
      }),
    ).rejects.toMatchObject({ kind: 'interrupted' });
  });
});
