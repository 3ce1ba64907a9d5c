import { describe, expect, it } from 'vitest';
import { countChanges, hasChanges, summaryLine } from '../../src/commands/plan.js';
import type { Change } from '../../src/phases/types.js';

const change = (phase: Change['phase'], action: Change['action'], detail?: string): Change => ({ phase, action, logicalId: `${phase}/x`, kind: 'thing', ...(detail ? { detail } : {}) });

describe('plan summary', () => {
  it('counts what up would do; adopts, phases not built and phases left out by up --skip are told apart', () => {
    const changes = [
      change('vpc', 'create'), change('sg', 'update'), change('ec2', 'replace'), change('iam', 'adopt'), change('secrets', 'keep'),
      change('storage', 'create'), change('containers', 'create'), change('containers', 'keep'),
      change('monitoring', 'create', 'phase not built yet'),
    ];
    const s = countChanges(changes, [], ['storage', 'containers']);
    expect(s).toMatchObject({ create: 1, update: 1, replace: 1, delete: 0, adopt: 1, notBuilt: 1, skipped: 2 });
    expect(summaryLine(s)).toBe('Plan: 1 to create, 1 to update, 1 to replace, 0 to delete (and 1 to adopt: found by their tags, they are only recorded in the state; '
      + '1 more in phases not built yet, which `up` does not reach; 2 more in phases left out by `up --skip`).');
  });

  it('a phase that was never run is not skipped: its creates are changes', () => {
    const s = countChanges([change('storage', 'create')]);
    expect(s.create).toBe(1);
    expect(hasChanges(s)).toBe(true);
    expect(hasChanges(countChanges([change('storage', 'create')], [], ['storage']))).toBe(false);
  });
});
