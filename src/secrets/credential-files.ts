/**
 * What `devenv credentials export` writes: one developer's login (URL, user name, password and
 * the first-login steps) as text, JSON or CSV, and the team's logins as one CSV. Pure: the command
 * decides where the text goes.
 */

export const CREDENTIAL_FORMATS = ['txt', 'json', 'csv'] as const;
export type CredentialFormat = (typeof CREDENTIAL_FORMATS)[number];

export interface Credential {
  developer: string;
  url: string;
  /** code-server asks for a password only; the developer's name is what the team knows them by. */
  username: string;
  /** code-server's password; absent when an identity provider alone signs in (auth.password false). */
  password?: string;
  /** With an identity provider at the load balancer: who signs in, and as whom. */
  signIn?: SignIn;
}

export interface SignIn {
  provider: 'oidc' | 'cognito';
  /** The provider people know: the OIDC issuer, or devenv's Cognito sign-in page. */
  at: string;
  /** The identity this developer's editor is bound to (e-mail, or `sub …`). */
  identity: string;
}

/** The combined file, next to the developers' own. */
export const COMBINED_CSV = 'credentials.csv';

export const credentialFileName = (developer: string, format: CredentialFormat): string => `${developer}.${format}`;

export function firstLoginSteps(c: Pick<Credential, 'developer' | 'url' | 'password' | 'signIn'>): string[] {
  const kept = c.password !== undefined;
  return [
    `Open ${c.url} in your browser.`,
    ...(c.signIn ? signInSteps(c.signIn) : []),
    ...(kept
      ? [
          `${c.signIn ? 'Then ' : ''}code-server asks for the password only (no user name): paste the password and ` +
            'press Submit.',
        ]
      : []),
    'Your files live in /home/coder/workspace; they are kept on the data volume when the container restarts.',
    ...(kept
      ? [
          'Keep the password in your password manager and delete this file.',
          `Lost or leaked? Ask your administrator to run \`devenv credentials rotate ${c.developer}\`: the old ` +
            'password stops working at once.',
        ]
      : []),
  ];
}

function signInSteps(s: SignIn): string[] {
  const only = `Only ${s.identity} opens this editor: signed in as anyone else, you get a page saying whose it is.`;
  if (s.provider === 'oidc')
    return [`It sends you to your company's sign-in (${s.at}): sign in as ${s.identity}, with your usual MFA.`, only];
  return [
    `Sign in on the sign-in page it sends you to (${s.at}) with ${s.identity}. The first time, use the temporary ` +
      'password in the invitation e-mail, choose your own, and set up an authenticator app when asked.',
    only,
  ];
}

const CSV_HEADER = ['developer', 'url', 'username', 'password'];
const SIGN_IN_HEADER = ['provider', 'sign-in at', 'identity'];

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const csvLine = (fields: string[]) => `${fields.map(csvField).join(',')}\r\n`;

/**
 * Every developer's login, one row each under a header line (CRLF line ends, as RFC 4180 and spreadsheets expect);
 * with an identity provider, its name, sign-in page and each developer's identity too.
 */
export function renderCsv(credentials: Credential[]): string {
  const sso = credentials.some((c) => c.signIn);
  const row = (c: Credential) => [
    c.developer,
    c.url,
    c.username,
    c.password ?? '',
    ...(sso ? [c.signIn?.provider ?? '', c.signIn?.at ?? '', c.signIn?.identity ?? ''] : []),
  ];
  return csvLine([...CSV_HEADER, ...(sso ? SIGN_IN_HEADER : [])]) + credentials.map((c) => csvLine(row(c))).join('');
}

export function renderCredential(c: Credential, format: CredentialFormat): string {
  switch (format) {
    case 'csv':
      return renderCsv([c]);
    case 'json':
      return `${JSON.stringify(
        {
          developer: c.developer,
          url: c.url,
          username: c.username,
          ...(c.password !== undefined ? { password: c.password } : {}),
          ...(c.signIn ? { signIn: c.signIn } : {}),
          firstLogin: firstLoginSteps(c),
        },
        null,
        2,
      )}\n`;
    case 'txt':
      return [
        `code-server login for ${c.developer}`,
        '',
        `URL:       ${c.url}`,
        ...(c.signIn
          ? [
              `Sign-in:   ${c.signIn.provider === 'oidc' ? 'OIDC' : 'Cognito'} at ${c.signIn.at}`,
              `Identity:  ${c.signIn.identity}`,
            ]
          : []),
        ...(c.password !== undefined ? [`User name: ${c.username}`, `Password:  ${c.password}`] : []),
        '',
        'First login:',
        ...firstLoginSteps(c).map((step, i) => `  ${i + 1}. ${step}`),
        '',
      ].join('\n');
  }
}
