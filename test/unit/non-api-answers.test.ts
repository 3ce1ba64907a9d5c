/**
 * An answer that is not AWS's (issue 15, item 11): an HTML page from a proxy, or from an emulator
 * for an API it does not implement, or text that is neither JSON nor XML, is reported as such with
 * the status and the URL — never as a JSON parse error, never as "NotFound" (an XML API's 404 page
 * would otherwise read as "the resource is gone"), never as an empty answer (an HTML page answered
 * 200). Through the real SDK clients, over a fake wire.
 */
import { Readable } from 'node:stream';
import { DescribeVpcsCommand } from '@aws-sdk/client-ec2';
import { DescribeLoadBalancersCommand } from '@aws-sdk/client-elastic-load-balancing-v2';
import { ListSecretsCommand } from '@aws-sdk/client-secrets-manager';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AwsClients } from '../../src/aws/clients.js';
import { isNotFound } from '../../src/aws/errors.js';
import { DevenvError } from '../../src/errors.js';

const PROXY_PAGE =
  '<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1><hr>nginx</body></html>';
const NOT_FOUND_PAGE =
  '<html>\n<head><title>404 Not Found</title></head><body>The requested URL was not found on the server.</body></html>';

/** Every request the client sends gets this answer; returns the number of attempts made. */
function wire(client: { config: unknown }, statusCode: number, body: string) {
  const attempts: string[] = [];
  (client.config as { requestHandler: unknown }).requestHandler = {
    handle: async (request: { hostname: string }) => {
      attempts.push(request.hostname);
      return {
        response: {
          statusCode,
          headers: { 'content-type': 'text/html; charset=utf-8' },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    updateHttpClientConfig: () => undefined,
    httpHandlerConfigs: () => ({}),
  };
  return attempts;
}

let aws: AwsClients;
beforeEach(() => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDTEST');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'test-secret');
  vi.stubEnv('AWS_ENDPOINT_URL', 'http://127.0.0.1:4566');
  aws = new AwsClients({ region: 'us-east-1' });
});
afterEach(() => {
  aws.destroy();
  vi.unstubAllEnvs();
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as DevenvError,
  );

describe('an answer that is not an AWS API answer', () => {
  it('a JSON API (Secrets Manager) answered by an HTML page: the status, the URL and the page title, not a JSON parse error', async () => {
    wire(aws.secrets, 404, NOT_FOUND_PAGE);
    const err = await failure(aws.secrets.send(new ListSecretsCommand({})));
    expect(err).toBeInstanceOf(DevenvError);
    expect(err!.message).toBe(
      'AWS answered 404 with an HTML page from http://127.0.0.1:4566/ (to secretsmanager ListSecrets): "404 Not Found", not an AWS API answer',
    );
    expect(err!.message).not.toMatch(/JSON|Unexpected token|Deserialization/);
    expect(err!.remedy).toMatch(/HTTPS_PROXY.*AWS_ENDPOINT_URL.*may not implement secretsmanager ListSecrets/);
  });

  it("an XML API's 404 page is not NotFound: nothing recorded is forgotten over it", async () => {
    wire(aws.elbv2, 404, NOT_FOUND_PAGE);
    const err = await failure(
      aws.elbv2.send(
        new DescribeLoadBalancersCommand({
          LoadBalancerArns: ['arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/demo-alb/1'],
        }),
      ),
    );
    expect(err!.message).toMatch(
      /^AWS answered 404 with an HTML page from http:\/\/127\.0\.0\.1:4566\/ \(to elbv2 DescribeLoadBalancers\)/,
    );
    expect(isNotFound(err)).toBe(false);
  });

  it('an HTML page answered 200 is not read as an empty answer (no VPCs)', async () => {
    wire(aws.ec2, 200, PROXY_PAGE);
    const err = await failure(aws.ec2.send(new DescribeVpcsCommand({})));
    expect(err!.message).toMatch(
      /^AWS answered 200 with an HTML page from http:\/\/127\.0\.0\.1:4566\/ \(to ec2 DescribeVpcs\): "502 Bad Gateway"/,
    );
  });

  it("a proxy's 502 page is retried as AWS's 502 would be, then reported as the page it is", async () => {
    const attempts = wire(aws.ec2, 502, PROXY_PAGE);
    const err = await failure(aws.ec2.send(new DescribeVpcsCommand({})));
    expect(attempts.length).toBeGreaterThan(1);
    expect(err!.message).toMatch(/^AWS answered 502 with an HTML page .*"502 Bad Gateway"/);
  }, 30_000);

  it('plain text (an emulator without the API) is said to be neither JSON nor XML, with its start', async () => {
    wire(aws.secrets, 501, 'Not Implemented: ListSecrets');
    const err = await failure(aws.secrets.send(new ListSecretsCommand({})));
    expect(err!.message).toBe(
      'AWS answered 501 with an answer that is neither JSON nor XML from http://127.0.0.1:4566/ (to secretsmanager ListSecrets): "Not Implemented: ListSecrets", not an AWS API answer',
    );
  }, 30_000);

  it("AWS's own answers pass: XML and JSON, errors included", async () => {
    wire(
      aws.ec2,
      200,
      '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"><requestId>r</requestId><vpcSet><item><vpcId>vpc-1</vpcId></item></vpcSet></DescribeVpcsResponse>',
    );
    expect((await aws.ec2.send(new DescribeVpcsCommand({}))).Vpcs?.[0]?.VpcId).toBe('vpc-1');
    wire(aws.secrets, 400, '{"__type":"AccessDeniedException","message":"not allowed"}');
    const err = await failure(aws.secrets.send(new ListSecretsCommand({})));
    expect((err as Error).name).toBe('AccessDeniedException');
  });
});
