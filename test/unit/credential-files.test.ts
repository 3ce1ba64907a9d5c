/**
 * What `devenv credentials export` writes for a developer (text, JSON, CSV) and the combined CSV,
 * and how it reads the passwords: BatchGetSecretValue, 20 ids per call, per-secret errors kept.
 */
import { BatchGetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { sdkMock } from '../helpers/mock-sdk.js';
import { describe, expect, it } from 'vitest';
import { readSecretValues } from '../../src/aws/find/secrets.js';
import { developerNamed } from '../../src/commands/credentials-export.js';
import { DevenvError, ExitCode } from '../../src/errors.js';
import { renderCredential, renderCsv, type Credential } from '../../src/secrets/credential-files.js';

const alice: Credential = {
  developer: 'alice',
  url: 'https://alice.dev.example.com',
  username: 'alice',
  password: 'Kq7pX2mN9vR4tL8wZ3cB6hJ1',
};
const bob: Credential = {
  developer: 'bob',
  url: 'https://bob.dev.example.com',
  username: 'bob',
  password: 'Tz5yH8dF2gS6aQ9eW4rU7iO0',
};

/** A minimal RFC 4180 reader: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += ch;
  }
  return rows;
}

describe('credential formats', () => {
  it('text: the URL, the user name, the password and numbered first-login steps naming the URL and the rotate command', () => {
    const text = renderCredential(alice, 'txt');
    expect(text).toMatch(/^URL: +https:\/\/alice\.dev\.example\.com$/m);
    expect(text).toMatch(/^User name: +alice$/m);
    expect(text).toMatch(/^Password: +Kq7pX2mN9vR4tL8wZ3cB6hJ1$/m);
    expect(text).toMatch(/^ {2}1\. Open https:\/\/alice\.dev\.example\.com in your browser\.$/m);
    expect(text).toContain('devenv credentials rotate alice');
    expect(text.endsWith('\n')).toBe(true);
  });

  it('json: one object a script can read, with the same fields and the steps', () => {
    const parsed = JSON.parse(renderCredential(alice, 'json'));
    expect(parsed).toMatchObject({ developer: 'alice', url: alice.url, username: 'alice', password: alice.password });
    expect(parsed.firstLogin[0]).toContain(alice.url);
  });

  it('csv: a header and one row per developer, CRLF line ends', () => {
    expect(renderCredential(alice, 'csv')).toBe(
      `developer,url,username,password\r\nalice,${alice.url},alice,${alice.password}\r\n`,
    );
    expect(parseCsv(renderCsv([alice, bob]))).toEqual([
      ['developer', 'url', 'username', 'password'],
      ['alice', alice.url, 'alice', alice.password],
      ['bob', bob.url, 'bob', bob.password],
    ]);
  });

  it('csv quotes a field holding a comma, a quote or a line break, so it reads back unchanged', () => {
    const odd = { ...alice, password: 'a,b"c\nd' };
    expect(parseCsv(renderCsv([odd]))[1]).toEqual(['alice', alice.url, 'alice', 'a,b"c\nd']);
  });
});

describe('developerNamed', () => {
  const model = { developers: ['alice', 'bob', 'carol'].map((name) => ({ name })) } as Parameters<
    typeof developerNamed
  >[0];

  it('finds a developer of the config, and refuses an unknown one as bad input with the name probably meant', () => {
    expect(developerNamed(model, 'bob').name).toBe('bob');
    const err = (() => {
      try {
        developerNamed(model, 'alcie');
      } catch (e) {
        return e;
      }
    })() as DevenvError;
    expect(err).toBeInstanceOf(DevenvError);
    expect(err.exitCode).toBe(ExitCode.badInput);
    expect(err.message).toBe('no developer "alcie" in the config (did you mean "alice"?)');
    expect(err.remedy).toBe('use "alice"');
  });

  it('gives the one name probably meant, never a guess between two as close, and lists the names only without a guess', () => {
    const many = { developers: Array.from({ length: 30 }, (_, i) => ({ name: `dev${i + 1}` })) } as Parameters<
      typeof developerNamed
    >[0];
    const errorOf = (name: string) =>
      (() => {
        try {
          developerNamed(many, name);
        } catch (e) {
          return e;
        }
      })() as DevenvError;
    expect(errorOf('dve12').message).toBe('no developer "dve12" in the config (did you mean "dev12"?)');
    expect(errorOf('dve12').remedy).toBe('use "dev12"');
    const tie = errorOf('dev');
    expect(tie.message).toBe('no developer "dev" in the config');
    expect(tie.remedy).toBe(
      `use one of: ${Array.from({ length: 20 }, (_, i) => `dev${i + 1}`).join(', ')} and 10 more`,
    );
  });
});

describe('readSecretValues', () => {
  it('asks for 20 secrets per call and keeps each value and each per-secret error under the id asked for', async () => {
    const sm = sdkMock(SecretsManagerClient);
    const ids = Array.from({ length: 45 }, (_, i) => `demo/dev${i + 1}/password`);
    sm.on(BatchGetSecretValueCommand).callsFake(({ SecretIdList }: { SecretIdList: string[] }) => ({
      SecretValues: SecretIdList.filter((id) => id !== 'demo/dev7/password').map((id) => ({
        Name: id,
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${id}-AbCdEf`,
        SecretString: `value of ${id}`,
      })),
      Errors: SecretIdList.includes('demo/dev7/password')
        ? [
            {
              SecretId: 'demo/dev7/password',
              ErrorCode: 'ResourceNotFoundException',
              Message: "Secrets Manager can't find the specified secret.",
            },
          ]
        : [],
    }));
    const { values, errors } = await readSecretValues(new SecretsManagerClient({ region: 'us-east-1' }), ids);
    const batches = sm.commandCalls(BatchGetSecretValueCommand).map((c) => c.args[0].input.SecretIdList!.length);
    expect(batches).toEqual([20, 20, 5]);
    expect(values.size).toBe(44);
    expect(values.get('demo/dev45/password')).toBe('value of demo/dev45/password');
    expect(errors.get('demo/dev7/password')).toEqual({
      code: 'ResourceNotFoundException',
      message: "Secrets Manager can't find the specified secret.",
    });
  });
});
