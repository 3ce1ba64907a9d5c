// devenv's gate: stands in front of one developer's code-server, on the port the load balancer
// forwards to, and lets a request through only when the load balancer signed it for that developer.
//
// The load balancer's authenticate action adds `x-amzn-oidc-data`: a JWT (ES256) whose header names
// the key (`kid`), the load balancer that signed it (`signer`) and its expiry (`exp`), and whose
// payload carries the signed-in user's claims. The key is a PEM at <key endpoint>/<kid>; the token's
// base64 segments may carry `=` padding, which many JWT libraries reject (docs/aws-behaviour.md#the-gate).
//
// Written by root to a root-owned folder mounted read-only; run by Node with no dependency but
// Node's own modules (the code-server image's Node: no image, no package from anywhere else).
// Configured by its environment: GATE_DEVELOPER, GATE_EMAIL and/or GATE_SUBJECT (who may in),
// GATE_KEY_ENDPOINT, GATE_SIGNER_FILE (holds the load balancer's ARN), GATE_CA_FILE (optional, extra
// CAs for the key endpoint), GATE_PORT (listens on all addresses), GATE_UPSTREAM_HOST and
// GATE_UPSTREAM_PORT (code-server).
import { createPublicKey, verify } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { rootCertificates } from 'node:tls';
import { pathToFileURL } from 'node:url';

export const HEADER = 'x-amzn-oidc-data';
const SEGMENT = /^[A-Za-z0-9_\-+/]+={0,2}$/;
const KID = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_CACHED_KEYS = 64;
const MAX_KEY_BYTES = 16 * 1024;

/** A JWT segment: base64url or base64, with or without `=` padding (the load balancer pads). */
function decodeSegment(segment) {
  if (!SEGMENT.test(segment)) throw new Error('not base64');
  return Buffer.from(segment.replaceAll('-', '+').replaceAll('_', '/'), 'base64');
}

function parseJson(segment) {
  const value = JSON.parse(decodeSegment(segment).toString('utf8'));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a JSON object');
  return value;
}

/**
 * Checks a token against what this gate expects. Resolves `{ ok: true, claims }` or
 * `{ ok: false, reason, claims? }`; `claims` only once the signature is known good.
 * `o`: signer (the ARN, or undefined when unknown), keyFor(kid) → KeyObject or null, now() in ms,
 * identity: { email?, subject? }.
 */
export async function checkToken(token, o) {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'the sign-in header is not a JWT' };
  let header;
  try {
    header = parseJson(parts[0]);
  } catch {
    return { ok: false, reason: 'the sign-in header is not a JWT' };
  }
  if (header.alg !== 'ES256') return { ok: false, reason: 'the sign-in header is not signed with ES256' };
  if (typeof header.kid !== 'string' || !KID.test(header.kid))
    return { ok: false, reason: 'the sign-in header names no valid key' };
  if (!o.signer) return { ok: false, reason: 'this host does not know its load balancer yet (run `devenv up`)' };
  if (header.signer !== o.signer)
    return { ok: false, reason: 'the sign-in header was signed by another load balancer' };
  if (typeof header.exp !== 'number' || header.exp * 1000 <= o.now())
    return { ok: false, reason: 'the sign-in has expired: reload the page' };
  const key = await o.keyFor(header.kid);
  if (!key) return { ok: false, reason: `the load balancer's key ${header.kid} is unknown` };
  let signature;
  try {
    signature = decodeSegment(parts[2]);
  } catch {
    return { ok: false, reason: 'the sign-in header has a bad signature' };
  }
  const signed = Buffer.from(`${parts[0]}.${parts[1]}`);
  if (signature.length !== 64 || !verify('sha256', signed, { key, dsaEncoding: 'ieee-p1363' }, signature))
    return { ok: false, reason: 'the sign-in header has a bad signature' };
  let claims;
  try {
    claims = parseJson(parts[1]);
  } catch {
    return { ok: false, reason: 'the sign-in header has no claims' };
  }
  if (typeof claims.exp === 'number' && claims.exp * 1000 <= o.now())
    return { ok: false, reason: 'the sign-in has expired: reload the page' };
  const { email, subject } = o.identity;
  const emailMatches = email === undefined || (typeof claims.email === 'string' && same(claims.email, email));
  const subjectMatches = subject === undefined || claims.sub === subject;
  if ((email === undefined && subject === undefined) || !emailMatches || !subjectMatches)
    return { ok: false, reason: 'signed in as someone else', claims };
  return { ok: true, claims };
}

const same = (a, b) => a.toLowerCase() === b.toLowerCase();

/**
 * The load balancer's public keys by kid, fetched from `endpoint` and kept (a key never changes
 * under its kid). A 404 (or any answer but 200) gives null; a failed fetch is not kept, so the next
 * request tries again. `ca`: PEM text of extra CAs trusted for the endpoint.
 */
