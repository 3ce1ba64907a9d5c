import { parseCidr } from '../../config/cidr.js';
import { adminCidrKey, adminCidrProblems, adminCidrsOf, isWideOpen, reachOf } from '../../config/ssh.js';
import type { Context } from '../types.js';
import { fail, pass, type ValidationResult } from './result.js';

/**
 * SSH is reachable only from the admin CIDRs. Loading the config applies the same rule already; this
 * repeats it cheaply for a config built any other way, and warns when the user chose a wide one.
 */
export function checkAdminCidr(ctx: Context): ValidationResult {
  const { ssh } = ctx.config;
  const cidrs = adminCidrsOf(ssh);
  if (cidrs.length === 0)
    return fail(
      'admin CIDR',
      'ssh.adminCidrs is missing: list the addresses allowed on port 22, such as ["203.0.113.7/32"]',
      { cause: 'config' },
    );
  const malformed = cidrs.findIndex((c) => !parseCidr(c));
  if (malformed >= 0) {
    return fail(
      'admin CIDR',
      `${adminCidrKey(ssh, malformed)} "${cidrs[malformed]}" is not an IPv4 CIDR block: use your ` +
        'address, such as 203.0.113.7/32',
      { cause: 'config' },
    );
  }
  const problems = adminCidrProblems(ssh);
  if (problems.length)
    return fail('admin CIDR', problems.map((p) => `${p.key} ${p.problem}`).join('; '), { cause: 'config' });
  const wide = cidrs.filter(isWideOpen);
  if (wide.length === 0) return pass('admin CIDR', `SSH (port 22) only from ${cidrs.join(', ')}`);
  return pass('admin CIDR', `SSH (port 22) from ${cidrs.join(', ')} (ssh.allowSshFromAnywhere)`, {
    warnings: wide.map(
      (c) =>
        `SSH (port 22) is open to ${reachOf(c)}: only the key protects the host; narrow the admin CIDRs when you can`,
    ),
  });
}
