import { createHash } from 'node:crypto';

/** The host key devenv trusts, and the instance it belongs to: a host devenv replaces starts a new pin. */
export interface HostKeyPin {
  instanceId: string;
  /** OpenSSH style: `SHA256:` and the unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` shows it. */
  fingerprint: string;
}

export const fingerprintOf = (keyBlob: Buffer): string =>
  `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;

/** A host key's wire blob as a `known_hosts` line's key part: `<type> <base64>` (the blob starts with its type). */
export const keyLineOf = (keyBlob: Buffer): string =>
  `${keyBlob.subarray(4, 4 + keyBlob.readUInt32BE(0)).toString()} ${keyBlob.toString('base64')}`;

/** A SHA-256 fingerprint as OpenSSH writes it: 32 bytes are 43 base64 characters without padding. */
export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

const BEGIN = '-----BEGIN SSH HOST KEY FINGERPRINTS-----';
const END = '-----END SSH HOST KEY FINGERPRINTS-----';

/**
 * The SHA-256 fingerprints cloud-init prints on the console at first boot (its
 * `write-ssh-key-fingerprints`, through `logger -t ec2`), one per host key, between the BEGIN and
 * END lines: `<14>Dec  6 01:50:00 ec2: 256 SHA256:… root@ip-10-0-1-5 (ED25519)`. Kernel messages
 * may interleave. The first complete block counts: it was printed before anything else ran on the
 * host. Empty when no complete block is there (yet), or when it shows only MD5 fingerprints.
 */
export function consoleFingerprints(consoleText: string): string[] {
  const lines = consoleText.split(/\r?\n/);
  const begin = lines.findIndex((l) => l.includes(BEGIN));
  if (begin < 0) return [];
  const end = lines.findIndex((l, i) => i > begin && l.includes(END));
  if (end < 0) return [];
  const found = lines.slice(begin + 1, end).flatMap((l) => l.split(/\s+/).filter((word) => FINGERPRINT.test(word)));
  return [...new Set(found)];
}

/**
 * What the host's key is checked against, first match wins:
 * - `config`: `ssh.hostKeyFingerprint`, when set: the user's word is the only key accepted;
 * - `pin`: the key devenv recorded for this instance at an earlier login;
 * - `console`: the fingerprints the instance printed on its console at first boot;
 * - `none`: nothing to check against; `why` says so, for the error.
 */
export type ExpectedHostKey =
  | { source: 'config' | 'pin' | 'console'; fingerprints: string[] }
  | { source: 'none'; why: string };

/**
 * What to do with the key a host shows:
 * - `pinned`: it is the recorded key (nothing to record);
 * - `verified`: it matches the configured key or the console's: record it;
 * - `accept-new`: it could not be verified or differs, and the user said `--accept-new-host-key`;
 * - `refuse`: it differs from what it was checked against: someone may be in the middle;
 * - `unverified`: there was nothing to check it against.
 */
export type HostKeyVerdict = 'pinned' | 'verified' | 'accept-new' | 'refuse' | 'unverified';

export function judgeHostKey(expected: ExpectedHostKey, seen: string, acceptNew: boolean): HostKeyVerdict {
  if (expected.source !== 'none' && expected.fingerprints.includes(seen))
    return expected.source === 'pin' ? 'pinned' : 'verified';
  if (acceptNew) return 'accept-new';
  return expected.source === 'none' ? 'unverified' : 'refuse';
}
