import { createHash } from 'node:crypto';

/** The host key devenv trusts, and the instance it belongs to: a host devenv replaces starts a new pin. */
export interface HostKeyPin {
  instanceId: string;
  /** OpenSSH style: `SHA256:` and the unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` shows it. */
  fingerprint: string;
}

export const fingerprintOf = (keyBlob: Buffer): string => `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;

/**
 * What to do with the key a host shows:
 * - `pinned`: it is the recorded key;
 * - `first`: nothing recorded yet: trust it and record it;
 * - `replaced`: the pin belongs to another instance (the host was replaced): record the new one;
 * - `accept-new`: it changed, and the user said `--accept-new-host-key`;
 * - `refuse`: it changed on the same instance: someone may be in the middle.
 */
export type HostKeyVerdict = 'pinned' | 'first' | 'replaced' | 'accept-new' | 'refuse';

export function judgeHostKey(pin: HostKeyPin | undefined, instanceId: string, seen: string, acceptNew: boolean): HostKeyVerdict {
  if (!pin) return 'first';
  if (pin.instanceId !== instanceId) return 'replaced';
  if (pin.fingerprint === seen) return 'pinned';
  return acceptNew ? 'accept-new' : 'refuse';
}
