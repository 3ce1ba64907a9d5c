import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import {
  AddPermissionCommand,
  CreateFunctionCommand,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetPolicyCommand,
  RemovePermissionCommand,
  UpdateFunctionCodeCommand,
  UpdateFunctionConfigurationCommand,
  waitUntilFunctionUpdatedV2,
  type FunctionConfiguration,
} from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import type { PlannedResource } from '../../blueprint/types.js';
import { requireProjectTag, tagList } from '../../config/tags.js';
import type { AwsContext } from '../context.js';
import type { Fix } from '../fix.js';
import { hasCode, isNotFound } from '../errors.js';
import type { ResourceSpec } from '../resource.js';
import { IAM_PROPAGATION, retryWithin } from '../retry.js';
import { sdkWait } from '../wait.js';

// ---------------------------------------------------------------------------------------------
// A Lambda function devenv ships as one source file, zipped at run time (no build step), and the
// statements of its resource policy that let a service invoke it.

type Lambda = Pick<AwsContext, 'aws' | 'clock' | 'signal' | 'report'>;

/** Every entry is dated 1980-01-01 00:00 local time (zip dates are local): the same bytes on every machine. */
const ZIP_DATE = () => new Date(1980, 0, 1);

/** The zip of one source file as `index.mjs`: deterministic, so its SHA-256 says whether the function runs it. */
export async function zipOf(source: URL): Promise<Uint8Array> {
  const text = await readFile(source);
  return zipSync(
    { 'index.mjs': [new Uint8Array(text), { mtime: ZIP_DATE(), os: 3, attrs: 0o100644 << 16 }] },
    { level: 9 },
  );
}

/** What Lambda reports as CodeSha256: the base64 SHA-256 of the zip. */
export const codeSha256 = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');

export interface FunctionWant {
  zip: Uint8Array;
  roleArn: string;
  runtime: string;
  handler: string;
  memoryMiB: number;
  timeoutSeconds: number;
  environment: Record<string, string>;
  description: string;
}

export type LambdaFunction = FunctionConfiguration & { Tags?: Record<string, string> };

