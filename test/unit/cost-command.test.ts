import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CostExplorerClient,
  GetCostAndUsageCommand,
  ListCostAllocationTagsCommand,
  type Group,
} from '@aws-sdk/client-cost-explorer';
import { beforeEach, describe, expect, it } from 'vitest';
import { HOURS_PER_MONTH } from '../../src/blueprint/estimate.js';
import { buildModel } from '../../src/config/model.js';
import { parseConfig } from '../../src/config/load.js';
import { costReport, developerShares, monthRange, renderCost } from '../../src/commands/cost.js';
import { planEstimate } from '../../src/commands/estimate.js';
import { DevenvError } from '../../src/errors.js';
import { baseConfig } from '../helpers/context.js';
import { resetSdkMocks, sdkMock } from '../helpers/mock-sdk.js';

/**
 * `devenv cost` against what moto cannot show: moto has no ListCostAllocationTags, so the note on a cost-allocation
 * tag that is not active (and how to activate it) is shown here; and the request Cost Explorer gets (by the Project
 * tag, grouped by service, every page), the estimate for the same days, and each developer's share by reservations.
 */

const ce = sdkMock(CostExplorerClient);
const cache = mkdtempSync(join(tmpdir(), 'devenv-cost-'));
const NOW = new Date('2026-12-06T11:00:00Z');

const config = parseConfig(
  JSON.stringify({
    ...baseConfig,
    containers: { cpuLimit: 2, memoryLimitMiB: 8192 },
    developers: [{ name: 'alice', cpuReservation: 2, memoryReservationMiB: 6144 }, 'bob'],
  }),
);
const model = buildModel(config);
const session = {
  config,
  model,
  state: { data: {} },
  env: { XDG_CACHE_HOME: cache },
  aws: { costExplorer: async () => new CostExplorerClient({ region: 'us-east-1' }) },
} as never;

const group = (service: string, amount: string): Group => ({
  Keys: [service],
  Metrics: { UnblendedCost: { Amount: amount, Unit: 'USD' } },
});

beforeEach(() => {
  resetSdkMocks();
  ce.on(GetCostAndUsageCommand).resolves({
    ResultsByTime: [{ Groups: [group('Amazon Elastic Compute Cloud - Compute', '200'), group('Tax', '0')] }],
  });
});

describe('devenv cost: the cost-allocation tag', () => {
  it('not active: says so, and how to activate it (console or CLI), that tagging counts from then on', async () => {
    ce.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: [{ TagKey: 'Project', Type: 'UserDefined', Status: 'Inactive' }],
    });
    const r = await costReport(session, '2026-11', NOW);
    const note = r.notes.find((n) => n.includes('Project tag'));
    expect(note).toMatch(/^the Project tag is not active for cost allocation, so Cost Explorer cannot tell/);
    expect(note).toContain('Billing console → Cost allocation tags');
    expect(note).toContain(
      '`aws ce update-cost-allocation-tags-status --cost-allocation-tags-status TagKey=Project,Status=Active`',
    );
    expect(note).toContain('within 24 hours');
    expect(renderCost(r)).toContain(`note: ${note}`);
    expect(ce.commandCalls(ListCostAllocationTagsCommand)[0]!.args[0].input).toEqual({
      TagKeys: ['Project'],
      Type: 'UserDefined',
    });
  });

  it('never seen yet (no resource carried it when Billing last looked): "not known yet", the same fix', async () => {
    ce.on(ListCostAllocationTagsCommand).resolves({ CostAllocationTags: [] });
    const note = (await costReport(session, '2026-11', NOW)).notes.find((n) => n.includes('Project tag'));
    expect(note).toMatch(/^the Project tag is not known yet for cost allocation/);
    expect(note).toContain('TagKey=Project,Status=Active');
  });

  it('active: no word about it', async () => {
    ce.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: [{ TagKey: 'Project', Type: 'UserDefined', Status: 'Active' }],
    });
    const r = await costReport(session, '2026-11', NOW);
    expect(r.notes.filter((n) => n.includes('Project tag'))).toEqual([]);
  });

  it('its status cannot be read (no permission): says why, and still reads the costs', async () => {
    ce.on(ListCostAllocationTagsCommand).rejects(
      Object.assign(new Error('not allowed'), { name: 'AccessDeniedException' }),
    );
    const r = await costReport(session, '2026-11', NOW);
    expect(r.notes).toContain("could not check the Project tag's status (AccessDeniedException)");
    expect(r.total).toBe(200);
  });
});

