import { createRequire } from 'node:module';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { BackupClient } from '@aws-sdk/client-backup';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { STSClient } from '@aws-sdk/client-sts';
import type { MiddlewareStack, RetryStrategy, RetryStrategyV2 } from '@smithy/types';
import { InterruptedError } from '../errors.js';
import { nonApiAnswer } from './errors.js';

/**
 * What every call passes through: used to stop new calls after Ctrl-C, to log calls, and by tests and the benchmark.
 */
export interface CallInfo {
  service: string;
  operation: string;
}
export type CallHook = {
  /** Before the call is sent; throwing here means it never starts. May delay it (the benchmark's simulated latency). */
  before?(call: CallInfo): void | Promise<void>;
  /** After AWS answered (`error` set when it refused). */
  after?(call: CallInfo, durationMs: number, error?: unknown): void;
};

export interface ClientOptions {
  region: string;
  signal?: AbortSignal;
  hooks?: CallHook[];
  /** S3 by path (endpoint/bucket/key) rather than bucket.endpoint: for an emulator at AWS_ENDPOINT_URL. */
  s3PathStyle?: boolean;
}

/** Retries with client-side rate limiting: throttling waits instead of failing the run. */
const RETRY = { retryMode: 'adaptive', maxAttempts: 8 } as const;

/**
 * `shared`'s retries (its backoff, attempts and rate limiter), for throttling only. For creates
 * that take no idempotency token (CreateVpc, CreateSecurityGroup …): a throttled request was
 * refused, so sending it again is safe, but one that timed out or got a 5xx may have been carried
 * out, and sending it again would make a second resource. The resource rule looks for the first
 * one by its tags instead (ResourceSpec.idempotent).
 */
function throttlingRetriesOf(shared: () => Promise<RetryStrategyV2 | RetryStrategy>): RetryStrategyV2 {
  const strategy = async () => (await shared()) as RetryStrategyV2;
  return {
    acquireInitialRetryToken: async (scope) => (await strategy()).acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: async (token, info) => {
      if (info.errorType !== 'THROTTLING') throw info.error; // the SDK then gives up and throws the request's error
      return (await strategy()).refreshRetryTokenForRetry(token, info);
    },
    recordSuccess: (token) => void strategy().then((s) => s.recordSuccess(token)),
  };
}

/** The client classes, by the package each comes in. */
const PACKAGES = {
  ACMClient: '@aws-sdk/client-acm',
  BackupClient: '@aws-sdk/client-backup',
  CloudWatchClient: '@aws-sdk/client-cloudwatch',
  CloudWatchLogsClient: '@aws-sdk/client-cloudwatch-logs',
  EC2Client: '@aws-sdk/client-ec2',
  ElasticLoadBalancingV2Client: '@aws-sdk/client-elastic-load-balancing-v2',
  IAMClient: '@aws-sdk/client-iam',
  Route53Client: '@aws-sdk/client-route-53',
  SecretsManagerClient: '@aws-sdk/client-secrets-manager',
  SNSClient: '@aws-sdk/client-sns',
  STSClient: '@aws-sdk/client-sts',
  CognitoIdentityProviderClient: '@aws-sdk/client-cognito-identity-provider',
  SchedulerClient: '@aws-sdk/client-scheduler',
  LambdaClient: '@aws-sdk/client-lambda',
  EventBridgeClient: '@aws-sdk/client-eventbridge',
} as const;
interface ClientClasses {
  ACMClient: typeof ACMClient;
  BackupClient: typeof BackupClient;
  CloudWatchClient: typeof CloudWatchClient;
  CloudWatchLogsClient: typeof CloudWatchLogsClient;
  EC2Client: typeof EC2Client;
  ElasticLoadBalancingV2Client: typeof ElasticLoadBalancingV2Client;
  IAMClient: typeof IAMClient;
  Route53Client: typeof Route53Client;
  SecretsManagerClient: typeof SecretsManagerClient;
  SNSClient: typeof SNSClient;
  STSClient: typeof STSClient;
  CognitoIdentityProviderClient: typeof CognitoIdentityProviderClient;
  SchedulerClient: typeof SchedulerClient;
  LambdaClient: typeof LambdaClient;
  EventBridgeClient: typeof EventBridgeClient;
}

