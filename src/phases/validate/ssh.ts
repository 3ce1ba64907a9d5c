import { parseCidr } from '../../config/cidr.js';
import { adminCidrProblem, isWideOpen, reachOf } from '../../config/ssh.js';
import type { Context } from '../types.js';
import { fail, pass, type CheckResult } from './outcome.js';

/**
 * SSH is reachable only from ssh.adminCidr. Loading the config applies the same rule already; this
 * repeats it cheaply for a config built any other way, and warns when the user chose a wide one.
 */
export function checkAdminCidr(ctx: Context): CheckResult {
  const { adminCidr } = ctx.config.ssh;
  if (!parseCidr(adminCidr)) return fail('admin CIDR', `ssh.adminCidr "${adminCidr}" is not an IPv4 CIDR block: use your address, such as 203.0.113.7/32`, { cause: 'config' });
  const problem = adminCidrProblem(ctx.config.ssh);
  if (problem) return fail('admin CIDR', `ssh.adminCidr ${problem}`, { cause: 'config' });
  if (!isWideOpen(adminCidr)) return pass('admin CIDR', `SSH (port 22) only from ${adminCidr}`);
  return pass('admin CIDR', `SSH (port 22) from ${adminCidr} (ssh.allowSshFromAnywhere)`, {
    warnings: [`SSH (port 22) is open to ${reachOf(adminCidr)}: only the key protects the host; narrow ssh.adminCidr when you can`],
  });
}
