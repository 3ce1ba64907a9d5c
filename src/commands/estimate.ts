import { type Estimate, estimate } from '../blueprint/estimate.js';
import type { AwsClients } from '../aws/clients.js';
import { targetGroupId } from '../blueprint/edge.js';
import { allocate, buildModel } from '../config/model.js';
import type { Config } from '../config/schema.js';
import type { State } from '../state/schema.js';
import { estimatePrices } from './prices.js';

export interface PlanEstimate {
  estimate: Estimate;
  /** What runs now, by the state (its developers, host type and data volume), at the same prices. */
  running?: Estimate;
  warning?: string;
}

/**
 * The config as the state says it runs now: the developers with a target group, the host's type and
 * the data volume's size as recorded; the rest as configured (the state keeps no more). Undefined
 * before the host exists.
 */
function runningConfig(config: Config, state: Partial<State>): Config | undefined {
  const instance = state.resources?.instance;
  const developers = Object.keys(state.allocations ?? {}).filter((d) => state.resources?.[targetGroupId(d)]?.id);
  if (!instance?.id || developers.length === 0) return undefined;
  const type = instance.attrs?.instanceType;
  const size = state.resources?.['volume/data']?.attrs?.sizeGiB;
  return {
    ...config,
    developers,
    instance: {
      ...config.instance,
      type: typeof type === 'string' && type ? type : config.instance.type,
      dataVolumeGiB: typeof size === 'number' && size > 0 ? size : config.instance.dataVolumeGiB,
    },
  };
}

/** The monthly estimate `plan` ends with, and (online, once something runs) what the plan changes in it. */
export async function planEstimate(
  config: Config,
  state: Partial<State>,
  o: { env: Record<string, string | undefined>; now: Date; aws?: AwsClients },
): Promise<PlanEstimate> {
  const sheetFor = (c: Config) =>
    estimatePrices({ region: c.region, instanceType: c.instance.type, env: o.env, now: o.now, aws: o.aws });
  const model = buildModel(config, allocate(config, state).allocations);
  const { sheet, warning } = await sheetFor(config);
  const result: PlanEstimate = { estimate: estimate(model, sheet), ...(warning && { warning }) };
  const running = runningConfig(config, state);
  if (running) {
    const prices = running.instance.type === config.instance.type ? sheet : (await sheetFor(running)).sheet;
    result.running = estimate(buildModel(running, allocate(running, state).allocations), prices);
  }
  return result;
}
