import { LOAD_BALANCER } from '../blueprint/edge.js';
import { DevenvError } from '../errors.js';
import { GATE_SIGNER_FILE, gated, writeGateSigner } from '../remote/gate.js';
import { fromInspection } from './inspection.js';
import type { Change, Context, Inspection, Phase, Row } from './types.js';

/**
 * gate: tells the host's gates (templates/gate.mjs, started by the containers phase) which load
 * balancer's signature to accept: its ARN, the `signer` in the header of `x-amzn-oidc-data`. AWS signs
 * that header with one key per region for every load balancer, so a header made by anyone else's
 * load balancer verifies too; only the signer tells ours apart. A phase of its own because the load
 * balancer (alb) and the containers are made side by side: the gates start refusing everyone and
 * take the ARN from here, without a restart. Nothing to do with `auth.provider: "password"`.
 */

const SIGNER = 'gate/signer';

const signerOf = (ctx: Pick<Context, 'state'>): string | undefined => ctx.state.resource(LOAD_BALANCER)?.id;
const recordedSigner = (ctx: Pick<Context, 'state'>): unknown => ctx.state.phase('gate')?.outputs?.signer;

async function apply(ctx: Context): Promise<void> {
  if (!gated(ctx.model)) {
    ctx.report.step('no gates: auth.provider is "password"');
    return;
  }
  const signer = signerOf(ctx);
  if (!signer) {
    throw new DevenvError('phase', 'gate: the state records no load balancer, whose ARN the gates check', {
      remedy: 'run `devenv up` (or `devenv phase alb`, then `devenv phase gate`)',
    });
  }
  const changed = await writeGateSigner(await ctx.ssh(), signer);
  await ctx.state.setOutputs('gate', { signer });
  const who = `the gates of ${ctx.model.developers.length} developers`;
  ctx.report.step(changed ? `${who} now accept sign-ins signed by ${signer}` : `${who} check ${signer}, unchanged`);
}

/** The host goes with `destroy`, and the file with it. */
async function destroy(): Promise<void> {}

/** From the state (read-only commands do not log in to the host): the ARN the last run wrote, against the current. */
async function inspect(ctx: Context): Promise<Inspection> {
  if (!gated(ctx.model)) return { changes: [], rows: [] };
  const signer = signerOf(ctx);
  const recorded = recordedSigner(ctx);
  const action = recorded === undefined ? 'create' : recorded === signer ? 'keep' : 'update';
  const base = { phase: 'gate' as const, logicalId: SIGNER, kind: 'host file' };
  const change: Change = {
    ...base,
    action,
    name: GATE_SIGNER_FILE,
    detail: `the load balancer ARN the gates accept: ${signer ?? 'the one alb creates'}`,
  };
  const row: Row = {
    ...base,
    id: GATE_SIGNER_FILE,
    state: recorded === undefined ? 'not written' : 'written at the last up',
    detail: typeof recorded === 'string' ? recorded : undefined,
  };
  return { changes: [change], rows: [row] };
}

const phase: Phase = { name: 'gate', apply, destroy, ...fromInspection(inspect) };
export default phase;
