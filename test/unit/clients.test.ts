/**
 * The SDK's own retries, seen from the wire: a middleware below the SDK's retry loop stands in for
 * the HTTP request and fails the first attempts as AWS or the network would. No mocked `send`
 * here (aws-sdk-client-mock would replace the retry loop too).
 */
import { CreateVolumeCommand, CreateVpcCommand, RunInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients, type CallInfo } from '../../src/aws/clients.js';

const serverError = () =>
  Object.assign(new Error('We encountered an internal error'), {
    name: 'InternalError',
    $fault: 'server',
    $metadata: { httpStatusCode: 500 },
  });
const timedOut = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} });
const throttled = () =>
  Object.assign(new Error('Request limit exceeded.'), {
    name: 'RequestLimitExceeded',
    $fault: 'client',
    $metadata: { httpStatusCode: 503 },
  });

/** Makes every attempt `client` sends reach this instead of AWS: the first `failures` fail, then it answers. */
function wire(client: EC2Client, failures: (() => Error)[]) {
  const attempts: string[] = [];
  client.middlewareStack.add(
    (_next, context) => async () => {
      attempts.push(String(context.commandName));
      const failure = failures[attempts.length - 1];
      if (failure) throw failure();
      return { response: { statusCode: 200, headers: {} }, output: { $metadata: {} } };
    },
    { step: 'deserialize', name: 'fakeWire', priority: 'high' },
  );
  return attempts;
}

beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  vi.stubEnv('AWS_ENDPOINT_URL', '');
});
afterEach(() => vi.unstubAllEnvs());

describe('SDK retries', () => {
  it('sends a create without a token once: a timeout or a 5xx is not retried (it may have been carried out)', async () => {
    for (const failure of [timedOut, serverError]) {
      const aws = new AwsClients({ region: 'us-east-1' });
      const attempts = wire(aws.ec2Untokened, [failure, failure]);
      await expect(aws.ec2Untokened.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }))).rejects.toThrow(
        failure().message,
      );
      expect(attempts).toEqual(['CreateVpcCommand']);
      aws.destroy();
    }
  });

  it('still retries a throttled create without a token: a throttled request was refused, not carried out', async () => {
    const aws = new AwsClients({ region: 'us-east-1' });
    const attempts = wire(aws.ec2Untokened, [throttled]);
    await aws.ec2Untokened.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    expect(attempts).toEqual(['CreateVpcCommand', 'CreateVpcCommand']);
    aws.destroy();
  });

  it('retries a call that carries a ClientToken (RunInstances, CreateVolume) after a timeout or a 5xx', async () => {
    const aws = new AwsClients({ region: 'us-east-1' });
    const attempts = wire(aws.ec2, [timedOut, serverError, undefined, timedOut] as (() => Error)[]);
    await aws.ec2.send(new RunInstancesCommand({ MinCount: 1, MaxCount: 1, ClientToken: 'token-1' }));
    await aws.ec2.send(new CreateVolumeCommand({ AvailabilityZone: 'us-east-1a', Size: 1, ClientToken: 'token-2' }));
    expect(attempts).toEqual([
      'RunInstancesCommand',
      'RunInstancesCommand',
      'RunInstancesCommand',
      'CreateVolumeCommand',
      'CreateVolumeCommand',
    ]);
    aws.destroy();
  });

  it('the single-attempt client passes through the same call hooks (abort, call log, crash injector)', async () => {
    const seen: string[] = [];
    const aws = new AwsClients({
      region: 'us-east-1',
      hooks: [{ before: (c: CallInfo) => void seen.push(`${c.service} ${c.operation}`) }],
    });
    wire(aws.ec2Untokened, []);
    await aws.ec2Untokened.send(new CreateVpcCommand({ CidrBlock: '10.0.0.0/16' }));
    expect(seen).toEqual(['ec2 CreateVpc']);
    aws.destroy();
  });
});
