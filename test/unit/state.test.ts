import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DevenvError, ExitCode } from '../../src/errors.js';
import { acquireLock } from '../../src/state/lock.js';
import { stateSchema } from '../../src/state/schema.js';
import { StateStore } from '../../src/state/store.js';

const binding = { project: 'demo', region: 'us-east-1' };
const tempState = () => join(mkdtempSync(join(tmpdir(), 'devenv-state-')), 'state.json');

async function rejection(p: Promise<unknown>): Promise<DevenvError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevenvError);
  return err as DevenvError;
}

describe('state store', () => {
  it('saves atomically with mode 0600 and leaves no temp file', async () => {
    const path = tempState();
    const store = await StateStore.open(path, binding);
    await Promise.all([
      store.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-1' }),
      store.setResource('igw', { kind: 'internet gateway', phase: 'vpc', id: 'igw-1' }),
    ]);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(join(path, '..'))).toEqual(['state.json']);
    const reopened = await StateStore.open(path, binding);
    expect(reopened.resource('igw')?.id).toBe('igw-1');
  });

  it('refuses a truncated file with a clear error, and does not touch it', async () => {
    const path = tempState();
    const store = await StateStore.open(path, binding);
    await store.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-1' });
    const text = readFileSync(path, 'utf8');
    writeFileSync(path, text.slice(0, text.length / 2));
    const err = await rejection(StateStore.open(path, binding));
    expect(err.exitCode).toBe(ExitCode.badInput);
    expect(err.message).toContain(`${path} is not valid JSON`);
    expect(err.remedy).toContain('adopts');
    expect(readFileSync(path, 'utf8')).toBe(text.slice(0, text.length / 2));
  });

  it('refuses a file that is not a devenv state', async () => {
    const path = tempState();
    writeFileSync(path, JSON.stringify({ hello: 'world' }));
    expect((await rejection(StateStore.open(path, binding))).message).toContain('is not a devenv state file');
  });

  it('refuses a state of another project, region or account', async () => {
    const path = tempState();
    const store = await StateStore.open(path, { ...binding, account: '111111111111' });
    await store.save();
    expect((await rejection(StateStore.open(path, { ...binding, region: 'eu-west-1' }))).message).toContain(
      'region "us-east-1"',
    );
    expect((await rejection(StateStore.open(path, { ...binding, account: '222222222222' }))).message).toContain(
      'account 111111111111',
    );
  });

  it('refuses a state in which two developers share a port', async () => {
    const path = tempState();
    const store = await StateStore.open(path, binding);
    store.data.allocations = { alice: { port: 8443, priority: 1 }, bob: { port: 8443, priority: 2 } };
    await store.save();
    expect((await rejection(StateStore.open(path, binding))).message).toContain(
      'two developers share a port or a rule priority',
    );
  });

  it("refuses a state in which a removed developer's held priority is given to another", async () => {
    const path = tempState();
    const store = await StateStore.open(path, binding);
    store.data.allocations = { alice: { port: 8443, priority: 1 } };
    store.data.reserved = { bob: { port: 8444, priority: 1 } };
    await store.save();
    expect((await rejection(StateStore.open(path, binding))).message).toContain(
      'two developers share a port or a rule priority',
    );
  });

  it('reads a version-1 state: its allocations kept, nothing held for removed developers yet', async () => {
    const path = tempState();
    const now = new Date().toISOString();
    const v1 = {
      schemaVersion: 1,
      ...binding,
      createdAt: now,
      updatedAt: now,
      phases: {},
      allocations: { alice: { port: 8443, priority: 1 } },
      resources: {},
    };
    writeFileSync(path, JSON.stringify(v1));
    const store = await StateStore.open(path, binding);
    expect(store.data.schemaVersion).toBe(2);
    expect(store.data.allocations).toEqual(v1.allocations);
    expect(store.data.reserved).toEqual({});
  });

  it('refuses a state written by a newer devenv', async () => {
    const path = tempState();
    writeFileSync(path, JSON.stringify({ schemaVersion: 99 }));
    expect((await rejection(StateStore.open(path, binding))).message).toContain('schema version 99');
  });

  it('state.example.json is a valid state with no secret in it', () => {
    const text = readFileSync(new URL('../../state.example.json', import.meta.url), 'utf8');
    const parsed = stateSchema.parse(JSON.parse(text));
    expect(Object.keys(parsed.allocations)).toHaveLength(2);
    expect(text).not.toMatch(/"(password|secretString|privateKey|apiKey)"\s*:/i);
  });
});

describe('lock', () => {
  it('a second run while one holds the lock exits 3 naming pid and host', async () => {
    const path = tempState();
    const child = spawn('sleep', ['30']);
    try {
      writeFileSync(
        `${path}.lock`,
        JSON.stringify({ pid: child.pid, host: hostname(), startedAt: '2026-11-23T00:00:00Z', command: 'up' }),
      );
      const err = await rejection(acquireLock(path, 'up'));
      expect(err.exitCode).toBe(ExitCode.locked);
      expect(err.message).toContain(`pid ${child.pid} on ${hostname()}`);
    } finally {
      child.kill();
    }
  });

  it('takes over the lock of a dead process', async () => {
    const path = tempState();
    const child = spawn('true');
    await new Promise((resolve) => child.on('exit', resolve));
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: child.pid, host: hostname(), startedAt: '2026-11-23T00:00:00Z', command: 'up' }),
    );
    const lock = await acquireLock(path, 'up');
    expect(JSON.parse(readFileSync(`${path}.lock`, 'utf8')).pid).toBe(process.pid);
    await lock.release();
    expect(() => statSync(`${path}.lock`)).toThrow();
  });

  it('cannot judge a lock from another host, so it refuses and says how to clear it', async () => {
    const path = tempState();
    writeFileSync(
      `${path}.lock`,
      JSON.stringify({ pid: 1, host: 'ci-runner-7', startedAt: '2026-11-23T00:00:00Z', command: 'destroy' }),
    );
    const err = await rejection(acquireLock(path, 'up'));
    expect(err.remedy).toContain(`delete ${path}.lock`);
  });
});
