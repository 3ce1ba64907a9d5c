import { parseCidr } from './cidr.js';

/**
 * An admin CIDR broader than this opens SSH to a large part of the internet, so it needs
 * ssh.allowSshFromAnywhere just as 0.0.0.0/0 does.
 */
export const WIDEST_ADMIN_PREFIX = 8;

export interface SshSettings {
  adminCidr?: string;
  adminCidrs?: string[];
  allowSshFromAnywhere: boolean;
}

/** The sources allowed on port 22: ssh.adminCidrs, or the single ssh.adminCidr. */
export const adminCidrsOf = (ssh: Pick<SshSettings, 'adminCidr' | 'adminCidrs'>): string[] =>
  ssh.adminCidrs ?? (ssh.adminCidr ? [ssh.adminCidr] : []);

/** The config key a user wrote the admin CIDRs under, for messages: `ssh.adminCidrs[1]` or `ssh.adminCidr`. */
export const adminCidrKey = (ssh: Pick<SshSettings, 'adminCidrs'>, index: number): string =>
  ssh.adminCidrs ? `ssh.adminCidrs[${index}]` : 'ssh.adminCidr';

/** Whether an admin CIDR is so broad that it counts as "from anywhere". */
export const isWideOpen = (adminCidr: string): boolean => (parseCidr(adminCidr)?.prefix ?? 0) < WIDEST_ADMIN_PREFIX;

/** Who may reach port 22, in words: "the whole internet", or how many addresses. */
export const reachOf = (adminCidr: string): string =>
  adminCidr === '0.0.0.0/0'
    ? 'the whole internet'
    : `${(2 ** (32 - (parseCidr(adminCidr)?.prefix ?? 0))).toLocaleString('en-US')} addresses (${adminCidr})`;

/**
 * The one rule for the admin CIDRs, used by the config loader and by `validate`: each one broader
 * than a /8 needs ssh.allowSshFromAnywhere. Each offending block with its key.
 */
export function adminCidrProblems(ssh: SshSettings): { key: string; problem: string }[] {
  if (ssh.allowSshFromAnywhere) return [];
  return adminCidrsOf(ssh).flatMap((cidr, i) =>
    isWideOpen(cidr)
      ? [
          {
            key: adminCidrKey(ssh, i),
            problem:
              `"${cidr}" opens SSH (port 22) to ${reachOf(cidr)}: use your own address (such as 203.0.113.7/32) ` +
              `or a network of /${WIDEST_ADMIN_PREFIX} or narrower, ` +
              'or set ssh.allowSshFromAnywhere: true',
          },
        ]
      : [],
  );
}

/**
 * Exactly one of ssh.adminCidr and ssh.adminCidrs. A rule here rather than a refinement of the ssh
 * object, which zod would skip whenever another ssh key is wrong.
 */
export function adminSourceProblems(
  ssh: Pick<SshSettings, 'adminCidr' | 'adminCidrs'>,
): { key: string; problem: string }[] {
  if (ssh.adminCidr === undefined && ssh.adminCidrs === undefined) {
    return [
      {
        key: 'ssh.adminCidrs',
        problem:
          'is required: the CIDR blocks allowed to reach port 22, such as ["203.0.113.7/32"] (or a single adminCidr)',
      },
    ];
  }
  if (ssh.adminCidr !== undefined && ssh.adminCidrs !== undefined) {
    return [
      {
        key: 'ssh.adminCidr',
        problem:
          `${JSON.stringify(ssh.adminCidr)} is given together with ssh.adminCidrs: keep only adminCidrs, ` +
          `with ${JSON.stringify(ssh.adminCidr)} in its list if you mean it`,
      },
    ];
  }
  return [];
}
