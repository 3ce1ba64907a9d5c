/**
 * crash.test.ts with the state in S3: `up` killed right after a mutating call — a create before
 * its id is saved, or a write of the state itself —, its lock left behind as a killed process
 * leaves it and broken with `lock release --force`, then run again, ends with exactly the resources
 * of one clean run with a local state; a third `up` changes nothing in AWS.
 *
 * At representative crash points (creates early, midway and last in a run; the first, a middle and a
 * late write of the state), as every point with a state in S3 (about twice crash.test's, since each
 * save is a call) would take a quarter of an hour; DEVENV_CRASH_S3_ALL=1 runs every one.
 */
import { CreateBucketCommand, PutBucketVersioningCommand, S3Client } from '@aws-sdk/client-s3';
import { expect, it } from 'vitest';
import { crashPoints, crashThenRerun } from './crash.js';
import { expectConverged } from './expect.js';
import { diffInventory } from './inventory.js';
import { describeResult, newWorkspace, REGION, type CliResult } from './moto.js';
import { describeMoto } from './suite.js';

const DEVELOPERS = ['alice', 'bob'];
const BUCKET = 'itest-devenv-crash';
const KEY = 'itest/devenv.state.json';
/** Creates at the start, middle and end of a run, each before its id is saved. */
const CREATES = [
  'ec2:CreateVpc',
  'secretsmanager:CreateSecret',
  'ec2:RunInstances',
  'elbv2:CreateLoadBalancer',
  'backup:CreateBackupSelection',
];

/** What a run changed in AWS besides the state, its lock and its audit record (all in S3). */
const changedInAws = (r: CliResult) => r.calls.changed.filter((c) => !c.startsWith('s3:'));

describeMoto('up with its state in S3, crashed after a mutating call, then rerun', (moto) => {
  const s3Workspace = async () => {
    const ws = await newWorkspace(moto.server, {
      developers: DEVELOPERS,
      patch: (c) => {
        c.state = { s3: { bucket: BUCKET, key: KEY } };
      },
    });
    const s3 = new S3Client({ region: REGION, endpoint: moto.server.endpoint, forcePathStyle: true });
    await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    s3.destroy();
    return ws;
  };

  it('ends as one clean run with a local state: same resources, and a third up changes nothing', async () => {
    const started = performance.now();
    const local = await newWorkspace(moto.server, { developers: DEVELOPERS });
    expectConverged(await local.cli(['up']));
    const baseline = (await local.inventory()).items;
    await local.remove();

    const clean = await s3Workspace();
    const first = await clean.cli(['up']);
    expectConverged(first, 'up with the state in S3');
    expect(diffInventory(baseline, (await clean.inventory()).items), 'a clean run with S3 state').toEqual([]);
    await clean.remove();

    const all = crashPoints(first.calls.changed);
    const writes = all.filter(([op]) => op === 's3:PutObject').length;
    // PutObject #1 takes the lock, #2 is the first save of the state, the last is the audit record. How many
    // saves a run makes depends on how they fall together (one in flight, the next ones share a write), so
    // the late one is well before the end.
    const saves = [2, Math.round(writes / 2), Math.round(writes * 0.8)];
    const points =
      process.env.DEVENV_CRASH_S3_ALL === '1'
        ? all
        : all.filter(([op, n]) => (CREATES.includes(op) && n === 1) || (op === 's3:PutObject' && saves.includes(n)));
    expect(points.length).toBeGreaterThanOrEqual(CREATES.length);

    const problems: string[] = [];
    const log: string[] = [];
    for (const [operation, occurrence] of points) {
      const label = `after ${operation} #${occurrence}`;
      const ws = await s3Workspace();
      const line = await crashThenRerun(ws, [operation, occurrence], {
        baseline,
        label,
        problems,
        // A killed run cannot release its lock: the next one is refused until someone breaks it.
        beforeRerun: async () => {
          const refused = await ws.cli(['up']);
          if (refused.code !== 3) problems.push(`${label}: the run after the crash was not refused by its lock`);
          const released = await ws.cli(['lock', 'release', '--force', '--yes']);
          if (released.code !== 0) problems.push(`${label}: lock release --force failed: ${describeResult(released)}`);
        },
        changes: changedInAws,
      });
      if (line) log.push(line);
      await ws.remove();
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    console.log(`S3 state, crash points: ${points.length} of ${all.length}, ${seconds} s\n${log.join('\n')}`);
    expect(problems, problems.join('\n')).toEqual([]);
  }, 1_200_000);
});
