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
  password: string;
}

/** The combined file, next to the developers' own. */
export const COMBINED_CSV = 'credentials.csv';

export const credentialFileName = (developer: string, format: CredentialFormat): string => `${developer}.${format}`;

export function firstLoginSteps(c: Pick<Credential, 'developer' | 'url'>): string[] {
  return [
    `Open ${c.url} in your browser.`,
    'code-server asks for the password only (no user name): paste the password and press Submit.',
    'Your files live in /home/coder/workspace; they are kept on the data volume when the container restarts.',
    'Keep the password in your password manager and delete this file.',
    `Lost or leaked? Ask your administrator to run \`devenv credentials rotate ${c.developer}\`: the old password ` +
      `stops working at once.`,
  ];
}

const CSV_HEADER = ['developer', 'url', 'username', 'password'];

/** RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled. */
const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
const csvLine = (fields: string[]) => `${fields.map(csvField).join(',')}\r\n`;

/** Every developer's login, one row each under a header line (CRLF line ends, as RFC 4180 and spreadsheets expect). */
export function renderCsv(credentials: Credential[]): string {
  return csvLine(CSV_HEADER) + credentials.map((c) => csvLine([c.developer, c.url, c.username, c.password])).join('');
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
          password: c.password,
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
        `User name: ${c.username}`,
        `Password:  ${c.password}`,
        '',
        'First login:',
        ...firstLoginSteps(c).map((step, i) => `  ${i + 1}. ${step}`),
        '',
      ].join('\n');
  }
}
