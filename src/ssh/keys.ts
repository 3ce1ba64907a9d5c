import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { configError } from '../errors.js';
import { writeOwnerOnlyFile } from '../files.js';

/** The part of `ssh2` (a dependency of node-ssh, shipped without types) that devenv uses. */
interface ParsedKey {
  type: string;
  isPrivateKey(): boolean;
  getPublicSSH(): Buffer;
}
interface Ssh2Utils {
  parseKey(data: string | Buffer, passphrase?: string): ParsedKey | ParsedKey[] | Error;
}
const { utils } = createRequire(import.meta.url)('ssh2') as { utils: Ssh2Utils };

/** An OpenSSH key pair: the private key file's text and the `authorized_keys` line. */
export interface SshKeyPair {
  privateKey: string;
  publicKey: string;
}

const ED25519 = 'ssh-ed25519';

/** An SSH wire `string`: uint32 length, then the bytes. */
const sshString = (data: Buffer | string): Buffer => {
  const bytes = Buffer.from(data);
  const length = Buffer.alloc(4);
  length.writeUInt32BE(bytes.length);
  return Buffer.concat([length, bytes]);
};
const uint32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

/**
 * A new ed25519 key pair in OpenSSH formats, built here from node:crypto's raw key: ssh2's own
 * generateKeyPairSync('ed25519') strips leading zero bytes of the public key, so about one key
 * in 256 comes out malformed (mscdex/ssh2#1390, #1513).
 */
export function generateEd25519(comment: string): SshKeyPair {
  const jwk = generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' });
  const pub = Buffer.from(jwk.x!, 'base64url');
  const seed = Buffer.from(jwk.d!, 'base64url');
  const publicBlob = Buffer.concat([sshString(ED25519), sshString(pub)]);
  const check = randomBytes(4);
  // PROTOCOL.key: checkint twice, the key (private part = seed || public), comment, then padding 1, 2, 3 … to 8 bytes.
  const body = Buffer.concat([
    check,
    check,
    sshString(ED25519),
    sshString(pub),
    sshString(Buffer.concat([seed, pub])),
    sshString(comment),
  ]);
  const padding = Buffer.from(Array.from({ length: (8 - (body.length % 8)) % 8 }, (_, i) => i + 1));
  const container = Buffer.concat([
    Buffer.from('openssh-key-v1\0'),
    sshString('none'),
    sshString('none'),
    sshString(''),
    uint32(1),
    sshString(publicBlob),
    sshString(Buffer.concat([body, padding])),
  ]);
  const lines = container.toString('base64').match(/.{1,70}/g)!;
  return {
    privateKey: ['-----BEGIN OPENSSH PRIVATE KEY-----', ...lines, '-----END OPENSSH PRIVATE KEY-----', ''].join('\n'),
    publicKey: `${ED25519} ${publicBlob.toString('base64')} ${comment}`,
  };
}

/**
 * `<type> <base64>` of a private or public key in any format ssh2 reads (OpenSSH, PEM, PPK); throws on anything else.
 */
export function publicKeyOf(keyText: string | Buffer): string {
  const parsed = utils.parseKey(keyText);
  if (parsed instanceof Error) throw parsed;
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key) throw new Error('no key found');
  return `${key.type} ${key.getPublicSSH().toString('base64')}`;
}

/** Whether two `authorized_keys`-style lines hold the same key: type and key data, comments ignored. */
export function samePublicKey(a: string, b: string): boolean {
  const strip = (line: string) => line.trim().split(/\s+/).slice(0, 2).join(' ');
  return strip(a) === strip(b);
}

/** A private key on disk, with its public half. */
export interface LocalKey {
  path: string;
  publicKey: string;
}

/**
 * Refuses a private key that the group or others may read, as OpenSSH does for a key file its user
 * owns ("UNPROTECTED PRIVATE KEY FILE"): ssh would refuse it later, on the host's first connection.
 */
async function requireOwnerOnly(path: string): Promise<void> {
  const { mode, uid } = await stat(path);
  if (uid !== process.getuid?.() || (mode & 0o077) === 0) return;
  const who = [mode & 0o070 ? 'its group' : '', mode & 0o007 ? 'everyone' : ''].filter(Boolean).join(' and ');
  throw configError(
    `the private key ${path} can be read by ${who} (mode ${(mode & 0o777).toString(8).padStart(4, '0')}): ssh ` +
      `refuses a key that is not private`,
    `chmod 600 ${path}`,
  );
}

/** Reads the private key at `path`; `undefined` when there is none. A file devenv cannot use is a config error. */
export async function readLocalKey(path: string): Promise<LocalKey | undefined> {
  let text: Buffer;
  try {
    text = await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw configError(`cannot read the private key ${path}: ${(err as Error).message}`);
  }
  await requireOwnerOnly(path);
  const parsed = utils.parseKey(text);
  const key = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!key || key instanceof Error || !key.isPrivateKey()) {
    const why = key instanceof Error ? key.message : 'it is not a private key';
    throw configError(
      `${path} is not a private key devenv can use (${why})`,
      'point instance.privateKeyPath at an unencrypted OpenSSH or PEM private key, or at a path where devenv may ' +
        'create one',
    );
  }
  return { path, publicKey: `${key.type} ${key.getPublicSSH().toString('base64')}` };
}

/**
 * Writes a private key with mode 0600, creating its folder with mode 0700 when missing (an existing
 * folder is left as it is: it may be ~/.ssh or /tmp). Refuses to replace an existing file.
 */
export async function writePrivateKey(path: string, privateKey: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeOwnerOnlyFile(path, privateKey, 'wx');
}
