import { ASSUMPTIONS, type Estimate, type EstimateLine, HOURS_PER_MONTH } from '../blueprint/estimate.js';
import { isStandIn } from '../blueprint/prices.js';
import type { ScheduleConfig } from '../config/schedule.js';
import { table, wrap } from '../table.js';

/** `$12.30` */
export const usd = (n: number) => `$${n.toFixed(2)}`;
const signed = (n: number) => `${n < 0 ? '-' : '+'}${usd(Math.abs(n))}`;
/** The distinct sources of the estimate's prices, in the order of its lines. */
const sourcesOf = (e: Estimate) => [...new Set(e.lines.map((l) => l.source))];

/**
 * The estimate `plan` ends with: a line per item with its billing and source, the total and the
 * share of each developer, what office hours save, what the plan changes, and what it assumes.
 */
export function renderEstimate(
  e: Estimate,
  o: { schedule?: ScheduleConfig; running?: Estimate; warning?: string },
): string {
  // Each line's price source: named once when all agree, else by number under the table (it stays 120 wide).
  const sources = sourcesOf(e);
  const one = sources.length === 1;
  const rows = e.lines.map((l) => [
    l.item,
    l.billing,
    l.usd === undefined ? '?' : usd(l.usd),
    ...(one ? [] : [String(sources.indexOf(l.source) + 1)]),
  ]);
  const lines = [
    'Monthly estimate (USD, on-demand list prices, before tax and credits):',
    table(['item', 'billed', 'per month', ...(one ? [] : ['price'])], rows),
    ...(one ? [`Prices: ${sources[0]}.`] : sources.map((s, i) => `Price ${i + 1}: ${s}.`)),
    `Total: ${usd(e.total)} a month, ${usd(e.perDeveloper)} per developer (${e.developers})` +
      (e.unknown.length ? `, without ${e.unknown.join(', ')} (price unknown)` : '') +
      '.',
  ];
  if (e.officeHoursSaving !== undefined && o.schedule?.start)
    lines.push(
      `Office hours (${o.schedule.days} ${o.schedule.start}–${o.schedule.stop} ${o.schedule.timezone}): the host ` +
        `runs ${e.hostHours} h of ${HOURS_PER_MONTH}, which saves ${usd(e.officeHoursSaving)} a month.`,
    );
  if (o.running) {
    const change = Math.round((e.total - o.running.total) * 100) / 100;
    lines.push(
      change === 0
        ? `This plan does not change the estimate (${usd(o.running.total)} a month now).`
        : `This plan changes the estimate by ${signed(change)} a month (${usd(o.running.total)} now, ` +
            `${usd(e.total)} after).`,
    );
  }
  lines.push(
    `Assumed: ${ASSUMPTIONS.lcu} load balancer capacity unit; ${ASSUMPTIONS.snapshotUsedGB} GB of the data volume ` +
      `in use and ${ASSUMPTIONS.snapshotDailyChangeGB} GB changed a day; ${ASSUMPTIONS.logsGBPerDeveloper} GB of ` +
      'logs per developer a month; T3 surplus credits, data transfer and your hosted zone ($0.50) not included.',
  );
  if (e.lines.some((l) => isStandIn(l.source, e.region)))
    lines.push(
      `devenv ships no ${e.region} price for the lines priced from the us-east-1 table; ${e.region}'s may differ: ` +
        "`devenv plan` with credentials reads them from AWS's Price List.",
    );
  if (o.warning) lines.push(`warning: ${o.warning}`);
  return lines.map((l) => (l.includes('\n') ? l : wrap(l, 120))).join('\n');
}

/** The estimate as a markdown table and its total, each line's price source numbered under it, for the README. */
export function markdownEstimate(e: Estimate): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const sources = sourcesOf(e);
  const amount = (l: EstimateLine) => (l.usd === undefined ? '?' : usd(l.usd));
  return [
    '| item | billed | per month (USD) | price |',
    '| --- | --- | --- | --- |',
    ...e.lines.map((l) => `| ${cell(l.item)} | ${cell(l.billing)} | ${amount(l)} | ${sources.indexOf(l.source) + 1} |`),
    `| **Total** | ${e.developers} developers, host ${e.hostHours} h a month | **${usd(e.total)}** ` +
      `(${usd(e.perDeveloper)} per developer) | |`,
    '',
    ...sources.map((s, i) => `${i + 1}. ${s}`),
  ].join('\n');
}
