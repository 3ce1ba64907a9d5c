import { z } from 'zod';

/** The longest session an ALB authenticate action keeps (its `SessionTimeout`, seconds: 7 days). */
export const MAX_SESSION_SECONDS = 604800;

const httpsUrl = z
  .string()
  .regex(/^https:\/\/[^\s/?#]+(\/[^\s?#]*)?$/, { message: 'must be an https:// URL without a query' });

/** Where devenv reads the OIDC client secret: never the config file itself. */
const clientSecretSource = z
  .union(
    [
      z
        .object({
          env: z
            .string()
            .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: 'is not an environment variable name such as OIDC_SECRET' })
            .describe('environment variable holding the client secret'),
        })
        .strict(),
      z
        .object({
          secretsManager: z
            .string()
            .min(1, { message: 'must name a Secrets Manager secret' })
            .max(512, { message: 'must be at most 512 characters (a Secrets Manager name or ARN)' })
            .describe('name or ARN of a Secrets Manager secret (in `region`) whose value is the client secret'),
        })
        .strict(),
    ],
    {
      message: 'must be {"env": "<ENVIRONMENT_VARIABLE>"} or {"secretsManager": "<secret name or ARN>"}',
    },
  )
  .describe(
    'where devenv reads the client secret: `{"env":"VAR"}` or `{"secretsManager":"name"}`; never the ' +
      'secret itself, which goes to the load balancer API and nowhere else',
  );

const oidc = z
  .object({
    issuer: httpsUrl.describe(
      "the provider's issuer URL (`https://example.okta.com`); `validate` reads its " +
        '`/.well-known/openid-configuration` for the endpoints not given below',
    ),
    clientId: z
      .string()
      .min(1, { message: 'must not be empty' })
      .max(256, { message: 'must be at most 256 characters' })
      .describe("the app's client id at the provider"),
    clientSecret: clientSecretSource,
    authorizationEndpoint: httpsUrl
      .optional()
      .describe("the provider's authorization endpoint; from the discovery document when absent"),
    tokenEndpoint: httpsUrl
      .optional()
      .describe("the provider's token endpoint; from the discovery document when absent"),
    userInfoEndpoint: httpsUrl
      .optional()
      .describe("the provider's user info endpoint; from the discovery document when absent"),
  })
  .strict();

const cognito = z
  .object({
    mfa: z
      .enum(['required', 'optional'])
      .default('required')
      .describe('authenticator-app MFA in the user pool: `required` (default) or `optional`'),
    domainPrefix: z
      .string()
      .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
        message: 'is not a Cognito domain prefix (lowercase letters, digits and -, at most 63)',
      })
      .optional()
      .describe('prefix of the hosted sign-in domain (`<prefix>.auth.<region>.amazoncognito.com`)'),
  })
  .strict()
  .prefault({});

export const authSchema = z
  .object({
    provider: z
      .enum(['password', 'oidc', 'cognito'])
      .default('password')
      .describe(
        "who signs developers in: `password` (code-server's own login page), `oidc` (your company's " +
          'identity provider, at the load balancer) or `cognito` (a user pool devenv makes)',
      ),
    password: z
      .boolean()
      .default(true)
      .describe(
        "keep code-server's password as a second factor behind the provider; `false` only with a " +
          "provider, where the host's gate lets only the developer's own identity in",
      ),
    sessionTimeoutSeconds: z
      .number()
      .int({ message: 'must be a whole number of seconds' })
      .min(60, { message: 'must be at least 60 seconds' })
      .max(MAX_SESSION_SECONDS, { message: `must be at most ${MAX_SESSION_SECONDS} seconds (7 days, the ALB limit)` })
      .default(43200)
      .describe('seconds a sign-in lasts at the load balancer before the provider is asked again (60–604800)'),
    oidc: oidc.optional().describe('the OIDC provider, with `provider: "oidc"`'),
    cognito: cognito.describe('the user pool, with `provider: "cognito"`'),
    keyEndpoint: httpsUrl
      .optional()
      .describe(
        "where the host's gate fetches the load balancer's signing keys; when absent, the one AWS documents: " +
          '`https://public-keys.auth.elb.<region>.amazonaws.com`, or its S3 form in GovCloud. AWS documents none ' +
          'for China (cn-north-1, cn-northwest-1): devenv then uses the `.amazonaws.com.cn` form of the first, ' +
          'unconfirmed; set this if the gate cannot fetch a key there',
      ),
  })
  .strict()
  .prefault({})
  .describe('how developers sign in ([Identity at the edge](#identity-at-the-edge))');

export type AuthConfig = z.output<typeof authSchema>;

/** The identity that may open a developer's editor: their email, or the provider's subject. */
export const identityFields = {
  email: z
    .string()
    .regex(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: 'is not an e-mail address such as alice@example.com' })
    .max(254, { message: 'must be at most 254 characters' })
    .optional()
    .describe("in an object: the developer's e-mail at the identity provider (their identity)"),
  subject: z
    .string()
    .min(1, { message: 'must not be empty' })
    .max(255, { message: 'must be at most 255 characters' })
    .optional()
    .describe("in an object: the developer's `sub` at the identity provider, when the email is not enough"),
};
