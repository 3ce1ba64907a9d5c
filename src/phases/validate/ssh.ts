import { parseCidr } from '../../config/cidr.js';
import type { Context } from '../types.js';
import { fail, pass, type CheckResult } from './outcome.js';

/**
 * SSH is reachable only from ssh.adminCidr. Loading the config refuses 0.0.0.0/0 already; this
 * repeats it cheaply for a config built any other way, and warns when the user chose it.
 */
export function checkAdminCidr(ctx: Context): CheckResult {
  const { adminCidr, allowSshFromAnywhere } = ctx.config.ssh;
  const cidr = parseCidr(adminCidr);
  if (!cidr) return fail('admin CIDR', `ssh.adminCidr "${adminCidr}" is not an IPv4 CIDR block: use your address, such as 203.0.113.7/32`);
  if (cidr.prefix > 0) return pass('admin CIDR', `SSH (port 22) only from ${adminCidr}`);
  if (!allowSshFromAnywhere) {
    return fail('admin CIDR', `ssh.adminCidr ${adminCidr} opens SSH (port 22) to the whole internet: ` +
      'set it to your own address (such as 203.0.113.7/32), or set ssh.allowSshFromAnywhere: true');
  }
  return pass('admin CIDR', `SSH (port 22) from anywhere (${adminCidr}, ssh.allowSshFromAnywhere)`, {
    warnings: ['SSH (port 22) is open to the whole internet: only the key protects the host; narrow ssh.adminCidr when you can'],
  });
}
