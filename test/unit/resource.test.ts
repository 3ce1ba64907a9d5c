import { describe, expect, it } from 'vitest';
import { deriveToken, ensureResource, removeResource, type ResourceSpec } from '../../src/aws/resource.js';
import { CREATE_VISIBILITY } from '../../src/aws/retry.js';
import { AmbiguousResourceError, DevenvError } from '../../src/errors.js';
import { type fakeClock, testContext } from '../helpers/context.js';

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
    expect(ctx.state.resource('vpc')).toMatchObject({
      id: resource.id,
      token: tokenInStateDuringCreate,
      phase: 'vpc',
      kind: 'VPC',
    });
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

  it('a spec with onVanished can stop the rule from replacing a recorded resource that is gone; the record stays as it was', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    await ctx.state.setResource('vpc', {
      kind: 'VPC',
      phase: 'vpc',
      id: 'vpc-gone',
      token: deriveToken(ctx, 'vpc', 0),
    });
    const before = ctx.state.resource('vpc');
    const vanished: string[] = [];
    const refuse = aws.spec({
      onVanished: async (id) => {
        vanished.push(id);
        throw new Error(`${id} is gone`);
      },
    });
    await expect(ensureResource(ctx, refuse)).rejects.toThrow('vpc-gone is gone');
    expect(vanished).toEqual(['vpc-gone']);
    expect(aws.calls.filter((c) => c.startsWith('create'))).toEqual([]);
    expect(ctx.state.resource('vpc')).toEqual(before);

    // A hook that lets it through: created with the next generation's token, as without one.
    const allow = aws.spec({ onVanished: async () => undefined });
    expect((await ensureResource(ctx, allow)).outcome).toBe('created');
    expect(aws.calls).toContain(`create ${deriveToken(ctx, 'vpc', 1)}`);
  });

  it('onVanished is not asked on a first create (nothing recorded)', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const spec = aws.spec({
      onVanished: async () => {
        throw new Error('must not be called');
      },
    });
    expect((await ensureResource(ctx, spec)).outcome).toBe('created');
  });

  it('reuses the saved token after a crash during the create call', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const crashing = aws.spec({
      create: async () => {
        throw new Error('killed');
      },
    });
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

describe('the resource rule for a create without a token (idempotent: false)', () => {
  /** What the SDK throws when a request timed out: AWS may or may not have carried it out. */
  const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
  const serverError = () =>
    Object.assign(new Error('We encountered an internal error'), {
      name: 'InternalError',
      $fault: 'server',
      $metadata: { httpStatusCode: 500 },
    });

  /** A create whose first `failures` calls fail with `error()`; `madeAnyway` says whether AWS made the resource before failing. */
  function failingCreate(aws: ReturnType<typeof fakeAws>, failures: number, error: () => Error, madeAnyway: boolean) {
    let calls = 0;
    const base = aws.spec();
    return {
      count: () => calls,
      spec: aws.spec({
        idempotent: false,
        create: async (token) => {
          calls++;
          if (calls > failures) return base.create(token);
          if (madeAnyway) await base.create(token);
          throw error();
        },
      }),
    };
  }

  it('adopts what a timed-out create made once its tags find it, and does not create it twice', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const create = failingCreate(aws, 1, timedOut, true);
    let looks = 0;
    const spec = { ...create.spec, find: async () => (++looks < 3 ? [] : [...aws.live.values()]) }; // the tag search lags
    const { outcome, resource } = await ensureResource(ctx, spec);
    expect(outcome).toBe('adopted');
    expect(create.count()).toBe(1);
    expect(aws.live.size).toBe(1);
    expect(ctx.state.resource('vpc')?.id).toBe(resource.id);
    expect((ctx.clock as ReturnType<typeof fakeClock>).slept).toEqual([CREATE_VISIBILITY.intervalMs]);
    expect(ctx.events).toContainEqual(
      expect.objectContaining({
        type: 'warn',
        message: expect.stringContaining(`but AWS made it: using ${resource.id}`),
      }),
    );
  });

  it('creates once more when a 5xx create made nothing and the tags find nothing within the window', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const create = failingCreate(aws, 1, serverError, false);
    const { outcome } = await ensureResource(ctx, create.spec);
    expect(outcome).toBe('created');
    expect(create.count()).toBe(2);
    expect(aws.live.size).toBe(1);
    const waited = (ctx.clock as ReturnType<typeof fakeClock>).slept.reduce((a, b) => a + b, 0);
    expect(waited).toBeGreaterThan(CREATE_VISIBILITY.windowMs - 2 * CREATE_VISIBILITY.intervalMs);
    expect(waited).toBeLessThanOrEqual(CREATE_VISIBILITY.windowMs);
    expect(ctx.events).toContainEqual(
      expect.objectContaining({ type: 'progress', message: expect.stringContaining('looking for the VPC') }),
    );
  });

  it('stops with a clear error after three creates that failed and made nothing it could find', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const create = failingCreate(aws, 99, timedOut, false);
    const err = (await ensureResource(ctx, create.spec).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(
      /creating the VPC failed 3 times \(last: socket hang up\), and looking for it by its tags or name for 1m00s found none/,
    );
    expect(err.remedy).toMatch(/run the same command again/);
    expect(create.count()).toBe(3);
  });

  it('does not look again after an answered error or throttling: it is the answer', async () => {
    for (const error of [
      () => Object.assign(new Error('bad cidr'), { name: 'InvalidParameterValue', $fault: 'client' }),
      () =>
        Object.assign(new Error('Rate exceeded'), { name: 'RequestLimitExceeded', $metadata: { httpStatusCode: 503 } }),
    ]) {
      const ctx = await ruleContext();
      const aws = fakeAws();
      const create = failingCreate(aws, 1, error, false);
      await expect(ensureResource(ctx, create.spec)).rejects.toThrow(error().message);
      expect(create.count()).toBe(1);
      expect(aws.calls.filter((c) => c === 'find')).toHaveLength(1); // the search before the create, none after
    }
  });

  it('a create that takes a token is not second-guessed: its timeout is thrown (the SDK retried it with the same token)', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const create = failingCreate(aws, 1, timedOut, true);
    await expect(ensureResource(ctx, { ...create.spec, idempotent: undefined })).rejects.toThrow('socket hang up');
    expect(create.count()).toBe(1);
  });
});

describe('the resource rule when the create says it already exists', () => {
  const duplicate = () =>
    Object.assign(new Error("The security group 'demo-alb-sg' already exists"), { name: 'InvalidGroup.Duplicate' });
  const isDuplicate = (err: unknown) => (err as Error).name === 'InvalidGroup.Duplicate';

  it('finds it again (the search lags) and adopts it', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws([{ id: 'sg-1' }]);
    let looks = 0;
    const spec = aws.spec({
      find: async () => (++looks < 3 ? [] : [...aws.live.values()]),
      create: async () => {
        throw duplicate();
      },
      alreadyExists: isDuplicate,
    });
    const { outcome } = await ensureResource(ctx, spec);
    expect(outcome).toBe('adopted');
    expect(ctx.state.resource('vpc')?.id).toBe('sg-1');
  });

  it('stops with a clear error when it never shows up', async () => {
    const ctx = await ruleContext();
    const aws = fakeAws();
    const spec = aws.spec({
      create: async () => {
        throw duplicate();
      },
      alreadyExists: isDuplicate,
    });
    const err = (await ensureResource(ctx, spec).catch((e: unknown) => e)) as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.message).toMatch(
      /AWS says the VPC already exists \(The security group 'demo-alb-sg' already exists\), and looking for it .* for 1m00s found none/,
    );
  });
});
