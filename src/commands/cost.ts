import { COST_TAG, costByService, costTagStatus, type ServiceCost } from '../aws/cost-explorer.js';
import { errorCodes } from '../aws/errors.js';
import { type Estimate, HOURS_PER_MONTH, round2 } from '../blueprint/estimate.js';
import type { Model } from '../config/model.js';
import { DevenvError, messageOf } from '../errors.js';
import { table } from '../table.js';
import { usd } from '../ui/estimate.js';
import { planEstimate } from './estimate.js';
import type { Session } from './session.js';

/** `2026-11` → the month's first day and the next month's (Cost Explorer's end is exclusive). */
export function monthRange(month: string): { start: string; end: string; days: number } {
  const m = /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (!m)
    throw new DevenvError('config', `--month: "${month}" is not a month such as 2026-11`, {
      remedy: 'give the month as YYYY-MM',
    });
  const [year, index] = [Number(m[1]), Number(m[2]) - 1];
  const iso = (d: Date) => d.toISOString().slice(0, 10);
  const first = new Date(Date.UTC(year, index, 1));
  const next = new Date(Date.UTC(year, index + 1, 1));
  return { start: iso(first), end: iso(next), days: (next.getTime() - first.getTime()) / 86400000 };
}

/** The month before `now`'s, `YYYY-MM`: the last whole month. */
export const lastMonth = (now: Date): string =>
  new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 7);

/**
 * Each developer's share of a cost: half by their containers' reserved CPU, half by their reserved
 * memory (what the host is sized for).
 */
export function developerShares(model: Model): Map<string, number> {
  const cpu = model.developers.reduce((s, d) => s + d.cpuReservation, 0);
  const memory = model.developers.reduce((s, d) => s + d.memoryReservationMiB, 0);
  return new Map(model.developers.map((d) => [d.name, (d.cpuReservation / cpu + d.memoryReservationMiB / memory) / 2]));
}

export interface CostReport {
  month: string;
  services: ServiceCost[];
  total: number;
  /** The estimate for the same month's days. */
  estimated: number;
  shares: { developer: string; usd: number }[];
  notes: string[];
}

/** `devenv cost [--month YYYY-MM]`: what Cost Explorer says the project cost, beside the estimate. */
export async function costReport(session: Session, month: string, now: Date): Promise<CostReport> {
  const range = monthRange(month);
  const ce = await session.aws.costExplorer();
  const notes: string[] = [];
  try {
    const status = await costTagStatus(ce);
    if (status !== 'Active')
      notes.push(
        `the ${COST_TAG} tag is ${status ? 'not active' : 'not known yet'} for cost allocation, so Cost Explorer ` +
          `cannot tell this project's costs: activate it (Billing console → Cost allocation tags, or \`aws ce ` +
          `update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=${COST_TAG},Status=Active\`); ` +
          'costs are tagged from then on, within 24 hours',
      );
  } catch (err) {
    notes.push(`could not check the ${COST_TAG} tag's status (${errorCodes(err)[0] ?? messageOf(err)})`);
  }
  const services = await costByService(ce, session.config.project, range.start, range.end);
  const total = round2(services.reduce((s, c) => s + c.usd, 0));
  const { estimate } = await planEstimate(session.config, session.state.data, { env: session.env, now });
  const shares = [...developerShares(session.model)].map(([developer, share]) => ({
    developer,
    usd: round2(total * share),
  }));
  notes.push('each Cost Explorer request costs $0.01 (this command made 2, more for a long month of many services)');
  return { month, services, total, estimated: forDays(estimate, range.days), shares, notes };
}

const forDays = (e: Estimate, days: number) => round2((e.total * days * 24) / HOURS_PER_MONTH);

export function renderCost(r: CostReport): string {
  return [
    `What ${r.month} cost, by Cost Explorer (resources tagged ${COST_TAG}), beside the estimate:`,
    table(
      ['service', 'cost'],
      r.services.map((s) => [s.service, usd(s.usd)]),
    ),
    `Total: ${usd(r.total)} (estimate for the same days: ${usd(r.estimated)})`,
    '',
    "Each developer's share, by their containers' reserved CPU and memory:",
    table(
      ['developer', 'share'],
      r.shares.map((s) => [s.developer, usd(s.usd)]),
    ),
    ...r.notes.map((n) => `note: ${n}`),
  ].join('\n');
}