export function keyStore({ endpoint, ca, timeoutMs = 5000 }) {
  const keys = new Map();
  const agentOptions = ca ? { ca: [...rootCertificates, ca] } : {};
  const fetchPem = (kid) =>
    new Promise((resolve, reject) => {
      const url = new URL(`${endpoint.replace(/\/+$/, '')}/${encodeURIComponent(kid)}`);
      const get = url.protocol === 'https:' ? https.get : http.get;
      const req = get(url, { ...agentOptions, timeout: timeoutMs }, (res) => {
        if (res.statusCode !== 200) {
          res.resume();
          resolve(null);
          return;
        }
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => {
          body += chunk;
          if (body.length > MAX_KEY_BYTES) req.destroy(new Error('the key is too large'));
        });
        res.on('end', () => resolve(body));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from ${url.origin} in ${timeoutMs} ms`)));
      req.on('error', reject);
    });
  return async (kid) => {
    if (!keys.has(kid)) {
      const pending = fetchPem(kid).then((pem) => (pem === null ? null : createPublicKey(pem)));
      keys.set(kid, pending);
      pending.then(
        (key) => key === null && keys.delete(kid),
        () => keys.delete(kid),
      );
      if (keys.size > MAX_CACHED_KEYS) keys.delete(keys.keys().next().value);
    }
    try {
      return await keys.get(kid);
    } catch {
      return null;
    }
  };
}

/** The signer ARN in `file`, read again only when the file changes; undefined while there is none. */
export function signerFromFile(file) {
  let seen = { stamp: '', value: undefined };
  return () => {
    let stamp;
    try {
      const s = statSync(file);
      stamp = `${s.mtimeMs} ${s.size} ${s.ino}`;
    } catch {
      return undefined;
    }
    if (stamp !== seen.stamp) seen = { stamp, value: readFileSync(file, 'utf8').trim() || undefined };
    return seen.value;
  };
}

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** The 403 page: who is signed in (when the load balancer said so), whose editor this is, and why not. */
export function refusalPage(developer, result) {
  const who = result.claims ? (result.claims.email ?? result.claims.sub) : undefined;
  const signedIn =
    who === undefined
      ? '<p>You are not signed in through the load balancer.</p>'
      : `<p>You are signed in as <b>${escapeHtml(who)}</b>.</p>`;
  return (
    '<!doctype html><html><head><meta charset="utf-8"><title>Not your editor</title></head><body>' +
    `<h1>This editor belongs to ${escapeHtml(developer)}</h1>${signedIn}` +
    `<p>${escapeHtml(result.reason)}.</p><p>Open your own editor's address, or sign in as ${escapeHtml(developer)}.</p>` +
    '</body></html>\n'
  );
}

/**
 * The gate's HTTP server. `o`: developer, identity { email?, subject? }, signer() → ARN or undefined,
 * keyFor(kid), upstream { host, port }, now() (ms). GET /healthz goes through unchecked: the load
 * balancer's health check carries no sign-in, and code-server answers it without a login.
 */
export function createGate(o) {
  const now = o.now ?? Date.now;
  const check = async (req) => {
    if (isHealthCheck(req)) return { ok: true };
    const token = req.headers[HEADER];
    if (typeof token !== 'string' || token === '')
      return { ok: false, reason: 'the request did not come through the load balancer' };
    return checkToken(token, { signer: o.signer(), keyFor: o.keyFor, now, identity: o.identity });
  };
  const server = http.createServer((req, res) => {
    check(req).then(
      (result) => {
        if (!result.ok) return refuse(res, o.developer, result);
        const upstream = http.request(
          { host: o.upstream.host, port: o.upstream.port, method: req.method, path: req.url, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
            answer.pipe(res);
          },
        );
        upstream.on('error', () => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
          res.end('the editor is not answering\n');
        });
        req.pipe(upstream);
      },
      () => refuse(res, o.developer, { ok: false, reason: 'the sign-in could not be checked' }),
    );
  });
  server.on('upgrade', (req, socket, head) => {
    socket.on('error', () => socket.destroy());
    check(req).then(
      (result) => {
        if (!result.ok) {
          const body = refusalPage(o.developer, result);
          socket.end(
            `HTTP/1.1 403 Forbidden\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
              `connection: close\r\n\r\n${body}`,
          );
          return;
        }
        // Passed through unchanged: the request as it came, then both directions byte for byte.
        const upstream = net.connect(o.upstream.port, o.upstream.host, () => {
          const lines = [`${req.method} ${req.url} HTTP/${req.httpVersion}`];
          for (let i = 0; i < req.rawHeaders.length; i += 2)
            lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
          upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
          if (head.length > 0) upstream.write(head);
          upstream.pipe(socket);
          socket.pipe(upstream);
        });
        upstream.on('error', () => socket.destroy());
        socket.on('close', () => upstream.destroy());
      },
      () => socket.destroy(),
    );
  });
  return server;
}

const isHealthCheck = (req) => (req.method === 'GET' || req.method === 'HEAD') && req.url === '/healthz';

function refuse(res, developer, result) {
  const body = refusalPage(developer, result);
  res.writeHead(403, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(body);
}

function optionalFile(path) {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function main() {
  const env = process.env;
  const developer = env.GATE_DEVELOPER;
  if (!developer || !env.GATE_KEY_ENDPOINT || !env.GATE_SIGNER_FILE) {
    console.error('gate: GATE_DEVELOPER, GATE_KEY_ENDPOINT and GATE_SIGNER_FILE are required');
    process.exit(2);
  }
  const gate = createGate({
    developer,
    identity: { email: env.GATE_EMAIL || undefined, subject: env.GATE_SUBJECT || undefined },
    signer: signerFromFile(env.GATE_SIGNER_FILE),
    keyFor: keyStore({ endpoint: env.GATE_KEY_ENDPOINT, ca: optionalFile(env.GATE_CA_FILE) }),
    upstream: { host: env.GATE_UPSTREAM_HOST ?? '127.0.0.1', port: Number(env.GATE_UPSTREAM_PORT ?? 8081) },
  });
  gate.listen(Number(env.GATE_PORT ?? 8080), '0.0.0.0', () => console.log(`gate: ${developer}'s editor, checked`));
  for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
  // One request's surprise must not drop everyone's connections (websockets included).
  process.on('uncaughtException', (err) => console.error(`gate: ${err?.stack ?? err}`));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
