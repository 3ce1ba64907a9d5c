/**
 * `x-amzn-oidc-data` made the way the load balancer makes it: a JWT signed ES256 (r‖s, 64 bytes)
 * with `kid`, `signer` and `exp` in its header, each segment base64url *with* `=` padding
 * (docs/aws-behaviour.md#the-gate), and the key served as a PEM at `<endpoint>/<kid>`.
 */
import { generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

const padded = (data: Buffer | string) => {
  const text = Buffer.from(data).toString('base64url');
  return text + '='.repeat((4 - (text.length % 4)) % 4);
};

export interface TestSigningKey {
  kid: string;
  privateKey: KeyObject;
  pem: string;
}

export function newSigningKey(): TestSigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { kid: randomUUID(), privateKey, pem: publicKey.export({ type: 'spki', format: 'pem' }).toString() };
}

export function albToken(
  key: TestSigningKey,
  o: { signer: string; claims: Record<string, unknown>; expiresInS?: number; kid?: string; now?: number },
): string {
  const exp = Math.floor((o.now ?? Date.now()) / 1000) + (o.expiresInS ?? 120);
  const header = {
    alg: 'ES256',
    kid: o.kid ?? key.kid,
    signer: o.signer,
    iss: 'https://idp.example',
    client: 'c',
    exp,
  };
  const input = `${padded(JSON.stringify(header))}.${padded(JSON.stringify({ ...o.claims, exp }))}`;
  const signature = sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${padded(signature)}`;
}

/**
 * A key endpoint serving these keys' PEMs at /<kid> (404 for any other), counting the requests; over
 * HTTPS with `tls` (a certificate and its key, PEM).
 */
export async function keyServer(
  keys: TestSigningKey[],
  o: { host?: string; tls?: { cert: string; key: string } } = {},
): Promise<{ url: string; requests: string[]; server: Server; close(): Promise<void> }> {
  const requests: string[] = [];
  const serve = (req: IncomingMessage, res: ServerResponse) => {
    requests.push(req.url ?? '');
    const key = keys.find((k) => req.url === `/${k.kid}`);
    if (!key) return void res.writeHead(404).end('not found');
    res.writeHead(200, { 'content-type': 'text/plain' }).end(key.pem);
  };
  const server: Server = o.tls ? createHttpsServer(o.tls, serve) : createServer(serve);
  await new Promise<void>((resolve) => server.listen(0, o.host ?? '127.0.0.1', resolve));
  const { port, address } = server.address() as AddressInfo;
  return {
    url: `${o.tls ? 'https' : 'http'}://${address}:${port}`,
    requests,
    server,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
