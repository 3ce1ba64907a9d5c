/**
 * The host's gate (templates/gate.mjs) on its own: a test key pair plays the load balancer's, a
 * local key server its key endpoint, and a small server the developer's code-server.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkToken, createGate, keyStore, refusalPage } from '../../templates/gate.mjs';
import { albToken, keyServer, newSigningKey } from '../helpers/alb-token.js';

const SIGNER = 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/devenv-demo/50dc6c495c0c9188';
const OTHER_SIGNER =
  'arn:aws:elasticloadbalancing:eu-west-1:999999999999:loadbalancer/app/someone-else/1234567890abcdef';
const alice = { email: 'alice@corp.example' };
const key = newSigningKey();
const unknownKey = newSigningKey();

const listen = async (server: Server) => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
};

/** What the gate's upstream (code-server) saw. */
const seen: { url?: string; oidc?: string }[] = [];
const upgraded: { destroy(): void }[] = [];

describe('the gate in front of a developer’s code-server', () => {
  let keys: Awaited<ReturnType<typeof keyServer>>;
  let upstream: Server;
  let gate: Server;
  let gatePort: number;

  beforeAll(async () => {
    keys = await keyServer([key]);
    upstream = createServer((req, res) => {
      seen.push({ url: req.url, oidc: req.headers['x-amzn-oidc-data'] as string | undefined });
      res.writeHead(200, { 'content-type': 'text/plain', 'x-upstream': 'code-server' }).end(`editor ${req.url}`);
    });
    upstream.on('upgrade', (req, socket) => {
      seen.push({ url: req.url, oidc: req.headers['x-amzn-oidc-data'] as string | undefined });
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `x-seen-key: ${req.headers['sec-websocket-key']}\r\n\r\n`,
      );
      upgraded.push(socket);
      socket.on('data', (d) => socket.write(d)); // an echo, byte for byte
    });
    const upstreamPort = await listen(upstream);
    gate = createGate({
      developer: 'alice',
      identity: alice,
      signer: () => SIGNER,
      keyFor: keyStore({ endpoint: keys.url }),
      upstream: { host: '127.0.0.1', port: upstreamPort },
    });
    gatePort = await listen(gate);
  });

  afterAll(async () => {
    for (const socket of upgraded) socket.destroy();
    for (const server of [gate, upstream, keys?.server]) {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    }
  });

  const get = (headers: Record<string, string>, path = '/?folder=/home/coder') =>
    new Promise<{ status: number; body: string; headers: Record<string, unknown> }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: gatePort, path, headers, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body, headers: res.headers }));
      });
      req.on('error', reject);
      req.end();
    });

  const oidc = (token: string) => ({ 'x-amzn-oidc-data': token });

  it("lets alice's own identity in, the request passed on as it came", async () => {
    const token = albToken(key, { signer: SIGNER, claims: { sub: 'a-1', email: 'alice@corp.example' } });
    expect(token).toMatch(/=\./); // the load balancer's padding, which the gate must accept
    const r = await get(oidc(token));
    expect(r.status).toBe(200);
    expect(r.headers['x-upstream']).toBe('code-server');
    expect(r.body).toBe('editor /?folder=/home/coder');
    expect(seen.at(-1)).toEqual({ url: '/?folder=/home/coder', oidc: token });
  });

  it('refuses a request without the header (it did not come through the load balancer), naming whose editor it is', async () => {
    const before = seen.length;
    const r = await get({});
    expect(r.status).toBe(403);
    expect(r.body).toContain('This editor belongs to alice');
    expect(r.body).toContain('did not come through the load balancer');
    expect(seen.length).toBe(before);
  });

  it("refuses another developer's identity, saying who is signed in (escaped) and whose editor this is", async () => {
    const token = albToken(key, { signer: SIGNER, claims: { sub: 'b-1', email: 'bob<script>@corp.example' } });
    const r = await get(oidc(token));
    expect(r.status).toBe(403);
    expect(r.body).toContain('signed in as <b>bob&lt;script&gt;@corp.example</b>');
    expect(r.body).toContain('This editor belongs to alice');
    expect(r.body).not.toContain('<script>');
  });

  it('refuses an expired sign-in', async () => {
    const token = albToken(key, { signer: SIGNER, claims: alice, expiresInS: -5 });
    const r = await get(oidc(token));
    expect(r.status).toBe(403);
    expect(r.body).toContain('expired');
  });

  it('refuses a header signed by another load balancer (the same regional key signs for every ALB)', async () => {
    const r = await get(oidc(albToken(key, { signer: OTHER_SIGNER, claims: alice })));
    expect(r.status).toBe(403);
    expect(r.body).toContain('another load balancer');
  });

  it('refuses a tampered header: claims changed after signing, or the signature itself changed', async () => {
    const token = albToken(key, { signer: SIGNER, claims: { email: 'bob@corp.example' } });
    const [h, , s] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ email: 'alice@corp.example' })).toString('base64url')}.${s}`;
    const forgedResult = await get(oidc(forged));
    expect(forgedResult.status).toBe(403);
    expect(forgedResult.body).toContain('bad signature');
    expect(forgedResult.body).not.toContain('signed in as');

    const good = albToken(key, { signer: SIGNER, claims: alice });
    const sig = Buffer.from(good.split('.')[2]!, 'base64url');
    sig[10]! ^= 0x01;
    const flipped = `${good.split('.').slice(0, 2).join('.')}.${sig.toString('base64url')}`;
    expect((await get(oidc(flipped))).status).toBe(403);
    expect((await get(oidc('not.a-jwt'))).status).toBe(403);
  });

  it('refuses a key the endpoint does not know (404), and asks again later rather than keeping the miss', async () => {
    const token = albToken(unknownKey, { signer: SIGNER, claims: alice });
    const r = await get(oidc(token));
    expect(r.status).toBe(403);
    expect(r.body).toContain(`key ${unknownKey.kid} is unknown`);
    await get(oidc(token));
    expect(keys.requests.filter((u) => u === `/${unknownKey.kid}`)).toHaveLength(2);
    // A known key is fetched once, however many requests it signs.
    expect(keys.requests.filter((u) => u === `/${key.kid}`)).toHaveLength(1);
  });

  it('passes the health check (GET /healthz) without a sign-in: the load balancer sends none', async () => {
    const r = await get({}, '/healthz');
    expect(r.status).toBe(200);
    expect(r.body).toBe('editor /healthz');
    expect((await get({}, '/healthz/../')).status).toBe(403);
  });

  const upgrade = (headers: Record<string, string>) =>
    new Promise<{ status: number; echo?: string; body?: string }>((resolve, reject) => {
      const req = request({
        host: '127.0.0.1',
        port: gatePort,
        agent: false,
        path: '/?reconnectionToken=t',
        headers: {
          Connection: 'Upgrade',
          Upgrade: 'websocket',
          'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
          ...headers,
        },
      });
      req.on('upgrade', (res, socket) => {
        expect(res.headers['x-seen-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
        socket.once('data', (d) => {
          socket.destroy();
          resolve({ status: res.statusCode!, echo: d.toString() });
        });
        socket.write('frame bytes \u0000\u0001');
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end();
    });

  it("passes alice's websocket upgrade through unchanged, and refuses one without a sign-in or of someone else", async () => {
    const token = albToken(key, { signer: SIGNER, claims: alice });
    const ok = await upgrade(oidc(token));
    expect(ok).toEqual({ status: 101, echo: 'frame bytes \u0000\u0001' });
    expect(seen.at(-1)).toEqual({ url: '/?reconnectionToken=t', oidc: token });

    const none = await upgrade({});
    expect(none.status).toBe(403);
    expect(none.body).toContain('This editor belongs to alice');
    const bob = await upgrade(oidc(albToken(key, { signer: SIGNER, claims: { email: 'bob@corp.example' } })));
    expect(bob.status).toBe(403);
  });
});

describe('checkToken', () => {
  const keyFor = async (kid: string) =>
    kid === key.kid ? (await import('node:crypto')).createPublicKey(key.pem) : null;
  const now = () => Date.now();

  it('binds by subject when the developer has one, and by both when both are given', async () => {
    const token = albToken(key, { signer: SIGNER, claims: { sub: 'a-1', email: 'Alice@Corp.example' } });
    const check = (identity: { email?: string; subject?: string }) =>
      checkToken(token, { signer: SIGNER, keyFor, now, identity });
    expect((await check({ subject: 'a-1' })).ok).toBe(true);
    expect((await check({ subject: 'a-2' })).ok).toBe(false);
    expect((await check({ email: 'alice@corp.example' })).ok, 'e-mail compared without case').toBe(true);
    expect((await check({ email: 'alice@corp.example', subject: 'a-2' })).ok).toBe(false);
    expect((await check({})).ok, 'no identity: nobody').toBe(false);
  });

  it('refuses everything while the host does not know its load balancer', async () => {
    const token = albToken(key, { signer: SIGNER, claims: alice });
    const r = await checkToken(token, { signer: undefined, keyFor, now, identity: alice });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('does not know its load balancer') });
  });

  it('refuses another algorithm and an unsigned token', async () => {
    const token = albToken(key, { signer: SIGNER, claims: alice });
    const header = JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ ...header, alg: 'none' })).toString('base64url')}.${token.split('.')[1]}.`;
    expect((await checkToken(none, { signer: SIGNER, keyFor, now, identity: alice })).ok).toBe(false);
  });

  it('escapes what it shows', () => {
    const page = refusalPage('a&b', { reason: '<x>', claims: { email: '"q"' } });
    expect(page).toContain('belongs to a&amp;b');
    expect(page).toContain('&lt;x&gt;');
    expect(page).toContain('&quot;q&quot;');
  });
});
