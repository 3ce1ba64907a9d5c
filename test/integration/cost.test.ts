/**
 * Dollars: `plan` ends with the monthly estimate (with prices from the shipped table when the Price
 * List cannot be read — moto has none — saying so), shows what adding a developer changes in it
 * once something runs, and `devenv cost` reads Cost Explorer by the Project tag beside the estimate.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { describeResult, newWorkspace, type Workspace } from './moto.js';
import { describeMoto } from './suite.js';

describeMoto('the cost in dollars', (moto) => {
  let ws: Workspace;
  beforeAll(async () => {
    ws = await newWorkspace(moto.server, { developers: ['alice', 'bob'] });
    const up = await ws.cli(['up']);
    expect(up.code, describeResult(up)).toBe(0);
  }, 300_000);

  it('plan estimates from the shipped table when the Price List cannot be read, saying why', async () => {
    const emptyCache = await mkdtemp(join(tmpdir(), 'devenv-prices-'));
    const plan = await ws.cli(['plan'], { env: { XDG_CACHE_HOME: emptyCache } });
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(plan.calls.read.some((c) => c.startsWith('pricing:'))).toBe(true);
    expect(plan.stdout).toMatch(/^Total: \$[\d.]+ a month, \$[\d.]+ per developer \(2\)\.$/m);
    expect(plan.stdout).toContain("warning: the estimate could not read AWS's Price List");
    expect(plan.stdout).toContain('shipped us-east-1 table');
    expect(plan.stdout).toContain('This plan does not change the estimate');
  });

  it('plan says what a third developer adds to the monthly cost', async () => {
    const config = await ws.config();
    await ws.writeConfig({ ...config, developers: [...config.developers, 'carol'] });
    const plan = await ws.cli(['plan']).finally(() => ws.writeConfig(config));
    expect(plan.code, describeResult(plan)).toBe(0);
    expect(
      plan.calls.read.filter((c) => c.startsWith('pricing:')),
      'prices cached this month',
    ).toEqual([]);
    const change = /This plan changes the estimate by \+\$([\d.]+) a month/.exec(plan.stdout);
    expect(change, plan.stdout).not.toBeNull();
    // a secret ($0.40), an alarm ($0.10) and a quarter GB of logs: under a dollar, more than 50 cents
    expect(Number(change![1])).toBeGreaterThan(0.5);
    expect(Number(change![1])).toBeLessThan(1);
  });

  it('devenv cost reads Cost Explorer by the Project tag, beside the estimate, shared by reservations', async () => {
    const result = (service: string, amount: string) => ({
      Keys: [service],
      Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } },
    });
    const res = await fetch(`${ws.endpoint}/moto-api/static/ce/cost-and-usage-results`, {
      method: 'POST',
      body: JSON.stringify({
        results: [
          {
            ResultsByTime: [
              {
                TimePeriod: { Start: '2026-11-01', End: '2026-12-01' },
                Groups: [
                  result('Amazon Elastic Compute Cloud - Compute', '242.94'),
                  result('Elastic Load Balancing', '22.26'),
                ],
                Estimated: false,
              },
            ],
          },
        ],
      }),
    });
    expect(res.ok).toBe(true);
    const cost = await ws.cli(['cost', '--month', '2026-11', '--json']);
    expect(cost.code, describeResult(cost)).toBe(0);
    const report = JSON.parse(cost.stdout);
    expect(report.services).toEqual([
      { service: 'Amazon Elastic Compute Cloud - Compute', usd: 242.94 },
      { service: 'Elastic Load Balancing', usd: 22.26 },
    ]);
    expect(report.total).toBe(265.2);
    expect(report.shares).toEqual([
      { developer: 'alice', usd: 132.6 },
      { developer: 'bob', usd: 132.6 },
    ]);
    expect(report.estimated).toBeGreaterThan(0);
    expect(report.notes.join('\n')).toContain('$0.01');
    expect(cost.calls.read.filter((c) => c.startsWith('ce:'))).toContain('ce:GetCostAndUsage');
  });

  it('refuses a month that is not one, before any AWS call', async () => {
    const bad = await ws.cli(['cost', '--month', '2026-13']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--month: "2026-13" is not a month such as 2026-11');
    expect(bad.calls.read).toEqual([]);
  });
});
