import { prefixOf } from '../../config/cidr.js';
import type { Config } from '../../config/schema.js';
import { WIDEST_ADMIN_PREFIX } from '../../config/ssh.js';
import type { Context } from '../types.js';
import { pass, type ValidationResult } from './result.js';

/**
 * Who can reach the developers' login pages. code-server limits logins with one limiter per process
 * (2 a minute, 12 an hour), whoever tries: two wrong passwords a minute from anywhere lock the
 * developer out of their own editor. Each guard below narrows who can try; with none in place the
 * check warns (it never fails: a team may choose an open editor). An identity provider in front of
 * the load balancer, when the config gains one, joins the list.
 */
interface Guard {
  /** In place: what it does, in words; otherwise undefined. */
  active(config: Config): string | undefined;
  /** What to set to put it in place. */
  remedy: string;
}

/** A source as wide as the SSH rule's "from anywhere" (broader than a /8), IPv4 or IPv6. */
const isWide = (cidr: string) => (prefixOf(cidr) ?? 0) < WIDEST_ADMIN_PREFIX;

const GUARDS: Guard[] = [
  {
    active: (config) =>
      config.alb.allowedCidrs.some(isWide)
        ? undefined
        : `only ${config.alb.allowedCidrs.join(', ')} (alb.allowedCidrs)`,
    remedy: 'list your team\'s networks in alb.allowedCidrs (such as ["203.0.113.0/24"])',
  },
];

export const LOGIN_LIMITER =
  "code-server's login limiter is shared by everyone who tries (2 attempts a minute, 12 an hour, per " +
  "developer's editor), " +
  'so anyone on the internet can lock a developer out with two wrong passwords a minute';

export function checkLoginExposure(ctx: Pick<Context, 'config'>): ValidationResult {
  const active = GUARDS.map((g) => g.active(ctx.config)).filter((a): a is string => a !== undefined);
  if (active.length) return pass('login pages', `the login pages are reachable from ${active.join('; ')}`);
  return pass('login pages', 'the login pages are reachable from the whole internet', {
    warnings: [
      `the login pages are open to the whole internet: ${LOGIN_LIMITER}; ${GUARDS.map((g) => g.remedy).join(', or ')}`,
    ],
  });
}
