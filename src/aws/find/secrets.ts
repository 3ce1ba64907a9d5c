import {
  BatchGetSecretValueCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  paginateListSecrets,
  type DescribeSecretCommandOutput,
  type SecretListEntry,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { hasCode, isNotFound, matches, SecretsCode } from '../errors.js';
import type { RecordedAllocations } from '../../config/model.js';
import { allocationFromTags, TAG, tagValue } from '../../config/tags.js';

export type SecretInfo = DescribeSecretCommandOutput | SecretListEntry;

/**
 * A secret by name or ARN, including one scheduled for deletion (`DeletedDate` set); `undefined` when there is none.
 */
export async function findSecret(sm: SecretsManagerClient, secretId: string): Promise<SecretInfo | undefined> {
  try {
    return await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Every secret tagged as this project's. ListSecrets hides secrets scheduled for deletion unless
 * asked, and is eventually consistent: use it to sweep, and DescribeSecret to decide about one name.
 */
export async function listProjectSecrets(
  sm: SecretsManagerClient,
  project: string,
  includePlannedDeletion: boolean,
): Promise<SecretListEntry[]> {
  const out: SecretListEntry[] = [];
  const filters = [
    { Key: 'tag-key' as const, Values: [TAG.project] },
    { Key: 'tag-value' as const, Values: [project] },
  ];
  for await (const page of paginateListSecrets(
    { client: sm },
    { Filters: filters, IncludePlannedDeletion: includePlannedDeletion },
  )) {
    // The two filters match independently (any key, any value), so check the pair here.
    out.push(...(page.SecretList ?? []).filter((s) => tagValue(s.Tags, TAG.project) === project));
  }
  return out;
}

/**
 * Every developer who still has a secret of this project (one in its recovery window included)
 * and the allocation its tags record: one paginated ListSecrets. A developer's secrets all carry
 * the same allocation; the first one tagged is taken.
 */
export async function recordedAllocations(sm: SecretsManagerClient, project: string): Promise<RecordedAllocations> {
  const recorded: RecordedAllocations = new Map();
  for (const s of await listProjectSecrets(sm, project, true)) {
    const developer = tagValue(s.Tags, TAG.developer);
    if (developer && !recorded.get(developer)) recorded.set(developer, allocationFromTags(s.Tags));
  }
  return recorded;
}

/**
 * CreateSecret refused the name because an earlier secret of that name still holds it. AWS says
 * InvalidRequestException "…already scheduled for deletion"; moto says ResourceExistsException.
 */
export const isNameTaken = (err: unknown): boolean =>
  hasCode(err, SecretsCode.exists) || matches(err, SecretsCode.invalidRequest, 'scheduled for deletion');

/**
 * Removes a secret value from an error before it goes anywhere (a message, a log, a cause):
 * we never build messages with values, but a service might echo what it was sent.
 */
export function scrubValue<E>(err: E, value: string): E {
  if (err && typeof err === 'object' && value) {
    const e = err as Record<string, unknown>;
    for (const key of Object.getOwnPropertyNames(e)) {
      if (typeof e[key] === 'string' && (e[key] as string).includes(value))
        e[key] = (e[key] as string).split(value).join('[REDACTED]');
    }
    delete e.$response; // the raw HTTP response, body included
  }
  return err;
}

/** A call that carries a secret value: whatever it throws is passed on without the value. */
export async function sendWithValue<T>(call: () => Promise<T>, value: string): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw scrubValue(err, value);
  }
}

/** The only value devenv reads back (an API key, to notice a change at its source); `undefined` when it has none. */
export async function readSecretValue(sm: SecretsManagerClient, secretId: string): Promise<string | undefined> {
  try {
    return (await sm.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** BatchGetSecretValue takes at most 20 secret ids per call. */
const BATCH_SIZE = 20;

/** What Secrets Manager answered for one secret it could not return (`ErrorCode`, `Message`: never a value). */
export interface SecretReadError {
  code: string;
  message: string;
}

/**
 * The current values of these secrets (names or ARNs, each answered under the id asked for), 20
 * per BatchGetSecretValue call. A secret that is missing, scheduled for deletion or unreadable is
 * in `errors` with the code Secrets Manager gave, not thrown: the caller says what it means.
 */
export async function readSecretValues(
  sm: SecretsManagerClient,
  secretIds: string[],
): Promise<{ values: Map<string, string>; errors: Map<string, SecretReadError> }> {
  const values = new Map<string, string>();
  const errors = new Map<string, SecretReadError>();
  for (let i = 0; i < secretIds.length; i += BATCH_SIZE) {
    const ids = secretIds.slice(i, i + BATCH_SIZE);
    const out = await sm.send(new BatchGetSecretValueCommand({ SecretIdList: ids }));
    for (const v of out.SecretValues ?? []) {
      const id = ids.find((x) => x === v.Name || x === v.ARN);
      if (id !== undefined && v.SecretString !== undefined) values.set(id, v.SecretString);
    }
    for (const e of out.Errors ?? []) {
      const id = ids.find((x) => x === e.SecretId) ?? e.SecretId;
      if (id !== undefined) errors.set(id, { code: e.ErrorCode ?? 'unknown error', message: e.Message ?? '' });
    }
  }
  return { values, errors };
}
