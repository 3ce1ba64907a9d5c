import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DevenvError } from '../../src/errors.js';
import { checkOidc, discover, oidcEndpoints } from '../../src/phases/validate/oidc.js';
import { testContext } from '../helpers/context.js';

const ISSUER = 'https://corp.okta.com';
const doc = (over: Record<string, unknown> = {}) => ({
  issuer: ISSUER,
  authorization_endpoint: `${ISSUER}/oauth2/v1/authorize`,
  token_endpoint: `${ISSUER}/oauth2/v1/token`,
  userinfo_endpoint: `${ISSUER}/oauth2/v1/userinfo`,
  ...over,
});
const answering = (body: unknown, status = 200) =>
  vi.fn(async (_url: string | URL | Request) => new Response(JSON.stringify(body), { status }));

async function refusal(p: Promise<unknown>): Promise<DevenvError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DevenvError);
  expect((err as DevenvError).kind).toBe('config');
  return err as DevenvError;
}

/** A real server, for what a stub cannot show: a body read as it streams in, and a server that never answers. */
let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/huge/')) {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = 'x'.repeat(64 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 64 && res.write(chunk)) sent++;
        if (sent >= 64) res.end();
        else res.once('drain', more);
      };
      more();
    } else if (req.url?.startsWith('/slow/')) {
      // never answers
    } else res.end(JSON.stringify(doc({ issuer: `${base}/ok` })));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

describe("the issuer's discovery document", () => {
  it('gives the three endpoints, read from <issuer>/.well-known/openid-configuration', async () => {
    const fetch = answering(doc());
    expect(await discover(`${ISSUER}/`, { fetch }).catch((e) => e)).toBeInstanceOf(DevenvError); // issuer must match exactly
    expect(await discover(ISSUER, { fetch })).toEqual({
      authorizationEndpoint: `${ISSUER}/oauth2/v1/authorize`,
      tokenEndpoint: `${ISSUER}/oauth2/v1/token`,
      userInfoEndpoint: `${ISSUER}/oauth2/v1/userinfo`,
    });
    expect(String(fetch.mock.calls[1]![0])).toBe(`${ISSUER}/.well-known/openid-configuration`);
  });

  it('another issuer in the document: names the field, the value it holds and the exact one to set', async () => {
    const err = await refusal(discover(ISSUER, { fetch: answering(doc({ issuer: `${ISSUER}/oauth2/default` })) }));
    expect(err.message).toContain('auth.oidc.issuer');
    expect(err.message).toContain(`names the issuer "${ISSUER}/oauth2/default"`);
    expect(err.remedy).toContain(`set auth.oidc.issuer to "${ISSUER}/oauth2/default"`);
  });

  it('HTTP 404, not JSON, an endpoint missing or not https: each a config error naming auth.oidc.issuer', async () => {
    expect((await refusal(discover(ISSUER, { fetch: answering({}, 404) }))).message).toMatch(
      /auth\.oidc\.issuer: .* answered HTTP 404/,
    );
    const notJson = vi.fn(async () => new Response('<html>sign in</html>'));
    expect((await refusal(discover(ISSUER, { fetch: notJson }))).message).toContain('is not JSON');
    const noUserInfo = answering(doc({ userinfo_endpoint: undefined }));
    const err = await refusal(discover(ISSUER, { fetch: noUserInfo }));
    expect(err.message).toContain('no https userinfo_endpoint');
    expect(err.remedy).toContain('auth.oidc.userInfoEndpoint');
    const plain = answering(doc({ token_endpoint: 'http://corp.okta.com/token' }));
    expect((await refusal(discover(ISSUER, { fetch: plain }))).message).toContain('no https token_endpoint');
  });

  it('an unreachable issuer: the error says so with its cause', async () => {
    const down = vi.fn(async () => {
      throw Object.assign(new TypeError('fetch failed'), { cause: { code: 'ENOTFOUND' } });
    });
    expect((await refusal(discover(ISSUER, { fetch: down }))).message).toContain('could not be read (ENOTFOUND)');
  });

  it('a document larger than the bound is refused while it streams in (a real server)', async () => {
    const err = await refusal(discover(`${base}/huge`, { maxBytes: 256 * 1024 }));
    expect(err.message).toContain('more than 262144 bytes');
    expect(await discover(`${base}/ok`)).toMatchObject({ tokenEndpoint: `${ISSUER}/oauth2/v1/token` });
  });

  it('a server that never answers is given up after the timeout (a real server)', async () => {
    const started = Date.now();
    const err = await refusal(discover(`${base}/slow`, { timeoutMs: 300 }));
    expect(err.message).toContain('did not answer in time');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe('validate and the endpoints the load balancer uses', () => {
  const developers = [{ name: 'alice', email: 'alice@corp.example' }];
  const oidc = { issuer: ISSUER, clientId: 'c', clientSecret: { env: 'OIDC_SECRET' } };

  it('fills missing endpoints from the document (read once a run); given ones are kept without a read', async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockImplementation(answering(doc()));
    try {
      const c = await testContext('validate', { auth: { provider: 'oidc', oidc }, developers });
      c.reads = new Map();
      const given = { ...oidc, tokenEndpoint: `${ISSUER}/custom/token` };
      expect(await oidcEndpoints(c, given)).toEqual({
        authorizationEndpoint: `${ISSUER}/oauth2/v1/authorize`,
        tokenEndpoint: `${ISSUER}/custom/token`,
        userInfoEndpoint: `${ISSUER}/oauth2/v1/userinfo`,
      });
      expect((await checkOidc(c)).ok).toBe(true);
      expect(fetch).toHaveBeenCalledTimes(1);
      const all = {
        ...oidc,
        authorizationEndpoint: 'https://a.example/x',
        tokenEndpoint: 'https://a.example/y',
        userInfoEndpoint: 'https://a.example/z',
      };
      expect(await oidcEndpoints({}, all)).toMatchObject({ tokenEndpoint: 'https://a.example/y' });
      expect(fetch).toHaveBeenCalledTimes(1);
    } finally {
      fetch.mockRestore();
    }
  });

  it("refuses a given endpoint on another host than the issuer's that the document does not name", async () => {
    const fetch = vi.spyOn(globalThis, 'fetch').mockImplementation(answering(doc()));
    try {
      const stray = { ...oidc, tokenEndpoint: 'https://evil.example/token' };
      const c = await testContext('validate', { auth: { provider: 'oidc', oidc: stray }, developers });
      const result = await checkOidc(c);
      expect(result).toMatchObject({ ok: false, cause: 'config', check: 'identity provider' });
      expect(result.detail).toContain('auth.oidc.tokenEndpoint "https://evil.example/token"');
    } finally {
      fetch.mockRestore();
    }
  });
});
