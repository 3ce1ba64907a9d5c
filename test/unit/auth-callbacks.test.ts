import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { authCallbacks } from '../../src/commands/auth-callbacks.js';
import { baseConfig } from '../helpers/context.js';

function configFile(extra: Record<string, unknown>): string {
  const path = join(mkdtempSync(join(tmpdir(), 'devenv-callbacks-')), 'devenv.config.json');
  writeFileSync(path, JSON.stringify({ ...baseConfig, ...extra }));
  return path;
}
const developers = [
  { name: 'alice', email: 'alice@corp.example' },
  { name: 'bob', subject: '00u1bob' },
];
const oidc = { issuer: 'https://corp.okta.com', clientId: 'c1', clientSecret: { env: 'S' } };

describe('devenv auth callbacks', () => {
  it("lists every developer's callback URL and identity, from the config alone", async () => {
    const out = await authCallbacks(configFile({ auth: { provider: 'oidc', oidc }, developers }), false);
    expect(out).toContain('https://alice.dev.example.com/oauth2/idpresponse');
    expect(out).toContain('https://bob.dev.example.com/oauth2/idpresponse');
    expect(out).toContain('sub 00u1bob');
    const json = JSON.parse(await authCallbacks(configFile({ auth: { provider: 'oidc', oidc }, developers }), true));
    expect(json.callbacks).toEqual([
      {
        developer: 'alice',
        identity: 'alice@corp.example',
        callbackUrl: 'https://alice.dev.example.com/oauth2/idpresponse',
      },
      { developer: 'bob', identity: 'sub 00u1bob', callbackUrl: 'https://bob.dev.example.com/oauth2/idpresponse' },
    ]);
  });

  it('without an OIDC provider: a config error that says why there is nothing to register', async () => {
    await expect(authCallbacks(configFile({}), false)).rejects.toThrow(/auth.provider is "password"/);
    const cognito = configFile({ auth: { provider: 'cognito' }, developers: [{ name: 'a', email: 'a@b.example' }] });
    await expect(authCallbacks(cognito, false)).rejects.toThrow(/registers the callback URLs on its user pool/);
  });
});
