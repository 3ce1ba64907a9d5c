import { readOnce } from '../../aws/read-once.js';
import type { Config } from '../../config/schema.js';
import { DevenvError, messageOf } from '../../errors.js';
import { readClientSecret } from '../alb/client-secret.js';
import type { Context } from '../types.js';
import { fail, pass, type ValidationResult } from './result.js';

/** A discovery document is a few kilobytes; one far larger is not one. */
export const MAX_DISCOVERY_BYTES = 256 * 1024;
export const DISCOVERY_TIMEOUT_MS = 10_000;

export interface OidcEndpoints {
  authorizationEndpoint: string;
  tokenEndpoint: string;
  userInfoEndpoint: string;
}

type Oidc = NonNullable<Config['auth']['oidc']>;
type Fetch = typeof fetch;

const ENDPOINT_KEYS = {
  authorizationEndpoint: 'authorization_endpoint',
  tokenEndpoint: 'token_endpoint',
  userInfoEndpoint: 'userinfo_endpoint',
} as const satisfies Record<keyof OidcEndpoints, string>;

export const discoveryUrl = (issuer: string) => `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;

const discoveryError = (message: string, remedy: string) =>
  new DevenvError('config', `auth.oidc.issuer: ${message}`, { remedy });

/** The body of `url`, refused past `maxBytes` (read as it arrives, so a huge answer is never held). */
async function boundedText(response: Response, url: string, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? 0);
  const tooLarge = () =>
    discoveryError(
      `${url} answered more than ${maxBytes} bytes: that is no discovery document`,
      'set auth.oidc.issuer to the issuer your provider names (its discovery document is at <issuer>/.well-known/' +
        'openid-configuration)',
    );
  if (declared > maxBytes) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads the issuer's OpenID discovery document (bounded in time and size) and returns its endpoints. Throws a
 * config error naming auth.oidc.issuer, what went wrong and the fix: unreachable, not 200, not JSON, another issuer,
 * an endpoint missing or not https.
 */
export async function discover(
  issuer: string,
  o: { fetch?: Fetch; timeoutMs?: number; maxBytes?: number } = {},
): Promise<OidcEndpoints> {
  const url = discoveryUrl(issuer);
  const fix = `check auth.oidc.issuer ("${issuer}") against your provider's settings, and that this machine reaches it`;
  let response: Response;
  try {
    response = await (o.fetch ?? fetch)(url, {
      signal: AbortSignal.timeout(o.timeoutMs ?? DISCOVERY_TIMEOUT_MS),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (err) {
    const why = (err as Error).name === 'TimeoutError' ? 'did not answer in time' : `could not be read (${cause(err)})`;
    throw discoveryError(`the discovery document ${url} ${why}`, fix);
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw discoveryError(`the discovery document ${url} answered HTTP ${response.status}`, fix);
  }
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(await boundedText(response, url, o.maxBytes ?? MAX_DISCOVERY_BYTES));
  } catch (err) {
    if (err instanceof DevenvError) throw err;
    throw discoveryError(`the discovery document ${url} is not JSON`, fix);
  }
  if (doc === null || typeof doc !== 'object') throw discoveryError(`the discovery document ${url} is not JSON`, fix);
  if (doc.issuer !== issuer) {
    throw discoveryError(
      `the discovery document ${url} names the issuer "${String(doc.issuer)}", not "${issuer}"`,
      `set auth.oidc.issuer to "${String(doc.issuer)}" exactly (the load balancer checks the tokens' iss against it)`,
    );
  }
  const endpoints = {} as OidcEndpoints;
  for (const [key, field] of Object.entries(ENDPOINT_KEYS) as [keyof OidcEndpoints, string][]) {
    const value = doc[field];
    if (typeof value !== 'string' || !value.startsWith('https://')) {
      throw discoveryError(
        `the discovery document ${url} has no https ${field} (the load balancer needs one)`,
        `give auth.oidc.${key} in the config, or use a provider whose discovery document names it`,
      );
    }
    endpoints[key] = value;
  }
  return endpoints;
}

const cause = (err: unknown) => {
  const inner = (err as { cause?: { code?: string; message?: string } }).cause;
  return inner?.code ?? inner?.message ?? messageOf(err);
};

/**
 * The endpoints the load balancer uses: those the config gives, the others from the discovery document (read once a
 * run, and only when one is missing).
 */
export async function oidcEndpoints(ctx: Pick<Context, 'reads'>, oidc: Oidc): Promise<OidcEndpoints> {
  const given = {
    authorizationEndpoint: oidc.authorizationEndpoint,
    tokenEndpoint: oidc.tokenEndpoint,
    userInfoEndpoint: oidc.userInfoEndpoint,
  };
  if (given.authorizationEndpoint && given.tokenEndpoint && given.userInfoEndpoint) return given as OidcEndpoints;
  const found = await discovered(ctx, oidc.issuer);
  return {
    authorizationEndpoint: given.authorizationEndpoint ?? found.authorizationEndpoint,
    tokenEndpoint: given.tokenEndpoint ?? found.tokenEndpoint,
    userInfoEndpoint: given.userInfoEndpoint ?? found.userInfoEndpoint,
  };
}

const discovered = (ctx: Pick<Context, 'reads'>, issuer: string) =>
  readOnce(ctx, `oidc:discovery:${issuer}`, () => discover(issuer));

const hostOf = (url: string) => new URL(url).hostname;

/**
 * `validate`'s check of the OIDC provider: its discovery document is read (its issuer must be auth.oidc.issuer's),
 * and an endpoint the config gives must be https on the issuer's host or a subdomain of the issuer's parent domain
 * (a typo there sends every developer's sign-in elsewhere).
 */
export async function checkOidc(ctx: Context): Promise<ValidationResult> {
  const oidc = ctx.config.auth.oidc!;
  let found: OidcEndpoints;
  try {
    found = await discovered(ctx, oidc.issuer);
  } catch (err) {
    if (!(err instanceof DevenvError)) throw err;
    return fail('identity provider', `${messageOf(err)}: ${err.remedy}`, { cause: 'config' });
  }
  const issuerHost = hostOf(oidc.issuer);
  const parent = issuerHost.split('.').slice(1).join('.');
  const stray = (Object.keys(ENDPOINT_KEYS) as (keyof OidcEndpoints)[]).filter((key) => {
    const given = oidc[key];
    if (!given) return false;
    const host = hostOf(given);
    return host !== issuerHost && !(parent.includes('.') && host.endsWith(`.${parent}`)) && given !== found[key];
  });
  if (stray.length) {
    return fail(
      'identity provider',
      stray
        .map(
          (key) =>
            `auth.oidc.${key} "${oidc[key]}" is on neither the issuer's host ${issuerHost} nor in its discovery ` +
            `document (which names "${found[key]}"): remove it to use the document's, or correct it`,
        )
        .join('; '),
      { cause: 'config' },
    );
  }
  const fromDocument = (Object.keys(ENDPOINT_KEYS) as (keyof OidcEndpoints)[]).filter((k) => !oidc[k]);
  return pass(
    'identity provider',
    `OIDC issuer ${oidc.issuer} answers its discovery document` +
      (fromDocument.length ? ` (${fromDocument.join(', ')} from it)` : ''),
  );
}

/** The client secret can be read where auth.oidc.clientSecret says (checked before anything is made; never shown). */
export async function checkClientSecret(ctx: Context): Promise<ValidationResult> {
  try {
    await readClientSecret(ctx);
  } catch (err) {
    if (!(err instanceof DevenvError) || err.kind !== 'config') throw err;
    return fail('client secret', `${messageOf(err)}: ${err.remedy}`, { cause: 'config' });
  }
  const source = ctx.config.auth.oidc!.clientSecret;
  const where = 'env' in source ? `$${source.env}` : `Secrets Manager secret ${source.secretsManager}`;
  return pass('client secret', `the OIDC client secret can be read from ${where}`);
}
