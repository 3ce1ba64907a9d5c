import {
  type CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  paginateListUserPoolClients,
  UpdateUserPoolClientCommand,
  type UpdateUserPoolClientCommandInput,
  type UserPoolClientType,
} from '@aws-sdk/client-cognito-identity-provider';
import { collect } from '../ec2/collections.js';
import { isNotFound } from '../errors.js';
import type { Fix } from '../fix.js';

/** An app client as devenv keeps it in memory: never with its secret (the ALB reads that from Cognito itself). */
export type AppClient = Omit<UserPoolClientType, 'ClientSecret'>;

export const withoutSecret = ({ ClientSecret: _secret, ...client }: UserPoolClientType): AppClient => client;

/**
 * Everything devenv sets on its app client, but the secret it is created with: what the ALB's
 * `authenticate-cognito` needs (the code flow, `openid`, a callback URL per developer's host) [alb-cognito-callback].
 * Sent whole by every UpdateUserPoolClient, which resets each field it is not sent [cognito-update-resets].
 */
export function clientSettings(poolId: string, name: string, callbackUrls: string[]) {
  return {
    UserPoolId: poolId,
    ClientName: name,
    AllowedOAuthFlows: ['code' as const],
    AllowedOAuthScopes: ['openid', 'email'],
    AllowedOAuthFlowsUserPoolClient: true,
    SupportedIdentityProviders: ['COGNITO'],
    CallbackURLs: callbackUrls,
    ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH' as const],
    PreventUserExistenceErrors: 'ENABLED' as const,
    EnableTokenRevocation: true,
  };
}

export async function describeClient(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  clientId: string,
): Promise<AppClient | undefined> {
  try {
    const out = await cognito.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: clientId }));
    return out.UserPoolClient && withoutSecret(out.UserPoolClient);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/** The pool's app clients named `name` (clients carry no tags: the pool they are in is devenv's). */
export async function findClients(
  cognito: CognitoIdentityProviderClient,
  poolId: string,
  name: string,
): Promise<AppClient[]> {
  const listed = await collect(
    paginateListUserPoolClients({ client: cognito }, { UserPoolId: poolId, MaxResults: 60 }),
    (p) => p.UserPoolClients,
  );
  const found: AppClient[] = [];
  for (const c of listed.filter((c) => c.ClientName === name)) {
    const client = await describeClient(cognito, poolId, c.ClientId!);
    if (client) found.push(client);
  }
  return found;
}

type Settings = ReturnType<typeof clientSettings>;

const sameSet = (a: readonly unknown[] | undefined, b: readonly unknown[]) =>
  (a ?? []).length === b.length && b.every((x) => (a ?? []).includes(x));

/** How a live client differs from the settings, for people: empty when it has them. */
export function clientDrift(live: AppClient, want: Settings): string[] {
  const out: string[] = [];
  const added = want.CallbackURLs.filter((u) => !(live.CallbackURLs ?? []).includes(u));
  const removed = (live.CallbackURLs ?? []).filter((u) => !want.CallbackURLs.includes(u));
  if (added.length) out.push(`add callback URL${added.length > 1 ? 's' : ''} ${added.join(', ')}`);
  if (removed.length) out.push(`remove callback URL${removed.length > 1 ? 's' : ''} ${removed.join(', ')}`);
  for (const key of Object.keys(want) as (keyof Settings)[]) {
    if (key === 'CallbackURLs' || key === 'UserPoolId') continue;
    const w = want[key];
    const l = live[key];
    if (Array.isArray(w) ? !sameSet(l as unknown[] | undefined, w) : l !== w) out.push(`set ${key}`);
  }
  return out;
}

/** One UpdateUserPoolClient carrying every setting (never only the changed ones), when the client differs. */
export function clientFix(cognito: CognitoIdentityProviderClient, live: AppClient, want: Settings): Fix[] {
  const drift = clientDrift(live, want);
  if (drift.length === 0) return [];
  const input: UpdateUserPoolClientCommandInput = { ...want, ClientId: live.ClientId };
  return [
    {
      description: `app client ${live.ClientId}: ${drift.join('; ')}`,
      run: () => cognito.send(new UpdateUserPoolClientCommand(input)),
    },
  ];
}