const requirePackage = createRequire(import.meta.url);

/**
 * A client class, its package loaded when the first client of it is built: a command loads only the
 * packages of the services it calls (EC2's alone is 2 MB of JavaScript, most of a second to load on a
 * busy machine). `require` keeps the getters synchronous; a phase that imported its commands from the
 * package has loaded it already, and gets that same module back.
 */
const sdk = <K extends keyof ClientClasses>(name: K): ClientClasses[K] =>
  (requirePackage(PACKAGES[name]) as ClientClasses)[name];

// biome-ignore lint/suspicious/noExplicitAny: each client's stack has its own (invariant) types; this takes them all
type AnyClient = { middlewareStack: MiddlewareStack<any, any>; destroy(): void };

/**
 * The SDK clients, each built on first use with the config's region, the default credential chain,
 * adaptive retries and `AWS_ENDPOINT_URL` (read by the SDK itself). IAM, STS and Route 53 are
 * global, but signing them with the config's region works for the global endpoints too.
 */
export class AwsClients {
  private readonly built = new Map<string, AnyClient>();

  constructor(private readonly options: ClientOptions) {}

  get ec2() {
    return this.client('ec2', () => new (sdk('EC2Client'))({ region: this.options.region, ...RETRY }));
  }
  /** EC2 for the creates that take no ClientToken: retried by the SDK only when throttled. */
  get ec2Untokened() {
    return this.client(
      'ec2',
      () =>
        new (sdk('EC2Client'))({
          region: this.options.region,
          retryStrategy: throttlingRetriesOf(() => this.ec2.config.retryStrategy()),
        }),
      'ec2-untokened',
    );
  }
  get sts() {
    return this.client('sts', () => new (sdk('STSClient'))({ region: this.options.region, maxAttempts: 3 }));
  }
  get iam() {
    return this.client('iam', () => new (sdk('IAMClient'))({ region: this.options.region, ...RETRY }));
  }
  get secrets() {
    return this.client(
      'secretsmanager',
      () => new (sdk('SecretsManagerClient'))({ region: this.options.region, ...RETRY }),
    );
  }
  get elbv2() {
    return this.client(
      'elbv2',
      () => new (sdk('ElasticLoadBalancingV2Client'))({ region: this.options.region, ...RETRY }),
    );
  }
  get acm() {
    return this.client('acm', () => new (sdk('ACMClient'))({ region: this.options.region, ...RETRY }));
  }
  get route53() {
    return this.client('route53', () => new (sdk('Route53Client'))({ region: this.options.region, ...RETRY }));
  }
  get logs() {
    return this.client('logs', () => new (sdk('CloudWatchLogsClient'))({ region: this.options.region, ...RETRY }));
  }
  get cloudwatch() {
    return this.client('cloudwatch', () => new (sdk('CloudWatchClient'))({ region: this.options.region, ...RETRY }));
  }
  get sns() {
    return this.client('sns', () => new (sdk('SNSClient'))({ region: this.options.region, ...RETRY }));
  }
  /** S3 in the state bucket's region (it may differ from the config's); loaded only by a config with state.s3. */
  async s3In(region: string): Promise<S3Client> {
    const { S3Client } = await import('@aws-sdk/client-s3');
    return this.client(
      's3',
      () => new S3Client({ region, forcePathStyle: this.options.s3PathStyle, ...RETRY }),
      `s3:${region}`,
    );
  }
  /** The Price List Query API: answered in us-east-1 (and two other regions), whatever region the prices are for. */
  async pricing() {
    const { PricingClient } = await import('@aws-sdk/client-pricing');
    return this.client('pricing', () => new PricingClient({ region: 'us-east-1', ...RETRY }));
  }
  /** Cost Explorer: one endpoint, in us-east-1, for the whole account. */
  async costExplorer() {
    const { CostExplorerClient } = await import('@aws-sdk/client-cost-explorer');
    return this.client('ce', () => new CostExplorerClient({ region: 'us-east-1', ...RETRY }));
  }
  get scheduler() {
    return this.client('scheduler', () => new (sdk('SchedulerClient'))({ region: this.options.region, ...RETRY }));
  }
  get lambda() {
    return this.client('lambda', () => new (sdk('LambdaClient'))({ region: this.options.region, ...RETRY }));
  }
  get events() {
    return this.client('events', () => new (sdk('EventBridgeClient'))({ region: this.options.region, ...RETRY }));
  }
  get backup() {
    return this.client('backup', () => new (sdk('BackupClient'))({ region: this.options.region, ...RETRY }));
  }
  get cognito() {
    return this.client(
      'cognito-idp',
      () => new (sdk('CognitoIdentityProviderClient'))({ region: this.options.region, ...RETRY }),
    );
  }
  /** Cognito for the creates that take no token (CreateUserPool, CreateUserPoolClient): retried only when throttled. */
  get cognitoUntokened() {
    return this.client(
      'cognito-idp',
      () =>
        new (sdk('CognitoIdentityProviderClient'))({
          region: this.options.region,
          retryStrategy: throttlingRetriesOf(() => this.cognito.config.retryStrategy()),
        }),
      'cognito-idp-untokened',
    );
  }

