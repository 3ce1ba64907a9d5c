/**
 * The test phase's web checks against a local stand-in for code-server behind a load balancer: an
 * HTTPS server with a certificate from a test CA (made with openssl) and an HTTP server, each
 * answering as the real ones do, with switches to break one thing at a time.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { certificateVerdict, EXPIRY_WARNING_DAYS, webChecks } from '../../src/checks/web.js';
import type { Endpoint } from '../../src/checks/probe.js';
import type { TestCheckResult } from '../../src/checks/result.js';
import { makeCertificates } from '../host/edge.js';

const HOST = 'alice.dev.example.com';
const PASSWORD = 'Secret0123456789abcdefXY';
const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>code-server login</title></head><body><form method="post"><input type="password" name="password"></form></body></html>';

/** What the servers do; each test breaks one thing. */
let behaviour: {
  rootStatus: number;
  redirect: { status: number; location: string };
  originCheck: boolean;
  rateLimited: boolean;
};

function codeServer(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET' && req.url === '/') {
    res.writeHead(behaviour.rootStatus, behaviour.rootStatus === 302 ? { Location: './login' } : {}).end();
  } else if (req.method === 'GET' && req.url === '/login') {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end(LOGIN_PAGE);
  } else if (req.method === 'POST' && req.url === '/login') {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      if (behaviour.rateLimited) return void res.writeHead(200).end('Login rate limited!');
      if (new URLSearchParams(body).get('password') === PASSWORD)
        return void res
          .writeHead(302, { Location: './', 'Set-Cookie': 'code-server-session=abc123; Path=/; HttpOnly' })
          .end();
      res.writeHead(200).end(LOGIN_PAGE.replace('<form', '<div>Incorrect password</div><form'));
    });
  } else res.writeHead(404).end();
}

let dir: string;
let https: Server;
let http: Server;
let ca: string;

const listen = (server: Server) =>
  new Promise<number>((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
let endpoint: Endpoint;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'devenv-web-checks-'));
  const files = await makeCertificates(dir, 'dev.example.com');
  ca = await readFile(files.caFile, 'utf8');
  https = createHttpsServer({ key: await readFile(files.keyFile), cert: await readFile(files.certFile) }, codeServer);
  https.on('upgrade', (req: IncomingMessage, socket) => {
    const cookie = /code-server-session=abc123/.test(req.headers.cookie ?? '');
    const sameOrigin = req.headers.origin === `https://${req.headers.host}`;
    socket.end(
      cookie && (sameOrigin || !behaviour.originCheck)
        ? 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'
        : 'HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n',
    );
  });
  http = createHttpServer((req, res) =>
    res
      .writeHead(behaviour.redirect.status, {
        Location: behaviour.redirect.location.replace('$host', String(req.headers.host)),
      })
      .end(),
  );
  endpoint = {
    hostname: HOST,
    address: '127.0.0.1',
    httpsPort: await listen(https),
    httpPort: await listen(http),
    ca,
    timeoutMs: 5_000,
  };
});

afterAll(async () => {
  https?.close();
  http?.close();
  await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  behaviour = {
    rootStatus: 302,
    redirect: { status: 301, location: 'https://$host:443/' },
    originCheck: true,
    rateLimited: false,
  };
});

const verdicts = (results: TestCheckResult[]) => Object.fromEntries(results.map((r) => [r.check, r.verdict]));
const result = (results: TestCheckResult[], check: string) => results.find((r) => r.check === check)!;
const run = (e: Partial<Endpoint> = {}, password: () => Promise<string | Error> = async () => PASSWORD) =>
  webChecks({ ...endpoint, ...e }, { developer: 'alice', container: 'code-server-alice', password, now: Date.now() });

