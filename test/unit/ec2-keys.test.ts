import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateEd25519, publicKeyOf, readLocalKey, samePublicKey, writePrivateKey } from '../../src/ssh/keys.js';

const hasSshKeygen = spawnSync('ssh-keygen', ['-?']).error === undefined;
const rawPublicKey = (line: string) =>
  Buffer.from(line.split(' ')[1]!, 'base64').subarray(4 + 'ssh-ed25519'.length + 4);

describe('ssh keys', () => {
  it('generates an OpenSSH ed25519 pair whose halves match', () => {
    const k = generateEd25519('demo');
    expect(k.privateKey).toMatch(
      /^-----BEGIN OPENSSH PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END OPENSSH PRIVATE KEY-----\n$/,
    );
    expect(k.publicKey).toMatch(/^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI[A-Za-z0-9+/]+=* demo$/);
    expect(samePublicKey(publicKeyOf(k.privateKey), k.publicKey)).toBe(true);
  });

  it('keeps a public key that starts with a zero byte whole (ssh2 keygen drops it: mscdex/ssh2#1513)', () => {
    let k = generateEd25519('zero');
    for (let i = 0; i < 20_000 && rawPublicKey(k.publicKey)[0] !== 0; i++) k = generateEd25519('zero');
    expect(rawPublicKey(k.publicKey)[0]).toBe(0);
    expect(rawPublicKey(k.publicKey)).toHaveLength(32);
    expect(samePublicKey(publicKeyOf(k.privateKey), k.publicKey)).toBe(true);
  });

  it.skipIf(!hasSshKeygen)('writes keys OpenSSH itself reads (skipped without ssh-keygen)', () => {
    const k = generateEd25519('demo');
    const file = join(mkdtempSync(join(tmpdir(), 'devenv-keys-')), 'id');
    writeFileSync(file, k.privateKey, { mode: 0o600 });
    const run = spawnSync('ssh-keygen', ['-y', '-f', file], { input: '', encoding: 'utf8', timeout: 10_000 });
    expect(run.status).toBe(0);
    expect(samePublicKey(run.stdout, k.publicKey)).toBe(true);
  });

  it('compares public keys by type and key data, ignoring comments', () => {
    const k = generateEd25519('a');
    expect(samePublicKey(k.publicKey, `${k.publicKey.split(' ').slice(0, 2).join(' ')} other-comment`)).toBe(true);
    expect(samePublicKey(k.publicKey, generateEd25519('a').publicKey)).toBe(false);
  });

  it('writes a private key 0600 in a new 0700 folder and never replaces an existing file', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'devenv-keys-')), 'new', 'id.pem');
    const k = generateEd25519('demo');
    await writePrivateKey(path, k.privateKey);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(path, '..')).mode & 0o777).toBe(0o700);
    await expect(writePrivateKey(path, generateEd25519('other').privateKey)).rejects.toThrow(/EEXIST/);
    expect(readFileSync(path, 'utf8')).toBe(k.privateKey);
  });

  it('reads a local key, reports none as undefined, and refuses a public key as the private one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'devenv-keys-'));
    const k = generateEd25519('demo');
    writeFileSync(join(dir, 'id'), k.privateKey, { mode: 0o600 });
    writeFileSync(join(dir, 'id.pub'), k.publicKey, { mode: 0o600 });
    expect((await readLocalKey(join(dir, 'id')))?.publicKey).toBe(k.publicKey.split(' ').slice(0, 2).join(' '));
    expect(await readLocalKey(join(dir, 'missing'))).toBeUndefined();
    await expect(readLocalKey(join(dir, 'id.pub'))).rejects.toThrow(/not a private key/);
  });
});
