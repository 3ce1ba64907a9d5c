import { describe, expect, it } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import storage from '../../src/phases/storage.js';
import { recordedId } from '../../src/state/recorded.js';
import { testContext } from '../helpers/context.js';

describe('recordedId', () => {
  it('returns the id the other phase recorded', async () => {
    const ctx = await testContext('alb');
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-1' });
    expect(recordedId(ctx, 'vpc', 'vpc')).toBe('vpc-1');
  });

  it('without it, names who needs what, which phase makes it, and says to run that phase (a phase failure, exit 1)', async () => {
    const ctx = await testContext('storage');
    const err = await storage.apply(ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DevenvError);
    expect((err as DevenvError).message).toBe(
      'storage needs volume/data, which the ec2 phase creates, but the state has no data volume',
    );
    expect((err as DevenvError).remedy).toBe('run `devenv phase ec2` (or `devenv up`) first');
    expect((err as DevenvError).exitCode).toBe(1);
  });
});
