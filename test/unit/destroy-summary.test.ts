import { describe, expect, it } from 'vitest';
import { destroyPreview } from '../../src/commands/destroy-summary.js';
import { testContext } from '../helpers/context.js';

/** A state as `up` leaves it: network, host, data volume, two developers' secrets. */
async function convergedState() {
  const ctx = await testContext('ec2');
  const set = (id: string, kind: string, phase: string, rid: string) => ctx.state.setResource(id, { kind, phase, id: rid });
  await set('vpc', 'VPC', 'vpc', 'vpc-1');
  await set('subnet/a', 'subnet', 'vpc', 'subnet-a');
  await set('subnet/b', 'subnet', 'vpc', 'subnet-b');
  await set('instance', 'EC2 instance', 'ec2', 'i-1');
  await set('volume/data', 'EBS volume', 'ec2', 'vol-1');
  await set('secret/alice/password', 'secret', 'secrets', 'arn:alice');
  await set('secret/bob/password', 'secret', 'secrets', 'arn:bob');
  return ctx;
}

describe('destroy says what it deletes and what it keeps', () => {
  it('by default: keeps the data volume and the secrets in their recovery window', async () => {
    const ctx = await convergedState();
    const p = destroyPreview(ctx.state, ctx.config, {});
    expect(p.deleted).toBe('VPC vpc-1, 2 subnets, EC2 instance i-1');
    expect(p.kept).toEqual([
      'data volume vol-1 (--delete-data deletes it, after a final snapshot)',
      '2 secrets in a 7-day recovery window (`devenv up` restores them; --force-delete-secrets deletes them at once)',
    ]);
  });

  it('with --delete-data --force-delete-secrets: deletes the volume and the secrets, keeps a final snapshot', async () => {
    const ctx = await convergedState();
    const p = destroyPreview(ctx.state, ctx.config, { deleteData: true, forceDeleteSecrets: true });
    expect(p.deleted).toBe('VPC vpc-1, 2 subnets, EC2 instance i-1, EBS volume vol-1, 2 secrets');
    expect(p.kept).toEqual(['a final snapshot of data volume vol-1 (--no-final-snapshot skips it)']);
    expect(destroyPreview(ctx.state, ctx.config, { deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true }).kept).toEqual([]);
  });

  it('with --delete-data --no-final-snapshot: an earlier final snapshot goes too', async () => {
    const ctx = await convergedState();
    await ctx.state.setResource('snapshot/data-final', { kind: 'EBS snapshot', phase: 'ec2', id: 'snap-1', attrs: { volumeId: 'vol-0' } });
    expect(destroyPreview(ctx.state, ctx.config, { deleteData: true }).kept).toContain('EBS snapshot snap-1 of vol-0');
    const p = destroyPreview(ctx.state, ctx.config, { deleteData: true, noFinalSnapshot: true, forceDeleteSecrets: true });
    expect(p.kept).toEqual([]);
    expect(p.deleted).toContain('EBS snapshot snap-1');
  });

  it('keeps the backup vault (with the recovery points of the data volume) unless --delete-data', async () => {
    const ctx = await convergedState();
    await ctx.state.setResource('backup/vault', { kind: 'backup vault', phase: 'monitoring', id: 'demo-vault' });
    expect(destroyPreview(ctx.state, ctx.config, {}).kept).toContain("backup vault demo-vault with the data volume's recovery points, if it holds any (--delete-data deletes them)");
    const deleting = destroyPreview(ctx.state, ctx.config, { deleteData: true });
    expect(deleting.deleted).toContain('backup vault demo-vault');
    expect(deleting.kept.join(' ')).not.toContain('backup vault');
  });
});

describe('what a destroy that failed says', () => {
  it('names the phases that ran and failed, never one that did not run, says what is still in AWS from the final listing, and its fix is whole sentences', async () => {
    const { leftAfterDestroy } = await import('../../src/commands/converge.js');
    const { DevenvError: Err } = await import('../../src/errors.js');
    const err = leftAfterDestroy({ config: { project: 'demo' } } as never, {
      outcomes: [
        { name: 'vpc', result: 'done' },
        { name: 'iam', result: 'failed', error: new Err('phase', 'IAM role demo-role already exists but is not devenv\'s', { remedy: 'tag it devenv:project=demo or delete it' }) },
        { name: 'ec2', result: 'blocked', reason: 'needs iam' },
      ],
    }, [{ kind: 'instance', id: 'i-1', why: 'not deleted: it waits for iam', kept: false }, { kind: 'data volume', id: 'vol-1', why: 'kept', kept: true }], undefined);
    expect(err.message).toBe("destroy could not delete everything; iam failed: IAM role demo-role already exists but is not devenv's\nstill in AWS: instance i-1: not deleted: it waits for iam");
    expect(err.message).not.toContain('ec2');
    expect(err.remedy).toBe('Tag it devenv:project=demo or delete it. Then run `devenv destroy` again.');
  });
});
