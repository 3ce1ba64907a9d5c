import { describe, expect, it } from 'vitest';
import { destroyPreview } from '../../src/commands/destroy-summary.js';
import type { Found, Sweeper } from '../../src/phases/teardown/types.js';
import type { RunOptions } from '../../src/phases/types.js';
import { SWEEPERS } from '../../src/phases/teardown.js';
import { testContext } from '../helpers/context.js';

/** Sweepers whose listings say what a converged project has in AWS (the real sweepers' hooks decide what stays). */
function sweepersFinding(options: RunOptions, o: { volumeTag?: string; listingFails?: boolean } = {}): Sweeper[] {
  const real = (name: string) => SWEEPERS.find((s) => s.name === name)!;
  const found = (kind: string, id: string, extra: Partial<Found> = {}): Found => ({ kind, id, resource: {}, ...extra });
  const fake = (name: string, items: Found[], base: Partial<Sweeper> = {}): Sweeper => ({
    ...base,
    name,
    needs: [],
    list: async () => items,
  });
  const dataVolume = { Tags: [{ Key: 'devenv:resource', Value: o.volumeTag ?? 'volume/data' }] };
  return [
    fake('vpcs', [found('VPC', 'vpc-1')]),
    fake('subnets', [found('subnet', 'subnet-a'), found('subnet', 'subnet-b')]),
    fake('instances', [found('EC2 instance', 'i-1', { label: 'demo-host' })]),
    fake(
      'volumes',
      [
        found('data volume', 'vol-1', {
          resource: dataVolume,
          ...(options.deleteData ? {} : { kept: '--delete-data deletes it, after a final snapshot' }),
        }),
      ],
      { leaves: real('volumes').leaves },
    ),
    fake('secrets', [found('secret', 'demo/alice/password'), found('secret', 'demo/bob/password')], {
      stays: real('secrets').stays,
    }),
    fake('backup-vaults', [
      found('backup vault', 'demo-vault', { kept: 'holds 2 recovery points of the data volume' }),
    ]),
    {
      name: 'alarms',
      needs: [],
      list: async () => {
        if (o.listingFails) throw new Error('AccessDenied: not allowed');
        return [];
      },
    },
  ];
}

describe('destroy says what it deletes and what it keeps, from what is there now', () => {
  it('names what the listings find: one by name, several by count; what stays, with why', async () => {
    const ctx = await testContext('teardown');
    // The state names a load balancer; no listing finds one (a destroy killed part-way deleted it): not previewed.
    await ctx.state.setResource('alb', { kind: 'load balancer', phase: 'alb', id: 'arn:lb' });
    const p = await destroyPreview(ctx, sweepersFinding(ctx.options));
    expect(p.deleted).toBe('VPC vpc-1, 2 subnets, EC2 instance demo-host');
    expect(p.kept).toEqual([
      'data volume vol-1 (--delete-data deletes it, after a final snapshot)',
      '2 secrets (in a 7-day recovery window: `devenv up` restores it; --force-delete-secrets deletes it at once)',
      'backup vault demo-vault (holds 2 recovery points of the data volume)',
    ]);
    expect(p.unlisted).toEqual([]);
  });

  it('with --delete-data --force-delete-secrets: deletes the volume and the secrets, keeps a final snapshot', async () => {
    const ctx = await testContext('teardown', {}, { deleteData: true, forceDeleteSecrets: true });
    const p = await destroyPreview(ctx, sweepersFinding(ctx.options));
    expect(p.deleted).toBe('VPC vpc-1, 2 subnets, EC2 instance demo-host, data volume vol-1, 2 secrets');
    expect(p.kept).toEqual([
      'a final snapshot of data volume vol-1 (--no-final-snapshot skips it)',
      'backup vault demo-vault (holds 2 recovery points of the data volume)',
    ]);
    const all = await testContext(
      'teardown',
      {},
      { deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true },
    );
    const none = await destroyPreview(all, sweepersFinding(all.options));
    expect(none.kept).toEqual(['backup vault demo-vault (holds 2 recovery points of the data volume)']);
  });

  it('a volume that is not the data volume gets no final snapshot; a listing that fails is named, not hidden', async () => {
    const ctx = await testContext('teardown', {}, { deleteData: true });
    const p = await destroyPreview(ctx, sweepersFinding(ctx.options, { volumeTag: 'volume/root', listingFails: true }));
    expect(p.kept.join(' ')).not.toContain('final snapshot');
    expect(p.unlisted).toEqual(['alarms (AccessDenied: not allowed)']);
  });

  it('says so when nothing carries the project tag', async () => {
    const ctx = await testContext('teardown');
    await ctx.state.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-gone' });
    const p = await destroyPreview(ctx, []);
    expect(p.deleted).toBe('nothing: no resource carries the tag devenv:project=demo');
    expect(p.kept).toEqual([]);
  });
});

describe('what a destroy that failed says', () => {
  it('names the phases that ran and failed, never one that did not run, says what is still in AWS from the final listing, and its fix is whole sentences', async () => {
    const { leftAfterDestroy } = await import('../../src/commands/run-phases.js');
    const { DevenvError: Err } = await import('../../src/errors.js');
    const err = leftAfterDestroy(
      { config: { project: 'demo' } } as never,
      {
        outcomes: [
          { name: 'vpc', result: 'done' },
          {
            name: 'iam',
            result: 'failed',
            error: new Err('phase', "IAM role demo-role already exists but is not devenv's", {
              remedy: 'tag it devenv:project=demo or delete it',
            }),
          },
          { name: 'ec2', result: 'blocked', reason: 'needs iam' },
        ],
      },
      [
        { kind: 'instance', id: 'i-1', why: 'not deleted: it waits for iam', kept: false },
        { kind: 'data volume', id: 'vol-1', why: 'kept', kept: true },
      ],
      undefined,
    );
    expect(err.message).toBe(
      "destroy could not delete everything; iam failed: IAM role demo-role already exists but is not devenv's\nstill in AWS: instance i-1: not deleted: it waits for iam",
    );
    expect(err.message).not.toContain('ec2');
    expect(err.remedy).toBe('Tag it devenv:project=demo or delete it. Then run `devenv destroy` again.');
  });
});
