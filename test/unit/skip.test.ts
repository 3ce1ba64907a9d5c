import { describe, expect, it } from 'vitest';
import { phasesWithout } from '../../src/commands/up.js';
import { Reporter, type UiEvent } from '../../src/ui/events.js';

const reporter = (events: UiEvent[]) => new Reporter({ render: (e) => events.push(e), close: () => undefined });

describe('up --skip', () => {
  it('leaves out the skipped phases and every phase that needs them, saying so', () => {
    const events: UiEvent[] = [];
    const names = phasesWithout(['storage'], reporter(events));
    expect(names).not.toContain('storage');
    expect(names).not.toContain('containers');
    expect(names).not.toContain('test');
    expect(names).toEqual(
      expect.arrayContaining(['validate', 'vpc', 'sg', 'iam', 'secrets', 'ec2', 'cert', 'alb', 'dns', 'monitoring']),
    );
    expect(events).toContainEqual({ type: 'phase-blocked', phase: 'storage', reason: 'skipped (--skip)' });
    expect(events).toContainEqual({ type: 'phase-blocked', phase: 'containers', reason: 'needs a skipped phase' });
  });

  it('still tests when monitoring is skipped: the test phase runs after it but does not need it', () => {
    const names = phasesWithout(['monitoring'], reporter([]));
    expect(names).not.toContain('monitoring');
    expect(names).toContain('test');
  });

  it('refuses an unknown phase name as bad input', () => {
    expect(() => phasesWithout(['storge'], reporter([]))).toThrow(
      expect.objectContaining({
        kind: 'config',
        message: '--skip: unknown phase "storge" (did you mean "storage"?)',
        remedy: 'use "storage"',
      }),
    );
  });
});
