/**
 * What `status` and `plan` print, on realistic rows: within 120 columns at 8 and 50 developers
 * (names in place of ARNs, long ids and details cut), everything with `--wide`; a converged plan
 * says "No changes." instead of a line per resource (`--all` lists them); warnings under the table;
 * problems one per line, the first 20 and "and N more".
 */
import { describe, expect, it } from 'vitest';
import type { Change } from '../../src/phases/types.js';
import {
  listProblems,
  renderPlan,
  renderStatus,
  type StatusResource,
  type StatusView,
} from '../../src/ui/plan-and-status.js';
import { table } from '../../src/table.js';

const ARN = 'arn:aws:elasticloadbalancing:ap-southeast-7:123456789012';
const LB_DNS = 'team-ide-alb-1234567890.ap-southeast-7.elb.amazonaws.com';
const developers = (n: number) => Array.from({ length: n }, (_, i) => `developer-${i + 1}`);

/** The rows `status` has for a team: the shared resources and each developer's, with the ids AWS gives. */
function statusView(n: number): StatusView {
  const names = new Map<string, string>();
  const row = (
    phase: string,
    logicalId: string,
    kind: string,
    id: string,
    state: string,
    detail: string,
    name?: string,
  ): StatusResource => {
    if (name) names.set(logicalId, name);
    return { phase: phase as StatusResource['phase'], logicalId, kind, id, state, detail, verdict: 'ok' };
  };
  const resources: StatusResource[] = [
    row('vpc', 'vpc', 'VPC', 'vpc-0a1b2c3d4e5f67890', 'available', '10.0.0.0/16'),
    row(
      'ec2',
      'instance',
      'EC2 instance',
      'i-0123456789abcdef0',
      'running',
      't3.2xlarge ami-0a1b2c3d4e5f67890; 54.214.143.191 (ec2-54-214-143-191.ap-southeast-7.compute.amazonaws.com)',
    ),
    row(
      'cert',
      'cert',
      'certificate',
      'arn:aws:acm:ap-southeast-7:123456789012:certificate/6f1c2d3e-4a5b-4c6d-8e7f-901234567890',
      'ISSUED',
      '*.dev.example.com',
      '*.dev.example.com',
    ),
    row(
      'alb',
      'alb',
      'load balancer',
      `${ARN}:loadbalancer/app/team-ide-alb/50dc6c495c0c9188`,
      'active',
      LB_DNS,
      'team-ide-alb',
    ),
    row(
      'alb',
      'listener/https',
      'listener',
      `${ARN}:listener/app/team-ide-alb/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      'HTTPS 443',
      'ELBSecurityPolicy-TLS13-1-2-2021-06',
      'https',
    ),
    row(
      'monitoring',
      'backup/selection',
      'backup selection',
      '8a3b1c2d-4e5f-6071-8293-a4b5c6d7e8f9',
      'selects the data volume',
      'arn:aws:ec2:ap-southeast-7:123456789012:volume/vol-0123456789abcdef0',
    ),
  ];
  for (const d of developers(n)) {
    resources.push(
      row(
        'secrets',
        `secret/${d}/password`,
        'secret',
        `arn:aws:secretsmanager:ap-southeast-7:123456789012:secret:team-ide/${d}/password-AbCdEf`,
        'exists',
        'rotated 2026-11-23',
        `team-ide/${d}/password`,
      ),
      row(
        'alb',
        `tg/${d}`,
        'target group',
        `${ARN}:targetgroup/team-ide-tg-${d}/6d0ecf831eec9f09`,
        'healthy',
        'i-0123456789abcdef0:8443 healthy',
        `team-ide-tg-${d}`,
      ),
      row(
        'alb',
        `rule/${d}`,
        'listener rule',
        `${ARN}:listener-rule/app/team-ide-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee`,
        'priority 1',
        `${d}.dev.example.com`,
        `team-ide-rule-${d}`,
      ),
      row(
        'dns',
        `record/${d}`,
        'DNS record',
        `${d}.dev.example.com`,
        'in sync',
        `A alias → ${LB_DNS} evaluateHealth=true`,
      ),
      row(
        'monitoring',
        `alarm/unhealthy/${d}`,
        'CloudWatch alarm',
        `arn:aws:cloudwatch:ap-southeast-7:123456789012:alarm:team-ide-alarm-unhealthy-${d}`,
        'OK',
        'Threshold Crossed: 1 datapoint [0.0 (23/11/26 17:29:00)] was not greater than or equal to the threshold (1.0).',
        `team-ide-alarm-unhealthy-${d}`,
      ),
    );
  }
  return {
    heading: 'team-ide in ap-southeast-7 (account 123456789012)',
    phases: [
      { name: 'storage', status: 'pending: left out by `up --skip`' },
      { name: 'containers', status: 'pending: left out by `up --skip`' },
    ],
    resources,
    developers: developers(n).map((d, i) => ({
      name: d,
      url: `https://${d}.dev.example.com`,
      port: 8443 + i,
      container: 'healthy at the last up',
      target: 'healthy',
      dns: 'in sync',
      problems: i % 3 ? [] : ['drifted listener rule', 'missing log group', 'unhealthy target group'],
    })),
    names,
    loadBalancerDns: LB_DNS,
    hostAddress: '54.214.143.191',
    warnings: [
      'could not read the public NS records of dev.example.com (ENOTFOUND): make sure its registrar delegates it to hosted zone Z0123456789ABCDEFGHIJ',
    ],
  };
}