  get region(): string {
    return this.options.region;
  }

  destroy(): void {
    for (const c of this.built.values()) c.destroy();
    this.built.clear();
  }

  private client<T extends AnyClient>(service: string, make: () => T, key = service): T {
    let client = this.built.get(key) as T | undefined;
    if (!client) {
      client = make();
      this.instrument(client, service);
      this.built.set(key, client);
    }
    return client;
  }

  private instrument(client: AnyClient, service: string): void {
    const { signal, hooks = [] } = this.options;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const call = { service, operation: String(context.commandName ?? '').replace(/Command$/, '') };
        if (signal?.aborted) throw new InterruptedError();
        for (const h of hooks) await h.before?.(call);
        const started = performance.now();
        let result: Awaited<ReturnType<typeof next>>;
        try {
          result = await next(args);
        } catch (err) {
          for (const h of hooks) h.after?.(call, performance.now() - started, err);
          throw err;
        }
        for (const h of hooks) h.after?.(call, performance.now() - started);
        return result;
      },
      { step: 'initialize', name: 'devenvCallHooks', priority: 'high' },
    );
    // S3's answers carry objects (any bytes, streamed): they are not judged as API answers.
    if (service === 's3') return;
    // Below the SDK's deserializer: sees the raw answer before it is parsed.
    client.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const response = result.response as { statusCode?: number; body?: unknown };
        const bytes = await bodyBytes(response?.body);
        if (!bytes) return result;
        response.body = bytes; // read once here; the deserializer takes the bytes as they are
        const request = args.request as { protocol?: string; hostname?: string; port?: number; path?: string };
        const port = request.port ? `:${request.port}` : '';
        const url = `${request.protocol ?? 'https:'}//${request.hostname ?? ''}${port}${request.path ?? '/'}`;
        const refused = nonApiAnswer(
          response.statusCode ?? 0,
          Buffer.from(bytes).toString('utf8'),
          url,
          `${service} ${String(context.commandName ?? '').replace(/Command$/, '')}`,
        );
        if (refused) throw refused;
        return result;
      },
      { step: 'deserialize', name: 'devenvNonApiAnswers', priority: 'low' },
    );
  }
}

/** A response body as bytes (the Node handler gives a stream), or undefined when there is none. */
async function bodyBytes(body: unknown): Promise<Uint8Array | undefined> {
  if (body === undefined || body === null) return undefined;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] !== 'function') return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Read calls start with one of these verbs (FilterLogEvents reads); everything else changes something. */
export const isMutating = (operation: string): boolean => !/^(Describe|Get|List|Head|BatchGet|Filter)/.test(operation);