describe('web checks', () => {
  it('all pass against a working URL, and the password goes nowhere but the login', async () => {
    let asked = 0;
    const results = await run({}, async () => {
      asked++;
      return PASSWORD;
    });
    expect(verdicts(results)).toEqual({
      certificate: 'pass',
      'http → https': 'pass',
      'login page': 'pass',
      login: 'pass',
      websocket: 'pass',
    });
    expect(asked).toBe(1);
    expect(JSON.stringify(results)).not.toContain(PASSWORD);
    expect(result(results, 'certificate').detail).toMatch(
      /^valid for alice\.dev\.example\.com until \d{4}-\d\d-\d\d \(issued by devenv host lab test CA\)$/,
    );
    expect(result(results, 'http → https').detail).toBe(`301 → https://${HOST}:443/`);
  });

  it('a wrong password does not log in, and the websocket is not tried', async () => {
    const results = await run({}, async () => 'not-the-password');
    expect(result(results, 'login')).toMatchObject({
      verdict: 'fail',
      detail: 'code-server refused the password from Secrets Manager',
    });
    expect(result(results, 'login').lookAt).toContain("alice's password in Secrets Manager");
    expect(result(results, 'websocket')).toMatchObject({ verdict: 'skip', detail: 'not logged in' });
  });

  it('a password that cannot be read fails the login, naming the error and not guessing', async () => {
    const results = await run({}, async () => new Error('AccessDeniedException'));
    expect(result(results, 'login')).toMatchObject({
      verdict: 'fail',
      detail: 'could not read the password from Secrets Manager: AccessDeniedException',
    });
  });

  it('says when code-server is rate-limiting logins', async () => {
    behaviour.rateLimited = true;
    expect(result(await run(), 'login').detail).toContain('refusing logins for a while');
  });

  it('a load balancer without a rule for the host (404) or without a healthy target (503) fails the login page, saying which', async () => {
    behaviour.rootStatus = 404;
    const noRule = await run();
    expect(result(noRule, 'login page')).toMatchObject({
      verdict: 'fail',
      detail: 'GET / answered 404, not a redirect to the login page',
    });
    expect(result(noRule, 'login page').lookAt).toContain('no rule for this hostname');
    expect(verdicts(noRule)).toMatchObject({ login: 'skip', websocket: 'skip' });
    behaviour.rootStatus = 503;
    expect(result(await run(), 'login page').lookAt).toContain('no healthy target');
  });

  it('HTTP must answer 301 to the same host over HTTPS', async () => {
    behaviour.redirect = { status: 302, location: 'https://$host:443/' };
    expect(result(await run(), 'http → https')).toMatchObject({
      verdict: 'fail',
      detail: `answered 302 → https://${HOST}:443/, not 301 to https://${HOST}/`,
    });
    behaviour.redirect = { status: 301, location: 'http://$host/' };
    expect(result(await run(), 'http → https').verdict).toBe('fail');
    behaviour.redirect = { status: 301, location: 'https://elsewhere.example.com/' };
    expect(result(await run(), 'http → https').verdict).toBe('fail');
  });

  it('a websocket refused (Origin not matching the Host code-server sees) fails with 403', async () => {
    const results = await webChecks(
      { ...endpoint },
      { developer: 'alice', container: 'code-server-alice', password: async () => PASSWORD, now: Date.now() },
    );
    expect(result(results, 'websocket').verdict).toBe('pass');
    // A proxy that rewrites Host: the Origin the browser sends no longer matches.
    const rewriting = createHttpsServer(
      { key: await readFile(join(dir, 'edge.key')), cert: await readFile(join(dir, 'edge.pem')) },
      codeServer,
    );
    rewriting.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n'));
    const port = await listen(rewriting);
    try {
      const refused = await run({ httpsPort: port });
      expect(result(refused, 'websocket')).toMatchObject({
        verdict: 'fail',
        detail: 'code-server refused the upgrade (403): the Origin did not match the Host it received',
      });
    } finally {
      rewriting.close();
    }
  });

  it('a certificate from a CA the machine does not trust fails, and so does everything over HTTPS', async () => {
    const results = await run({ ca: undefined });
    expect(result(results, 'certificate')).toMatchObject({
      verdict: 'fail',
      detail: expect.stringMatching(
        /^not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE \(issued by devenv host lab test CA\)$/,
      ),
    });
    expect(result(results, 'certificate').lookAt).toContain('NODE_EXTRA_CA_CERTS');
    expect(result(results, 'login page').detail).toMatch(/^GET \/ failed: UNABLE_TO_VERIFY_LEAF_SIGNATURE/);
  });

  it('a certificate for another name fails', async () => {
    const results = await webChecks(
      { ...endpoint, hostname: 'alice.other.example.org' },
      { developer: 'alice', container: 'code-server-alice', password: async () => PASSWORD, now: Date.now() },
    );
    expect(result(results, 'certificate')).toMatchObject({
      verdict: 'fail',
      detail: 'does not cover alice.other.example.org (DNS:*.dev.example.com, DNS:dev.example.com)',
    });
  });

  it('nothing listening fails every check that connects, naming the error', async () => {
    const closed = createHttpServer();
    const port = await listen(closed);
    closed.close();
    const results = await run({ httpsPort: port, httpPort: port });
    expect(result(results, 'certificate').detail).toMatch(/^no TLS handshake: connect ECONNREFUSED/);
    expect(result(results, 'http → https').detail).toMatch(/failed: connect ECONNREFUSED/);
    expect(verdicts(results)).toMatchObject({ 'login page': 'fail', login: 'skip' });
  });
});

describe('certificate expiry', () => {
  const seen = {
    trusted: true,
    issuer: 'Amazon RSA 2048 M02',
    subjectAltName: `DNS:*.dev.example.com`,
    validTo: new Date('2027-03-01T00:00:00Z'),
  };
  const day = 24 * 60 * 60 * 1000;

  it(`warns when fewer than ${EXPIRY_WARNING_DAYS} days are left, passes before`, () => {
    expect(certificateVerdict(seen, HOST, seen.validTo.getTime() - 90 * day)).toMatchObject({
      verdict: 'pass',
      detail: `valid for ${HOST} until 2027-03-01 (issued by Amazon RSA 2048 M02)`,
    });
    const close = certificateVerdict(seen, HOST, seen.validTo.getTime() - 10 * day);
    expect(close).toMatchObject({
      verdict: 'warn',
      detail: `valid for ${HOST}, but expires on 2027-03-01 (in 10 days)`,
    });
    expect(close.lookAt).toContain('renewal');
  });

  it('an expired certificate is not trusted: fails', () => {
    expect(
      certificateVerdict(
        { ...seen, trusted: false, trustError: 'CERT_HAS_EXPIRED' },
        HOST,
        seen.validTo.getTime() + day,
      ),
    ).toMatchObject({ verdict: 'fail', detail: 'not trusted: CERT_HAS_EXPIRED (issued by Amazon RSA 2048 M02)' });
  });
});
