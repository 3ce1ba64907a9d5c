import { describe, expect, it } from 'vitest';
import { markDrift, problemOf } from '../../src/phases/inspection.js';
import type { Change, Row } from '../../src/phases/types.js';

const change = (logicalId: string, action: Change['action'], detail?: string): Change => ({
  phase: 'alb',
  action,
  logicalId,
  kind: 'listener rule',
  name: `${logicalId}.example`,
  ...(detail ? { detail } : {}),
});
const row = (logicalId: string, state = 'present', extra: Partial<Row> = {}): Row => ({
  phase: 'alb',
  logicalId,
  kind: 'listener rule',
  id: `arn/${logicalId}`,
  state,
  ...extra,
});

describe('drift verdicts (status from the changes plan would make)', () => {
  it('a keep or an adopt is no problem; a create is missing; an update or a replace is drifted, with the first line of what differs', () => {
    const rows = markDrift({
      changes: [
        change('a', 'keep'),
        change('b', 'adopt'),
        change('c', 'create', 'priority 3'),
        change('d', 'update', 'forward to tg/d\nsecond line'),
        change('e', 'replace', 'AMI changed'),
      ],
      rows: [row('a'), row('b'), row('c', 'missing'), row('d'), row('e')],
    });
    expect(rows.map((r) => r.problem ?? null)).toEqual([
      null,
      null,
      { verdict: 'missing', message: 'alb listener rule c.example missing' },
      { verdict: 'drifted', message: 'alb listener rule d.example differs from the config (forward to tg/d)' },
      { verdict: 'drifted', message: 'alb listener rule e.example must be replaced (AMI changed)' },
    ]);
  });

  it('a delete with no row of its own (a removed developer) becomes a row, left over and drifted', () => {
    const rows = markDrift({
      changes: [change('rule/bob', 'delete', 'delete the rule for bob.example (no longer a developer)')],
      rows: [row('rule/alice')],
    });
    expect(rows).toHaveLength(2);
    expect(rows[1]).toMatchObject({
      logicalId: 'rule/bob',
      state: 'left over',
      problem: {
        verdict: 'drifted',
        message: expect.stringContaining('is left over (delete the rule for bob.example'),
      },
    });
  });

  it('a problem the phase found (unhealthy) is kept and joined by the drift; the worse verdict leads', () => {
    const unhealthy = { verdict: 'unhealthy' as const, message: 'target i-1:8443 unhealthy' };
    const [r] = markDrift({
      changes: [change('tg', 'update', 'register i-2:8443')],
      rows: [row('tg', 'unhealthy', { problem: unhealthy })],
    });
    expect(r!.problem).toEqual({
      verdict: 'drifted',
      message: 'target i-1:8443 unhealthy; alb listener rule tg.example differs from the config (register i-2:8443)',
    });
    const [alone] = markDrift({
      changes: [change('tg', 'keep')],
      rows: [row('tg', 'unhealthy', { problem: unhealthy })],
    });
    expect(alone!.problem).toEqual(unhealthy);
  });

  it('a row of a phase that marks nothing (built elsewhere) counts as missing when its state says so, else as fine', () => {
    expect(problemOf(row('log/alice', 'missing'))).toEqual({
      verdict: 'missing',
      message: 'alb listener rule arn/log/alice missing',
    });
    expect(problemOf(row('log/alice', 'exists'))).toBeUndefined();
  });
});
