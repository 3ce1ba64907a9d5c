import { describe, expect, it } from 'vitest';
import { deriveToken, ensureResource, removeResource, type ResourceSpec } from '../../src/aws/resource.js';
import { AmbiguousResourceError } from '../../src/errors.js';
import { testContext } from '../helpers/context.js';

interface Thing {
  id: string;
}

/** A fake AWS: resources by id, a log of calls, and knobs for the faults the rule must survive. */
function fakeAws(initial: Thing[] = []) {
  const live = new Map(initial.map((t) => [t.id, t]));
  const calls: string[] = [];
  let next = 1;
  const aws = {
    live,
    calls,
    /** Describe of a fresh id can miss (eventual consistency). */
    describeMisses: new Set<string>(),
    spec(overrides: Partial<ResourceSpec<Thing>> = {}): ResourceSpec<Thing> {
      return {
        logicalId: 'vpc',
        kind: 'VPC',
        describe: async (id) => {
          calls.push(`describe ${id}`);
          return aws.describeMisses.has(id) ? undefined : live.get(id);
        },
        find: async () => {
          calls.push('find');
          return [...live.values()];
        },
        create: async (token) => {
          calls.push(`create ${token}`);
          const t = { id: `vpc-${next++}` };
          live.set(t.id, t);
          return t;
        },
        idOf: (t) => t.id,
        ...overrides,
      };
    },
  };
  return aws;
}

const ruleContext = () => testContext('vpc');

describe('the resource rule', () => {
  it('creates with a token saved before the call, and records the id', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    let tokenInStateDuringCreate: string | undefined;
    const spec = aws.spec({
      create: async (token) => {
        tokenInStateDuringCreate = ctx.state.resource('vpc')?.token;
        return { id: `vpc-for-${token.slice(0, 4)}` };
      },
    });
    const { outcome, resource } = await ensureResource(ctx, spec);
    expect(outcome).toBe('created');
    expect(tokenInStateDuringCreate).toBe(deriveToken(ctx, 'vpc', 0));
    expect(ctx.state.resource('vpc')).toMatchObject({ id: resource.id, token: tokenInStateDuringCreate, phase: 'vpc', kind: 'VPC' });
  });

  it('keeps a known, live resource without searching or creating', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'vpc-9' }]);
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-9' });
    expect((await ensureResource(ctx, aws.spec())).outcome).toBe('kept');
    expect(aws.calls).toEqual(['describe vpc-9']);
  });

  it('adopts what the tags find when the state lost it (crash after create, before record)', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'vpc-7' }]);
    const { outcome } = await ensureResource(ctx, aws.spec());
    expect(outcome).toBe('adopted');
    expect(ctx.state.resource('vpc')?.id).toBe('vpc-7');
    expect(aws.calls).not.toContain(expect.stringMatching(/^create/));
  });

  it('forgets a known id that describes as missing only after the tag search also misses', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'vpc-3' }]);
    aws.describeMisses.add('vpc-3'); // eventual consistency: the describe misses, the resource is there
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-3' });
    expect((await ensureResource(ctx, aws.spec())).outcome).toBe('adopted');
    expect(ctx.state.resource('vpc')?.id).toBe('vpc-3');

    aws.live.clear(); // now it is really gone
    const { outcome, resource } = await ensureResource(ctx, aws.spec());
    expect(outcome).toBe('created');
    expect(aws.calls).toContain(`create ${deriveToken(ctx, 'vpc', 1)}`); // the old token made the one that is gone
    expect(ctx.state.resource('vpc')?.id).toBe(resource.id);
    expect(ctx.events.some((e) => e.type === 'warn' && e.message.includes('vpc-3 no longer exists'))).toBe(true);
  });

  it('reuses the saved token after a crash during the create call', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const crashing = aws.spec({ create: async () => { throw new Error('killed'); } });
    await expect(ensureResource(ctx, crashing)).rejects.toThrow('killed');
    const saved = ctx.state.resource('vpc')?.token;
    expect(saved).toBeDefined();
    await ensureResource(ctx, aws.spec());
    expect(aws.calls).toContain(`create ${saved}`);
  });

  it('stops when two resources carry the same tags, naming both', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'vpc-1' }, { id: 'vpc-2' }]);
    const err = await ensureResource(ctx, aws.spec()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AmbiguousResourceError);
    expect((err as Error).message).toContain('vpc-1, vpc-2');
    expect(aws.calls.some((c) => c.startsWith('create'))).toBe(false);
  });

  it('tokens are stable per resource and generation, and fit every API', async () => {
    const ctx = await ruleContext();
    const token = deriveToken(ctx, 'instance', 0);
    expect(token).toMatch(/^\w{32}$/); // ACM: \w{1,32}; Secrets Manager: 32–64; EC2: ≤64
    expect(deriveToken(ctx, 'instance', 0)).toBe(token);
    expect(deriveToken(ctx, 'instance', 1)).not.toBe(token);
    expect(deriveToken(ctx, 'volume/data', 0)).not.toBe(token);
  });

  it('removal deletes the recorded id and whatever the tags find; NotFound counts as done', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'vpc-5' }]);
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-4' });
    const deleted: string[] = [];
    const removed = await removeResource(ctx, aws.spec(), async (id) => {
      deleted.push(id);
      if (id === 'vpc-4') throw Object.assign(new Error('gone'), { name: 'InvalidVpcID.NotFound' });
    });
    expect(removed.sort()).toEqual(['vpc-4', 'vpc-5']);
    expect(ctx.state.resource('vpc')?.id).toBeUndefined();
    // the record remembers the next generation: creating it again uses a new token
    expect(ctx.state.resource('vpc')?.generation).toBe(1);
    await removeResource(ctx, aws.spec({ find: async () => [] }), async () => undefined);
    expect(ctx.state.resource('vpc')?.generation).toBe(1); // nothing was there: no new generation
    const { outcome } = await ensureResource(ctx, aws.spec({ find: async () => [] }));
    expect(outcome).toBe('created');
    expect(aws.calls).toContain(`create ${deriveToken(ctx, 'vpc', 1)}`);
  });
});
