import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect as tlsConnect, checkServerIdentity, type PeerCertificate } from 'node:tls';

/**
 * The network half of the end-to-end checks: plain HTTP(S) requests, a TLS handshake and a
 * websocket upgrade to one developer's URL, as a browser would make them. Certificates are checked
 * against Node's trust store, which includes NODE_EXTRA_CA_CERTS: no `ca` is passed unless the
 * caller names its own (the unit tests' test CA), since passing one replaces that store.
 */
export interface Endpoint {
  /** `alice.dev.example.com`: the name sent in SNI and Host, and checked against the certificate. */
  hostname: string;
  /** `--resolve <ip>`: connect here instead of looking the hostname up (DNS not propagated yet). */
  address?: string;
  /** Ports of the load balancer's listeners (443 and 80 on AWS). */
  httpsPort?: number;
  httpPort?: number;
  /** Trust only these CAs (PEM). Absent: Node's own store and NODE_EXTRA_CA_CERTS. */
  ca?: string;
  timeoutMs?: number;
}

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The first 256 KiB of the body. */
  body: string;
}

const BODY_LIMIT = 256 * 1024;
const DEFAULT_TIMEOUT_MS = 30_000;

function connectOptions(e: Endpoint, scheme: 'http' | 'https') {
  const port = scheme === 'https' ? (e.httpsPort ?? 443) : (e.httpPort ?? 80);
  return {
    host: e.address ?? e.hostname,
    port,
    ...(scheme === 'https' ? { servername: e.hostname, ...(e.ca ? { ca: e.ca } : {}) } : {}),
    // No keep-alive: every check opens its own connection, as a new browser would.
    agent: false as const,
    timeout: e.timeoutMs ?? DEFAULT_TIMEOUT_MS,
  };
}

export interface RequestOptions {
  scheme: 'http' | 'https';
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/** One request; redirects are not followed (they are what some checks look at). */
export function fetchPage(e: Endpoint, o: RequestOptions): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const send = o.scheme === 'https' ? httpsRequest : httpRequest;
    const req = send(
      {
        ...connectOptions(e, o.scheme),
        method: o.method ?? 'GET',
        path: o.path,
        headers: {
          Host: e.hostname,
          ...o.headers,
          ...(o.body !== undefined ? { 'Content-Length': String(Buffer.byteLength(o.body)) } : {}),
        },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (body.length < BODY_LIMIT) body += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () =>
      req.destroy(
        Object.assign(new Error(`no answer within ${(e.timeoutMs ?? DEFAULT_TIMEOUT_MS) / 1000}s`), {
          code: 'ETIMEDOUT',
        }),
      ),
    );
    req.on('error', reject);
    req.end(o.body);
  });
}

/** A websocket upgrade: resolves the status the server answered (101 when it switched protocols). */
export function upgradeStatus(
  e: Endpoint,
  o: { path: string; headers: Record<string, string>; scheme?: 'http' | 'https' },
): Promise<number> {
  const scheme = o.scheme ?? 'https';
  return new Promise((resolve, reject) => {
    const req = (scheme === 'https' ? httpsRequest : httpRequest)({
      ...connectOptions(e, scheme),
      path: o.path,
      headers: {
        Host: e.hostname,
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': Buffer.from('devenv-test-key!').toString('base64'),
        ...o.headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      resolve(res.statusCode ?? 0);
    });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('no answer to the upgrade'), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}

export interface CertificateSeen {
  /** The chain verified against the trust store. */
  trusted: boolean;
  /** Why not (`CERT_HAS_EXPIRED`, `UNABLE_TO_VERIFY_LEAF_SIGNATURE` …). */
  trustError?: string;
  /** Why the certificate does not cover the hostname, when it does not. */
  nameError?: string;
  subjectAltName?: string;
  issuer?: string;
  validTo: Date;
}

/**
 * A TLS handshake that accepts any certificate, so the check can say what is wrong with it; the
 * verdict on trust is Node's own (`authorized`, against the same store the requests use).
 */
export function peerCertificate(e: Endpoint): Promise<CertificateSeen> {
  return new Promise((resolve, reject) => {
    const o = connectOptions(e, 'https');
    const socket = tlsConnect({
      host: o.host,
      port: o.port,
      servername: e.hostname,
      ...(e.ca ? { ca: e.ca } : {}),
      rejectUnauthorized: false,
      timeout: o.timeout,
    });
    socket.once('secureConnect', () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      const nameError = checkServerIdentity(e.hostname, cert)?.message;
      resolve({
        trusted: socket.authorized,
        trustError: socket.authorized ? undefined : String(socket.authorizationError),
        nameError,
        subjectAltName: cert.subjectaltname,
        issuer: [cert.issuer?.CN ?? cert.issuer?.O].flat()[0],
        validTo: new Date(cert.valid_to),
      });
      socket.destroy();
    });
    socket.once('timeout', () => socket.destroy(Object.assign(new Error('no TLS handshake'), { code: 'ETIMEDOUT' })));
    socket.once('error', reject);
  });
}

/** A connection error in a few words: `ECONNREFUSED`, `CERT_HAS_EXPIRED: certificate has expired`. */
export function describeNetworkError(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code && !e.message?.includes(e.code) ? `${e.code}: ${e.message}` : String(e.message ?? err);
}