async function getFunction(ctx: Pick<AwsContext, 'aws'>, name: string): Promise<LambdaFunction | undefined> {
  try {
    const out = await ctx.aws.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    return { ...out.Configuration, Tags: out.Tags };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Lambda refuses a role IAM has just made ("cannot be assumed by Lambda", InvalidParameterValueException) until it has
 * propagated [iam-ec]: the create is retried within IAM_PROPAGATION.
 */
const roleNotYetUsable = (err: unknown) =>
  hasCode(err, 'InvalidParameterValueException') && /role|assume/i.test(String((err as Error).message));

/** Found by its name (unique per region), never adopted without this project's tag; created with its tags. */
export function functionSpec(
  ctx: Lambda & Pick<AwsContext, 'model'>,
  p: PlannedResource,
  want: () => Promise<FunctionWant>,
): ResourceSpec<LambdaFunction> {
  const owned = async (name: string) => {
    const found = await getFunction(ctx, name);
    if (found) requireProjectTag(ctx.model.project, tagList(found.Tags ?? {}), `Lambda function ${name}`);
    return found;
  };
  return {
    logicalId: p.logicalId,
    kind: p.kind,
    describe: (arn) => owned(arn),
    find: async () => [await owned(p.name)].filter((f): f is LambdaFunction => f !== undefined),
    create: async () => {
      const w = await want();
      return retryWithin(
        IAM_PROPAGATION,
        roleNotYetUsable,
        () =>
          ctx.aws.lambda.send(
            new CreateFunctionCommand({
              FunctionName: p.name,
              Runtime: w.runtime as never,
              Handler: w.handler,
              Role: w.roleArn,
              Code: { ZipFile: w.zip },
              MemorySize: w.memoryMiB,
              Timeout: w.timeoutSeconds,
              Description: w.description,
              Environment: { Variables: w.environment },
              Tags: p.tags,
            }),
          ),
        {
          clock: ctx.clock,
          signal: ctx.signal,
          onRetry: (message) => ctx.report.progress(`creating Lambda function ${p.name}: ${message}`),
        },
      );
    },
    alreadyExists: (err) => hasCode(err, 'ResourceConflictException'),
    idOf: (f) => f.FunctionArn!,
  };
}

const sameEnvironment = (live: LambdaFunction, want: FunctionWant) =>
  JSON.stringify(Object.entries(live.Environment?.Variables ?? {}).sort()) ===
  JSON.stringify(Object.entries(want.environment).sort());

/**
 * The code (by CodeSha256 of the zip devenv would upload) and the settings that differ: one call each, the second
 * after the first has been applied (Lambda refuses an update while another is in progress).
 */
export function functionFixes(ctx: Lambda, live: LambdaFunction, want: FunctionWant): Fix[] {
  const fixes: Fix[] = [];
  const name = live.FunctionName!;
  const updated = () =>
    sdkWait(ctx, ctx.aws.lambda, `Lambda function ${name} to finish its update`, 300, (o) =>
      waitUntilFunctionUpdatedV2(o, { FunctionName: name }),
    );
  if (live.CodeSha256 !== codeSha256(want.zip))
    fixes.push({
      description: `code → the wake page of this devenv (${codeSha256(want.zip)})`,
      run: async () => {
        await ctx.aws.lambda.send(new UpdateFunctionCodeCommand({ FunctionName: name, ZipFile: want.zip }));
        await updated();
      },
    });
  const settings: string[] = [];
  if (live.Runtime !== want.runtime) settings.push(`runtime ${live.Runtime} → ${want.runtime}`);
  if (live.Handler !== want.handler) settings.push(`handler → ${want.handler}`);
  if (live.Role !== want.roleArn) settings.push(`role → ${want.roleArn}`);
  if (live.MemorySize !== want.memoryMiB) settings.push(`memory → ${want.memoryMiB} MiB`);
  if (live.Timeout !== want.timeoutSeconds) settings.push(`timeout → ${want.timeoutSeconds} s`);
  if (!sameEnvironment(live, want)) settings.push('environment (the host, listener or target group changed)');
  if (settings.length)
    fixes.push({
      description: settings.join(', '),
      run: async () => {
        await ctx.aws.lambda.send(
          new UpdateFunctionConfigurationCommand({
            FunctionName: name,
            Runtime: want.runtime as never,
            Handler: want.handler,
            Role: want.roleArn,
            MemorySize: want.memoryMiB,
            Timeout: want.timeoutSeconds,
            Environment: { Variables: want.environment },
          }),
        );
        await updated();
      },
    });
  return fixes;
}

// ---------------------------------------------------------------------------------------------
// The function's resource policy: one statement per service that may invoke it, each for one source ARN.

export interface InvokePermission {
  statementId: string;
  principal: string;
  sourceArn: string;
}

interface Statement {
  Sid?: string;
  Principal?: { Service?: string };
  Condition?: { ArnLike?: Record<string, string> };
}

/** The statements of the function's policy (none when it has no policy yet). */
export async function policyStatements(ctx: Pick<AwsContext, 'aws'>, functionName: string): Promise<Statement[]> {
  try {
    const out = await ctx.aws.lambda.send(new GetPolicyCommand({ FunctionName: functionName }));
    return (JSON.parse(out.Policy ?? '{}') as { Statement?: Statement[] }).Statement ?? [];
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
}

const grants = (s: Statement, want: InvokePermission) =>
  s.Principal?.Service === want.principal &&
  Object.entries(s.Condition?.ArnLike ?? {}).some(
    ([k, v]) => k.toLowerCase() === 'aws:sourcearn' && v === want.sourceArn,
  );

/** AddPermission for a statement that is missing, after removing one of the same id that grants something else. */
export function permissionFixes(
  ctx: Pick<AwsContext, 'aws'>,
  functionName: string,
  statements: Statement[],
  want: InvokePermission,
): Fix[] {
  const same = statements.filter((s) => s.Sid === want.statementId);
  if (same.some((s) => grants(s, want))) return [];
  return [
    {
      description: `let ${want.principal} invoke it from ${want.sourceArn}`,
      run: async () => {
        if (same.length)
          await ctx.aws.lambda.send(
            new RemovePermissionCommand({ FunctionName: functionName, StatementId: want.statementId }),
          );
        await ctx.aws.lambda.send(
          new AddPermissionCommand({
            FunctionName: functionName,
            StatementId: want.statementId,
            Action: 'lambda:InvokeFunction',
            Principal: want.principal,
            SourceArn: want.sourceArn,
          }),
        );
      },
    },
  ];
}

export const deleteFunction = (ctx: Pick<AwsContext, 'aws'>, name: string) =>
  ctx.aws.lambda.send(new DeleteFunctionCommand({ FunctionName: name }));
