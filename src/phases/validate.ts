import { DevenvError } from '../errors.js';
import type { Change, Context, Phase, Row } from './types.js';
import { checkAlbCapacity } from './validate/alb-capacity.js';
import { checkApiKeys } from './validate/api-keys.js';
import { checkAccount, checkRegion } from './validate/identity.js';
import { checkHostedZone } from './validate/hosted-zone.js';
import { checkLoginExposure } from './validate/exposure.js';
import { checkAmi } from './validate/image.js';
import { checkInstanceType } from './validate/instance-type.js';
import type { ValidationResult } from './validate/result.js';
import { checkClientSecret, checkOidc } from './validate/oidc.js';
import { checkPrivateKey } from './validate/private-key.js';
import { checkAdminCidr } from './validate/ssh.js';
import { checkStateBucket } from './validate/state-bucket.js';

/**
 * validate: checks, before anything is created, that the credentials, region, zones, hosted zone,
 * AMI, instance type and load balancer can carry the config, that the SSH private key is usable and that every
 * Anthropic API key the config names can be read. Only read calls; it owns no resources. Every check
 * runs at once, and every failure is reported together, each with what was found and the fix.
 */

/** Runs every check concurrently; read-only (nothing is recorded). */
export async function runChecks(ctx: Context): Promise<ValidationResult[]> {
  return Promise.all([
    checkAccount(ctx),
    checkRegion(ctx),
    checkHostedZone(ctx),
    checkAmi(ctx),
    checkInstanceType(ctx),
    Promise.resolve(checkAdminCidr(ctx)),
    Promise.resolve(checkLoginExposure(ctx)),
    checkPrivateKey(ctx),
    // Only a config that names API keys has them checked (and shown).
    ...(ctx.model.developers.some((d) => d.anthropicApiKey) ? [checkApiKeys(ctx)] : []),
    checkAlbCapacity(ctx),
    ...(ctx.config.state.s3 ? [checkStateBucket(ctx)] : []),
    ...(ctx.config.auth.provider === 'oidc' ? [checkOidc(ctx), checkClientSecret(ctx)] : []),
  ]);
}

/** One error listing every failed check, or `undefined` when all passed. */
export function failureOf(results: ValidationResult[]): DevenvError | undefined {
  const failed = results.filter((r) => !r.ok);
  if (failed.length === 0) return undefined;
  // Refused credentials or no network fail every AWS check the same way: say each once.
  const shared = (r: ValidationResult) => r.cause === 'credentials' || r.cause === 'network';
  const shown = failed.filter((r, i) => !shared(r) || failed.findIndex((f) => f.cause === r.cause) === i);
  const lines = shown.map((r) => `  - ${r.check}: ${r.detail}`).join('\n');
  const count = shown.length === 1 ? 'a problem' : `${shown.length} problems`;
  const kind = failed.every((r) => r.cause === 'config') ? 'config' : 'phase';
  return new DevenvError(kind, `validate found ${count}; nothing was created:\n${lines}`, {
    remedy: 'fix each problem above, then run `devenv up` (or `devenv phase validate`) again',
  });
}

const logicalId = (r: ValidationResult): string => `check/${r.check.toLowerCase().replaceAll(' ', '-')}`;

/** The checks `status` shows: the admin CIDR is config, not live AWS state. */
const LIVE = new Set<ValidationResult['check']>(['account', 'region', 'hosted zone', 'AMI', 'instance type']);

const phase: Phase = {
  name: 'validate',

  async apply(ctx) {
    const results = await runChecks(ctx);
    for (const r of results) {
      if (r.ok) ctx.report.step(r.detail);
      for (const w of r.warnings ?? []) ctx.report.warn(w);
    }
    const account = results.find((r) => r.check === 'account');
    // A state of another account is bad input (exit 2), not a failed check: bindAccount says so. (With
    // accountId in the config, opening the state refused it already.) Otherwise only a passing account
    // is recorded, so a wrong profile never binds the state.
    const foreignState =
      !ctx.config.accountId && ctx.state.data.account !== undefined && ctx.state.data.account !== account?.id;
    if (account?.id && (account.ok || foreignState)) ctx.state.bindAccount(account.id);
    const error = failureOf(results);
    if (error) throw error;
    await ctx.state.setOutputs('validate', Object.assign({}, ...results.map((r) => r.outputs ?? {})));
  },

  async plan(ctx): Promise<Change[]> {
    const results = await runChecks(ctx);
    const error = failureOf(results);
    if (error) throw error;
    return results.map((r) => ({
      phase: 'validate',
      action: 'keep',
      logicalId: logicalId(r),
      kind: 'check',
      name: r.check,
      ...(r.id ? { id: r.id } : {}),
      detail: r.detail,
      ...(r.warnings?.length ? { warnings: r.warnings } : {}),
    }));
  },

  async status(ctx): Promise<Row[]> {
    const results = await runChecks(ctx);
    return results
      .filter((r) => LIVE.has(r.check))
      .map((r) => ({
        phase: 'validate',
        logicalId: logicalId(r),
        kind: 'check',
        ...(r.id ? { id: r.id } : {}),
        state: r.ok ? 'ok' : 'failed',
        detail: r.detail,
        ...(r.warnings?.length ? { warnings: r.warnings } : {}),
        ...(r.ok
          ? {}
          : { problem: { verdict: 'unhealthy' as const, message: `validate ${r.check} check failed: ${r.detail}` } }),
      }));
  },

  async destroy() {
    // Owns nothing: there is nothing to delete.
  },
};

export default phase;
