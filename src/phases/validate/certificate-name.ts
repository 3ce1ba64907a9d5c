import type { Context } from '../types.js';
import { fail, pass, type CheckResult } from './outcome.js';

/** ACM limits a certificate's first name (its CN) to 64 characters [acm-req]; devenv's is `*.<baseDomain>`. */
export const CERTIFICATE_NAME_MAX = 64;

export function checkCertificateName(ctx: Context): CheckResult {
  const name = `*.${ctx.config.baseDomain}`;
  if (name.length <= CERTIFICATE_NAME_MAX) return pass('certificate', `certificate name ${name} fits ACM's ${CERTIFICATE_NAME_MAX} characters`);
  return fail('certificate', `baseDomain ${ctx.config.baseDomain} makes the certificate name ${name} ${name.length} characters long, but ACM allows ${CERTIFICATE_NAME_MAX}: use a baseDomain of at most ${CERTIFICATE_NAME_MAX - 2} characters`);
}