function planChanges(n: number, action: Change['action']): Change[] {
  return developers(n).flatMap((d): Change[] => [
    {
      phase: 'alb',
      action,
      logicalId: `tg/${d}`,
      kind: 'target group',
      name: `team-ide-tg-${d}`,
      id: `${ARN}:targetgroup/team-ide-tg-${d}/6d0ecf831eec9f09`,
      detail:
        'HTTP 8443; health check GET /healthz every 30s, healthy after 2, unhealthy after 3; target i-0123456789abcdef0:8443',
    },
    {
      phase: 'dns',
      action,
      logicalId: `record/${d}`,
      kind: 'DNS record',
      name: `${d}.dev.example.com`,
      detail: `A alias → ${LB_DNS}`,
    },
  ]);
}

const widest = (text: string) => Math.max(...text.split('\n').map((l) => l.length));

describe('status and plan at 120 columns', () => {
  for (const n of [8, 50]) {
    it(`status fits 120 columns at ${n} developers with names for ARNs; --wide shows the ARNs whole`, () => {
      const text = renderStatus(statusView(n));
      expect(widest(text)).toBeLessThanOrEqual(120);
      expect(text).not.toContain('arn:aws:');
      expect(text).toMatch(
        new RegExp(`^alb\\s+tg/developer-${n}\\s+team-ide-tg\\S*-${n}\\s+healthy\\s+ok\\s+i-0123456789abcdef0:84`, 'm'),
      );
      expect(text).toMatch(/^load balancer: team-ide-alb-1234567890\.ap-southeast-7\.elb\.amazonaws\.com$/m);
      expect(text).toMatch(/^host: 54\.214\.143\.191$/m);
      expect(text).toMatch(/^warning: could not read the public NS records of dev\.example\.com/m);
      const wide = renderStatus(statusView(n), { wide: true });
      expect(wide).toContain(`${ARN}:targetgroup/team-ide-tg-developer-${n}/6d0ecf831eec9f09`);
      expect(wide).toContain(
        'Threshold Crossed: 1 datapoint [0.0 (23/11/26 17:29:00)] was not greater than or equal to the threshold (1.0).',
      );
    });

    it(`a converged plan at ${n} developers says "No changes." and its count; --all lists every line within 120 columns`, () => {
      const kept = planChanges(n, 'keep');
      const text = renderPlan({
        changes: kept,
        failures: [],
        pending: [],
        summaryLine: 'Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.',
      });
      expect(text).toBe(
        `No changes. ${kept.length} resources and checks as planned (\`devenv plan --all\` lists them).\n\nPlan: 0 to create, 0 to update, 0 to replace, 0 to delete.`,
      );
      const all = renderPlan({ changes: kept, failures: [], pending: [], summaryLine: 'Plan: …', all: true });
      expect(all.split('\n').filter((l) => l.startsWith('=  keep'))).toHaveLength(kept.length);
      expect(widest(all)).toBeLessThanOrEqual(120);
    });
  }

  it('a plan with changes lists only them, says how many are kept, and prints warnings under the table', () => {
    const changes: Change[] = [
      ...planChanges(50, 'keep'),
      {
        phase: 'alb',
        action: 'create',
        logicalId: 'tg/newcomer',
        kind: 'target group',
        name: 'team-ide-tg-newcomer',
        detail: 'HTTP 8493',
      },
      {
        phase: 'validate',
        action: 'keep',
        logicalId: 'check/hosted-zone',
        kind: 'check',
        name: 'hosted zone',
        detail: 'Z0123 dev.example.com',
        warnings: ['dev.example.com is not delegated yet'],
      },
      {
        phase: 'dns',
        action: 'keep',
        logicalId: 'record/x',
        kind: 'DNS record',
        name: 'x.dev.example.com',
        detail: "not devenv's: CNAME old.example.net",
        blocked: "not devenv's",
      },
    ];
    const text = renderPlan({
      changes,
      failures: [],
      pending: ['phase test not created yet: left out by `up --skip`'],
      summaryLine: 'Plan: 1 to create.',
    });
    expect(text.split('\n')).toEqual([
      '   action    phase  kind          name                  detail',
      '+  create    alb    target group  team-ide-tg-newcomer  HTTP 8493',
      "!  conflict  dns    DNS record    x.dev.example.com     not devenv's: CNAME old.example.net",
      '',
      '(101 more as planned: `devenv plan --all` lists them)',
      '',
      'Not created yet (`devenv up` runs them):',
      '  phase test not created yet: left out by `up --skip`',
      '',
      'warning: dev.example.com is not delegated yet',
      '',
      'Plan: 1 to create.',
    ]);
  });

  it('problems one per line: the first 20, then "and N more"; one problem on one line', () => {
    const many = Array.from({ length: 45 }, (_, i) => `alb target group team-ide-tg-dev${i} missing`);
    expect(listProblems(many).split('\n')).toEqual([
      '45 problems:',
      ...many.slice(0, 20).map((p) => `  ${p}`),
      '  and 25 more (`--json` lists them all)',
    ]);
    expect(listProblems(many.slice(0, 3)).split('\n')).toHaveLength(4);
    expect(listProblems(['dns DNS record x missing'])).toBe('1 problem: dns DNS record x missing');
  });

  it('a table cuts the last column first, then the widest, and keeps line breaks out of a row', () => {
    const t = table(['a', 'b'], [['x'.repeat(60), `first line\nsecond ${'y'.repeat(100)}`]], { maxWidth: 80 });
    expect(t.split('\n').map((l) => l.length)).toEqual([57, 80]);
    expect(t).toContain('first line; second yyy');
    expect(t.endsWith('…')).toBe(true);
  });
});
