import { parseCidr } from './cidr.js';

/**
 * An admin CIDR broader than this opens SSH to a large part of the internet, so it needs
 * ssh.allowSshFromAnywhere just as 0.0.0.0/0 does.
 */
export const WIDEST_ADMIN_PREFIX = 8;

export interface SshSettings {
  adminCidr: string;
  allowSshFromAnywhere: boolean;
}

/** Whether ssh.adminCidr is so broad that it counts as "from anywhere". */
export const isWideOpen = (adminCidr: string): boolean => (parseCidr(adminCidr)?.prefix ?? 0) < WIDEST_ADMIN_PREFIX;

/** Who may reach port 22, in words: "the whole internet", or how many addresses. */
export const reachOf = (adminCidr: string): string =>
  (adminCidr === '0.0.0.0/0' ? 'the whole internet' : `${(2 ** (32 - (parseCidr(adminCidr)?.prefix ?? 0))).toLocaleString('en-US')} addresses (${adminCidr})`);

/** The one rule for ssh.adminCidr, used by the config loader and by `validate`: what is wrong, or `undefined`. */
export function adminCidrProblem(ssh: SshSettings): string | undefined {
  if (!isWideOpen(ssh.adminCidr) || ssh.allowSshFromAnywhere) return undefined;
  return `"${ssh.adminCidr}" opens SSH (port 22) to ${reachOf(ssh.adminCidr)}: use your own address (such as 203.0.113.7/32) or a network of /${WIDEST_ADMIN_PREFIX} or narrower, `
    + 'or set ssh.allowSshFromAnywhere: true';
}