describe('devenv cost: what it asks Cost Explorer, and what it says', () => {
  beforeEach(() => {
    ce.on(ListCostAllocationTagsCommand).resolves({
      CostAllocationTags: [{ TagKey: 'Project', Type: 'UserDefined', Status: 'Active' }],
    });
  });

  it("the month's costs of resources tagged Project=<project>, by service, every page summed", async () => {
    ce.on(GetCostAndUsageCommand)
      .resolvesOnce({
        ResultsByTime: [{ Groups: [group('Amazon Elastic Compute Cloud - Compute', '150.10')] }],
        NextPageToken: 'p2',
      })
      .resolvesOnce({
        ResultsByTime: [
          {
            Groups: [
              group('Amazon Elastic Compute Cloud - Compute', '50.20'),
              group('Elastic Load Balancing', '22.26'),
            ],
          },
        ],
      });
    const r = await costReport(session, '2026-02', NOW);
    const calls = ce.commandCalls(GetCostAndUsageCommand).map((c) => c.args[0].input);
    expect(calls[0]).toEqual({
      TimePeriod: { Start: '2026-02-01', End: '2026-03-01' },
      Granularity: 'MONTHLY',
      Metrics: ['UnblendedCost'],
      Filter: { Tags: { Key: 'Project', Values: ['demo'], MatchOptions: ['EQUALS'] } },
      GroupBy: [{ Type: 'DIMENSION', Key: 'SERVICE' }],
    });
    expect(calls[1]!.NextPageToken).toBe('p2');
    expect(r.services).toEqual([
      { service: 'Amazon Elastic Compute Cloud - Compute', usd: 200.3 },
      { service: 'Elastic Load Balancing', usd: 22.26 },
    ]);
    expect(r.total).toBe(222.56);
    expect(r.notes.join('\n')).toContain('each Cost Explorer request costs $0.01');
    // The estimate for February's 28 days, not a 730-hour month.
    const { estimate } = await planEstimate(config, {}, { env: { XDG_CACHE_HOME: cache }, now: NOW });
    expect(r.estimated).toBe(Math.round(((estimate.total * 28 * 24) / HOURS_PER_MONTH) * 100) / 100);
    expect(r.estimated).toBeLessThan(estimate.total);
  });

  it("each developer's share: half by reserved CPU, half by reserved memory, adding up to the total", async () => {
    // alice reserves 2 CPUs and 6 GiB, bob the defaults (1 CPU, 3 GiB): 2/3 of both.
    expect(Object.fromEntries(developerShares(model))).toEqual({ alice: 2 / 3, bob: 1 / 3 });
    ce.on(GetCostAndUsageCommand).resolves({ ResultsByTime: [{ Groups: [group('EC2', '300')] }] });
    const r = await costReport(session, '2026-11', NOW);
    expect(r.shares).toEqual([
      { developer: 'alice', usd: 200 },
      { developer: 'bob', usd: 100 },
    ]);
    const text = renderCost(r);
    expect(text).toMatch(/^alice\s+\$200\.00$/m);
    expect(text).toMatch(/^bob\s+\$100\.00$/m);
  });
});

describe('devenv cost --month', () => {
  it('a month is its first day to the next month’s (Cost Explorer’s end is exclusive), its days counted', () => {
    expect(monthRange('2024-02')).toEqual({ start: '2024-02-01', end: '2024-03-01', days: 29 });
    expect(monthRange('2026-02')).toEqual({ start: '2026-02-01', end: '2026-03-01', days: 28 });
    expect(monthRange('2026-12')).toEqual({ start: '2026-12-01', end: '2027-01-01', days: 31 });
  });

  it.each(['2026-13', '2026-00', '2026-1', 'nov', '2026-11-01', ''])(
    'refuses %j as bad input (exit 2), saying the form',
    (m) => {
      let thrown: unknown;
      try {
        monthRange(m);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(DevenvError);
      expect((thrown as DevenvError).exitCode).toBe(2);
      expect((thrown as DevenvError).message).toBe(`--month: "${m}" is not a month such as 2026-11`);
      expect((thrown as DevenvError).remedy).toBe('give the month as YYYY-MM');
    },
  );
});
