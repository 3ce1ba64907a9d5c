import { GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { S3StateBackend } from '../../src/aws/s3/state-object.js';
import { emptyState, StateStore, type StateBackend } from '../../src/state/store.js';

const binding = { project: 'demo', region: 'us-east-1' };
const loc = { bucket: 'acme-devenv-state', key: 'demo/devenv.state.json', region: 'us-east-1' };
/** What GetObject's Body offers that the backend uses. */
const body = (text: string) => ({ transformToString: async () => text });

describe('state saves', () => {
  it('saves made while a write is in flight go out together in the next write, with all their changes', async () => {
    const written: string[] = [];
    let release!: () => void;
    const backend: StateBackend = {
      where: 'fake',
      read: async () => undefined,
      write: (text) => {
        written.push(text);
        return written.length === 1 ? new Promise<void>((r) => (release = r)) : Promise.resolve();
      },
    };
    const store = await StateStore.openFrom(backend, binding);
    const first = store.setResource('vpc', { kind: 'VPC', phase: 'vpc', id: 'vpc-1' });
    await new Promise(setImmediate); // the first write starts
    const rest = [
      store.setResource('igw', { kind: 'internet gateway', phase: 'vpc', id: 'igw-1' }),
      store.setResource('subnet/a', { kind: 'subnet', phase: 'vpc', id: 'subnet-1' }),
    ];
    expect(written).toHaveLength(1);
    release();
    await Promise.all([first, ...rest]);
    expect(written, 'one write for the two saves made meanwhile').toHaveLength(2);
    expect(Object.keys(JSON.parse(written[1]!).resources)).toEqual(['vpc', 'igw', 'subnet/a']);
  });
});

describe('S3StateBackend', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  it('writes the first state only if there is none (If-None-Match), then only over the version it wrote (If-Match)', async () => {
    s3.on(GetObjectCommand).rejects(
      new S3ServiceException({ name: 'NoSuchKey', $fault: 'client', $metadata: { httpStatusCode: 404 } }),
    );
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e1"' }).resolvesOnce({ ETag: '"e2"' });
    const backend = new S3StateBackend(new S3Client({ region: 'us-east-1' }), loc);
    expect(await backend.read()).toBeUndefined();
    await backend.write('{}');
    await backend.write('{}');
    const puts = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input);
    expect(puts.map((p) => [p.IfNoneMatch, p.IfMatch])).toEqual([
      ['*', undefined],
      [undefined, '"e1"'],
    ]);
  });

  it('refuses, naming the object, when S3 answers 409 ConditionalRequestConflict (two writes raced)', async () => {
    const state = emptyState(binding);
    s3.on(GetObjectCommand).resolves({ Body: body(JSON.stringify(state)) as never, ETag: '"e1"', VersionId: 'v1' });
    s3.on(PutObjectCommand).rejects(
      new S3ServiceException({
        name: 'ConditionalRequestConflict',
        $fault: 'client',
        $metadata: { httpStatusCode: 409 },
      }),
    );
    const backend = new S3StateBackend(new S3Client({ region: 'us-east-1' }), loc);
    expect(await backend.read()).toEqual(state);
    const err = await backend.write('{}').then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain(`s3://${loc.bucket}/${loc.key} was changed by another run since this one read it`);
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input.IfMatch).toBe('"e1"');
  });
});
