import { describe, expect, it } from 'vitest';
import { countChanges, hasChanges, summaryLine } from '../../src/commands/plan.js';
import type { Change } from '../../src/phases/types.js';

const change = (phase: Change['phase'], action: Change['action']): Change => ({
  phase,
  action,
  logicalId: `${phase}/x`,
  kind: 'thing',
});

describe('plan summary', () => {
  it('counts what up would do; adopts, pending phases and conflicts are told apart', () => {
    const changes = [
      change('vpc', 'create'),
      change('sg', 'update'),
      change('ec2', 'replace'),
      change('iam', 'adopt'),
      change('secrets', 'keep'),
      change('storage', 'create'),
      change('containers', 'create'),
      change('containers', 'keep'),
      { ...change('dns', 'keep'), blocked: "not devenv's" },
    ];
    const s = countChanges(changes, [], ['storage', 'containers']);
    expect(s).toEqual({
      create: 3,
      update: 1,
      replace: 1,
      delete: 0,
      adopt: 1,
      pending: 2,
      blocked: 1,
      failedPhases: 0,
    });
    expect(summaryLine(s)).toBe(
      'Plan: 3 to create, 1 to update, 1 to replace, 0 to delete (and 1 to adopt: found by their tags, they are only recorded in the state; ' +
        '2 phases not created yet; 1 conflict `up` would stop at).',
    );
  });

  it('a phase left out by up --skip is still something up has to do: its creates count, and so does the phase', () => {
    expect(hasChanges(countChanges([change('storage', 'create')], [], ['storage']))).toBe(true);
    // Even with nothing to create (the test phase's checks): the phase itself has not run.
    expect(hasChanges(countChanges([change('test', 'keep')], [], ['test']))).toBe(true);
    expect(hasChanges(countChanges([change('test', 'keep')]))).toBe(false);
  });

  it('a conflict up would stop at is something to do, though it changes nothing', () => {
    expect(hasChanges(countChanges([{ ...change('dns', 'keep'), blocked: "not devenv's" }]))).toBe(true);
  });
});
